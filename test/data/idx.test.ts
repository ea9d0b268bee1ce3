import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { left, right, tempRoot } from "./support.js";
import { DataError } from "../../src/data/errors.js";
import { boundedProduct, encodeIdx, IDX_DTYPES, parseIdx, type IdxArray, type IdxDtype } from "../../src/data/idx.js";
import { gunzip, isGzip, maybeGunzip, readMaybeGzipped } from "../../src/data/node/gzip.js";
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadIdxDir } from "../../src/data/node/idx-dir.js";

const freshDir = tempRoot("latent-idx-");

/** An IDX header by hand: magic, code, rank, big-endian dims. */
function header(code: number, dims: number[]): number[] {
  return [0, 0, code, dims.length, ...dims.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];
}

describe("parseIdx", () => {
  it("reads every dtype code, big-endian", () => {
    const cases: [number, number[], IdxDtype, number[]][] = [
      [0x08, [0x00, 0x7f, 0xff], "ubyte", [0, 127, 255]],
      [0x09, [0x00, 0x7f, 0xff, 0x80], "sbyte", [0, 127, -1, -128]],
      [0x0b, [0x01, 0x02, 0xff, 0xfe], "short", [0x0102, -2]],
      [0x0c, [0x01, 0x02, 0x03, 0x04, 0x80, 0, 0, 0], "int", [0x01020304, -(2 ** 31)]],
      [0x0d, [0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0], "float", [1.5, -2.5]],
      [0x0e, [0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0x04, 0, 0, 0, 0, 0, 0], "double", [1.5, -2.5]],
    ];
    for (const [code, data, dtype, values] of cases) {
      const a = right(parseIdx(Uint8Array.from([...header(code, [values.length]), ...data]), `code ${code}`));
      expect(a.dtype).toBe(dtype);
      expect(a.dims).toEqual([values.length]);
      expect(Array.from(a.data)).toEqual(values);
      expect(IDX_DTYPES[dtype].code).toBe(code);
    }
  });

  it("reads multi-dimensional headers and views ubyte data without copying", () => {
    const bytes = Uint8Array.from([...header(0x08, [2, 3, 1]), 1, 2, 3, 4, 5, 6]);
    const a = right(parseIdx(bytes, "x"));
    expect(a.dims).toEqual([2, 3, 1]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.data.buffer).toBe(bytes.buffer);
  });

  it("round-trips through encodeIdx for all dtypes, including 0-sized dims", () => {
    const dtypes = Object.keys(IDX_DTYPES) as IdxDtype[];
    const valueOf: Record<IdxDtype, fc.Arbitrary<number>> = {
      ubyte: fc.integer({ min: 0, max: 255 }),
      sbyte: fc.integer({ min: -128, max: 127 }),
      short: fc.integer({ min: -32768, max: 32767 }),
      int: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      float: fc.float({ noNaN: true }),
      double: fc.double({ noNaN: true }),
    };
    const ctor = { ubyte: Uint8Array, sbyte: Int8Array, short: Int16Array, int: Int32Array, float: Float32Array, double: Float64Array };
    const arb = fc.constantFrom(...dtypes).chain((dtype) =>
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }).chain((dims) => {
        const n = dims.reduce((p, d) => p * d, 1);
        return fc.array(valueOf[dtype], { minLength: n, maxLength: n }).map((vs) =>
          ({ dtype, dims, data: new ctor[dtype](vs) }) as IdxArray);
      }));
    fc.assert(fc.property(arb, (a) => {
      const bytes = encodeIdx(a);
      const b = right(parseIdx(bytes, "rt"));
      expect(b.dtype).toBe(a.dtype);
      expect(b.dims).toEqual(a.dims);
      expect(b.data).toEqual(a.data);
      // any truncation or extra byte is refused
      expect(E.isLeft(parseIdx(bytes.subarray(0, bytes.length - 1), "short"))).toBe(true);
      expect(E.isLeft(parseIdx(Uint8Array.from([...bytes, 0]), "long"))).toBe(true);
    }));
  });

  it("refuses a wrong magic at offset 0", () => {
    const e = left(parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 1, 0, 0, 0, 0]), "f.idx"));
    expect(e.message).toMatch(/f\.idx at byte 0/);
    expect(e.message).toMatch(/expected magic 0x00 0x00, found 0x1f 0x8b/);
  });

  it("refuses an unknown dtype code at offset 2", () => {
    const e = left(parseIdx(Uint8Array.from(header(0x0a, [0])), "f"));
    expect(e.message).toMatch(/at byte 2/);
    expect(e.message).toMatch(/found 0x0a/);
    expect(e.message).toMatch(/0x08/);
  });

  it("refuses a zero dimension count and truncated headers", () => {
    expect(left(parseIdx(Uint8Array.from([0, 0, 8, 0]), "f")).message).toMatch(/at byte 3.*expected at least 1, found 0/);
    expect(left(parseIdx(Uint8Array.from([0, 0, 8]), "f")).message).toMatch(/truncated IDX header.*at least 4 bytes.*found 3/);
    expect(left(parseIdx(new Uint8Array(0), "f")).message).toMatch(/found 0/);
    const e = left(parseIdx(Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1, 0, 0]), "f"));
    expect(e.message).toMatch(/2 dimensions need 12 header bytes, found 10/);
  });

  it("refuses data one byte short or one byte long, naming expected and found lengths", () => {
    const base = header(0x0b, [2, 3]); // 6 shorts = 12 bytes
    const short = left(parseIdx(Uint8Array.from([...base, ...new Array<number>(11).fill(0)]), "s"));
    expect(short.message).toMatch(/s at byte 12/);
    expect(short.message).toMatch(/dims \[2, 3\] of short \(2 bytes each\) expect 12 data bytes, found 11/);
    const long = left(parseIdx(Uint8Array.from([...base, ...new Array<number>(13).fill(0)]), "l"));
    expect(long.message).toMatch(/expect 12 data bytes, found 13/);
  });

  it("refuses dims whose product overflows, without overflowing", () => {
    const e = left(parseIdx(Uint8Array.from([...header(0x08, [2 ** 32 - 1, 2 ** 32 - 1]), 1, 2, 3]), "big"));
    expect(e.message).toMatch(/dims \[4294967295, 4294967295\]/);
    expect(e.message).toMatch(/expect 18446744065119617025 data bytes, found 3/);
    const many = left(parseIdx(Uint8Array.from(header(0x0e, new Array<number>(255).fill(2 ** 32 - 1))), "many"));
    expect(many.message).toMatch(/found 0$/);
    // a zero anywhere makes the product 0, however large the other dims
    expect(right(parseIdx(Uint8Array.from(header(0x08, [2 ** 32 - 1, 0, 2 ** 32 - 1])), "zero")).data.length).toBe(0);
  });

  it("boundedProduct stays within its limit", () => {
    expect(boundedProduct([3, 4], 12)).toBe(12);
    expect(boundedProduct([3, 4], 11)).toBeNull();
    expect(boundedProduct([2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1], Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(boundedProduct([5, 0, 2 ** 32 - 1], 0)).toBe(0);
  });
});

