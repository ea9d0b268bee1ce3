// The BCE-with-logits kernels, on the SIMD build with their f32 polynomials
// (assembly/simd-math.ts), on the scalar build with f32 libm: accuracy against the float64
// reference over the whole finite f32 range, finiteness, and the elementwise bit-identity that
// lets a caller split the range anywhere (for the SIMD build: the SIMD loop and its scalar tail
// loop compute the same bits).
//
// Error bounds for the polynomials, u = 2^-24 (the f32 unit roundoff), t = log1p(exp(-|x|)) the
// soft tail (libm, on the scalar build, is within them: expf and log1pf within 1 ulp each):
// - e = exp(-|x|): relative error <= 1.75 u: the final rounding of 1 + g (<= u), the rounding of
//   r = x - n ln2 (<= 2^-26 absolute, so <= 0.25 u in exp(r)) and of g = r + r^2 P(r) (<= 2^-26
//   absolute on a value >= 1/sqrt2, <= 0.36 u), the polynomial itself (< 0.05 u); the scaling
//   by 2^n is exact, or a single rounding to a subnormal (<= half a subnormal step).
// - t32 = log1p(e) in f32: relative error <= 4 u: e's error passes through with the factor
//   e / ((1 + e) log1p(e)) <= 1, then the quotient 2e / fl(2 + e) (<= u; the rounding of
//   2 + e is compensated to within 0.04 u), the last addition (<= u) and the small terms
//   (<= 0.2 u). Plus one subnormal step (2^-149) where t is subnormal.
// - Forward term max(x,0) - x y + t, in f64 (x y exact): the above plus 4 * 2^-52 of the
//   magnitudes, for the kernel's and the reference's f64 roundings.
// - Backward scale (s - y), s = sigmoid(x): q = e / (1 + e) to <= 1.75 u + 2 u (sum, quotient)
//   < 4 u; fl(1 - y) <= u |1 - y| (x >= 0 only); the difference and the product with scale
//   <= u |r| each; 2^-146 absolute for subnormal results.
// Measured on the SIMD build over 102 million f32 logits in [0, 105] (every 11th bit pattern):
// t32 within 2.96 u, q within 2.94 u, exp alone within 1.68 u, subnormals within 0.75 steps.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, put, type Loaded, scoped } from "./harness.js";
import { expectWithinBound } from "../../src/testing/index.js";
import type { Ptr } from "../../src/kernels/exports.js";
import * as ref from "../../src/kernels/reference/losses.js";

const U = 2 ** -24;
const E52 = 2 ** -52;
const SUB = 2 ** -149; // the f32 subnormal step
const TINY = 2 ** -146;


/** The f64 soft tail log1p(exp(-|x|)). */
const tail = (x: number) => Math.log1p(Math.exp(-Math.abs(x)));

/** Bound on one forward term (see the header). */
const termBound = (x: number, y: number) =>
  4 * U * tail(x) + SUB + 4 * E52 * (Math.abs(x) * (1 + y) + tail(x));

/** Bound on one backward element (see the header). */
const gradBound = (x: number, y: number, scale: number, r: number) =>
  U * Math.abs(scale) * ((x >= 0 ? Math.abs(1 - y) : 0) + 4 / (1 + Math.exp(Math.abs(x)))) + 2.01 * U * Math.abs(r) + TINY;

/** f32 bit patterns, to compare outputs bit for bit (NaN payloads and -0 included). */
const bitsOf = (m: Loaded, p: Ptr, n: number) => Array.from(new Uint32Array(m.arena.exports.memory.buffer, p, n));

// Logits over the whole finite f32 range, with the places where the formulas change weighted up.
const special = [0, -0, 100, -100, 1000, -1000, 2 ** -149, -(2 ** -149), 1e-40, -1e-40, 2 ** -126, 1e-30, -1e-7,
  0.34657359, 0.5, 1, 17.5, 87.33655, 88.72284, -88.72284, 103.97208, -103.97208, 104, -104, 104.5, 150, -3e38,
  3.4028234663852886e38, -3.4028234663852886e38];
