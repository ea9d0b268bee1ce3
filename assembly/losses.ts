// Losses, the Gaussian KL and the reparameterisation, over f32 arrays.
// Forward kernels return sums as f64 and accumulate every term in f64. Backward kernels
// write (or, where stated, accumulate into) f32 gradients, scaled by `scale`.
// BCE uses only exp(-|x|), so it is finite for any finite logit. On the SIMD builds its exp and
// log1p are the f32 polynomials of simd-math.ts, on f32x4 lanes in the SIMD loops and on one
// f32 in the tail loops, the same operations either way; the scalar build uses f32 libm. On
// every build each backward element (and each forward term) is a function of that element's
// inputs alone, bit for bit, wherever a caller splits the range.
// The KL and reparameterisation kernels act on latent-sized arrays; they compute each element
// in f64 with f64 libm (expm1 keeps the KL exact near lv = 0) and round once to f32, in one
// scalar loop shared by both builds.

import { lo64, hi64 } from "./f64-lanes";
import { expNegF32, expNegF32x4, log1pUnitF32, log1pUnitF32x4 } from "./simd-math";

@inline function hsum(a: v128): f64 {
  return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
}
/** log1p(exp(-|x|)) per lane: softTail1 on each lane, bit for bit. */
@inline function softTail4(x: v128): v128 {
  return log1pUnitF32x4(expNegF32x4(f32x4.abs(x)));
}
/**
 * log1p(exp(-|x|)): on the SIMD builds the polynomial of softTail4 on one value, for the loop
 * tails; the scalar build has no lanes to match and keeps f32 libm (faster there, <= 1 ulp each).
 */
@inline function softTail1(x: f32): f32 {
  return ASC_FEATURE_SIMD ? log1pUnitF32(expNegF32(Mathf.abs(x))) : Mathf.log1p(Mathf.exp(-Mathf.abs(x)));
}
/** exp(-|x|): expNegF32x4 on one value on the SIMD builds (see softTail1), libm on the scalar build. */
@inline function expNegAbs1(x: f32): f32 {
  return ASC_FEATURE_SIMD ? expNegF32(Mathf.abs(x)) : Mathf.exp(-Mathf.abs(x));
}

// ---- binary cross-entropy with logits ----

/**
 * sum_i max(x,0) - x*t + log1p(exp(-|x|)). The linear part max(x,0) - x*t is formed in f64
 * (x*t is exact there), so x = 100, t = 1 leaves exactly the f32 value of log1p(exp(-100)).
 */
export function bce_logits_forward_f32(n: i32, logits: usize, target: usize): f64 {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f64x2.splat(0);
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(logits + o), t = v128.load(target + o);
      const l = softTail4(x);
      const xl = lo64(x), xh = hi64(x);
      a0 = f64x2.add(a0, f64x2.add(f64x2.sub(f64x2.max(xl, zero), f64x2.mul(xl, lo64(t))), lo64(l)));
      a1 = f64x2.add(a1, f64x2.add(f64x2.sub(f64x2.max(xh, zero), f64x2.mul(xh, hi64(t))), hi64(l)));
    }
    s = hsum(f64x2.add(a0, a1));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(logits + o);
    const xd = <f64>x;
    s += (Math.max(xd, 0) - xd * <f64>load<f32>(target + o)) + <f64>softTail1(x);
  }
  return s;
}

/**
 * dlogits = scale * (sigmoid(x) - t), written. With e = exp(-|x|) and q = e / (1 + e):
 * sigmoid(x) - t = x >= 0 ? (1 - t) - q : q - t, exact in relative terms when t is 0 or 1.
 */
export function bce_logits_backward_f32(n: i32, scale: f32, logits: usize, target: usize, dlogits: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1), zero = f32x4.splat(0), sc = f32x4.splat(scale);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(logits + o), t = v128.load(target + o);
      const e = expNegF32x4(f32x4.abs(x));
      const q = f32x4.div(e, f32x4.add(one, e));
      const d = v128.bitselect(f32x4.sub(f32x4.sub(one, t), q), f32x4.sub(q, t), f32x4.ge(x, zero));
      v128.store(dlogits + o, f32x4.mul(sc, d));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(logits + o), t = load<f32>(target + o);
    const e = expNegAbs1(x);
    const q = e / (<f32>1 + e);
    store<f32>(dlogits + o, scale * (x >= 0 ? (<f32>1 - t) - q : q - t));
  }
}

// ---- squared error ----

