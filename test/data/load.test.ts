import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { left, right, tempRoot } from "./support.js";
import { DataError } from "../../src/data/errors.js";
import { encodeIdx } from "../../src/data/idx.js";
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from "../../src/data/node/idx-dir.js";
import { loadDataset } from "../../src/data/node/load.js";

const freshDir = tempRoot("latent-load-");

function writeIdx(dir: string, n: number, m: number): void {
  const images = (k: number) => encodeIdx({ dtype: "ubyte", dims: [k, 2, 3], data: Uint8Array.from({ length: k * 6 }, (_, i) => i % 256) });
  const labels = (k: number) => encodeIdx({ dtype: "ubyte", dims: [k], data: Uint8Array.from({ length: k }, (_, i) => i % 10) });
  writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(images(n)));
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), labels(n));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), images(m));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte.gz"), gzipSync(labels(m)));
}

describe("loadDataset", () => {
  it('"mnist" is the embedded data set', async () => {
    const ds = right(await loadDataset("mnist")());
    expect(ds.name).toBe("mnist");
    expect(ds.imageShape).toEqual([28, 28, 1]);
    expect(ds.train.n + ds.test.n).toBeGreaterThan(0);
  });

  it("a directory of IDX files loads as IDX", async () => {
    const dir = freshDir();
    writeIdx(dir, 4, 2);
    const ds = right(await loadDataset(dir)());
    expect(ds.imageShape).toEqual([2, 3, 1]);
    expect([ds.train.n, ds.test.n]).toEqual([4, 2]);
    expect(ds.test.labels).toEqual(Uint8Array.from([0, 1]));
  });

  it("a directory with only some IDX files is an IDX error, not a PNG one", async () => {
    const dir = freshDir();
    writeIdx(dir, 4, 2);
    rmSync(join(dir, "t10k-images-idx3-ubyte"));
    expect(left(await loadDataset(dir)()).message).toMatch(/missing IDX file: t10k-images-idx3-ubyte/);
  });

  it("a folder of label sub-folders with PNGs loads as a PNG folder", async () => {
    const dir = freshDir();
    for (const label of ["no", "yes"]) {
      mkdirSync(join(dir, label));
      for (let s = 0; s < 5; s++) {
        const png = new PNG({ width: 3, height: 2 });
        png.data = Buffer.alloc(3 * 2 * 4, 40 * s + 1);
        writeFileSync(join(dir, label, `${s}.png`), PNG.sync.write(png));
      }
    }
    const ds = right(await loadDataset(dir, { png: { testFraction: 0.2 } })());
    expect(ds.classNames).toEqual(["no", "yes"]);
    expect(ds.imageShape).toEqual([2, 3, 4]);
    expect([ds.train.n, ds.test.n]).toEqual([8, 2]);
  });

  it("anything else names the path and what was looked for", async () => {
    const missing = join(freshDir(), "nowhere");
    const e = left(await loadDataset(missing)());
    expect(e.where).toBe(missing);
    expect(e.message).toMatch(/no such directory: expected "mnist", "fashion-mnist", a directory with the IDX files train-images-idx3-ubyte/);

    const empty = freshDir();
    writeFileSync(join(empty, "notes.txt"), "hello");
    expect(left(await loadDataset(empty)()).message).toMatch(/found neither IDX files nor \.png files: expected .*folder of \.png files/);

    const file = join(empty, "notes.txt");
    expect(left(await loadDataset(file)()).message).toMatch(/notes\.txt: no such directory/);
  });

  it('"fashion-mnist" says how to install it when it is missing or broken', async () => {
    const e = left(await loadDataset("fashion-mnist", { fashionMnistDir: join(freshDir(), "absent") })());
    expect(e.message).toMatch(/fashion-mnist: not found in .*absent: install it with `apt-get install dataset-fashion-mnist`/);
    const partial = freshDir();
    writeIdx(partial, 2, 1);
    rmSync(join(partial, "train-labels-idx1-ubyte"));
    const p = left(await loadDataset("fashion-mnist", { fashionMnistDir: partial })());
    expect(p.where).toBe(partial);
    expect(p.message).toMatch(/missing IDX file: train-labels-idx1-ubyte .*; to \(re\)install Fashion-MNIST, install it with `apt-get install dataset-fashion-mnist`/);
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR))('"fashion-mnist" loads the Debian package', async () => {
    const ds = right(await loadDataset("fashion-mnist")());
    expect(ds.name).toBe("fashion-mnist");
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect([ds.train.n, ds.test.n]).toEqual([60000, 10000]);
    expect(ds.imageShape).toEqual([28, 28, 1]);
  });
});
