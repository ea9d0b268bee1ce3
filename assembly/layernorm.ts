// Layer normalisation over the rows of an M x N matrix (row stride N), and dropout's mask.
//
// Statistics and every per-element formula are computed in f64 from the f32 inputs and rounded
// once to f32 when written. Row sums (mean, variance, the backward's two row sums) use four
// partial sums over the columns j = 4q + r (r = 0..3) of each full block of four, combined as
// (s0 + s2) + (s1 + s3), then the tail columns in order; column sums (dgamma, dbeta) add the
// rows in order. The SIMD build keeps the four partial sums in two f64x2 accumulators and the
// scalar build in four f64 locals, so both builds give the same bits.

import { lo64, hi64, to32 } from "./f64-lanes";

// ---- f32x4 <-> f64x2 helpers (SIMD build only) ----
/** (a[0] + b[0]) + (a[1] + b[1]): the partial sums (s0, s1) in a and (s2, s3) in b, combined. */
@inline function combine(a: v128, b: v128): f64 {
  const s = f64x2.add(a, b);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
@inline function at(p: usize, j: i32): f64 {
  return <f64>load<f32>(p + (<usize>j << 2));
}

// ---- dropout ----

/**
 * mask[i] = u[i] >= rate ? f32(1 / (1 - rate)) : 0, the comparison exact (rate is an f64: an f32
 * u is >= rate exactly when it is >= the least f32 not below rate). mask may alias u.
 */
export function dropout_mask_f32(n: i32, rate: f64, u: usize, mask: usize): void {
  let t = <f32>rate;
  if (<f64>t < rate) t = reinterpret<f32>(reinterpret<u32>(t) + 1); // rate > 0 here, so t >= 0
  const keep = <f32>(1.0 / (1.0 - rate));
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const tv = f32x4.splat(t), kv = f32x4.splat(keep);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(mask + o, v128.and(f32x4.ge(v128.load(u + o), tv), kv));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(mask + o, load<f32>(u + o) >= t ? keep : 0);
  }
}

// ---- row sums in the shared order ----

/** sum_j x[j] over one row. */
@inline function rowSum(N: i32, x: usize): f64 {
  let j = 0, s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a = f64x2.splat(0), b = f64x2.splat(0);
    for (; j + 4 <= N; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      a = f64x2.add(a, lo64(v)); b = f64x2.add(b, hi64(v));
    }
    s = combine(a, b);
  } else {
    let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
    for (; j + 4 <= N; j += 4) {
      s0 += at(x, j); s1 += at(x, j + 1); s2 += at(x, j + 2); s3 += at(x, j + 3);
    }
    s = (s0 + s2) + (s1 + s3);
  }
  for (; j < N; j++) s += at(x, j);
  return s;
}

/** sum_j (x[j] - mean)^2 over one row. */
@inline function rowSumSq(N: i32, x: usize, mean: f64): f64 {
  let j = 0, s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const m = f64x2.splat(mean);
    let a = f64x2.splat(0), b = f64x2.splat(0);
    for (; j + 4 <= N; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      const dl = f64x2.sub(lo64(v), m), dh = f64x2.sub(hi64(v), m);
      a = f64x2.add(a, f64x2.mul(dl, dl)); b = f64x2.add(b, f64x2.mul(dh, dh));
    }
    s = combine(a, b);
  } else {
    let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
    for (; j + 4 <= N; j += 4) {
      const d0 = at(x, j) - mean, d1 = at(x, j + 1) - mean, d2 = at(x, j + 2) - mean, d3 = at(x, j + 3) - mean;
      s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
    }
    s = (s0 + s2) + (s1 + s3);
  }
  for (; j < N; j++) { const d = at(x, j) - mean; s += d * d; }
  return s;
}

// ---- layer normalisation ----

/**
 * For each row i of x [M, N]: mean = sum_j x / N, var = sum_j (x - mean)^2 / N (biased),
 * rstd = 1 / sqrt(var + eps), all in f64; y[i, j] = f32((x - mean) * rstd * gamma[j] + beta[j]).
 * Writes mean[i] and rstd[i] rounded to f32. N = 0 gives mean 0 and var 0. y may alias x.
 */
