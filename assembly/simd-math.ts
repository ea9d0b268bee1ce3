// f32 polynomial approximations of exp(-a) and log1p(e) for the elementwise kernels, each in
// two forms: on f32x4 lanes and on one f32 (for the tails of the SIMD loops; the scalar build
// may use it too, but libm is faster there). The two forms execute the same IEEE f32 operations in the same order
// (add, sub, mul, div, abs and neg, and integer arithmetic on the bits), and WebAssembly
// defines each of these exactly, so a value is bit-identical whichever form computed it and
// wherever a loop splits its range. Keep the two forms in step: a change to one is a change to
// the other (test/kernels/bce-simd.test.ts checks the identity).
//
// expNeg(a) = exp(-a) for a >= 0 (a = +inf included), Cephes expf: -a is clamped to -104
// (exp(-104) < 2^-150, which rounds to 0, as exp(-a) does for every larger a), then
// n = round(-a log2 e) with the 1.5 * 2^23 trick (ties to even), r = -a - n ln2 with ln2 split
// in two (n * LN2_HI is exact and so is the subtraction, by Sterbenz), |r| <= ln2 / 2,
// exp(r) = 1 + r + r^2 P(r), and the result is exp(r) 2^n1 2^n2 with n1 = n >> 1, n2 = n - n1
// (each factor normal; the first product is exact, the second rounds once, so subnormal
// results are right to within one subnormal step). Relative error within 1.75 u (u = 2^-24),
// 1.65 u measured.
//
// log1pUnit(e) = log1p(e) for 0 <= e <= 1: with s = e / (2 + e) <= 1/3 and z = s^2,
// log1p(e) = 2 atanh(s) = 2s + 2s z (1/3 + z/5 + ... + z^6/15), truncated where the first term
// left out, 2s z^8/17, is below 2s 9^-8/17 < 2s 2^-29. 2s is formed as w = 2e / f, f = fl(2 + e),
// so a subnormal e gives exactly e; the rounding error of f, c = e - (f - 2) (exact, Fast2Sum),
// is compensated inside the small terms: 2e / (f + c) ~ w - w c / f, with 1/f taken as
// (5 - f)/6, within 4% on [2, 3]. So log1p(e) = w + ((w z) P(z) - corr), one rounding on w and
// one on the sum. Relative error within 4 u for the composition log1p(exp(-a)),
// 2.9 u measured; test/kernels/bce-simd.test.ts derives the bounds.

const EXP_CLAMP: f32 = 104.0;
const LOG2E: f32 = 1.44269504088896341;
const ROUNDER: f32 = 12582912.0; // 1.5 * 2^23: x + ROUNDER - ROUNDER rounds x to an integer
const ROUNDER_BITS: i32 = 0x4b400000;
const LN2_HI: f32 = 0.693359375; // 355 / 512: n * LN2_HI is exact for |n| < 2^15
const LN2_LO: f32 = -2.12194440e-4;
const EP0: f32 = 1.9875691500e-4;
const EP1: f32 = 1.3981999507e-3;
const EP2: f32 = 8.3334519073e-3;
const EP3: f32 = 4.1665795894e-2;
const EP4: f32 = 1.6666665459e-1;
const EP5: f32 = 5.0000001201e-1;

const SIXTH: f32 = 0.16666666666666666;
const L1: f32 = 0.3333333333333333;
const L2: f32 = 0.2;
const L3: f32 = 0.14285714285714285;
const L4: f32 = 0.1111111111111111;
const L5: f32 = 0.09090909090909091;
const L6: f32 = 0.07692307692307693;
const L7: f32 = 0.06666666666666667;

/** exp(-a) per lane, for lanes a >= 0 (see the header). */
@inline export function expNegF32x4(a: v128): v128 {
  const y = f32x4.neg(f32x4.pmin(a, f32x4.splat(EXP_CLAMP))); // pmin(a, b) = b < a ? b : a
  const v = f32x4.add(f32x4.mul(y, f32x4.splat(LOG2E)), f32x4.splat(ROUNDER));
  const nf = f32x4.sub(v, f32x4.splat(ROUNDER));
  const r = f32x4.sub(f32x4.sub(y, f32x4.mul(nf, f32x4.splat(LN2_HI))), f32x4.mul(nf, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(r, f32x4.splat(EP0)), f32x4.splat(EP1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EP5));
  p = f32x4.add(f32x4.add(f32x4.mul(p, z), r), f32x4.splat(1));
  const n = i32x4.sub(v, i32x4.splat(ROUNDER_BITS));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const b = i32x4.splat(127);
  return f32x4.mul(f32x4.mul(p, i32x4.shl(i32x4.add(n1, b), 23)), i32x4.shl(i32x4.add(n2, b), 23));
}

/** exp(-a) for a >= 0: expNegF32x4 on one value. */
@inline export function expNegF32(a: f32): f32 {
  const y = -(EXP_CLAMP < a ? EXP_CLAMP : a);
  const v = y * LOG2E + ROUNDER;
  const nf = v - ROUNDER;
  const r = (y - nf * LN2_HI) - nf * LN2_LO;
  const z = r * r;
  let p = r * EP0 + EP1;
  p = p * r + EP2;
  p = p * r + EP3;
  p = p * r + EP4;
  p = p * r + EP5;
  p = (p * z + r) + <f32>1;
  const n = reinterpret<i32>(v) - ROUNDER_BITS;
  const n1 = n >> 1;
  const n2 = n - n1;
  return (p * reinterpret<f32>((n1 + 127) << 23)) * reinterpret<f32>((n2 + 127) << 23);
}

/** log1p(e) per lane, for lanes 0 <= e <= 1 (see the header). */
@inline export function log1pUnitF32x4(e: v128): v128 {
  const two = f32x4.splat(2);
  const f = f32x4.add(two, e);
  const c = f32x4.sub(e, f32x4.sub(f, two));
  const w = f32x4.div(f32x4.add(e, e), f);
  const corr = f32x4.mul(f32x4.mul(w, c), f32x4.mul(f32x4.sub(f32x4.splat(5), f), f32x4.splat(SIXTH)));
  const h = f32x4.mul(w, f32x4.splat(0.5));
  const z = f32x4.mul(h, h);
  let p = f32x4.add(f32x4.mul(z, f32x4.splat(L7)), f32x4.splat(L6));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(L5));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(L4));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(L3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(L2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(L1));
  return f32x4.add(w, f32x4.sub(f32x4.mul(f32x4.mul(w, z), p), corr));
}

/** log1p(e) for 0 <= e <= 1: log1pUnitF32x4 on one value. */
@inline export function log1pUnitF32(e: f32): f32 {
  const f = <f32>2 + e;
  const c = e - (f - <f32>2);
  const w = (e + e) / f;
  const corr = (w * c) * ((<f32>5 - f) * SIXTH);
  const h = w * <f32>0.5;
  const z = h * h;
  let p = z * L7 + L6;
  p = p * z + L5;
  p = p * z + L4;
  p = p * z + L3;
  p = p * z + L2;
  p = p * z + L1;
  return w + ((w * z) * p - corr);
}