/** sum_i (p - t)^2, each difference and square in f64. */
export function sq_err_forward_f32(n: i32, pred: usize, target: usize): f64 {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const p = v128.load(pred + o), t = v128.load(target + o);
      const dl = f64x2.sub(lo64(p), lo64(t)), dh = f64x2.sub(hi64(p), hi64(t));
      a0 = f64x2.add(a0, f64x2.mul(dl, dl));
      a1 = f64x2.add(a1, f64x2.mul(dh, dh));
    }
    s = hsum(f64x2.add(a0, a1));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>load<f32>(pred + o) - <f64>load<f32>(target + o);
    s += d * d;
  }
  return s;
}

/** dpred = scale * 2 * (p - t), written (in f32; 2 * scale is exact). */
export function sq_err_backward_f32(n: i32, scale: f32, pred: usize, target: usize, dpred: usize): void {
  const c = <f32>2 * scale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dpred + o, f32x4.mul(cv, f32x4.sub(v128.load(pred + o), v128.load(target + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dpred + o, c * (load<f32>(pred + o) - load<f32>(target + o)));
  }
}

// ---- Gaussian negative log-likelihood ----
// Both kernels walk column blocks down all M rows, so that each column's sum of squared
// differences S_j = sum_i (p_ij - t_ij)^2 is accumulated in f64 and exp(-lv_j) is computed once
// per column (in f64). Then the forward sum is 0.5 sum_j (M (log 2pi + lv_j) + exp(-lv_j) S_j)
// and the log-variance gradient of column j is scale * 0.5 * (M - exp(-lv_j) S_j).

const LOG_2PI: f64 = 1.8378770664093453;

/** sum over the M x N matrix of 0.5 (log 2pi + lv + (p - t)^2 exp(-lv)), lv = logvar[j * lvStride]. */
export function gaussian_nll_forward_f32(M: i32, N: i32, pred: usize, target: usize, logvar: usize, lvStride: i32): f64 {
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
        const dl = f64x2.sub(lo64(p), lo64(t)), dh = f64x2.sub(hi64(p), hi64(t));
        a0 = f64x2.add(a0, f64x2.mul(dl, dl));
        a1 = f64x2.add(a1, f64x2.mul(dh, dh));
      }
      total += nllColumn(m, logvar, lvStride, j, f64x2.extract_lane(a0, 0));
      total += nllColumn(m, logvar, lvStride, j + 1, f64x2.extract_lane(a0, 1));
      total += nllColumn(m, logvar, lvStride, j + 2, f64x2.extract_lane(a1, 0));
      total += nllColumn(m, logvar, lvStride, j + 3, f64x2.extract_lane(a1, 1));
    }
  }
  for (; j < N; j++) {
    total += nllColumn(m, logvar, lvStride, j, columnSq(M, stride, pred, target, j));
  }
  return total;
}

/** 0.5 (M (log 2pi + lv_j) + exp(-lv_j) S_j). */
@inline function nllColumn(m: f64, logvar: usize, lvStride: i32, j: i32, sq: f64): f64 {
  const lv = <f64>load<f32>(logvar + ((<usize>j * <usize>lvStride) << 2));
  return 0.5 * (m * (LOG_2PI + lv) + Math.exp(-lv) * sq);
}

/** S_j for one column, in f64. */
@inline function columnSq(M: i32, stride: usize, pred: usize, target: usize, j: i32): f64 {
  let s: f64 = 0;
  let off = <usize>j << 2;
  for (let i = 0; i < M; i++, off += stride) {
    const d = <f64>load<f32>(pred + off) - <f64>load<f32>(target + off);
    s += d * d;
  }
  return s;
}

/**
 * dpred = scale (p - t) exp(-lv), written in f32 as c_j * (p - t) with c_j = f32(scale exp(-lv_j)).
 * dlogvar[j * lvStride] += scale * 0.5 * (M - exp(-lv_j) S_j), in f64 and rounded once per
 * address (lvStride 0: all columns are summed first, then added to dlogvar[0]). dlogvar == 0 skips it.
 */
