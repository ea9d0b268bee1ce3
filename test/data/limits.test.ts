// The data loaders' resource limits (src/data/limits.ts): each is refused by a DataError whose
// `limit` names it, with the value in force and what the input declared, before the memory is
// spent. Bombs are built by the fuzz harness's generator (bench/fuzz/bomb.ts, itself checked
// against zlib); the declared-size refusals can only come from the header, read before inflating.
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipZeros, zlibZeros } from "../../bench/fuzz/bomb.js";
import { idxHeader, matCompressed, pngFile, tag } from "../../bench/fuzz/bombs.js";
import { encodeIdx } from "../../src/data/idx.js";
import { INFLATE_RATIO_GRACE_BYTES, inflateAllowance, MAX_DATA_BYTES, MAX_GZIP_HEADER_BYTES, MAX_INFLATE_RATIO } from "../../src/data/limits.js";
import { gunzip, readMaybeGzipped } from "../../src/data/node/gzip.js";
import { loadIdxDir } from "../../src/data/node/idx-dir.js";
import { loadPngFolder } from "../../src/data/node/png-folder.js";
import { loadSat6Csv, loadSat6Mat } from "../../src/data/node/sat6.js";
import { MAX_CSV_LINE_BYTES } from "../../src/data/limits.js";
import * as E from "fp-ts/lib/Either.js";
import { decodePng } from "../../src/viz/node/png.js";
import { left, right, tempRoot } from "./support.js";

const freshDir = tempRoot("latent-limits-");

/** A gzip member with an FNAME field of `n` bytes (RFC 1952) inserted after its 10-byte header; the data is unchanged. */
function withFileName(gz: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(gz.length + n + 1);
  out.set(gz.subarray(0, 10));
  out[3] = gz[3]! | 8;
  out.fill(0x61, 10, 10 + n); // "aaa…", then the terminating zero
  out.set(gz.subarray(10), 10 + n + 1);
  return out;
}

/** An MNIST-style folder whose train images are `trainImages` (gzip); the other files small and valid. */
function idxDir(trainImages: Uint8Array, n = 3): string {
  const dir = freshDir();
  const img = (k: number) => encodeIdx({ dtype: "ubyte", dims: [k, 28, 28], data: new Uint8Array(k * 784) });
  const lbl = (k: number) => encodeIdx({ dtype: "ubyte", dims: [k], data: new Uint8Array(k) });
  writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), trainImages);
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), lbl(n));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), img(2));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), lbl(2));
  return dir;
}

