// Elementwise kernels and reductions against the float64 reference, on both builds.
// Tolerances (u = 2^-24, the f32 unit roundoff):
// - bias_add, add, mul, scale, fill: one f32 rounding of an exact f64 result, so the kernel
//   must equal fround(reference) exactly.
// - axpy: two roundings (product, sum): |k - r| <= u (|r| + |alpha x|).
// - col_sum, row_sum: f64 accumulation then one rounding: |k - r| <= u |r| + (n + 2) 2^-52 sum|terms|.
// - sum_squares (f64 result): |k - r| <= (n + 1) 2^-52 r.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, put, type Loaded, prng, scoped } from "./harness.js";
import { expectWithinBound } from "../../src/testing/index.js";
import * as ref from "../../src/kernels/reference/elementwise.js";
import type { Ptr } from "../../src/kernels/exports.js";

const U = 2 ** -24;
const E52 = 2 ** -52;

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */

/** n f32 values of both signs spread over four decades. */
function values(rand: () => number, n: number): Float64Array {
  return f32(Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * 10 ** (4 * rand() - 2)));
}


/** Runs body with a put() whose blocks are released afterwards. */

const vec = fc.record({ n: fc.integer({ min: 0, max: 71 }), seed: fc.integer() });
const mat = fc.record({
  M: fc.integer({ min: 0, max: 9 }), N: fc.integer({ min: 0, max: 41 }),
  pad: fc.integer({ min: 0, max: 5 }), seed: fc.integer(),
});
const fround = (a: Float64Array) => f32(a);

