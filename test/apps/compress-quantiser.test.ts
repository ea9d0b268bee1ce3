// The quantisers: a uniform bin's decoded value is within half a bin of every code in it, and a
// normal (prior-quantile) bin is 1 / K of the prior's probability with its level at the bin's
// prior median. Oracle for the normal quantiser: the normal CDF of latent/testing (erfc series
// and continued fraction), independent of the AS241 inverse CDF the quantiser uses.
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dequantise, fitUniform, quantise, quantiserLevels, type Quantiser } from "../../src/apps/compress/quantiser.js";
import { normalCdf } from "../../src/testing/statistics.js";

const f32 = (v: number) => Math.fround(v);

describe("uniform quantiser", () => {
  it("decodes every code within its range to within half a bin (plus the float32 rounding of the level)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }),
      fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }).map(f32), { minLength: 60, maxLength: 60 }),
      (bits, L, rows, raw) => {
        const codes = Float32Array.from(raw.slice(0, rows * L));
        const q = fitUniform(codes, L);
        const decoded = dequantise(q, bits, quantise(q, bits, codes, L), L);
        const K = 2 ** bits;
        for (let i = 0; i < codes.length; i++) {
          const j = i % L, lo = (q as Extract<Quantiser, { kind: "uniform" }>).lo[j]!, hi = (q as Extract<Quantiser, { kind: "uniform" }>).hi[j]!;
          expect(codes[i]).toBeGreaterThanOrEqual(lo);
          expect(codes[i]).toBeLessThanOrEqual(hi);
          const halfBin = (hi - lo) / (2 * K);
          // the level's float32 rounding: relative 2^-24, or half the smallest subnormal 2^-150
          expect(Math.abs(decoded[i]! - codes[i]!)).toBeLessThanOrEqual(halfBin * (1 + 1e-12) + 2 ** -24 * Math.abs(decoded[i]!) + 2 ** -150);
        }
      }), { numRuns: 300 });
  });

  it("puts codes beyond the range in the end bins, and a constant dimension at its value", () => {
    const q: Quantiser = { kind: "uniform", lo: Float32Array.of(0, 5), hi: Float32Array.of(1, 5) };
    expect(Array.from(quantise(q, 2, [-3, 5, 0.3, 7, 9, 5], 2))).toEqual([0, 0, 1, 0, 3, 0]);
    expect(Array.from(quantiserLevels(q, 2, 2))).toEqual([0.125, 0.375, 0.625, 0.875, 5, 5, 5, 5]);
  });

  it("refuses non-finite codes and a reversed range", () => {
    expect(() => quantise({ kind: "normal" }, 3, [0, NaN], 2)).toThrow(/non-finite/);
    expect(() => quantise({ kind: "uniform", lo: Float32Array.of(1), hi: Float32Array.of(0) }, 3, [0], 1)).toThrow(/lo <= hi/);
    expect(() => quantise({ kind: "normal" }, 13, [0], 1)).toThrow(/bits must be an integer in \[1, 12\]/);
  });
});

describe("normal (prior-quantile) quantiser", () => {
  it("puts z in bin floor(K Phi(z)), within half a bin of probability from its level", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.double({ min: -9, max: 9, noNaN: true }), { minLength: 1, maxLength: 50 }), (bits, zs) => {
      const K = 2 ** bits;
      const symbols = quantise({ kind: "normal" }, bits, zs, 1);
      const levels = dequantise({ kind: "normal" }, bits, symbols, 1);
      zs.forEach((z, i) => {
        const u = normalCdf(z), s = symbols[i]!;
        // Phi from an independent implementation; a z within 1e-12 of a bin edge may fall either side.
        expect(u).toBeGreaterThanOrEqual(s / K - 1e-12);
        expect(u).toBeLessThanOrEqual((s + 1) / K + 1e-12);
        expect(Math.abs(normalCdf(levels[i]!) - (s + 0.5) / K)).toBeLessThan(1e-6); // the level is the bin's prior median (float32)
        expect(Math.abs(u - normalCdf(levels[i]!))).toBeLessThanOrEqual(1 / (2 * K) + 1e-6);
      });
    }), { numRuns: 300 });
  });

  it("has levels that quantise back to their own bins, in increasing order", () => {
    for (const bits of [1, 2, 5, 8, 12]) {
      const levels = quantiserLevels({ kind: "normal" }, bits, 3);
      expect(Array.from(quantise({ kind: "normal" }, bits, levels, 1))).toEqual(Array.from({ length: 2 ** bits }, (_, s) => s));
    }
    expect(Array.from(quantiserLevels({ kind: "normal" }, 1, 1))).toEqual([f32(-0.6744897501960817), f32(0.6744897501960817)]);
  });
});