describe("decompressed size", () => {
  it("a gzipped IDX declaring 2,000,000 images over 1.5 GB of zeros is refused from its header", async () => {
    const bomb = gzipZeros(idxHeader(2_000_000, 28, 28), 1.5e9);
    const t0 = performance.now();
    const e = left(await loadIdxDir(idxDir(bomb), "x")());
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(e.message).toMatch(/train-images-idx3-ubyte\.gz: its header declares 1568000016 decompressed bytes, more than the 1073741824 allowed/);
    expect(e.limit).toEqual({ name: "MAX_DATA_BYTES", max: MAX_DATA_BYTES, found: 16 + 2_000_000 * 784 });
    // With a larger cap, the ratio refuses it: 1.57 GB from 1.5 MB.
    const ratio = left(await loadIdxDir(idxDir(bomb), "x", { maxBytes: 2 ** 31 })());
    expect(ratio.limit).toEqual({ name: "MAX_INFLATE_RATIO", max: MAX_INFLATE_RATIO, found: 16 + 2_000_000 * 784 });
    expect(ratio.message).toContain(`more than the ${MAX_INFLATE_RATIO * bomb.length} allowed for ${bomb.length} compressed bytes`);
  });

  it("an invalid IDX header is refused before the rest of the gzip is inflated", async () => {
    const e = left(await loadIdxDir(idxDir(gzipZeros(new Uint8Array(0), 10e9)), "x")());
    expect(e.message).toMatch(/train-images-idx3-ubyte\.gz at byte 2: unknown IDX dtype code/);
  });

  it("the declared size is read after a long gzip header, and a header past MAX_GZIP_HEADER_BYTES is refused", async () => {
    const bomb = gzipZeros(idxHeader(2_000_000, 28, 28), 1.5e9);
    const named = withFileName(bomb, 5000); // FNAME of 5,000 bytes: the first KiB of input is all header
    const e = left(await loadIdxDir(idxDir(named), "x")());
    expect(e.message).toMatch(/its header declares 1568000016 decompressed bytes/);
    const data = encodeIdx({ dtype: "ubyte", dims: [3, 28, 28], data: new Uint8Array(3 * 784).fill(7) });
    expect(right(await loadIdxDir(idxDir(withFileName(gzipSync(data), 5000)), "x")()).train.n).toBe(3);
    const huge = left(await loadIdxDir(idxDir(withFileName(gzipSync(data), MAX_GZIP_HEADER_BYTES)), "x")());
    expect(huge.message).toMatch(/train-images-idx3-ubyte\.gz: its gzip header \(extra field, file name and comment\) is longer than 65536 bytes/);
    expect(huge.limit).toEqual({ name: "MAX_GZIP_HEADER_BYTES", max: MAX_GZIP_HEADER_BYTES });
    expect(left(await gunzip(withFileName(gzipSync(data), MAX_GZIP_HEADER_BYTES), "m")()).limit?.name).toBe("MAX_GZIP_HEADER_BYTES");
  });

  it("a gzipped IDX holding more than its header declares stops at the declared size", async () => {
    const data = encodeIdx({ dtype: "ubyte", dims: [3, 28, 28], data: new Uint8Array(3 * 784).fill(9) });
    const lying = data.slice();
    lying[7] = 2; // declares 2 images, holds 3
    expect(left(await loadIdxDir(idxDir(gzipSync(lying), 2), "x")()).message).toMatch(/decompresses to more than the 1584 bytes its header declares/);
    expect(right(await loadIdxDir(idxDir(gzipSync(data)), "x")()).train.n).toBe(3);
  });

  it("other gzip data may grow to MAX_INFLATE_RATIO times its size beyond the grace, and no further", async () => {
    expect(inflateAllowance(1000, MAX_DATA_BYTES)).toBe(INFLATE_RATIO_GRACE_BYTES);
    expect(inflateAllowance(1e6, MAX_DATA_BYTES)).toBe(1e8);
    expect(inflateAllowance(1e8, MAX_DATA_BYTES)).toBe(MAX_DATA_BYTES);
    const grace = gzipZeros(new Uint8Array(0), INFLATE_RATIO_GRACE_BYTES);
    expect(right(await gunzip(grace, "g")()).length).toBe(INFLATE_RATIO_GRACE_BYTES);
    const over = gzipZeros(new Uint8Array(0), INFLATE_RATIO_GRACE_BYTES + 1);
    const e = left(await gunzip(over, "z.gz")());
    expect(e.limit).toEqual({ name: "MAX_INFLATE_RATIO", max: MAX_INFLATE_RATIO });
    expect(e.message).toMatch(/z\.gz: gzip data decompresses to more than 16777216 bytes from \d+ compressed bytes \(MAX_INFLATE_RATIO 100:1\)/);
    const dir = freshDir();
    writeFileSync(join(dir, "z.gz"), over);
    expect(left(await readMaybeGzipped(join(dir, "z.gz"))()).limit?.name).toBe("MAX_INFLATE_RATIO");
  });
});

/** An 8-bit grey image interlaced with Adam7, as PNG image data (the decoder is pngjs: an independent oracle). */
function adam7(w: number, h: number, px: Uint8Array): Uint8Array {
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const) {
    if (x0 >= w || y0 >= h) continue;
    for (let y = y0; y < h; y += dy) {
      rows.push(0);
      for (let x = x0; x < w; x += dx) rows.push(px[y * w + x]!);
    }
  }
  return deflateSync(Uint8Array.from(rows));
}

