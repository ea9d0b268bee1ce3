// latent/testing's comparators: each passes a case within its tolerance or bound and fails one
// just outside it with a CheckError whose report names the worst index, both values, the error and
// what was allowed. The bounds themselves are checked against float32 arithmetic done with
// Math.fround, which rounds every operation as a float32 machine would.
import { describe, expect, it } from "vitest";
import {
  CheckError, dotBound, expectClose, expectSameBits, expectWithinBound, gamma, productBound, sumBound, ulpF32,
} from "../../src/testing/index.js";
import { key, uniform } from "../../src/random/index.js";
import { thrown } from "../support/thrown.js";


const U = 2 ** -24;

describe("ulpF32", () => {
  it("is the float32 spacing at |x|", () => {
    expect(ulpF32(1)).toBe(2 ** -23);
    expect(ulpF32(1.5)).toBe(2 ** -23);
    expect(ulpF32(2)).toBe(2 ** -22);
    expect(ulpF32(-0.75)).toBe(2 ** -24);
    expect(ulpF32(Math.fround(0.1))).toBe(2 ** -27);
    expect(ulpF32(0)).toBe(2 ** -149);
    expect(ulpF32(2 ** -130)).toBe(2 ** -149);
    expect(ulpF32(2 ** -126)).toBe(2 ** -149);
    expect(ulpF32(3.4e38)).toBe(2 ** 104);
  });
});

describe("expectClose", () => {
  it("with ulps: passes 4 ulps away at { ulps: 4 } and fails at 5, naming index, values and errors", () => {
    const expected = [0.5, 1, -3, 1e-3];
    const within = expected.map((e) => e + 4 * ulpF32(e));
    expectClose(within, expected, { ulps: 4 });
    const outside = within.slice();
    outside[1] = 1 + 5 * 2 ** -23;
    const err = thrown(() => expectClose(outside, expected, { ulps: 4, what: "sigmoid" }));
    expect(err.message).toBe("sigmoid: expectClose: 1 of 4 elements differ by more than 4 float32 ulps of the expected value\n"
      + "  worst at index 1: actual 1.0000005960464478, expected 1, error 5.96e-7 (5 ulps), allowed 4.768e-7 (4 ulps) (1.25 x allowed)");
    expect(err.details).toMatchObject({ index: 1, actual: 1 + 5 * 2 ** -23, expected: 1, failures: 1 });
  });

  it("with rtol and atol: allclose's |a - e| <= atol + rtol |e|", () => {
    expectClose([1.000001, 0], [1, 1e-9], { rtol: 1e-6, atol: 1e-9 });
    expectClose(2 + 1.9e-3, 2, { rtol: 1e-3 });
    const err = thrown(() => expectClose([1, 2.003, 3], [1, 2, 3], { rtol: 1e-3, atol: 1e-6 }));
    expect(err.message).toMatch(/1 of 3 elements differ by more than atol 0.000001 \+ rtol 0.001 \* \|expected\|/);
    expect(err.message).toMatch(/worst at index 1: actual 2.003, expected 2, error 0.003, allowed 0.002001/);
    expect(thrown(() => expectClose(1.5, 1, { atol: 0.25 })).message).toMatch(/the values differ .*\n  worst: actual 1.5, expected 1, error 0.5, allowed 0.25 \(2 x allowed\)/);
  });

  it("reports the worst element, not the first failing one", () => {
    const err = thrown(() => expectClose([1.1, 1, 1.5, 1.2], [1, 1, 1, 1], { atol: 0.05 }));
    expect(err.message).toMatch(/3 of 4 elements/);
    expect(err.details).toMatchObject({ index: 2, actual: 1.5 });
  });

  it("NaN equals NaN only; an infinity only the same infinity; lengths and shapes must match", () => {
    expectClose([NaN, Infinity, -0], [NaN, Infinity, 0], { ulps: 0 });
    expect(thrown(() => expectClose([1, NaN], [1, 2], { atol: 1e9 })).message).toMatch(/index 1: actual NaN, expected 2 \(NaN on one side only\)/);
    expect(thrown(() => expectClose([2], [NaN], { atol: 1e9 })).message).toMatch(/actual 2, expected NaN/);
    expect(thrown(() => expectClose([3.4e38], [Infinity], { ulps: 1e9 })).message).toMatch(/expected Infinity/);
    expect(thrown(() => expectClose([1, 2], [1, 2, 3], { ulps: 1 })).message).toMatch(/lengths differ: actual has 2 elements, expected 3/);
    expect(thrown(() => expectClose(1, [1], { ulps: 1 })).message).toMatch(/actual is a number, expected is an array of 1/);
  });

  it("refuses a negative tolerance as a mistake in the test (RangeError)", () => {
    expect(() => expectClose(1, 1, { ulps: -1 })).toThrow(RangeError);
    expect(() => expectClose(1, 1, { rtol: NaN })).toThrow(RangeError);
  });
});

