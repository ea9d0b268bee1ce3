import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import * as fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { PNG, type ColorType } from "pngjs";
import { describe, expect, it } from "vitest";
import { left, right, tempRoot } from "./support.js";
import { DataError } from "../../src/data/errors.js";
import { isTestIndex, loadPngFolder } from "../../src/data/node/png-folder.js";
import { readPngHeader } from "../../src/data/png-header.js";

const freshDir = tempRoot("latent-png-");

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Channels of each pngjs input colour type. */
const BANDS: Record<ColorType, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** An 8-bit PNG written by pngjs from `samples` (h * w * bands values, HWC). */
function pngjsBytes(w: number, h: number, colorType: ColorType, samples: Uint8Array): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data = Buffer.from(samples);
  expect(samples.length).toBe(w * h * BANDS[colorType]);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: colorType === 4 || colorType === 6 });
}

/** Deterministic sample values for image `seed`. */
const samplesFor = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed * 11) % 256);

// A minimal PNG encoder for what pngjs cannot write (palette, 16-bit, broken files).
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Array.from(type, (ch) => ch.charCodeAt(0)), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
function ihdr(w: number, h: number, bitDepth: number, colorType: number, interlace = 0): Uint8Array {
  const d = new Uint8Array(13);
  const view = new DataView(d.buffer);
  view.setUint32(0, w);
  view.setUint32(4, h);
  d.set([bitDepth, colorType, 0, 0, interlace], 8);
  return chunk("IHDR", d);
}
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** A PNG from raw scanlines (filter byte 0 added here); `rowBytes` bytes per row. */
function rawPng(w: number, h: number, bitDepth: number, colorType: number, rows: Uint8Array, rowBytes: number, extra: Uint8Array[] = []): Uint8Array {
  const filtered = new Uint8Array(h * (rowBytes + 1));
  for (let y = 0; y < h; y++) filtered.set(rows.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  const parts = [Uint8Array.from(SIGNATURE), ihdr(w, h, bitDepth, colorType), ...extra, chunk("IDAT", deflateSync(filtered)), chunk("IEND", new Uint8Array(0))];
  return Buffer.concat(parts);
}
/** Just a signature and an IHDR chunk: enough for readPngHeader, nothing to decode. */
const headerOnly = (w: number, h: number, bitDepth = 8, colorType = 0): Uint8Array =>
  Buffer.concat([Uint8Array.from(SIGNATURE), ihdr(w, h, bitDepth, colorType)]);

describe("readPngHeader", () => {
  it("reads what pngjs wrote", () => {
    const h = right(readPngHeader(pngjsBytes(5, 3, 2, samplesFor(45, 0)), "a.png"));
    expect(h).toEqual({ width: 5, height: 3, bitDepth: 8, colorType: 2, interlaced: false });
  });

  it("refuses zero and huge dimensions before any decoding", () => {
    expect(left(readPngHeader(headerOnly(0, 10), "z.png")).message).toMatch(/z\.png at byte 16: PNG width: expected 1\.\.16384, found 0/);
    expect(left(readPngHeader(headerOnly(10, 0), "z.png")).message).toMatch(/at byte 20: PNG height: expected 1\.\.16384, found 0/);
    expect(left(readPngHeader(headerOnly(100000, 10), "h.png")).message).toMatch(/PNG width: expected 1\.\.16384, found 100000/);
    expect(left(readPngHeader(headerOnly(2 ** 32 - 1, 2 ** 32 - 1), "h.png")).message).toMatch(/found 4294967295/);
    expect(left(readPngHeader(headerOnly(16384, 16384), "p.png")).message).toMatch(/at most 67108864 pixels, found 16384x16384 = 268435456/);
    expect(E.isRight(readPngHeader(headerOnly(8192, 8192), "ok.png"))).toBe(true);
    expect(left(readPngHeader(headerOnly(100, 100), "l.png", { maxSide: 64 })).message).toMatch(/expected 1\.\.64, found 100/);
  });

  it("refuses files that are not PNGs or have a broken IHDR", () => {
    expect(left(readPngHeader(new TextEncoder().encode("GIF89a........"), "g.png")).message)
      .toMatch(/g\.png at byte 0: not a PNG file: expected the signature 89 50 4e 47 0d 0a 1a 0a, found 47 49 46 38 39 61/);
    expect(left(readPngHeader(new Uint8Array(0), "e.png")).message).toMatch(/found an empty file/);
    expect(left(readPngHeader(headerOnly(4, 4).subarray(0, 20), "t.png")).message).toMatch(/truncated PNG header.*found 20/);
    const wrongType = headerOnly(4, 4);
    wrongType.set([0x49, 0x44, 0x41, 0x54], 12);
    expect(left(readPngHeader(wrongType, "w.png")).message).toMatch(/at byte 12: expected the first chunk to be IHDR, found "IDAT"/);
    expect(left(readPngHeader(headerOnly(4, 4, 16, 3), "d.png")).message).toMatch(/at byte 24: PNG bit depth for colour type 3: expected one of 1, 2, 4, 8, found 16/);
    expect(left(readPngHeader(headerOnly(4, 4, 8, 5), "c.png")).message).toMatch(/at byte 25: PNG colour type: expected 0, 2, 3, 4 or 6, found 5/);
  });
});

describe("isTestIndex", () => {
  it("is i % k == k - 1 for testFraction 1/k", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 20 }), fc.integer({ min: 0, max: 100000 }), (k, i) => {
      expect(isTestIndex(i, 1 / k)).toBe(i % k === k - 1);
    }));
    expect(Array.from({ length: 10 }, (_, i) => isTestIndex(i, 0.2))).toEqual([false, false, false, false, true, false, false, false, false, true]);
    expect(Array.from({ length: 100 }, (_, i) => i).filter((i) => isTestIndex(i, 0.3)).length).toBe(30);
    expect(Array.from({ length: 10 }, (_, i) => isTestIndex(i, 0)).some(Boolean)).toBe(false);
  });
});