export function layer_norm_forward_f32(M: i32, N: i32, eps: f64, x: usize, gamma: usize, beta: usize,
  y: usize, mean: usize, rstd: usize): void {
  const stride = <usize>N << 2;
  const n = <f64>N;
  for (let i = 0; i < M; i++) {
    const xr = x + <usize>i * stride, yr = y + <usize>i * stride;
    const mu = N > 0 ? rowSum(N, xr) / n : 0;
    const r = 1.0 / Math.sqrt((N > 0 ? rowSumSq(N, xr, mu) / n : 0) + eps);
    store<f32>(mean + (<usize>i << 2), <f32>mu);
    store<f32>(rstd + (<usize>i << 2), <f32>r);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f64x2.splat(mu), rv = f64x2.splat(r);
      for (; j + 4 <= N; j += 4) {
        const o = <usize>j << 2;
        const v = v128.load(xr + o), g = v128.load(gamma + o), b = v128.load(beta + o);
        const l = f64x2.add(f64x2.mul(f64x2.mul(f64x2.sub(lo64(v), m), rv), lo64(g)), lo64(b));
        const h = f64x2.add(f64x2.mul(f64x2.mul(f64x2.sub(hi64(v), m), rv), hi64(g)), hi64(b));
        v128.store(yr + o, to32(l, h));
      }
    }
    for (; j < N; j++) {
      store<f32>(yr + (<usize>j << 2), <f32>((at(xr, j) - mu) * r * at(gamma, j) + at(beta, j)));
    }
  }
}

/**
 * The vector-Jacobian product of layer_norm_forward_f32, from the stored mean and rstd (f32, read
 * as f64): with xhat = (x - mean) * rstd and g = dy * gamma,
 *   dgamma[j] = sum_i dy * xhat and dbeta[j] = sum_i dy (rows summed in f64, written, not accumulated);
 *   dx[i, j] = rstd * ((g - sum_j g / N) - xhat * (sum_j g xhat / N)), when dx != 0.
 * The column sums are taken before dx is written, so dx may alias dy or x.
 */