describe("expectWithinBound", () => {
  it("passes at the bound, fails just beyond it and reports the worst ratio", () => {
    const expected = Float64Array.from([1, 2, 3, 4]), bound = Float64Array.from([0.125, 0.25, 0.125, 0.5]);
    expectWithinBound(expected.map((e, i) => e + bound[i]!), expected, bound); // exact: the sums are representable
    const actual = Float64Array.from([1.0625, 2.26, 3.1875, 4]);
    const err = thrown(() => expectWithinBound(actual, expected, bound, { what: "case 7" }));
    expect(err.message).toBe("case 7: expectWithinBound: 2 of 4 elements exceed their error bound\n"
      + "  worst at index 2: actual 3.1875, expected 3, error 0.1875, bound 0.125 (1.5 x allowed)");
    expect(err.details).toMatchObject({ index: 2, ratio: expect.closeTo(1.5, 10) as unknown, failures: 2 });
  });

  it("a bound of 0 asks for equality (+0 and -0 are equal); one number bounds every element", () => {
    expectWithinBound([1, -0, NaN], [1, 0, NaN], [0, 0, 0]);
    expect(thrown(() => expectWithinBound([1, 2 + 2 ** -51], [1, 2], 0)).message).toMatch(/index 1: .*bound 0$/m);
    expectWithinBound([1.5, 2.5], [1, 3], 0.5);
  });

  it("bounds that do not fit are a RangeError", () => {
    expect(() => expectWithinBound([1, 2], [1, 2], [1])).toThrow(RangeError);
    expect(() => expectWithinBound([1], [1], [NaN])).toThrow(RangeError);
    expect(() => expectWithinBound([1], [1], -1)).toThrow(RangeError);
  });
});

describe("sumBound", () => {
  it("is gamma(n) sum |t_i|", () => {
    expect(sumBound([1, -2, 3])).toBe(gamma(3) * 6);
    expect(gamma(3)).toBe(3 * U / (1 - 3 * U));
    expect(sumBound([])).toBe(0);
    expect(sumBound([1, 2], { eps: 2 ** -53 })).toBe(2 * 2 ** -53 / (1 - 2 * 2 ** -53) * 3);
    expect(() => gamma(2 ** 24)).toThrow(RangeError);
  });

  it("holds for float32 sums of random terms in any order, and rejects a sum that dropped a term", () => {
    const terms = Array.from(uniform(key(1), 5000), (u, i) => Math.fround((2 * u - 1) * 10 ** ((i % 7) - 3)));
    const exact = terms.reduce((s, t) => s + t, 0); // float64: exact enough (error ~1e-16 of the float32 bound)
    const bound = sumBound(terms);
    const forward = terms.reduce((s, t) => Math.fround(s + t), 0);
    const backward = terms.reduceRight((s, t) => Math.fround(s + t), 0);
    const pairwise = (lo: number, hi: number): number => (hi - lo === 1 ? terms[lo]! : Math.fround(pairwise(lo, (lo + hi) >> 1) + pairwise((lo + hi) >> 1, hi)));
    for (const s of [forward, backward, pairwise(0, terms.length)]) expectWithinBound(s, exact, bound);
    // The worst-case bound is loose (~120 here, against errors of ~1e-3), but it still sees a lost large term.
    const big = terms.reduce((m, t, i) => (Math.abs(t) > Math.abs(terms[m]!) ? i : m), 0);
    const dropped = terms.filter((_, i) => i !== big).reduce((s, t) => Math.fround(s + t), 0);
    expect(Math.abs(terms[big]!)).toBeGreaterThan(bound);
    expect(thrown(() => expectWithinBound(dropped, exact, bound)).message).toMatch(/expectWithinBound: the values exceed their error bound/);
  });

  it("holds where rounding errors correlate (10^6 additions of 0.1 in float32), where a sqrt(n) bound would not", () => {
    const t = Math.fround(0.1), n = 1_000_000;
    let s = 0;
    for (let i = 0; i < n; i++) s = Math.fround(s + t);
    const exact = n * t, terms = new Float32Array(n).fill(t);
    expectWithinBound(s, exact, sumBound(terms));
    expect(Math.abs(s - exact) / exact).toBeGreaterThan(0.005); // ~1%: errors that do not cancel
    expect(Math.abs(s - exact)).toBeGreaterThan(8 * Math.sqrt(n) * U * exact);
  });
});