describe("loadPngFolder", () => {
  it("loads a flat folder of grey PNGs: HWC uint8, every 5th file in test, no labels", async () => {
    const dir = freshDir();
    const images = Array.from({ length: 10 }, (_, s) => samplesFor(6, s));
    images.forEach((px, s) => writeFileSync(join(dir, `img${s}.png`), pngjsBytes(2, 3, 0, px)));
    writeFileSync(join(dir, "README.txt"), "not an image");
    const ds = right(await loadPngFolder(dir)());
    expect(ds.name).toMatch(/^d\d+$/);
    expect(ds.imageShape).toEqual([3, 2, 1]);
    expect([ds.train.n, ds.test.n]).toEqual([8, 2]);
    expect(ds.train.labels).toBeNull();
    expect(ds.classNames).toBeUndefined();
    // sorted: img0..img9; test = indices 4 and 9
    expect(ds.test.pixels).toEqual(concat([images[4]!, images[9]!]));
    expect(ds.train.pixels).toEqual(concat([0, 1, 2, 3, 5, 6, 7, 8].map((s) => images[s]!)));
    expect(ds.train.pixels).toBeInstanceOf(Uint8Array);
  });

  it("loads one sub-folder per label: sorted class names, RGB HWC, split per folder", async () => {
    const dir = freshDir();
    const w = 4, h = 2;
    const written: Record<string, Uint8Array[]> = {};
    for (const [label, count] of [["zebra", 6], ["cat", 5]] as const) {
      mkdirSync(join(dir, label));
      written[label] = Array.from({ length: count }, (_, s) => samplesFor(w * h * 3, s + label.length));
      written[label].forEach((px, s) => writeFileSync(join(dir, label, `${s}.png`), pngjsBytes(w, h, 2, px)));
    }
    const ds = right(await loadPngFolder(dir, { name: "animals" })());
    expect(ds.name).toBe("animals");
    expect(ds.classNames).toEqual(["cat", "zebra"]);
    expect(ds.imageShape).toEqual([h, w, 3]);
    expect([ds.train.n, ds.test.n]).toEqual([9, 2]);
    expect(ds.train.labels).toEqual(Uint8Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1]));
    expect(ds.test.labels).toEqual(Uint8Array.from([0, 1]));
    expect(ds.test.pixels).toEqual(concat([written.cat![4]!, written.zebra![4]!]));
    expect(ds.train.pixels.subarray(0, w * h * 3)).toEqual(written.cat![0]);
  });

  it("keeps alpha as a 4th band for RGBA and drops it for grey + alpha", async () => {
    const rgba = freshDir();
    const px = samplesFor(3 * 3 * 4, 1);
    writeFileSync(join(rgba, "a.png"), pngjsBytes(3, 3, 6, px));
    const ds = right(await loadPngFolder(rgba, { testFraction: 0 })());
    expect(ds.imageShape).toEqual([3, 3, 4]);
    expect(ds.train.pixels).toEqual(px);
    expect(ds.test.n).toBe(0);

    const ga = freshDir();
    const grey = samplesFor(4, 2), alpha = Uint8Array.from([255, 0, 128, 7]);
    const interleaved = Uint8Array.from({ length: 8 }, (_, i) => (i % 2 ? alpha : grey)[i >> 1]!);
    writeFileSync(join(ga, "a.png"), pngjsBytes(2, 2, 4, interleaved));
    const g = right(await loadPngFolder(ga, { testFraction: 0 })());
    expect(g.imageShape).toEqual([2, 2, 1]);
    expect(g.train.pixels).toEqual(grey);
  });

  it("expands palette images to RGB and scales 16-bit samples to 8 bits", async () => {
    const pal = freshDir();
    const palette = Uint8Array.from([10, 20, 30, 200, 150, 100, 0, 0, 255]);
    const indices = Uint8Array.from([0, 1, 2, 1, 0, 2]); // 3x2, 8-bit indices
    writeFileSync(join(pal, "p.png"), rawPng(3, 2, 8, 3, indices, 3, [chunk("PLTE", palette)]));
    const p = right(await loadPngFolder(pal, { testFraction: 0 })());
    expect(p.imageShape).toEqual([2, 3, 3]);
    expect(Array.from(p.train.pixels)).toEqual(Array.from(indices).flatMap((i) => Array.from(palette.subarray(3 * i, 3 * i + 3))));

    const deep = freshDir();
    const values = [0, 65535, 257 * 128, 1000]; // 2x2 grey, 16-bit big-endian
    const rows = Uint8Array.from(values.flatMap((v) => [v >> 8, v & 255]));
    writeFileSync(join(deep, "d.png"), rawPng(2, 2, 16, 0, rows, 4));
    const d = right(await loadPngFolder(deep, { testFraction: 0 })());
    expect(d.imageShape).toEqual([2, 2, 1]);
    expect(Array.from(d.train.pixels)).toEqual(values.map((v) => Math.round((v * 255) / 65535)));
  });

  it("uses train/ and test/ folders when present", async () => {
    const dir = freshDir();
    for (const [split, labels] of [["train", ["a", "b"]], ["test", ["b", "c"]]] as const) {
      for (const label of labels) {
        mkdirSync(join(dir, split, label), { recursive: true });
        for (let s = 0; s < 3; s++) writeFileSync(join(dir, split, label, `${s}.png`), pngjsBytes(2, 2, 0, samplesFor(4, s)));
      }
    }
    const ds = right(await loadPngFolder(dir, { testFraction: 0.5 })());
    expect(ds.classNames).toEqual(["a", "b", "c"]);
    expect([ds.train.n, ds.test.n]).toEqual([6, 6]);
    expect(ds.train.labels).toEqual(Uint8Array.from([0, 0, 0, 1, 1, 1]));
    expect(ds.test.labels).toEqual(Uint8Array.from([1, 1, 1, 2, 2, 2]));
  });

  it("refuses an image of a different size, naming the file and both sizes", async () => {
    const dir = freshDir();
    for (let s = 0; s < 3; s++) writeFileSync(join(dir, `${s}.png`), pngjsBytes(4, 4, 0, samplesFor(16, s)));
    writeFileSync(join(dir, "odd.png"), pngjsBytes(5, 4, 0, samplesFor(20, 9)));
    const e = left(await loadPngFolder(dir)());
    expect(e.where).toBe(join(dir, "odd.png"));
    expect(e.message).toMatch(/image is 4x5x1 \(height x width x channels\) but the first image, .*0\.png, is 4x4x1/);
  });

  it("refuses an image with a different channel count", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "a.png"), pngjsBytes(2, 2, 0, samplesFor(4, 0)));
    writeFileSync(join(dir, "b.png"), pngjsBytes(2, 2, 2, samplesFor(12, 0)));
    expect(left(await loadPngFolder(dir)()).message).toMatch(/b\.png: image is 2x2x3 .* is 2x2x1/);
  });

  it("refuses headers with zero or huge dimensions without decoding", async () => {
    for (const [w, h, pattern] of [[0, 4, /PNG width: expected 1\.\.16384, found 0/], [4, 70000, /PNG height: expected 1\.\.16384, found 70000/]] as const) {
      const dir = freshDir();
      writeFileSync(join(dir, "a.png"), headerOnly(w, h));
      const e = left(await loadPngFolder(dir)());
      expect(e.message).toMatch(/a\.png at byte/);
      expect(e.message).toMatch(pattern);
    }
  });

  it("refuses oversized files, non-PNGs named .png and undecodable PNGs", async () => {
    const big = freshDir();
    writeFileSync(join(big, "big.png"), pngjsBytes(8, 8, 2, samplesFor(192, 3)));
    expect(left(await loadPngFolder(big, { maxFileBytes: 50 })()).message).toMatch(/big\.png: file is \d+ bytes, more than the limit of 50 bytes \(maxFileBytes, MAX_PNG_FILE_BYTES\)/);

    const fake = freshDir();
    writeFileSync(join(fake, "fake.png"), "<html>not a png</html>");
    expect(left(await loadPngFolder(fake)()).message).toMatch(/fake\.png at byte 0: not a PNG file/);

    const broken = freshDir();
    writeFileSync(join(broken, "b.png"), headerOnly(4, 4));
    expect(left(await loadPngFolder(broken)()).message).toMatch(/b\.png: cannot decode the PNG/);
  });

  it("names folders that hold no images or mix images and sub-folders", async () => {
    const empty = freshDir();
    expect(left(await loadPngFolder(empty)()).message).toMatch(/no \.png files and no label sub-folders/);
    const mixed = freshDir();
    mkdirSync(join(mixed, "a"));
    writeFileSync(join(mixed, "a", "x.png"), pngjsBytes(2, 2, 0, samplesFor(4, 0)));
    writeFileSync(join(mixed, "y.png"), pngjsBytes(2, 2, 0, samplesFor(4, 0)));
    expect(left(await loadPngFolder(mixed)()).message).toMatch(/found both \.png files \(y\.png, \.\.\.\) and sub-folders \(a, \.\.\.\)/);
    mkdirSync(join(mixed, "b"));
    rmSync(join(mixed, "y.png"));
    expect(left(await loadPngFolder(mixed)()).message).toMatch(/b: label folder holds no \.png files/);
    expect(left(await loadPngFolder(mixed, { testFraction: 1 })()).message).toMatch(/testFraction must be in \[0, 1\), got 1/);
  });
});