describe("gzip", () => {
  const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);
  const gz = gzipSync(payload);

  it("detects gzip by its magic and inflates it; other bytes pass through", async () => {
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(payload)).toBe(false);
    expect(right(await maybeGunzip(gz, "g")())).toEqual(payload);
    expect(right(await maybeGunzip(payload, "p")())).toEqual(payload);
  });

  it("turns truncated gzip into a DataError", async () => {
    const e = left(await gunzip(gz.subarray(0, gz.length - 20), "t.gz")());
    expect(e.message).toMatch(/t\.gz: truncated gzip data/);
    expect(left(await gunzip(gz.subarray(0, 2), "two")()).message).toMatch(/truncated/);
  });

  it("turns corrupt gzip into a DataError", async () => {
    const bad = Uint8Array.from(gz);
    bad[15] = bad[15]! ^ 0xff;
    bad[16] = bad[16]! ^ 0x55;
    expect(left(await gunzip(bad, "c.gz")()).message).toMatch(/c\.gz: (corrupt|truncated) gzip data/);
    const crc = Uint8Array.from(gz);
    crc[crc.length - 6] = crc[crc.length - 6]! ^ 1;
    expect(left(await gunzip(crc, "crc.gz")()).message).toMatch(/corrupt gzip data.*incorrect data check/);
  });

  it("caps the decompressed size", async () => {
    const bomb = gzipSync(new Uint8Array(1 << 20));
    const e = left(await gunzip(bomb, "bomb.gz", { maxBytes: 1000 })());
    expect(e.message).toMatch(/more than 1000 bytes \(the maxBytes limit\)/);
    expect(left(await gunzip(bomb, "x", { maxBytes: 0 })()).message).toMatch(/maxBytes must be/);
  });

  it("reads files by content, not by name, and caps raw file sizes", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "raw.gz"), payload);
    writeFileSync(join(dir, "packed"), gz);
    expect(right(await readMaybeGzipped(join(dir, "raw.gz"))())).toEqual(payload);
    expect(right(await readMaybeGzipped(join(dir, "packed"))())).toEqual(payload);
    expect(left(await readMaybeGzipped(join(dir, "raw.gz"), { maxBytes: 100 })()).message)
      .toMatch(/raw\.gz: file is 5000 bytes, more than the limit of 100 bytes/);
    expect(left(await readMaybeGzipped(join(dir, "nope"))()).message).toMatch(/nope: cannot read/);
  });
});