describe("dotBound and productBound", () => {
  /** A float32 GEMM C = alpha A B + beta C, row-major, a plain loop rounding every operation. */
  function gemmF32(M: number, N: number, K: number, alpha: number, a: ArrayLike<number>, b: ArrayLike<number>, beta: number, c: ArrayLike<number>): Float64Array {
    const out = new Float64Array(M * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc = Math.fround(acc + Math.fround(a[i * K + k]! * b[k * N + j]!));
        out[i * N + j] = Math.fround(Math.fround(alpha * acc) + Math.fround(beta * c[i * N + j]!));
      }
    }
    return out;
  }
  function gemmF64(M: number, N: number, K: number, alpha: number, a: ArrayLike<number>, b: ArrayLike<number>, beta: number, c: ArrayLike<number>): Float64Array {
    const out = new Float64Array(M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a[i * K + k]! * b[k * N + j]!;
      out[i * N + j] = alpha * acc + beta * c[i * N + j]!;
    }
    return out;
  }
  const f32 = (n: number, seed: number, lo = -1) => Float32Array.from(uniform(key(seed), n), (u) => lo + (1 - lo) * u);

  it("the probabilistic form is the bound of latent's GEMM tests: 4 sqrt(K + 1) 2^-23 (|alpha| S + |beta c0|) + 2^-23 |C| + (K + 2) 2^-149", () => {
    const M = 3, N = 4, K = 5, a = f32(M * K, 1), b = f32(K * N, 2), c = f32(M * N, 3);
    const bound = productBound(a, b, { M, N, K, alpha: -0.75, beta: 0.5, c }, { form: "probabilistic" });
    const ref = gemmF64(M, N, K, -0.75, a, b, 0.5, c);
    const s = gemmF64(M, N, K, 1, a.map(Math.abs), b.map(Math.abs), 0, c);
    const want = s.map((sp, p) => 4 * Math.sqrt(K + 1) * 2 ** -23 * (0.75 * sp + Math.abs(0.5 * c[p]!)) + 2 ** -23 * Math.abs(ref[p]!) + (K + 2) * 2 ** -149);
    expectClose(bound, want, { rtol: 1e-14 });
    // The deterministic form: gamma(K + 2) (|alpha| S + |beta c0|) + (K + 2) tiny.
    expectClose(productBound(a, b, { M, N, K, alpha: -0.75, beta: 0.5, c }),
      s.map((sp, p) => gamma(K + 2) * (0.75 * sp + Math.abs(0.5 * c[p]!)) + (K + 2) * 2 ** -149), { rtol: 1e-14 });
  });

  it("reads transposed and strided operands like BLAS, and lays the bounds out like C", () => {
    const M = 2, N = 3, K = 4, a = f32(M * K, 4), b = f32(K * N, 5);
    const dense = productBound(a, b, K);
    expect(dense).toHaveLength(M * N);
    const at = new Float32Array(K * (M + 1)), bt = new Float32Array(N * (K + 2));
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) at[k * (M + 1) + i] = a[i * K + k]!;
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bt[j * (K + 2) + k] = b[k * N + j]!;
    const strided = productBound(at, bt, { M, N, K, transA: true, transB: true, lda: M + 1, ldb: K + 2, ldc: N + 2 });
    expect(strided).toHaveLength(M * (N + 2));
    for (let i = 0; i < M; i++) {
      expectSameBits(strided.subarray(i * (N + 2), i * (N + 2) + N), dense.subarray(i * N, i * N + N));
      expect(Array.from(strided.subarray(i * (N + 2) + N, (i + 1) * (N + 2)))).toEqual([0, 0]); // padding: must be unchanged
    }
    expect(() => productBound(a, b, { M, N, K, beta: 1 })).toThrow(RangeError); // beta != 0 needs C
    expect(() => productBound(a, b, 5)).toThrow(RangeError);
    expect(productBound([], [], { M: 2, N: 2, K: 0 })).toEqual(new Float64Array(4).fill(2 * 2 ** -149));
  });

  it("dotBound is productBound of a 1 x K by K x 1 product in the probabilistic form", () => {
    const a = f32(100, 6), b = f32(100, 7);
    expect(dotBound(a, b, { form: "probabilistic" })).toBe(productBound(a, b, { M: 1, N: 1, K: 100 }, { form: "probabilistic" })[0]);
    let mag = 0;
    for (let i = 0; i < 100; i++) mag += Math.abs(a[i]! * b[i]!);
    expect(dotBound(a, b)).toBe(gamma(100) * mag + 100 * 2 ** -149);
    expect(() => dotBound([1], [1, 2])).toThrow(RangeError);
  });

  it("hold for a float32 GEMM with mixed signs, and catch a kernel that drops the last k", () => {
    const M = 7, N = 9, K = 300, a = f32(M * K, 8), b = f32(K * N, 9), c = f32(M * N, 10);
    const ref = gemmF64(M, N, K, 0.75, a, b, 0.5, c);
    const got = gemmF32(M, N, K, 0.75, a, b, 0.5, c);
    for (const form of ["deterministic", "probabilistic"] as const) {
      const bound = productBound(a, b, { M, N, K, alpha: 0.75, beta: 0.5, c }, { form });
      expectWithinBound(got, ref, bound);
      const short = gemmF32(M, N, K - 1, 0.75, a.filter((_, i) => i % K !== K - 1), b.subarray(0, (K - 1) * N), 0.5, c);
      const err = thrown(() => expectWithinBound(short, ref, bound, { what: `${form}, K - 1` }));
      expect(err.message).toMatch(new RegExp(`^${form}, K - 1: expectWithinBound: \\d+ of 63 elements exceed their error bound\\n  worst at index \\d+: actual `));
    }
  });

  it("the deterministic form holds for a plain loop over terms of one sign, where the probabilistic one may not", () => {
    const K = 30_000, a = new Float32Array(K).fill(Math.fround(0.1)), b = new Float32Array(K).fill(Math.fround(0.3));
    const got = gemmF32(1, 1, K, 1, a, b, 0, [0]);
    const ref = gemmF64(1, 1, K, 1, a, b, 0, [0]);
    expectWithinBound(got, ref, productBound(a, b, { M: 1, N: 1, K }));
    expectWithinBound(got[0]!, ref[0]!, dotBound(a, b));
    expect(thrown(() => expectWithinBound(got, ref, productBound(a, b, { M: 1, N: 1, K }, { form: "probabilistic" }))).message)
      .toMatch(/1 of 1 elements exceed/);
  });
});

