// Likelihoods for reconstruction terms beside those of losses.ts (Laplace, continuous Bernoulli
// with logits) and the L1 penalty, over f32 arrays. Forward kernels return sums as f64 and
// accumulate every term in f64. Backward kernels write (or, where stated, accumulate into) f32
// gradients, scaled by `scale`; each output element depends on that element's inputs alone (and
// its column's log-scale), so an output may alias an input at the same index.
// Sign conventions: sign(d) is 1 for d > 0, -1 for d < 0 and 0 for d == 0 (and for NaN, where
// the forward sum is NaN anyway); gradients select +-c or 0 instead of multiplying by the sign,
// so an infinite c gives 0, not NaN, where the sign is 0.

import { lo64, hi64 } from "./f64-lanes";
/** Per lane: c where a > b, -c where a < b, else 0 (bit for bit the scalar signedC). */
@inline function signedC4(a: v128, b: v128, c: v128): v128 {
  return v128.or(v128.and(f32x4.gt(a, b), c), v128.and(f32x4.lt(a, b), f32x4.neg(c)));
}
@inline function signedC(a: f32, b: f32, c: f32): f32 {
  return a > b ? c : a < b ? -c : <f32>0;
}

const LN2: f64 = 0.6931471805599453;

// ---- Laplace negative log-likelihood ----
// Both kernels walk column blocks down all M rows (row stride N), as gaussian_nll does: column j's
// sum of absolute differences A_j = sum_i |p_ij - t_ij| is accumulated in f64 (each difference of
// two f32 is formed in f64) and exp(-s_j) is computed once per column, in f64, s_j being the log of
// the scale b. The forward sum is sum_j (M (s_j + log 2) + exp(-s_j) A_j) and the log-scale
// gradient of column j is scale * (M - exp(-s_j) A_j). Columns are summed in order and each
// column's rows in order on every build, so the SIMD and scalar builds agree bit for bit.

/** sum over the M x N matrix of |t - p| exp(-s) + s + log 2, s = logscale[j * lsStride]. */
export function laplace_nll_forward_f32(M: i32, N: i32, pred: usize, target: usize, logscale: usize, lsStride: i32): f64 {
  const stride = <usize>N << 2;
  const m = <f64>M;
  let total: f64 = 0;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= N; j += 4) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      let off = <usize>j << 2;
      for (let i = 0; i < M; i++, off += stride) {
        const p = v128.load(pred + off), t = v128.load(target + off);
        a0 = f64x2.add(a0, f64x2.abs(f64x2.sub(lo64(p), lo64(t))));
        a1 = f64x2.add(a1, f64x2.abs(f64x2.sub(hi64(p), hi64(t))));
      }
      total += laplaceColumn(m, logscale, lsStride, j, f64x2.extract_lane(a0, 0));
      total += laplaceColumn(m, logscale, lsStride, j + 1, f64x2.extract_lane(a0, 1));
      total += laplaceColumn(m, logscale, lsStride, j + 2, f64x2.extract_lane(a1, 0));
      total += laplaceColumn(m, logscale, lsStride, j + 3, f64x2.extract_lane(a1, 1));
    }
  }
  for (; j < N; j++) {
    total += laplaceColumn(m, logscale, lsStride, j, columnAbs(M, stride, pred, target, j));
  }
  return total;
}

/** M (s_j + log 2) + exp(-s_j) A_j. */
@inline function laplaceColumn(m: f64, logscale: usize, lsStride: i32, j: i32, abs: f64): f64 {
  const s = <f64>load<f32>(logscale + ((<usize>j * <usize>lsStride) << 2));
  return m * (s + LN2) + Math.exp(-s) * abs;
}

/** A_j for one column, in f64. */
@inline function columnAbs(M: i32, stride: usize, pred: usize, target: usize, j: i32): f64 {
  let s: f64 = 0;
  let off = <usize>j << 2;
  for (let i = 0; i < M; i++, off += stride) {
    s += Math.abs(<f64>load<f32>(pred + off) - <f64>load<f32>(target + off));
  }
  return s;
}

/**
 * dpred = sign(p - t) c_j, written, with c_j = f32(scale exp(-s_j)) (one rounding; 0 where p == t).
 * dlogscale[j * lsStride] += scale * (M - exp(-s_j) A_j), in f64 and rounded once per address
 * (lsStride 0: all columns are summed first, then added to dlogscale[0]). dlogscale == 0 skips it.
 */