/** Writes an MNIST-style directory: images [n, rows, cols] with pixel (s, i) = (s * 31 + i) % 256. */
function writeIdxDir(dir: string, o: { nTrain: number; nTest: number; rows: number; cols: number; gz: Record<string, boolean>; labelCounts?: [number, number] }): { trainPixels: Uint8Array; trainLabels: Uint8Array; testPixels: Uint8Array; testLabels: Uint8Array } {
  const pixels = (n: number, seed: number) => Uint8Array.from({ length: n * o.rows * o.cols }, (_, i) => (i * 31 + seed) % 256);
  const labels = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) % 10);
  const trainPixels = pixels(o.nTrain, 1), testPixels = pixels(o.nTest, 2);
  const trainLabels = labels(o.labelCounts?.[0] ?? o.nTrain, 3), testLabels = labels(o.labelCounts?.[1] ?? o.nTest, 4);
  const files: [string, IdxArray][] = [
    ["train-images-idx3-ubyte", { dtype: "ubyte", dims: [o.nTrain, o.rows, o.cols], data: trainPixels }],
    ["train-labels-idx1-ubyte", { dtype: "ubyte", dims: [trainLabels.length], data: trainLabels }],
    ["t10k-images-idx3-ubyte", { dtype: "ubyte", dims: [o.nTest, o.rows, o.cols], data: testPixels }],
    ["t10k-labels-idx1-ubyte", { dtype: "ubyte", dims: [testLabels.length], data: testLabels }],
  ];
  for (const [name, a] of files) {
    const bytes = encodeIdx(a);
    if (o.gz[name]) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
    else writeFileSync(join(dir, name), bytes);
  }
  return { trainPixels, trainLabels, testPixels, testLabels };
}

const someGz = { "train-images-idx3-ubyte": true, "t10k-labels-idx1-ubyte": true };

