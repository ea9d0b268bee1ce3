// The PNG baseline's encoder and the .npy writer, read back by independent readers: pngjs (through
// viz/node/png.ts decodePng) and a .npy header parsed here from NumPy's format description.
import * as fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { encodeNpyF32 } from "../../src/apps/compress/npy.js";
import { encodePngChannels } from "../../src/viz/png.js";
import { decodePng } from "../../src/viz/node/png.js";

describe("encodePngChannels", () => {
  it("writes grey, grey + alpha, RGB and RGBA images that pngjs reads back exactly", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer(), async (c, w, h, seed) => {
      let s = seed >>> 0 || 3;
      const px = Uint8Array.from({ length: w * h * c }, (_, i) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return i % 5 === 0 ? 0 : s >>> 24; });
      const png = await encodePngChannels(px, w, h, c);
      expect(png[25]).toBe([0, 0, 4, 2, 6][c]); // IHDR colour type
      const r = decodePng(png);
      if (E.isLeft(r)) throw r.left;
      expect([r.right.width, r.right.height]).toEqual([w, h]);
      for (let p = 0; p < w * h; p++) {
        const v = Array.from(px.subarray(p * c, p * c + c));
        const rgba = c === 1 ? [v[0], v[0], v[0], 255] : c === 2 ? [v[0], v[0], v[0], v[1]] : c === 3 ? [...v, 255] : v;
        expect(Array.from(r.right.data.subarray(4 * p, 4 * p + 4))).toEqual(rgba);
      }
    }), { numRuns: 60 });
  });

  it("refuses sizes a PNG cannot have", async () => {
    await expect(encodePngChannels(new Uint8Array(5), 0, 1, 1)).rejects.toThrow(/cannot be a PNG/);
    await expect(encodePngChannels(new Uint8Array(5), 2, 2, 1)).rejects.toThrow(/5 bytes for a 2 x 2 x 1 image/);
  });
});

describe("encodeNpyF32", () => {
  it("writes NumPy's version 1.0 layout: magic, header length, a 64-byte aligned dict, little-endian float32", () => {
    for (const shape of [[2, 3, 4, 1], [5], [0, 7]]) {
      const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 3 - 1);
      const parts = encodeNpyF32(values, shape);
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { bytes.set(p, at); at += p.length; }
      expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      const headerLength = bytes[8]! + 256 * bytes[9]!;
      expect((10 + headerLength) % 64).toBe(0);
      const dict = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
      expect(dict.endsWith("\n")).toBe(true);
      const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
      expect(dict.trimEnd()).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`);
      const view = new DataView(bytes.buffer, 10 + headerLength);
      expect(Float32Array.from({ length: values.length }, (_, i) => view.getFloat32(4 * i, true))).toEqual(values);
    }
    expect(() => encodeNpyF32(new Float32Array(5), [2, 3])).toThrow(/does not hold 5 values/);
  });
});