const logit = fc.oneof(
  { weight: 4, arbitrary: fc.double({ min: -110, max: 110, noNaN: true }).map(Math.fround) },
  { weight: 2, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.float({ min: Math.fround(-1e-30), max: Math.fround(1e-30), noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(...special) },
);
const target = fc.oneof(fc.constantFrom(0, 1, 0.5), fc.float({ min: 0, max: 1, noNaN: true }));
const case_ = fc.array(fc.tuple(logit, target), { maxLength: 70 });
const scaleArb = fc.constantFrom(1, 1 / 128, -0.37, 2).map(Math.fround);

describe.each(builds)("bce_logits kernels over all finite logits ($isa)", (m) => {
  const k = m.k;

  it("forward terms and sums and backward elements are within the bounds, finite, over all finite logits", () => {
    fc.assert(fc.property(case_, scaleArb, (pairs, scale) => scoped(m, (put) => {
      const n = pairs.length;
      const x = f32(pairs.map((p) => p[0])), y = f32(pairs.map((p) => p[1]));
      const px = put(x), py = put(y), pd = put(new Float64Array(n));
      let sumBound = 0;
      for (let i = 0; i < n; i++) {
        const got = k.bce_logits_forward_f32(1, px + 4 * i, py + 4 * i);
        const want = ref.bceLogitsForward(1, x.subarray(i, i + 1), y.subarray(i, i + 1));
        expect(Number.isFinite(got)).toBe(true);
        expect(Math.abs(got - want)).toBeLessThanOrEqual(termBound(x[i]!, y[i]!));
        sumBound += termBound(x[i]!, y[i]!) + (n + 4) * E52 * Math.abs(want);
      }
      const sum = k.bce_logits_forward_f32(n, px, py);
      expect(Number.isFinite(sum)).toBe(true);
      expect(Math.abs(sum - ref.bceLogitsForward(n, x, y))).toBeLessThanOrEqual(sumBound);

      k.bce_logits_backward_f32(n, scale, px, py, pd);
      expect(k.all_finite_f32(n, pd)).toBe(1);
      const d = new Float64Array(n);
      ref.bceLogitsBackward(n, scale, x, y, d);
      const b = Array.from(d, (r, i) => gradBound(x[i]!, y[i]!, scale, r));
      expectWithinBound(get(m, pd, n), d, b);
    })));
  });

  it("a sweep of half a million logits in [-105, 105] keeps the tail within 4 u and sigmoid within 4 u", () => {
    scoped(m, (put) => {
      // Every 4099th f32 bit pattern from 0 up to 105, with both signs.
      const buf = new Float32Array(1), bits = new Uint32Array(buf.buffer);
      buf[0] = 105;
      const top = bits[0]!, step = 4099, xs: number[] = [];
      for (let b = 0; b <= top; b += step) { bits[0] = b; xs.push(buf[0]!, -buf[0]!); }
      const n = xs.length;
      // y = 1 for x >= 0 and 0 below: the linear part is 0 and the forward term is the tail alone,
      // and the backward element is -q for x >= 0 and q below, q = sigmoid(-|x|).
      const x = f32(xs), y = f32(xs.map((v) => (v >= 0 ? 1 : 0)));
      const px = put(x), py = put(y), pd = put(new Float64Array(n));
      k.bce_logits_backward_f32(n, 1, px, py, pd);
      const d = get(m, pd, n);
      let worstT = 0, worstQ = 0;
      for (let i = 0; i < n; i++) {
        const xi = x[i]!, t = tail(xi), q = 1 / (1 + Math.exp(Math.abs(xi)));
        const gt = k.bce_logits_forward_f32(1, px + 4 * i, py + 4 * i);
        const gq = xi >= 0 ? -d[i]! : d[i]!;
        worstT = Math.max(worstT, Math.abs(gt - t) / (4 * U * t + SUB));
        worstQ = Math.max(worstQ, Math.abs(gq - q) / (4 * U * q + SUB));
      }
      expect(worstT).toBeLessThanOrEqual(1);
      expect(worstQ).toBeLessThanOrEqual(1);
    });
  });

  it("each backward element depends on its own inputs only: splitting the range anywhere gives the same bits", () => {
    fc.assert(fc.property(case_, scaleArb, fc.nat(), fc.nat(), (pairs, scale, a, b) => scoped(m, (put) => {
      const n = pairs.length;
      const x = f32(pairs.map((p) => p[0])), y = f32(pairs.map((p) => p[1]));
      const px = put(x), py = put(y), whole = put(new Float64Array(n)), parts = put(new Float64Array(n));
      k.bce_logits_backward_f32(n, scale, px, py, whole);
      const want = bitsOf(m, whole, n);
      // A split at a multiple of 4 and one at any offset: elements move between the SIMD body
      // and the tail loop, and between SIMD lanes.
      for (const at of [4 * (a % (Math.floor(n / 4) + 1)), b % (n + 1)]) {
        k.bce_logits_backward_f32(at, scale, px, py, parts);
        k.bce_logits_backward_f32(n - at, scale, px + 4 * at, py + 4 * at, parts + 4 * at);
        expect(bitsOf(m, parts, n)).toEqual(want);
      }
      // One element at a time: every element through the tail loop.
      for (let i = 0; i < n; i++) k.bce_logits_backward_f32(1, scale, px + 4 * i, py + 4 * i, parts + 4 * i);
      expect(bitsOf(m, parts, n)).toEqual(want);
    })));
  });

  it("each forward term is the same in the SIMD body as in the tail loop", () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -15, max: 15, noNaN: true }), { maxLength: 70 }), (vs) => scoped(m, (put) => {
      // y = [x >= 0] makes every term the f32 tail alone, in [2^-22, log 2]: f64 sums such terms
      // exactly, in any order, so the whole-buffer sum equals the sum of one-element calls only
      // if every term is bit-identical whichever loop computed it.
      const n = vs.length, x = f32(vs), y = f32(vs.map((v) => (Math.fround(v) >= 0 ? 1 : 0)));
      const px = put(x), py = put(y);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += k.bce_logits_forward_f32(1, px + 4 * i, py + 4 * i);
      expect(k.bce_logits_forward_f32(n, px, py)).toBe(sum);
      for (let at = 0; at <= Math.min(n, 5); at++) {
        expect(k.bce_logits_forward_f32(at, px, py) + k.bce_logits_forward_f32(n - at, px + 4 * at, py + 4 * at)).toBe(sum);
      }
    })));
  });
});