describe("images", () => {
  it("refuses image data beyond MAX_INFLATE_RATIO before decoding", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "big.png"), pngFile(8192, 8192, 0, 0, zlibZeros(new Uint8Array(0), 8192 * 8193)));
    const e = left(await loadPngFolder(dir)());
    expect(e.limit).toMatchObject({ name: "MAX_INFLATE_RATIO", max: MAX_INFLATE_RATIO, found: 8192 * 8193 });
  });

  it("refuses interlaced image data that inflates past what the image needs, and loads interlaced images that fit", async () => {
    const w = 11, h = 7, px = Uint8Array.from({ length: w * h }, (_, i) => (i * 29) % 256);
    const dir = freshDir();
    writeFileSync(join(dir, "ok.png"), pngFile(w, h, 0, 1, adam7(w, h, px)));
    expect(Array.from(right(await loadPngFolder(dir)()).train.pixels)).toEqual(Array.from(px));
    const bomb = freshDir();
    writeFileSync(join(bomb, "x.png"), pngFile(w, h, 0, 1, zlibZeros(new Uint8Array(0), 1e9)));
    expect(left(await loadPngFolder(bomb)()).message).toMatch(/x\.png: the interlaced image data inflates to more than the \d+ bytes a 11x7 image needs/);
  });

  it("decodePng (viz/node) takes the same limits: a declared 100,000 x 100,000, an inflating bomb, an interlaced bomb", () => {
    const huge = decodePng(pngFile(100_000, 100_000, 0, 0, deflateSync(new Uint8Array(10))), "huge.png");
    expect(E.isLeft(huge) && huge.left.message).toMatch(/^huge\.png/);
    expect(E.isLeft(huge) && huge.left.limit?.name).toBe("MAX_IMAGE_SIDE");
    const ratio = decodePng(pngFile(8192, 8192, 0, 0, zlibZeros(new Uint8Array(0), 8192 * 8193)), "r.png");
    expect(E.isLeft(ratio) && ratio.left.limit?.name).toBe("MAX_INFLATE_RATIO");
    const w = 11, h = 7;
    const bomb = decodePng(pngFile(w, h, 0, 1, zlibZeros(new Uint8Array(0), 1e9)), "x.png");
    expect(E.isLeft(bomb) && bomb.left.message).toMatch(/x\.png: the interlaced image data inflates to more than/);
    const px = Uint8Array.from({ length: w * h }, (_, i) => (i * 29) % 256);
    const ok = decodePng(pngFile(w, h, 0, 1, adam7(w, h, px)), "ok.png");
    expect(E.isRight(ok) && Array.from(ok.right.data.filter((_, i) => i % 4 === 0))).toEqual(Array.from(px));
  });

  it("refuses a split past maxBytes (default MAX_DATA_BYTES) before allocating it", async () => {
    const dir = freshDir();
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `${i}.png`), pngFile(4, 4, 0, 0, deflateSync(new Uint8Array(4 * 5))));
    const e = left(await loadPngFolder(dir, { maxBytes: 40 })());
    expect(e.limit).toEqual({ name: "MAX_DATA_BYTES", max: 40, found: 4 * 16 });
    expect(right(await loadPngFolder(dir, { maxBytes: 64 })()).train.n).toBe(4);
  });
});

describe("MAT elements", () => {
  it("refuses an element whose first tag declares more than the cap, or a type no element has, before inflating it", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "big.mat"), matCompressed(zlibZeros(tag(14, 2 ** 32 - 8), 1e9)));
    const e = left(await loadSat6Mat(join(dir, "big.mat"))());
    expect(e.limit).toEqual({ name: "MAX_DATA_BYTES", max: MAX_DATA_BYTES, found: 2 ** 32 });
    writeFileSync(join(dir, "zeros.mat"), matCompressed(zlibZeros(new Uint8Array(0), 1e9)));
    expect(left(await loadSat6Mat(join(dir, "zeros.mat"))()).message).toMatch(/zeros\.mat at byte 128 \(compressed element, inflated byte 0\): unknown data element type 0/);
    writeFileSync(join(dir, "small.mat"), matCompressed(zlibZeros(tag(14, 56), 1e9)));
    expect(left(await loadSat6Mat(join(dir, "small.mat"))()).message).toMatch(/inflates to more than the 64 bytes its first tag declares/);
  });
});

describe("SAT-6 CSV", () => {
  const sample = (file: string, text: string) => {
    const dir = freshDir();
    cpSync("test/fixtures/sat6", dir, { recursive: true });
    writeFileSync(join(dir, file), text);
    return dir;
  };

  it("refuses a line longer than MAX_CSV_LINE_BYTES", async () => {
    const e = left(await loadSat6Csv(sample("test_X_8.csv", "1,".repeat(MAX_CSV_LINE_BYTES)))());
    expect(e.message).toMatch(/test_X_8\.csv, line 1: line longer than 1048576 bytes \(MAX_CSV_LINE_BYTES/);
    expect(e.limit).toMatchObject({ name: "MAX_CSV_LINE_BYTES", max: MAX_CSV_LINE_BYTES });
  });

  it("refuses labels whose pixels the pixel file cannot hold, or that would pass MAX_DATA_BYTES, before allocating them", async () => {
    const rows = (n: number) => "0,0,1,0,0,0\n".repeat(n);
    expect(left(await loadSat6Csv(sample("test_y_8.csv", rows(300_000)))()).message)
      .toMatch(/test_X_8\.csv: row count mismatch: 300000 rows in .*test_y_8\.csv need at least 1881599999 bytes of pixels, .* has 86317/);
    const e = left(await loadSat6Csv(sample("test_y_8.csv", rows(400_000)))());
    expect(e.limit?.name).toBe("MAX_DATA_BYTES");
    expect(e.message).toMatch(/more than 342392 label rows/);
  });
});
