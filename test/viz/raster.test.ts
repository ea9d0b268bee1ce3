import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { tensor } from "../../src/tensor/tensor.js";
import {
  blit, crop, drawText, encodePng, FONT_CHARACTERS, fromRgba, getPixel, glyph, hasGlyph, imageTile, line, marker,
  measureText, MISSING_GLYPH, NAN_COLOR, PALETTE, raster, rect, strokeRect, TEXT_HEIGHT, tileFromValues, VizError, type Raster,
} from "../../src/viz/index.js";
import * as E from "fp-ts/lib/Either.js";
import { decodePng as decodePngEither, encodePng as encodePngNode } from "../../src/viz/node/png.js";

/** decodePng's Right; fails the test on a Left. */
function decodePng(bytes: Uint8Array) {
  const r = decodePngEither(bytes);
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

/** Byte-for-byte equality (vitest's deep equality is slow on large typed arrays). */
function sameBytes(a: ArrayLike<number> & ArrayBufferView, b: ArrayLike<number> & ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function inked(r: Raster, x0 = 0, y0 = 0, w = r.width, h = r.height, bg = [255, 255, 255]): number {
  let n = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) {
    const [cr, cg, cb] = getPixel(r, x, y);
    if (cr !== bg[0] || cg !== bg[1] || cb !== bg[2]) n++;
  }
  return n;
}

describe("raster", () => {
  it("is an RGBA record filled with the background", () => {
    const r = raster(3, 2, [10, 20, 30]);
    expect(r.data).toBeInstanceOf(Uint8ClampedArray);
    expect(r.data.length).toBe(24);
    expect(getPixel(r, 2, 1)).toEqual([10, 20, 30, 255]);
    expect(() => raster(-1, 2)).toThrow(VizError);
    expect(() => raster(1.5, 2)).toThrow(VizError);
    expect(raster(0, 0).data.length).toBe(0);
  });

  it("fills rectangles with clipping and strokes outlines", () => {
    const r = raster(10, 10);
    rect(r, 8, 8, 5, 5, [0, 0, 0]);
    expect(inked(r)).toBe(4);
    expect(getPixel(r, 9, 9)).toEqual([0, 0, 0, 255]);
    const s = raster(10, 10);
    strokeRect(s, 0, 0, 10, 10, [0, 0, 0]);
    expect(inked(s)).toBe(36);
    expect(getPixel(s, 5, 5)).toEqual([255, 255, 255, 255]);
  });

  it("blends translucent colours over the pixel below", () => {
    const r = raster(1, 1, [0, 0, 0]);
    rect(r, 0, 0, 1, 1, [255, 255, 255, 128]);
    const [v] = getPixel(r, 0, 0);
    expect(v).toBeGreaterThan(120);
    expect(v).toBeLessThan(135);
  });

  it("draws hard and anti-aliased lines between the end points", () => {
    const hard = raster(10, 10);
    line(hard, 0, 0, 9, 9, [0, 0, 0], { antialias: false });
    expect(inked(hard)).toBe(10);
    for (let i = 0; i < 10; i++) expect(getPixel(hard, i, i)).toEqual([0, 0, 0, 255]);
    const soft = raster(20, 5);
    line(soft, 2, 2, 17, 2, [0, 0, 0], { width: 1 });
    expect(getPixel(soft, 10, 2)[0]).toBe(0);
    expect(getPixel(soft, 10, 0)[0]).toBe(255);
    line(soft, NaN, 0, 3, 3, [0, 0, 0]); // ignored, no throw
  });

  it("centres markers on their point", () => {
    for (const shape of ["circle", "square", "diamond", "triangle", "cross", "plus"] as const) {
      const r = raster(21, 21);
      marker(r, 10, 10, [0, 0, 0], { shape, size: 3 });
      let sx = 0, sy = 0, n = 0;
      for (let y = 0; y < 21; y++) for (let x = 0; x < 21; x++) if (getPixel(r, x, y)[0] < 128) { sx += x; sy += y; n++; }
      expect(n, shape).toBeGreaterThan(4);
      expect(Math.abs(sx / n - 10), shape).toBeLessThan(0.6);
      expect(Math.abs(sy / n - 10), shape).toBeLessThan(1.1);
    }
  });

  it("blits tiles with nearest-neighbour upscaling and clipping", () => {
    const tile = raster(2, 1, [255, 0, 0]);
    rect(tile, 1, 0, 1, 1, [0, 0, 255]);
    const r = raster(8, 4);
    blit(r, tile, 1, 1, 3);
    expect(getPixel(r, 1, 1)).toEqual([255, 0, 0, 255]);
    expect(getPixel(r, 3, 3)).toEqual([255, 0, 0, 255]);
    expect(getPixel(r, 4, 1)).toEqual([0, 0, 255, 255]);
    expect(getPixel(r, 6, 3)).toEqual([0, 0, 255, 255]);
    expect(getPixel(r, 7, 1)).toEqual([255, 255, 255, 255]);
    expect(getPixel(r, 0, 1)).toEqual([255, 255, 255, 255]);
    blit(r, tile, 6, 3, 4); // partly outside: clipped, no throw
    expect(getPixel(r, 7, 3)).toEqual([255, 0, 0, 255]);
    expect(() => blit(r, tile, 0, 0, 0)).toThrow(VizError);
    expect(crop(r, 3, 1, 3, 2).width).toBe(3);
    expect(getPixel(crop(r, 3, 1, 3, 2), 1, 0)).toEqual([0, 0, 255, 255]);
  });

  it("has ten distinct palette colours", () => {
    expect(new Set(PALETTE.map((c) => c.join(","))).size).toBe(10);
  });
});

describe("font", () => {
  it("has every character the library writes", () => {
    const used = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .-_:/()=,%+";
    for (const ch of used) expect(hasGlyph(ch), JSON.stringify(ch)).toBe(true);
    // the figures' own strings: default labels, number formats
    for (const ch of "inputoutputepochlossz1z2NaNinf-1.5e-3") expect(hasGlyph(ch)).toBe(true);
    for (const ch of FONT_CHARACTERS) {
      const g = glyph(ch);
      expect(g.rows.length).toBe(TEXT_HEIGHT);
      expect(g.width).toBeGreaterThan(0);
      expect(g.width).toBeLessThanOrEqual(5);
      if (ch !== " ") expect(g.rows.some((r) => r !== 0), JSON.stringify(ch)).toBe(true);
    }
    // no two characters share a picture (confusable glyphs), apart from those meant to
    const seen = new Map<string, string>();
    for (const ch of FONT_CHARACTERS) {
      const key = `${glyph(ch).width}:${glyph(ch).rows.join(",")}`;
      expect(seen.get(key), `${ch} looks like ${seen.get(key)}`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it("measures text: 5-pixel glyphs plus one pixel of spacing", () => {
    expect(measureText("00")).toEqual({ width: 11, height: TEXT_HEIGHT });
    expect(measureText("00", 2)).toEqual({ width: 22, height: 2 * TEXT_HEIGHT });
    expect(measureText("")).toEqual({ width: 0, height: TEXT_HEIGHT });
    expect(measureText("a\nbb").height).toBeGreaterThan(2 * TEXT_HEIGHT);
  });

  it("renders text inside its box", () => {
    const r = raster(60, 20);
    const box = drawText(r, "Loss 1.5", 3, 4, [0, 0, 0]);
    expect(box).toEqual({ x: 3, y: 4, ...measureText("Loss 1.5") });
    const inside = inked(r, box.x, box.y, box.width, box.height);
    expect(inside).toBeGreaterThan(20);
    expect(inked(r)).toBe(inside);
  });

  it("renders rotated text in a box of swapped sides", () => {
    const r = raster(20, 60);
    const { width } = measureText("z2 value");
    const box = drawText(r, "z2 value", 2, 50, [0, 0, 0], { rotate: 90 });
    expect(box).toEqual({ x: 2, y: 50 - width, width: TEXT_HEIGHT, height: width });
    expect(inked(r, box.x, box.y, box.width, box.height)).toBe(inked(r));
    expect(inked(r)).toBeGreaterThan(20);
  });

  it("renders an unknown character as a box", () => {
    expect(hasGlyph("\u263a")).toBe(false);
    expect(glyph("\u263a")).toBe(MISSING_GLYPH);
    const r = raster(10, 12);
    drawText(r, "\u263a", 1, 1, [0, 0, 0]);
    // outline of 5 x 7: 20 pixels, hollow centre
    expect(inked(r)).toBe(20);
    expect(getPixel(r, 3, 4)).toEqual([255, 255, 255, 255]);
    expect(glyph("\u2212")).toBe(glyph("-"));
  });
});

describe("image tiles", () => {
  const shape = (c: number) => [2, 3, c] as const;

  it("shows a grey image as value * 255 at each pixel", () => {
    const v = Float32Array.from([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const t = imageTile(tensor(v, [1, 6]), 0, { imageShape: shape(1) });
    expect([t.width, t.height]).toEqual([3, 2]);
    for (let p = 0; p < 6; p++) {
      const g = Math.round(v[p]! * 255);
      expect(getPixel(t, p % 3, Math.floor(p / 3))).toEqual([g, g, g, 255]);
    }
  });

  it("shows RGB images band by band and reads rows of a batch", () => {
    const v = new Float32Array(2 * 18);
    for (let i = 0; i < v.length; i++) v[i] = (i % 18) / 17;
    const t = imageTile(tensor(v, [2, 2, 3, 3]), 1, { imageShape: shape(3) });
    // pixel (x=2, y=1) is pixel 5: values 15, 16, 17 of the row
    expect(getPixel(t, 2, 1)).toEqual([Math.round((15 / 17) * 255), Math.round((16 / 17) * 255), 255, 255]);
  });

  it("shows 4-band images as true colour, false colour or NIR", () => {
    // (R, G, B, NIR) = (0.1, 0.2, 0.3, 0.9) everywhere but pixel (1, 0): (1, 0.5, 0, 0.25)
    const v = new Float32Array(6 * 4);
    for (let p = 0; p < 6; p++) v.set(p === 1 ? [1, 0.5, 0, 0.25] : [0.1, 0.2, 0.3, 0.9], p * 4);
    const x = tensor(v, [1, 24]);
    const b = (u: number) => Math.round(Math.fround(u) * 255); // the tensor holds f32
    const tc = imageTile(x, 0, { imageShape: shape(4) });
    expect(getPixel(tc, 0, 0)).toEqual([b(0.1), b(0.2), b(0.3), 255]);
    expect(getPixel(tc, 1, 0)).toEqual([255, b(0.5), 0, 255]);
    const fc = imageTile(x, 0, { imageShape: shape(4), mode: "falsecolor" });
    expect(getPixel(fc, 0, 0)).toEqual([b(0.9), b(0.1), b(0.2), 255]);
    expect(getPixel(fc, 1, 0)).toEqual([b(0.25), 255, b(0.5), 255]);
    const nir = imageTile(x, 0, { imageShape: shape(4), mode: "nir" });
    expect(getPixel(nir, 2, 1)).toEqual([b(0.9), b(0.9), b(0.9), 255]);
    expect(getPixel(nir, 1, 0)).toEqual([b(0.25), b(0.25), b(0.25), 255]);
    // channel-first layout reads band planes
    const planes = new Float32Array(24);
    for (let p = 0; p < 6; p++) for (let k = 0; k < 4; k++) planes[k * 6 + p] = v[p * 4 + k]!;
    const chw = tileFromValues(planes, { imageShape: shape(4), layout: "chw", mode: "falsecolor" });
    expect(chw.data).toEqual(fc.data);
  });

  it("clamps to [0, 1], marks NaN, stretches bands on request", () => {
    const v = Float32Array.from([-3, 2, NaN, 0.25, 0.5, Infinity]);
    const t = tileFromValues(v, { imageShape: shape(1) });
    expect(getPixel(t, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(getPixel(t, 1, 0)).toEqual([255, 255, 255, 255]);
    expect(getPixel(t, 2, 0)).toEqual([...NAN_COLOR, 255]);
    expect(getPixel(t, 2, 1)).toEqual([255, 255, 255, 255]);
    const w = Float32Array.from([0.2, 0.3, 0.4, 0.5, 0.6, NaN]);
    const s = tileFromValues(w, { imageShape: shape(1), stretch: "tile" });
    expect(getPixel(s, 0, 0)[0]).toBe(0);
    expect(getPixel(s, 1, 0)[0]).toBe(64);
    expect(getPixel(s, 1, 1)[0]).toBe(255);
    const fixed = tileFromValues(w, { imageShape: shape(1), stretch: { min: [0], max: [0.4] } });
    expect(getPixel(fixed, 1, 0)[0]).toBe(Math.round(0.75 * 255));
    // a constant band is left as it is
    const flat = tileFromValues(new Float32Array(6).fill(0.5), { imageShape: shape(1), stretch: "tile" });
    expect(getPixel(flat, 0, 0)[0]).toBe(128);
  });

  it("rejects images of the wrong size with a VizError naming both sizes", () => {
    const x = tensor(new Float32Array(20), [2, 10]);
    let err: unknown;
    try { imageTile(x, 0, { imageShape: [28, 28, 1] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(VizError);
    expect((err as VizError).message).toMatch(/784/);
    expect((err as VizError).message).toMatch(/10/);
    expect((err as VizError).expected).toMatch(/784/);
    expect((err as VizError).found).toMatch(/10/);
    expect(() => imageTile(x, 0, { imageShape: [2, 5, 2] })).toThrow(/channels/);
    expect(() => imageTile(x, 2, { imageShape: [2, 5, 1] })).toThrow(VizError);
    expect(() => tileFromValues(new Float32Array(24), { imageShape: [2, 3, 4], mode: "ndvi" as never })).toThrow(VizError);
  });
});

describe("png", () => {
  function sample(): Raster {
    const r = raster(37, 23, [250, 250, 250]);
    for (let y = 0; y < 23; y++) for (let x = 0; x < 37; x++) rect(r, x, y, 1, 1, [(x * 7) & 255, (y * 11) & 255, (x * y) & 255, 255 - ((x + y) & 63)]);
    drawText(r, "PNG 42", 2, 2, [0, 0, 0]);
    line(r, 0, 22, 36, 0, [255, 0, 0], { width: 2 });
    return r;
  }

  it("round-trips through pngjs", async () => {
    const r = sample();
    const bytes = await encodePng(r);
    const back = PNG.sync.read(Buffer.from(bytes));
    expect([back.width, back.height]).toEqual([37, 23]);
    expect(sameBytes(back.data, r.data)).toBe(true);
  });

  it("compresses a flat figure well and handles large images", async () => {
    const r = raster(400, 300);
    rect(r, 50, 50, 100, 100, [31, 119, 180]);
    const bytes = await encodePng(r);
    expect(bytes.length).toBeLessThan(12_000);
    const back = decodePng(bytes);
    expect(sameBytes(back.data, r.data)).toBe(true);
  });

  it("encodes with pngjs on Node and decodes back", async () => {
    const r = sample();
    const buf = encodePngNode(r);
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect(sameBytes(decodePng(buf).data, r.data)).toBe(true);
    expect(sameBytes(decodePng(await encodePng(r)).data, decodePng(buf).data)).toBe(true);
    await expect(encodePng(raster(0, 0))).rejects.toThrow(VizError);
    expect(() => fromRgba(2, 2, new Uint8Array(3))).toThrow(VizError);
  });

  it("keeps pngjs and node: out of the runtime-neutral modules", () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), "../../src/viz");
    for (const f of ["index.ts", "raster.ts", "font.ts", "images.ts", "png.ts",
      ...["index", "common", "grid-layout", "image-grids", "manifold", "interpolate", "ticks", "axes", "legend", "scatter", "loss-curve"].map((n) => `figures/${n}.ts`)]) {
      const text = readFileSync(join(dir, f), "utf8");
      expect(text, f).not.toMatch(/from "node:|from "pngjs"|require\(/);
    }
  });
});
