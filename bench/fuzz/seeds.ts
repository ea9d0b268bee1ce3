/**
 * The fuzz seeds: small real files of each format, in test/fixtures/fuzz/. SAT-6 CSV and the
 * safetensors model are fixtures already (test/fixtures/sat6, test/fixtures/torch-twin); the
 * others are made from the SAT-6 sample patches by `makeSeeds`, which wrote the committed files
 * (`npm run fuzz -- --make-seeds`) and gives the same bytes every time.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { encodeCompressed } from "../../src/apps/compress/format.js";
import { encodeIdx } from "../../src/data/idx.js";
import { loadSat6Csv } from "../../src/data/node/sat6.js";
import { hwcToColMajor } from "../../src/data/sat6-mat.js";

export const FIXTURES = "test/fixtures";
export const SEEDS = join(FIXTURES, "fuzz");

/** Files of a case: path relative to the case's folder -> bytes. */
export type Files = Map<string, Uint8Array>;

const SIDE = 28;

function element(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length + ((8 - (data.length % 8)) % 8));
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, data.length, true);
  out.set(data, 8);
  return out;
}

const u32s = (...xs: number[]) => new Uint8Array(Uint32Array.from(xs).buffer);
const i32s = (...xs: number[]) => new Uint8Array(Int32Array.from(xs).buffer);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

/** A MATLAB level-5 array element: class uint8 (9) or double (6), little-endian. */
function matArray(name: string, dims: number[], values: Uint8Array | Float64Array): Uint8Array {
  const isDouble = values instanceof Float64Array;
  const real = isDouble ? element(9, new Uint8Array(values.buffer)) : element(2, values);
  return element(14, cat(element(6, u32s(isDouble ? 6 : 9, 0)), element(5, i32s(...dims)), element(1, new TextEncoder().encode(name)), real));
}

function matFile(arrays: Uint8Array[], compress: boolean): Uint8Array {
  const text = new TextEncoder().encode("MATLAB 5.0 MAT-file, Platform: latent fuzz seed".padEnd(116, " "));
  const header = cat(text, new Uint8Array(8), Uint8Array.of(0x00, 0x01), new TextEncoder().encode("IM"));
  const body = arrays.map((a) => {
    if (!compress) return a;
    const z = deflateSync(a);
    const tag = new Uint8Array(8);
    new DataView(tag.buffer).setUint32(0, 15, true);
    new DataView(tag.buffer).setUint32(4, z.length, true);
    return cat(tag, z);
  });
  return cat(header, ...body);
}

function pngOf(rgba: Uint8Array): Uint8Array {
  const png = new PNG({ width: SIDE, height: SIDE });
  png.data = Buffer.from(rgba);
  return new Uint8Array(PNG.sync.write(png, { colorType: 6 }));
}

/** The seeds made from the SAT-6 sample patches, by format. */
export async function seedFiles(): Promise<Record<string, Files>> {
  const ds = await loadSat6Csv(join(FIXTURES, "sat6"))();
  if (E.isLeft(ds)) throw ds.left;
  const { train: tr, test: te } = ds.right;
  const u8 = (s: { n: number; pixels: Uint8Array | Float32Array; labels: Uint8Array | null }) => ({ n: s.n, pixels: s.pixels as Uint8Array, labels: s.labels });
  const train = u8(tr), test = u8(te);
  const px = SIDE * SIDE * 4;
  const band0 = (pixels: Uint8Array, n: number) => Uint8Array.from({ length: n * SIDE * SIDE }, (_, i) => pixels[4 * i]!);
  const idx = (n: number, pixels: Uint8Array, labels: Uint8Array) => [
    encodeIdx({ dtype: "ubyte", dims: [n, SIDE, SIDE], data: band0(pixels, n) }),
    encodeIdx({ dtype: "ubyte", dims: [n], data: labels }),
  ];
  const [trI, trL] = idx(train.n, train.pixels, train.labels!), [teI, teL] = idx(test.n, test.pixels, test.labels!);
  const idxFiles: Files = new Map([["train-images-idx3-ubyte", trI!], ["train-labels-idx1-ubyte", trL!], ["t10k-images-idx3-ubyte", teI!], ["t10k-labels-idx1-ubyte", teL!]]);
  const gz: Files = new Map([...idxFiles].map(([name, b]) => [`${name}.gz`, new Uint8Array(gzipSync(b, { level: 9 }))]));

  const png: Files = new Map();
  for (let i = 0; i < 6; i++) png.set(`${i % 2 === 0 ? "a" : "b"}/${i}.png`, pngOf(train.pixels.subarray(i * px, (i + 1) * px)));

  const oneHot = (labels: Uint8Array) => Float64Array.from({ length: 6 * labels.length }, (_, i) => (labels[Math.floor(i / 6)] === i % 6 ? 1 : 0));
  const arrays = [
    matArray("train_x", [SIDE, SIDE, 4, train.n], hwcToColMajor(train.pixels, train.n)),
    matArray("train_y", [6, train.n], oneHot(train.labels!)),
    matArray("test_x", [SIDE, SIDE, 4, test.n], hwcToColMajor(test.pixels, test.n)),
    matArray("test_y", [6, test.n], oneHot(test.labels!)),
  ];
  const latent = 8, count = train.n;
  const symbols = Uint16Array.from({ length: count * latent }, (_, i) => train.pixels[i * 37]! >> 3);
  const latc = encodeCompressed({ quantiser: { kind: "normal" }, bits: 5, modelHash: new Uint8Array(32).fill(7), count, latent, imagesCrc: 0x12345678, symbols }).bytes;
  return {
    idx: idxFiles,
    "idx-gz": gz,
    png,
    mat: new Map([["sat-6.mat", matFile(arrays, false)]]),
    "mat-z": new Map([["sat-6.mat", matFile(arrays, true)]]),
    latc: new Map([["codes.latc", latc]]),
  };
}

/** Writes the seeds into test/fixtures/fuzz/<format>/. */
export async function makeSeeds(root = SEEDS): Promise<string[]> {
  const written: string[] = [];
  for (const [format, files] of Object.entries(await seedFiles())) {
    for (const [name, bytes] of files) {
      const path = join(root, format, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      written.push(path);
    }
  }
  return written;
}