export function laplace_nll_backward_f32(M: i32, N: i32, scale: f32, pred: usize, target: usize, logscale: usize,
  lsStride: i32, dpred: usize, dlogscale: usize): void {
  const stride = <usize>N << 2;
  const m = <f64>M;
  const sc = <f64>scale;
  let shared: f64 = 0; // the lsStride 0 sum over columns
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= N; j += 4) {
      const w0 = invScale(logscale, lsStride, j), w1 = invScale(logscale, lsStride, j + 1);
      const w2 = invScale(logscale, lsStride, j + 2), w3 = invScale(logscale, lsStride, j + 3);
      let c = f32x4.splat(<f32>(sc * w0));
      c = f32x4.replace_lane(c, 1, <f32>(sc * w1));
      c = f32x4.replace_lane(c, 2, <f32>(sc * w2));
      c = f32x4.replace_lane(c, 3, <f32>(sc * w3));
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      let off = <usize>j << 2;
      for (let i = 0; i < M; i++, off += stride) {
        const p = v128.load(pred + off), t = v128.load(target + off);
        v128.store(dpred + off, signedC4(p, t, c));
        a0 = f64x2.add(a0, f64x2.abs(f64x2.sub(lo64(p), lo64(t))));
        a1 = f64x2.add(a1, f64x2.abs(f64x2.sub(hi64(p), hi64(t))));
      }
      if (dlogscale != 0) {
        const g0 = sc * (m - w0 * f64x2.extract_lane(a0, 0));
        const g1 = sc * (m - w1 * f64x2.extract_lane(a0, 1));
        const g2 = sc * (m - w2 * f64x2.extract_lane(a1, 0));
        const g3 = sc * (m - w3 * f64x2.extract_lane(a1, 1));
        if (lsStride == 0) shared += (g0 + g1) + (g2 + g3);
        else {
          addTo(dlogscale, lsStride, j, g0); addTo(dlogscale, lsStride, j + 1, g1);
          addTo(dlogscale, lsStride, j + 2, g2); addTo(dlogscale, lsStride, j + 3, g3);
        }
      }
    }
  }
  for (; j < N; j++) {
    const w = invScale(logscale, lsStride, j);
    const c = <f32>(sc * w);
    let s: f64 = 0;
    let off = <usize>j << 2;
    for (let i = 0; i < M; i++, off += stride) {
      const p = load<f32>(pred + off), t = load<f32>(target + off);
      store<f32>(dpred + off, signedC(p, t, c));
      s += Math.abs(<f64>p - <f64>t);
    }
    if (dlogscale != 0) {
      const g = sc * (m - w * s);
      if (lsStride == 0) shared += g;
      else addTo(dlogscale, lsStride, j, g);
    }
  }
  if (dlogscale != 0 && lsStride == 0 && N > 0) addTo(dlogscale, 0, 0, shared);
}

/** exp(-s_j) in f64. */
@inline function invScale(logscale: usize, lsStride: i32, j: i32): f64 {
  return Math.exp(-<f64>load<f32>(logscale + ((<usize>j * <usize>lsStride) << 2)));
}

/** a[j * stride] += g, in f64, rounded once. */
@inline function addTo(a: usize, stride: i32, j: i32, g: f64): void {
  const p = a + ((<usize>j * <usize>stride) << 2);
  store<f32>(p, <f32>(<f64>load<f32>(p) + g));
}

// ---- continuous Bernoulli with logits (scalar f64, both builds) ----
// The density on x in [0, 1] is C(lam) lam^x (1 - lam)^(1 - x), lam = sigmoid(l), so the negative
// log-likelihood is BCE-with-logits(l, t) - log C. With lam = sigmoid(l), 1 - 2 lam = -tanh(l/2)
// and artanh(1 - 2 lam) = -l/2 exactly, so
//   C = 2 artanh(1 - 2 lam) / (1 - 2 lam) = l / tanh(l/2) = l coth(l/2),
// an even function of l, and d log C / dl = 1/l - 1/sinh(l) =: G(l), odd. Both are evaluated
// from a = |l| alone: lam and 1 - 2 lam are never formed (lam rounds to 1 in f32 above
// l = 17.3, and 1 - 2 lam cancels near lam = 1/2).
// - |l| < 1/2 (lam within 0.12 of 1/2): the Taylor series at l = 0 (radius pi, the pole of
//   csch at i pi), through l^22 for log C and l^21 for G, with the Bernoulli-number coefficients
//   log C = log 2 + sum_n a_n l^2n, a_n = 2 (2^(2n-1) - 1) B_2n / (2n (2n)!), and
//   G = sum_n b_n l^(2n-1), b_n = 2 (2^(2n-1) - 1) B_2n / (2n)!. The first term left out is
//   below 4e-19 (log C) and 4e-18 (G) relative at |l| = 1/2, less closer to 0; at l = 0 the
//   closed forms are 0/0, the series gives log 2 and 0 exactly.
// - |l| >= 1/2: log C = log a + 2 artanh(exp(-a)) (the log of coth(a/2) as artanh of e^-a: no
//   cancellation between positive terms); for large a it is the asymptotic expansion
//   log a + 2 (e^-a + e^-3a / 3 + ...) summed by artanh, finite for every finite l (e^-a
//   underflows to 0 above a = 745, leaving log a). G = 1/a - 2 e^-a / (1 - e^-2a), with
//   1 - e^-2a = -expm1(-2a), which never overflows (1/sinh(a) would for a > 710); the
//   subtraction loses at most a factor 24 (at a = 1/2) to cancellation.
// Measured against 40-digit arithmetic over a in [1e-8, 80]: log C within 5 ulp, G within 56 ulp
// (f64), far below the f32 rounding of the gradient.

