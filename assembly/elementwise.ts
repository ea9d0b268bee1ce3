// Elementwise kernels and reductions over f32 arrays.
// Every kernel has a v128 main loop plus scalar tail (SIMD build) and a plain scalar loop
// (scalar build), chosen by the compile-time constant ASC_FEATURE_SIMD.
// Reductions (col_sum, row_sum, sum_squares) accumulate every term in f64 (f32 lanes are
// promoted to f64x2 before adding) and round to f32 once, when they write an f32 output.

// ---- f32x4 <-> f64x2 helpers (SIMD build only) ----

import { lo64, hi64, to32 } from "./f64-lanes";
/** Stores out[0..4) = beta * out + (lo, hi), in f64; out is not read when beta == 0. */
@inline function finishCols4(out: usize, lo: v128, hi: v128, beta: f32): void {
  if (beta != 0) {
    const o = v128.load(out);
    const b = f64x2.splat(<f64>beta);
    lo = f64x2.add(lo, f64x2.mul(b, lo64(o)));
    hi = f64x2.add(hi, f64x2.mul(b, hi64(o)));
  }
  v128.store(out, to32(lo, hi));
}

/** c[i, j] += bias[j] for an M x N matrix c (row stride ldc). */
export function bias_add_f32(M: i32, N: i32, bias: usize, c: usize, ldc: i32): void {
  for (let i = 0; i < M; i++) {
    const row = c + ((<usize>i * <usize>ldc) << 2);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= N; j += 4) {
        const p = row + (<usize>j << 2);
        v128.store(p, f32x4.add(v128.load(p), v128.load(bias + (<usize>j << 2))));
      }
    }
    for (; j < N; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, load<f32>(p) + load<f32>(bias + (<usize>j << 2)));
    }
  }
}

/**
 * out[j] = beta * out[j] + sum_i x[i, j]: rows are summed (the bias gradient). Columns are
 * processed in blocks whose f64 accumulators walk down all M rows; out is not read when beta == 0.
 */
export function col_sum_f32(M: i32, N: i32, x: usize, ldx: i32, beta: f32, out: usize): void {
  const stride = <usize>ldx << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    // 16 columns (one 64-byte line per row) with eight f64x2 accumulators.
    for (; j + 16 <= N; j += 16) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
      let p = x + (<usize>j << 2);
      for (let i = 0; i < M; i++, p += stride) {
        const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
        a0 = f64x2.add(a0, lo64(v0)); a1 = f64x2.add(a1, hi64(v0));
        a2 = f64x2.add(a2, lo64(v1)); a3 = f64x2.add(a3, hi64(v1));
        a4 = f64x2.add(a4, lo64(v2)); a5 = f64x2.add(a5, hi64(v2));
        a6 = f64x2.add(a6, lo64(v3)); a7 = f64x2.add(a7, hi64(v3));
      }
      const o = out + (<usize>j << 2);
      finishCols4(o, a0, a1, beta);
      finishCols4(o + 16, a2, a3, beta);
      finishCols4(o + 32, a4, a5, beta);
      finishCols4(o + 48, a6, a7, beta);
    }
    for (; j + 4 <= N; j += 4) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      let p = x + (<usize>j << 2);
      for (let i = 0; i < M; i++, p += stride) {
        const v = v128.load(p);
        a0 = f64x2.add(a0, lo64(v)); a1 = f64x2.add(a1, hi64(v));
      }
      finishCols4(out + (<usize>j << 2), a0, a1, beta);
    }
  } else {
    // 4 columns with four f64 accumulators.
    for (; j + 4 <= N; j += 4) {
      let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
      let p = x + (<usize>j << 2);
      for (let i = 0; i < M; i++, p += stride) {
        s0 += <f64>load<f32>(p); s1 += <f64>load<f32>(p, 4);
        s2 += <f64>load<f32>(p, 8); s3 += <f64>load<f32>(p, 12);
      }
      const o = out + (<usize>j << 2);
      if (beta != 0) {
        s0 += <f64>beta * <f64>load<f32>(o); s1 += <f64>beta * <f64>load<f32>(o, 4);
        s2 += <f64>beta * <f64>load<f32>(o, 8); s3 += <f64>beta * <f64>load<f32>(o, 12);
      }
      store<f32>(o, <f32>s0); store<f32>(o, <f32>s1, 4);
      store<f32>(o, <f32>s2, 8); store<f32>(o, <f32>s3, 12);
    }
  }
  for (; j < N; j++) {
    let s: f64 = 0;
    let p = x + (<usize>j << 2);
    for (let i = 0; i < M; i++, p += stride) s += <f64>load<f32>(p);
    const o = out + (<usize>j << 2);
    if (beta != 0) s += <f64>beta * <f64>load<f32>(o);
    store<f32>(o, <f32>s);
  }
}

/** out[i] = sum_j x[i, j]: columns are summed, in f64. */
export function row_sum_f32(M: i32, N: i32, x: usize, ldx: i32, out: usize): void {
  for (let i = 0; i < M; i++) {
    const row = x + ((<usize>i * <usize>ldx) << 2);
    let s: f64 = 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      for (; j + 4 <= N; j += 4) {
        const v = v128.load(row + (<usize>j << 2));
        a0 = f64x2.add(a0, lo64(v)); a1 = f64x2.add(a1, hi64(v));
      }
      const a = f64x2.add(a0, a1);
      s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
    }
    for (; j < N; j++) s += <f64>load<f32>(row + (<usize>j << 2));
    store<f32>(out + (<usize>i << 2), <f32>s);
  }
}

/** out = x + y (out may alias x or y). */
export function add_f32(n: i32, x: usize, y: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

/** out = x * y elementwise (out may alias x or y). */
export function mul_f32(n: i32, x: usize, y: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * load<f32>(y + o));
  }
}

/** out = alpha * x (out may alias x). */
export function scale_f32(n: i32, alpha: f32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const a = f32x4.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(a, v128.load(x + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, alpha * load<f32>(x + o));
  }
}

/** y += alpha * x, in f32 (two roundings: the product, then the sum). */
export function axpy_f32(n: i32, alpha: f32, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const a = f32x4.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(a, v128.load(x + o))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

/** out[i] = value. */
export function fill_f32(n: i32, value: f32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const v = f32x4.splat(value);
    for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), v);
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), value);
}

/** sum_i x[i]^2; each square is exact in f64 and accumulated in f64. */
export function sum_squares_f32(n: i32, x: usize): f64 {
  let s: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      const l = lo64(v), h = hi64(v);
      a0 = f64x2.add(a0, f64x2.mul(l, l));
      a1 = f64x2.add(a1, f64x2.mul(h, h));
    }
    const a = f64x2.add(a0, a1);
    s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

/** 1 when every x[i] is finite, else 0 (tests the exponent bits: all ones means inf or NaN). */
export function all_finite_f32(n: i32, x: usize): i32 {
  const EXP: u32 = 0x7f800000;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const m = i32x4.splat(EXP);
    let bad = i32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      bad = v128.or(bad, i32x4.eq(v128.and(v128.load(x + (<usize>i << 2)), m), m));
    }
    if (v128.any_true(bad)) return 0;
  }
  for (; i < n; i++) {
    if ((load<u32>(x + (<usize>i << 2)) & EXP) == EXP) return 0;
  }
  return 1;
}