describe("expectSameBits", () => {
  it("passes identical bits, numbers included", () => {
    expectSameBits(Float32Array.from([1, -0, NaN, Infinity]), Float32Array.from([1, -0, NaN, Infinity]));
    expectSameBits(Float64Array.from([0.1, -2]), [0.1, -2]);
    expectSameBits(-0, -0);
    expectSameBits([], new Float64Array(0));
  });

  it("catches -0 against 0, naming the first index, both values and their bits", () => {
    const err = thrown(() => expectSameBits(Float32Array.from([1, 2, -0, 4, -0]), Float32Array.from([1, 2, 0, 4, 0]), { what: "relu'" }));
    expect(err.message).toBe("relu': expectSameBits: 2 of 5 elements differ (float32 bit patterns)\n"
      + "  first at index 2: actual -0 (bits 0x80000000), expected 0 (bits 0x00000000)");
    expect(err.details).toMatchObject({ index: 2, differ: 2, actualBits: "0x80000000", expectedBits: "0x00000000" });
    expect(thrown(() => expectSameBits(-0, 0)).message).toBe("expectSameBits: the bits differ (float64 bit patterns)\n"
      + "  first: actual -0 (bits 0x8000000000000000), expected 0 (bits 0x0000000000000000)");
  });

  it("catches NaNs that differ only by payload, and the last ulp", () => {
    const a = new Float32Array(3), b = new Float32Array(3);
    new Uint32Array(a.buffer).set([0x3f800000, 0x7fc00000, 0]);
    new Uint32Array(b.buffer).set([0x3f800000, 0x7fc00001, 0]);
    expect(thrown(() => expectSameBits(a, b)).message).toMatch(/first at index 1: actual NaN \(bits 0x7fc00000\), expected NaN \(bits 0x7fc00001\)/);
    expect(thrown(() => expectSameBits([1, 1 + 2 ** -52], [1, 1])).message).toMatch(/index 1: .*bits 0x3ff0000000000001\), expected 1 \(bits 0x3ff0000000000000\)/);
  });

  it("refuses to compare float32 with float64 bits, and arrays of other lengths", () => {
    expect(thrown(() => expectSameBits(new Float32Array(2), new Float64Array(2))).message).toMatch(/element types differ: actual is Float32Array, expected is Float64Array/);
    expect(thrown(() => expectSameBits([1, 2], [1])).message).toMatch(/lengths differ/);
  });
});