const CB_SERIES: f64 = 0.5;
const CA1: f64 = 0.08333333333333333;
const CA2: f64 = -0.004861111111111111;
const CA3: f64 = 0.00034171075837742505;
const CA4: f64 = -2.6248346560846562e-05;
const CA5: f64 = 2.1336045641601195e-06;
const CA6: f64 = -1.8027895356488832e-07;
const CA7: f64 = 1.565947953183403e-08;
const CA8: f64 = -1.3883706783700259e-09;
const CA9: f64 = 1.2504263775315483e-10;
const CA10: f64 = -1.1402553853609105e-11;
const CA11: f64 = 1.0502918900453168e-12;
const CB1: f64 = 0.16666666666666666;
const CB2: f64 = -0.019444444444444445;
const CB3: f64 = 0.00205026455026455;
const CB4: f64 = -0.0002099867724867725;
const CB5: f64 = 2.1336045641601196e-05;
const CB6: f64 = -2.1633474427786596e-06;
const CB7: f64 = 2.192327134456764e-07;
const CB8: f64 = -2.2213930853920414e-08;
const CB9: f64 = 2.2507674795567867e-09;
const CB10: f64 = -2.280510770721821e-10;
const CB11: f64 = 2.3106421580996967e-11;

/** log C of the continuous Bernoulli at logit +-a, a >= 0 (see above). */
@inline function cbLogNorm(a: f64): f64 {
  if (a < CB_SERIES) {
    const z = a * a;
    const h = CA6 + z * (CA7 + z * (CA8 + z * (CA9 + z * (CA10 + z * CA11))));
    const p = CA1 + z * (CA2 + z * (CA3 + z * (CA4 + z * (CA5 + z * h))));
    return LN2 + z * p;
  }
  return Math.log(a) + 2 * Math.atanh(Math.exp(-a));
}

/** G(a) = d log C / dl at l = a >= 0: 1/a - 1/sinh(a) (see above). */
@inline function cbLogNormGrad(a: f64): f64 {
  if (a < CB_SERIES) {
    const z = a * a;
    const h = CB6 + z * (CB7 + z * (CB8 + z * (CB9 + z * (CB10 + z * CB11))));
    const p = CB1 + z * (CB2 + z * (CB3 + z * (CB4 + z * (CB5 + z * h))));
    return a * p;
  }
  const e = Math.exp(-a);
  return 1 / a - 2 * e / -Math.expm1(-2 * a);
}

/**
 * sum_i (max(l,0) - l t + log1p(exp(-|l|))) - log C(l): BCE with logits (as in
 * bce_logits_forward_f32, in f64) minus the log-normaliser, for targets t in [0, 1].
 */
export function cb_logits_forward_f32(n: i32, logits: usize, target: usize): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const l = <f64>load<f32>(logits + o), t = <f64>load<f32>(target + o);
    const a = Math.abs(l);
    s += ((Math.max(l, 0) - l * t) + Math.log1p(Math.exp(-a))) - cbLogNorm(a);
  }
  return s;
}

/**
 * dlogits = scale * ((sigmoid(l) - t) - G(l)), written (f64, rounded once). sigmoid(l) - t is
 * formed as in bce_logits_backward_f32: with q = e / (1 + e), e = exp(-|l|), it is
 * l >= 0 ? (1 - t) - q : q - t.
 */
export function cb_logits_backward_f32(n: i32, scale: f32, logits: usize, target: usize, dlogits: usize): void {
  const sc = <f64>scale;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const l = <f64>load<f32>(logits + o), t = <f64>load<f32>(target + o);
    const a = Math.abs(l);
    const e = Math.exp(-a), q = e / (1 + e);
    const g = cbLogNormGrad(a);
    const d = l >= 0 ? ((1 - t) - q) - g : (q - t) + g;
    store<f32>(dlogits + o, <f32>(sc * d));
  }
}

// ---- L1 penalty ----

/** sum_i |x_i|, in f64 (SIMD build: two f64x2 accumulators, then the tail). */
export function l1_forward_f32(n: i32, x: usize): f64 {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      a0 = f64x2.add(a0, f64x2.abs(lo64(v)));
      a1 = f64x2.add(a1, f64x2.abs(hi64(v)));
    }
    const a = f64x2.add(a0, a1);
    s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  }
  for (; i < n; i++) s += Math.abs(<f64>load<f32>(x + (<usize>i << 2)));
  return s;
}

/** Accumulates dx += sign(x) scale in f32 (one rounding: the product is +-scale or 0, exact). */
export function l1_backward_f32(n: i32, scale: f32, x: usize, dx: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const sc = f32x4.splat(scale), zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, f32x4.add(v128.load(dx + o), signedC4(v128.load(x + o), zero, sc)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + signedC(load<f32>(x + o), 0, scale));
  }
}