describe.each(builds)("elementwise ($isa)", (m) => {
  const k = m.k;

  it("bias_add adds the bias to every row, is exact, and leaves the padding alone", () => {
    fc.assert(fc.property(mat, ({ M, N, pad, seed }) => scoped(m, (put) => {
      const rand = prng(seed), ldc = N + pad;
      const c = values(rand, M * ldc), bias = values(rand, N);
      const pc = put(c);
      k.bias_add_f32(M, N, put(bias), pc, ldc);
      const want = c.slice();
      ref.biasAdd(M, N, bias, want, ldc);
      expect(get(m, pc, M * ldc)).toEqual(fround(want)); // padding: want keeps c there
    })));
  });

  it("col_sum sums the rows in f64, with beta, and reads no out when beta is 0", () => {
    fc.assert(fc.property(mat, fc.constantFrom(0, 1, -0.5, 2.5), ({ M, N, pad, seed }, beta) => scoped(m, (put) => {
      const rand = prng(seed), ldx = N + pad;
      const x = values(rand, M * ldx);
      const out0 = beta === 0 ? new Float64Array(N).fill(NaN) : values(rand, N);
      const po = put(out0);
      k.col_sum_f32(M, N, put(x), ldx, beta, po);
      const want = out0.slice();
      ref.colSum(M, N, x, ldx, beta, want);
      const bound = Array.from(want, (r, j) => {
        let mag = beta === 0 ? 0 : Math.abs(beta * out0[j]!);
        for (let i = 0; i < M; i++) mag += Math.abs(x[i * ldx + j]!);
        return U * Math.abs(r) + (M + 2) * E52 * mag + 1e-300;
      });
      expectWithinBound(get(m, po, N), want, bound);
    })));
  });

  it("col_sum keeps f64 accuracy over many rows (f32 accumulation would not)", () => {
    // 4099 rows of 1 + 2^-23 alternating with -1, plus 1e-3: f32 running sums lose the small parts.
    scoped(m, (put) => {
      const M = 4099, N = 21;
      const x = f32(Array.from({ length: M * N }, (_, t) => (Math.floor(t / N) % 2 === 0 ? 1 + 2 ** -23 : -1) + 1e-3));
      const out = put(new Float64Array(N));
      k.col_sum_f32(M, N, put(x), N, 0, out);
      const want = new Float64Array(N);
      ref.colSum(M, N, x, N, 0, want);
      expectWithinBound(get(m, out, N), want, Array.from(want, (r) => U * Math.abs(r)));
    });
  });

  it("row_sum sums the columns of each row in f64", () => {
    fc.assert(fc.property(mat, ({ M, N, pad, seed }) => scoped(m, (put) => {
      const rand = prng(seed), ldx = N + pad;
      const x = values(rand, M * ldx);
      const po = put(new Float64Array(M));
      k.row_sum_f32(M, N, put(x), ldx, po);
      const want = new Float64Array(M);
      ref.rowSum(M, N, x, ldx, want);
      const bound = Array.from(want, (r, i) => {
        let mag = 0;
        for (let j = 0; j < N; j++) mag += Math.abs(x[i * ldx + j]!);
        return U * Math.abs(r) + (N + 2) * E52 * mag + 1e-300;
      });
      expectWithinBound(get(m, po, M), want, bound);
    })));
  });

  it("add, mul and scale are exactly rounded, also in place (out aliasing x or y)", () => {
    fc.assert(fc.property(vec, ({ n, seed }) => scoped(m, (put) => {
      const rand = prng(seed);
      const x = values(rand, n), y = values(rand, n), alpha = Math.fround(rand() * 4 - 2);
      const want = new Float64Array(n);
      const px = put(x), py = put(y), out = put(new Float64Array(n));

      ref.add(n, x, y, want);
      k.add_f32(n, px, py, out);
      expect(get(m, out, n)).toEqual(fround(want));
      ref.mul(n, x, y, want);
      k.mul_f32(n, px, py, out);
      expect(get(m, out, n)).toEqual(fround(want));
      ref.scale(n, alpha, x, want);
      k.scale_f32(n, alpha, px, out);
      expect(get(m, out, n)).toEqual(fround(want));

      // In place: add into x, multiply into y, scale x in place.
      const ax = x.slice(), ay = y.slice();
      k.add_f32(n, px, py, px); ref.add(n, ax, ay, ax);
      expect(get(m, px, n)).toEqual(fround(ax));
      const fx = fround(ax);
      k.mul_f32(n, px, py, py); ref.mul(n, fx, ay, ay);
      expect(get(m, py, n)).toEqual(fround(ay));
      k.scale_f32(n, alpha, px, px); ref.scale(n, alpha, fx, fx);
      expect(get(m, px, n)).toEqual(fround(fx));
    })));
  });

  it("axpy accumulates alpha x into y within two roundings", () => {
    fc.assert(fc.property(vec, ({ n, seed }) => scoped(m, (put) => {
      const rand = prng(seed);
      const x = values(rand, n), y = values(rand, n), alpha = Math.fround(rand() * 4 - 2);
      const py = put(y);
      k.axpy_f32(n, alpha, put(x), py);
      const want = y.slice();
      ref.axpy(n, alpha, x, want);
      const bound = Array.from(want, (r, i) => U * (Math.abs(r) + Math.abs(alpha * x[i]!)) + 1e-300);
      expectWithinBound(get(m, py, n), want, bound);
    })));
  });

  it("fill writes exactly n values and nothing past them", () => {
    fc.assert(fc.property(vec, ({ n, seed }) => scoped(m, (put) => {
      const value = Math.fround(prng(seed)() * 200 - 100);
      const p = put(new Float64Array(n + 5).fill(7));
      k.fill_f32(n, value, p);
      const want = new Float64Array(n + 5).fill(7);
      ref.fill(n, value, want);
      expect(get(m, p, n + 5)).toEqual(want);
    })));
  });

  it("sum_squares accumulates exact squares in f64", () => {
    fc.assert(fc.property(vec, ({ n, seed }) => scoped(m, (put) => {
      const x = values(prng(seed), n);
      const want = ref.sumSquares(n, x);
      const got = k.sum_squares_f32(n, put(x));
      expect(Math.abs(got - want)).toBeLessThanOrEqual((n + 1) * E52 * want);
    })));
    // Squares beyond the f32 range are fine in f64.
    scoped(m, (put) => {
      const x = f32([3e38, -3e38, 1e-30, 2, 1, 1, 1]);
      const want = ref.sumSquares(7, x);
      expect(want).toBeGreaterThan(1e77);
      expect(Math.abs(k.sum_squares_f32(7, put(x)) - want)).toBeLessThanOrEqual(8 * E52 * want);
    });
  });

  it("all_finite finds an inf or NaN anywhere, in the SIMD body or the tail", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 37 }), fc.nat(), fc.constantFrom(Infinity, -Infinity, NaN),
      (n, at, bad) => scoped(m, (put) => {
        const x = values(prng(n * 31 + at), n);
        x[0] = 3.4028234663852886e38; // the largest f32 is finite
        expect(k.all_finite_f32(n, put(x))).toBe(ref.allFinite(n, x));
        expect(k.all_finite_f32(n, put(x))).toBe(1);
        x[at % n] = bad;
        expect(k.all_finite_f32(n, put(x))).toBe(0);
        expect(ref.allFinite(n, x)).toBe(0);
        // A bad value just past n is not looked at.
        const y = new Float64Array(n + 1).fill(1);
        y[n] = bad;
        expect(k.all_finite_f32(n, put(y))).toBe(1);
      })));
    scoped(m, (put) => expect(k.all_finite_f32(0, put([NaN]))).toBe(1));
  });
});