describe("loadIdxDir", () => {
  it("round-trips a directory of raw and gzip files", async () => {
    const dir = freshDir();
    const w = writeIdxDir(dir, { nTrain: 7, nTest: 3, rows: 3, cols: 4, gz: someGz });
    const ds = right(await loadIdxDir(dir, "tiny")());
    expect(ds.name).toBe("tiny");
    expect(ds.imageShape).toEqual([3, 4, 1]);
    expect(ds.classNames).toBeUndefined();
    expect(ds.train.n).toBe(7);
    expect(ds.test.n).toBe(3);
    expect(ds.train.pixels).toEqual(w.trainPixels);
    expect(ds.test.pixels).toEqual(w.testPixels);
    expect(ds.train.labels).toEqual(w.trainLabels);
    expect(ds.test.labels).toEqual(w.testLabels);
    expect(Object.getPrototypeOf(ds.train.pixels)).toBe(Uint8Array.prototype);
  });

  it("gives the class names of known data sets, from the name or the folder name", async () => {
    const dir = join(freshDir(), "fashion-mnist");
    mkdirSync(dir);
    writeIdxDir(dir, { nTrain: 2, nTest: 1, rows: 2, cols: 2, gz: {} });
    expect(right(await loadIdxDir(dir)()).classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(right(await loadIdxDir(dir, "mnist")()).classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  it("names the missing files and what was looked for", async () => {
    const dir = freshDir();
    writeIdxDir(dir, { nTrain: 2, nTest: 1, rows: 2, cols: 2, gz: someGz });
    rmSync(join(dir, "t10k-labels-idx1-ubyte.gz"));
    const e = left(await loadIdxDir(dir)());
    expect(e.where).toBe(dir);
    expect(e.message).toMatch(/missing IDX file: t10k-labels-idx1-ubyte \(looked for t10k-labels-idx1-ubyte and t10k-labels-idx1-ubyte\.gz\)/);
    rmSync(join(dir, "train-images-idx3-ubyte.gz"));
    const two = left(await loadIdxDir(dir)());
    expect(two.message).toMatch(/missing IDX files: train-images-idx3-ubyte .*; t10k-labels-idx1-ubyte/);
    expect(left(await loadIdxDir(join(freshDir(), "no-such-dir"))()).message).toMatch(/no-such-dir: cannot list the directory/);
  });

  it("refuses a label count that differs from the image count, naming both files", async () => {
    const dir = freshDir();
    writeIdxDir(dir, { nTrain: 5, nTest: 2, rows: 2, cols: 2, gz: {}, labelCounts: [4, 2] });
    const e = left(await loadIdxDir(dir)());
    expect(e.message).toMatch(/label count mismatch: 4 labels in .*train-labels-idx1-ubyte but 5 images in .*train-images-idx3-ubyte/);
  });

  it("refuses images that are not ubyte [n, rows, cols] and broken files", async () => {
    const dir = freshDir();
    writeIdxDir(dir, { nTrain: 2, nTest: 1, rows: 2, cols: 2, gz: {} });
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx({ dtype: "float", dims: [1, 2, 2], data: new Float32Array(4) }));
    expect(left(await loadIdxDir(dir)()).message).toMatch(/t10k-images-idx3-ubyte: expected images as ubyte \[n, rows, cols\], found float \[1, 2, 2\]/);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), gzipSync(encodeIdx({ dtype: "ubyte", dims: [1, 2, 2], data: new Uint8Array(4) })).subarray(0, 20));
    expect(left(await loadIdxDir(dir)()).message).toMatch(/t10k-images-idx3-ubyte: truncated gzip/);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx({ dtype: "ubyte", dims: [1, 3, 2], data: new Uint8Array(6) }));
    expect(left(await loadIdxDir(dir)()).message).toMatch(/image size mismatch: .*train-images-idx3-ubyte has 2x2 images, .*t10k-images-idx3-ubyte has 3x2/);
  });

  it("checks labels against the classes of a known data set", async () => {
    const dir = freshDir();
    writeIdxDir(dir, { nTrain: 2, nTest: 1, rows: 2, cols: 2, gz: {} });
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx({ dtype: "ubyte", dims: [1], data: Uint8Array.of(12) }));
    expect(left(await loadIdxDir(dir, "mnist")()).message).toMatch(/label 0 is 12, expected a class below 10/);
    expect(right(await loadIdxDir(dir, "other")()).test.labels).toEqual(Uint8Array.of(12));
  });

  it.skipIf(!existsSync(FASHION_MNIST_DIR))("loads Fashion-MNIST from the Debian package", async () => {
    const ds = right(await loadIdxDir(FASHION_MNIST_DIR)());
    expect(ds.name).toBe("fashion-mnist");
    expect(ds.imageShape).toEqual([28, 28, 1]);
    expect([ds.train.n, ds.test.n]).toEqual([60000, 10000]);
    expect(ds.train.pixels.length).toBe(60000 * 784);
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    const counts = new Array<number>(10).fill(0);
    for (const l of ds.train.labels!) counts[l]!++;
    expect(counts).toEqual(new Array<number>(10).fill(6000));
  });
});