export function layer_norm_backward_f32(M: i32, N: i32, x: usize, gamma: usize, mean: usize, rstd: usize,
  dy: usize, dx: usize, dgamma: usize, dbeta: usize): void {
  const stride = <usize>N << 2;
  // dgamma, dbeta: blocks of columns walk down all M rows.
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= N; j += 4) {
      let gl = f64x2.splat(0), gh = f64x2.splat(0), bl = f64x2.splat(0), bh = f64x2.splat(0);
      let off = <usize>j << 2;
      for (let i = 0; i < M; i++, off += stride) {
        const m = f64x2.splat(at(mean, i)), r = f64x2.splat(at(rstd, i));
        const v = v128.load(x + off), d = v128.load(dy + off);
        const dl = lo64(d), dh = hi64(d);
        gl = f64x2.add(gl, f64x2.mul(dl, f64x2.mul(f64x2.sub(lo64(v), m), r)));
        gh = f64x2.add(gh, f64x2.mul(dh, f64x2.mul(f64x2.sub(hi64(v), m), r)));
        bl = f64x2.add(bl, dl); bh = f64x2.add(bh, dh);
      }
      v128.store(dgamma + (<usize>j << 2), to32(gl, gh));
      v128.store(dbeta + (<usize>j << 2), to32(bl, bh));
    }
  } else {
    for (; j + 4 <= N; j += 4) {
      let g0: f64 = 0, g1: f64 = 0, g2: f64 = 0, g3: f64 = 0, b0: f64 = 0, b1: f64 = 0, b2: f64 = 0, b3: f64 = 0;
      let xp = x + (<usize>j << 2), dp = dy + (<usize>j << 2);
      for (let i = 0; i < M; i++, xp += stride, dp += stride) {
        const m = at(mean, i), r = at(rstd, i);
        const d0 = at(dp, 0), d1 = at(dp, 1), d2 = at(dp, 2), d3 = at(dp, 3);
        g0 += d0 * ((at(xp, 0) - m) * r); g1 += d1 * ((at(xp, 1) - m) * r);
        g2 += d2 * ((at(xp, 2) - m) * r); g3 += d3 * ((at(xp, 3) - m) * r);
        b0 += d0; b1 += d1; b2 += d2; b3 += d3;
      }
      const go = dgamma + (<usize>j << 2), bo = dbeta + (<usize>j << 2);
      store<f32>(go, <f32>g0); store<f32>(go, <f32>g1, 4); store<f32>(go, <f32>g2, 8); store<f32>(go, <f32>g3, 12);
      store<f32>(bo, <f32>b0); store<f32>(bo, <f32>b1, 4); store<f32>(bo, <f32>b2, 8); store<f32>(bo, <f32>b3, 12);
    }
  }
  for (; j < N; j++) {
    let g: f64 = 0, b: f64 = 0;
    let off = <usize>j << 2;
    for (let i = 0; i < M; i++, off += stride) {
      const d = <f64>load<f32>(dy + off);
      g += d * ((<f64>load<f32>(x + off) - at(mean, i)) * at(rstd, i));
      b += d;
    }
    store<f32>(dgamma + (<usize>j << 2), <f32>g);
    store<f32>(dbeta + (<usize>j << 2), <f32>b);
  }
  if (dx == 0 || N == 0) return;
  // dx, row by row: the two row sums, then each element.
  const n = <f64>N;
  for (let i = 0; i < M; i++) {
    const xr = x + <usize>i * stride, dr = dy + <usize>i * stride, outr = dx + <usize>i * stride;
    const mu = at(mean, i), r = at(rstd, i);
    let sg: f64 = 0, sgx: f64 = 0;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f64x2.splat(mu), rv = f64x2.splat(r);
      let ga = f64x2.splat(0), gb = f64x2.splat(0), xa = f64x2.splat(0), xb = f64x2.splat(0);
      for (; k + 4 <= N; k += 4) {
        const o = <usize>k << 2;
        const v = v128.load(xr + o), d = v128.load(dr + o), w = v128.load(gamma + o);
        const gl = f64x2.mul(lo64(d), lo64(w)), gh = f64x2.mul(hi64(d), hi64(w));
        ga = f64x2.add(ga, gl); gb = f64x2.add(gb, gh);
        xa = f64x2.add(xa, f64x2.mul(gl, f64x2.mul(f64x2.sub(lo64(v), m), rv)));
        xb = f64x2.add(xb, f64x2.mul(gh, f64x2.mul(f64x2.sub(hi64(v), m), rv)));
      }
      sg = combine(ga, gb); sgx = combine(xa, xb);
    } else {
      let g0: f64 = 0, g1: f64 = 0, g2: f64 = 0, g3: f64 = 0, x0: f64 = 0, x1: f64 = 0, x2: f64 = 0, x3: f64 = 0;
      for (; k + 4 <= N; k += 4) {
        const e0 = at(dr, k) * at(gamma, k), e1 = at(dr, k + 1) * at(gamma, k + 1);
        const e2 = at(dr, k + 2) * at(gamma, k + 2), e3 = at(dr, k + 3) * at(gamma, k + 3);
        g0 += e0; g1 += e1; g2 += e2; g3 += e3;
        x0 += e0 * ((at(xr, k) - mu) * r); x1 += e1 * ((at(xr, k + 1) - mu) * r);
        x2 += e2 * ((at(xr, k + 2) - mu) * r); x3 += e3 * ((at(xr, k + 3) - mu) * r);
      }
      sg = (g0 + g2) + (g1 + g3); sgx = (x0 + x2) + (x1 + x3);
    }
    for (; k < N; k++) {
      const e = at(dr, k) * at(gamma, k);
      sg += e;
      sgx += e * ((at(xr, k) - mu) * r);
    }
    const a = sg / n, c = sgx / n;
    k = 0;
    if (ASC_FEATURE_SIMD) {
      const m = f64x2.splat(mu), rv = f64x2.splat(r), av = f64x2.splat(a), cv = f64x2.splat(c);
      for (; k + 4 <= N; k += 4) {
        const o = <usize>k << 2;
        const v = v128.load(xr + o), d = v128.load(dr + o), w = v128.load(gamma + o);
        const l = f64x2.mul(rv, f64x2.sub(f64x2.sub(f64x2.mul(lo64(d), lo64(w)), av),
          f64x2.mul(f64x2.mul(f64x2.sub(lo64(v), m), rv), cv)));
        const h = f64x2.mul(rv, f64x2.sub(f64x2.sub(f64x2.mul(hi64(d), hi64(w)), av),
          f64x2.mul(f64x2.mul(f64x2.sub(hi64(v), m), rv), cv)));
        v128.store(outr + o, to32(l, h));
      }
    }
    for (; k < N; k++) {
      const e = at(dr, k) * at(gamma, k), xh = (at(xr, k) - mu) * r;
      store<f32>(outr + (<usize>k << 2), <f32>(r * ((e - a) - xh * c)));
    }
  }
}
