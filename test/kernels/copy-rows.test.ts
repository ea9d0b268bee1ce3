// Backend.copyRows on the wasm backend (both builds) and the float64 reference, against a model
// that reads the whole source block before writing: separate buffers, views of one buffer
// (overlapping with equal or unequal strides, either direction), column slices into and out of
// wider matrices, empty blocks, and the errors for blocks that do not fit.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { prng } from "./harness.js";

function wasmBackend(isa: "simd" | "scalar"): WasmBackend {
  const m = instantiateSync(undefined, { isa });
  if (E.isLeft(m)) throw m.left;
  return new WasmBackend(m.right);
}

const backends: [string, Backend][] = [
  ["wasm-simd", wasmBackend("simd") as unknown as Backend],
  ["wasm-scalar", wasmBackend("scalar") as unknown as Backend],
  ["f64", new ReferenceBackend() as unknown as Backend],
];

/** The expected memory: dst block [d0 + i ldd + j] = the old src block [s0 + i lds + j], all of src read first. */
function model(mem: Float64Array, M: number, N: number, s0: number, lds: number, d0: number, ldd: number): Float64Array {
  const old = mem.slice(), out = mem.slice();
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out[d0 + i * ldd + j] = old[s0 + i * lds + j]!;
  return out;
}

/** f32-exact distinct values, so every backend stores them unchanged and a misplaced one shows. */
const values = (n: number, seed: number) => {
  const rand = prng(seed);
  return Float64Array.from({ length: n }, (_, i) => Math.fround(i + 1 + rand() / 2));
};

const block = fc.record({
  M: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 7 })),
  N: fc.oneof(fc.constantFrom(0, 1, 3, 4, 5), fc.integer({ min: 0, max: 13 })),
  sPad: fc.integer({ min: -3, max: 4 }), // lds = max(0, N + sPad): source rows may overlap each other
  dPad: fc.integer({ min: 0, max: 4 }), // ldd = N + dPad
  seed: fc.integer(),
});
const dims = (M: number, N: number, sPad: number, dPad: number) => {
  const lds = Math.max(0, N + sPad), ldd = N + dPad;
  const sSpan = M === 0 || N === 0 ? 0 : (M - 1) * lds + N, dSpan = M === 0 || N === 0 ? 0 : (M - 1) * ldd + N;
  return { lds, ldd, sSpan, dSpan };
};