export function gaussian_nll_backward_f32(M: i32, N: i32, scale: f32, pred: usize, target: usize, logvar: usize,
  lvStride: i32, dpred: usize, dlogvar: usize): void {
  const stride = <usize>N << 2;
  const m = <f64>M;
  const sc = <f64>scale;
  let shared: f64 = 0; // the lvStride 0 sum over columns
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= N; j += 4) {
      const w0 = invVar(logvar, lvStride, j), w1 = invVar(logvar, lvStride, j + 1);
      const w2 = invVar(logvar, lvStride, j + 2), w3 = invVar(logvar, lvStride, j + 3);
      let c = f32x4.splat(<f32>(sc * w0));
      c = f32x4.replace_lane(c, 1, <f32>(sc * w1));
      c = f32x4.replace_lane(c, 2, <f32>(sc * w2));
      c = f32x4.replace_lane(c, 3, <f32>(sc * w3));
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      let off = <usize>j << 2;
      for (let i = 0; i < M; i++, off += stride) {
        const p = v128.load(pred + off), t = v128.load(target + off);
        v128.store(dpred + off, f32x4.mul(c, f32x4.sub(p, t)));
        const dl = f64x2.sub(lo64(p), lo64(t)), dh = f64x2.sub(hi64(p), hi64(t));
        a0 = f64x2.add(a0, f64x2.mul(dl, dl));
        a1 = f64x2.add(a1, f64x2.mul(dh, dh));
      }
      if (dlogvar != 0) {
        const g0 = 0.5 * sc * (m - w0 * f64x2.extract_lane(a0, 0));
        const g1 = 0.5 * sc * (m - w1 * f64x2.extract_lane(a0, 1));
        const g2 = 0.5 * sc * (m - w2 * f64x2.extract_lane(a1, 0));
        const g3 = 0.5 * sc * (m - w3 * f64x2.extract_lane(a1, 1));
        if (lvStride == 0) shared += (g0 + g1) + (g2 + g3);
        else {
          addTo(dlogvar, lvStride, j, g0); addTo(dlogvar, lvStride, j + 1, g1);
          addTo(dlogvar, lvStride, j + 2, g2); addTo(dlogvar, lvStride, j + 3, g3);
        }
      }
    }
  }
  for (; j < N; j++) {
    const w = invVar(logvar, lvStride, j);
    const c = <f32>(sc * w);
    let s: f64 = 0;
    let off = <usize>j << 2;
    for (let i = 0; i < M; i++, off += stride) {
      const p = load<f32>(pred + off), t = load<f32>(target + off);
      store<f32>(dpred + off, c * (p - t));
      const d = <f64>p - <f64>t;
      s += d * d;
    }
    if (dlogvar != 0) {
      const g = 0.5 * sc * (m - w * s);
      if (lvStride == 0) shared += g;
      else addTo(dlogvar, lvStride, j, g);
    }
  }
  if (dlogvar != 0 && lvStride == 0 && N > 0) addTo(dlogvar, 0, 0, shared);
}

/** exp(-lv_j) in f64. */
@inline function invVar(logvar: usize, lvStride: i32, j: i32): f64 {
  return Math.exp(-<f64>load<f32>(logvar + ((<usize>j * <usize>lvStride) << 2)));
}

/** a[j * stride] += g, in f64, rounded once. */
@inline function addTo(a: usize, stride: i32, j: i32, g: f64): void {
  const p = a + ((<usize>j * <usize>stride) << 2);
  store<f32>(p, <f32>(<f64>load<f32>(p) + g));
}

// ---- KL(N(mu, exp(lv)) || N(0, 1)) and the reparameterisation (scalar f64, both builds) ----

/** sum_i 0.5 (mu^2 + expm1(lv) - lv) = sum_i -0.5 (1 + lv - mu^2 - exp(lv)). */
export function kl_normal_forward_f32(n: i32, mu: usize, logvar: usize): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m = <f64>load<f32>(mu + o), lv = <f64>load<f32>(logvar + o);
    s += 0.5 * (m * m + (Math.expm1(lv) - lv));
  }
  return s;
}

/** Accumulates dmu += scale * mu; dlogvar += scale * 0.5 * expm1(lv) (each in f64, rounded once). */
export function kl_normal_backward_f32(n: i32, scale: f32, mu: usize, logvar: usize, dmu: usize, dlogvar: usize): void {
  const sc = <f64>scale;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m = <f64>load<f32>(mu + o), lv = <f64>load<f32>(logvar + o);
    store<f32>(dmu + o, <f32>(<f64>load<f32>(dmu + o) + sc * m));
    store<f32>(dlogvar + o, <f32>(<f64>load<f32>(dlogvar + o) + sc * 0.5 * Math.expm1(lv)));
  }
}

/** z = mu + exp(0.5 lv) * eps. */
export function reparam_forward_f32(n: i32, mu: usize, logvar: usize, eps: usize, z: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const sd = Math.exp(0.5 * <f64>load<f32>(logvar + o));
    store<f32>(z + o, <f32>(<f64>load<f32>(mu + o) + sd * <f64>load<f32>(eps + o)));
  }
}

/** Writes dmu = dz and dlogvar = dz * eps * 0.5 * exp(0.5 lv). dz is read before either write. */
export function reparam_backward_f32(n: i32, logvar: usize, eps: usize, dz: usize, dmu: usize, dlogvar: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = <f64>load<f32>(dz + o);
    const sd = Math.exp(0.5 * <f64>load<f32>(logvar + o));
    store<f32>(dlogvar + o, <f32>(g * <f64>load<f32>(eps + o) * 0.5 * sd));
    store<f32>(dmu + o, <f32>g);
  }
}