describe.each(backends)("copyRows (%s)", (_name, be) => {
  const read = (b: Buffer) => Float64Array.from(be.read(b));
  const withBuffer = <T>(n: number, body: (b: Buffer) => T): T => {
    const b = be.alloc(n);
    try { return body(b); } finally { be.free(b); }
  };

  it("copies an M x N block between separate buffers at any row strides, leaving the rest alone", () => {
    fc.assert(fc.property(block, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }),
      ({ M, N, sPad, dPad, seed }, sOff, dOff) => {
        const { lds, ldd, sSpan, dSpan } = dims(M, N, sPad, dPad);
        withBuffer(sOff + sSpan + 3, (src) => withBuffer(dOff + dSpan + 3, (dst) => {
          const sv = values(src.length, seed), dv = values(dst.length, ~seed).map((v) => -v);
          be.write(src, sv); be.write(dst, dv);
          be.copyRows(M, N, be.view(src, sOff, src.length - sOff), lds, be.view(dst, dOff, dst.length - dOff), ldd);
          expect(read(src)).toEqual(sv);
          const want = dv.slice();
          for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) want[dOff + i * ldd + j] = sv[sOff + i * lds + j]!;
          expect(read(dst)).toEqual(want);
        }));
      }));
  });

  it("copies between overlapping views of one buffer as if the source were read first", () => {
    fc.assert(fc.property(block, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.boolean(),
      ({ M, N, sPad, dPad, seed }, sOff, dOff, sameStride) => {
        const d = dims(M, N, sameStride ? Math.max(sPad, 0) : sPad, dPad);
        const lds = sameStride ? d.ldd : d.lds, ldd = d.ldd;
        const sSpan = M === 0 || N === 0 ? 0 : (M - 1) * lds + N;
        withBuffer(Math.max(sOff + sSpan, dOff + d.dSpan) + 2, (buf) => {
          const v = values(buf.length, seed);
          be.write(buf, v);
          be.copyRows(M, N, be.view(buf, sOff, buf.length - sOff), lds, be.view(buf, dOff, buf.length - dOff), ldd);
          expect(read(buf)).toEqual(model(v, M, N, sOff, lds, dOff, ldd));
        });
      }));
  });

  it("in place (dst = src) changes nothing; shifting rows by one column in place moves them", () => {
    withBuffer(4 * 6, (buf) => {
      const v = values(24, 1);
      be.write(buf, v);
      be.copyRows(4, 5, buf, 6, buf, 6);
      expect(read(buf)).toEqual(v);
      // Columns 0..4 to 1..5 of the same 4 x 6 matrix (each row's copy overlaps itself).
      be.copyRows(4, 5, buf, 6, be.view(buf, 1, 23), 6);
      expect(read(buf)).toEqual(model(v, 4, 5, 0, 6, 1, 6));
      // And back, downwards: columns 1..5 to 0..4.
      const w = read(buf);
      be.copyRows(4, 5, be.view(buf, 1, 23), 6, buf, 6);
      expect(read(buf)).toEqual(model(w, 4, 5, 1, 6, 0, 6));
    });
  });

  it("takes a column slice out of a wider matrix and puts one into a wider matrix", () => {
    const M = 4, W = 7;
    withBuffer(M * W, (x) => withBuffer(M * 3, (y) => withBuffer(M * W, (z) => {
      const xv = Float64Array.from({ length: M * W }, (_, i) => 10 * Math.floor(i / W) + (i % W)); // x[i, j] = 10 i + j
      be.write(x, xv);
      // y = x[:, 2:5] (compact, ld 3).
      be.copyRows(M, 3, be.view(x, 2, M * W - 2), W, y, 3);
      expect(Array.from(read(y))).toEqual([2, 3, 4, 12, 13, 14, 22, 23, 24, 32, 33, 34]);
      // z[:, 4:7] = y, the rest of z untouched.
      be.fill(-1, z);
      be.copyRows(M, 3, y, 3, be.view(z, 4, M * W - 4), W);
      expect(Array.from(read(z))).toEqual([
        -1, -1, -1, -1, 2, 3, 4, -1, -1, -1, -1, 12, 13, 14, -1, -1, -1, -1, 22, 23, 24, -1, -1, -1, -1, 32, 33, 34]);
      // One row, and one column (N = 1, a strided gather).
      be.copyRows(1, W, be.view(x, W, W), W, be.view(z, 0, W), W);
      expect(Array.from(read(z).subarray(0, W))).toEqual([10, 11, 12, 13, 14, 15, 16]);
      be.copyRows(M, 1, be.view(x, 6, M * W - 6), W, y, 1);
      expect(Array.from(read(y).subarray(0, M))).toEqual([6, 16, 26, 36]);
    })));
  });

  it("M or N = 0 copies nothing, whatever the strides and however short the buffers", () => {
    withBuffer(6, (buf) => {
      const v = values(6, 3);
      be.write(buf, v);
      const empty = be.view(buf, 6, 0);
      be.copyRows(0, 5, empty, 5, empty, 5);
      be.copyRows(3, 0, empty, 0, empty, 0);
      be.copyRows(0, 0, buf, 100, buf, 0);
      be.copyRows(0, 6, buf, 6, be.view(buf, 2, 4), 6);
      expect(read(buf)).toEqual(v);
    });
  });

  it("rejects blocks that do not fit their buffers, overlapping destination rows and bad sizes", () => {
    withBuffer(12, (a) => withBuffer(12, (b) => {
      expect(() => be.copyRows(3, 4, a, 5, b, 4)).toThrow(/reads past a source of 12/);
      expect(() => be.copyRows(3, 4, a, 4, b, 5)).toThrow(/writes past a destination of 12/);
      expect(() => be.copyRows(2, 4, a, 4, b, 3)).toThrow(RangeError);
      expect(() => be.copyRows(-1, 4, a, 4, b, 4)).toThrow(/non-negative integers, got M = -1/);
      expect(() => be.copyRows(2, 1.5, a, 4, b, 4)).toThrow(RangeError);
      expect(() => be.copyRows(2, 4, a, -4, b, 4)).toThrow(/lds = -4/);
      // Source rows may overlap (stride 1: a sliding window), destination rows may not.
      be.write(a, Float64Array.from({ length: 12 }, (_, i) => i));
      be.copyRows(3, 4, a, 1, b, 4);
      expect(Array.from(read(b))).toEqual([0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5]);
      // A single row may have any destination stride.
      be.copyRows(1, 4, a, 0, b, 0);
    }));
  });
});
