// Lloyd steps of k-means (src/analysis/kmeans.ts): the assignment and the per-cluster sums.
//
// kmeans_assign_f32: x f32 [m, d] row-major; ct the k centres transposed, f32 [d, kp] with
// kp = k rounded up to a multiple of 4 (columns k..kp-1 are padding, never used); xsq f64 [m]
// and csq f64 [kp] the squared norms (csq[k..kp-1] padding). Per row i, g_j = the f32 dot product
// of x_i and centre j summed over t in increasing order from 0, each step the GEMM's multiply-add
// (f32 multiply then add; f32x4.relaxed_madd in the relaxed build), i.e. exactly gemm_f32's
// x * C^T while d <= 576 (its depth block: beyond, it sums in two parts); then, in f64, v_j = (xsq[i] - 2 g_j) + csq[j]; labels[i] = the j
// with the smallest v_j (strict <, so ties go to the lower j; 0 when every v_j is NaN) and
// dist[i] = max(v, 0) (f64). The SIMD build runs 4 centres per f32x4 and combines as f64x2
// (same operations per value), so both builds agree bit for bit with each other and with the
// host loop over gemm_f32. labels and dist serve as the running minimum (written first).
//
// kmeans_sums_f64: x f64 [n, d], labels i32 [n] in 0..k-1; writes sums f64 [k, d] (zeroed
// first) with sums[labels[i], t] += x[i, t] for rows i in increasing order, and counts i32 [k].

import { madd } from "./madd";

// Folds g_j0..g_j0+3 (the lanes of acc) into row i's running minimum, kept in dist[i] and
// labels[i] (lanes j >= k are skipped). Branches: measured faster here than select.
// @ts-ignore: decorator
@inline function combine(acc: v128, j0: i32, k: i32, i: i32, xsq: usize, csq: usize, labels: usize, dist: usize): void {
  const vx = f64x2.splat(load<f64>(xsq + (<usize>i << 3))), two = f64x2.splat(2);
  const cs = csq + (<usize>j0 << 3), pl = labels + (<usize>i << 2), pd = dist + (<usize>i << 3);
  const lo = f64x2.add(f64x2.sub(vx, f64x2.mul(two, f64x2.promote_low_f32x4(acc))), v128.load(cs));
  const hiG = f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 0, 1));
  const hi = f64x2.add(f64x2.sub(vx, f64x2.mul(two, hiG)), v128.load(cs, 16));
  let best = load<f64>(pd), bestJ = load<i32>(pl);
  let v = f64x2.extract_lane(lo, 0);
  if (v < best) { best = v; bestJ = j0; }
  if (j0 + 1 < k) { v = f64x2.extract_lane(lo, 1); if (v < best) { best = v; bestJ = j0 + 1; } }
  if (j0 + 2 < k) { v = f64x2.extract_lane(hi, 0); if (v < best) { best = v; bestJ = j0 + 2; } }
  if (j0 + 3 < k) { v = f64x2.extract_lane(hi, 1); if (v < best) { best = v; bestJ = j0 + 3; } }
  store<f64>(pd, best);
  store<i32>(pl, bestJ);
}

// SIMD: tiles of 4 rows x 8 centres (8 independent f32x4 accumulators: one chain per tile
// would wait on the multiply-add latency), then 4 rows x 4 centres, then single rows.
function assignSimd(m: i32, d: i32, k: i32, x: usize, ct: usize, xsq: usize, csq: usize, labels: usize, dist: usize): void {
  const ctStride = <usize>((k + 3) & ~3) << 2, rowBytes = <usize>d << 2;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r0 = x + <usize>i * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    let j0 = 0;
    for (; j0 + 4 < k; j0 += 8) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      let cp = ct + (<usize>j0 << 2);
      for (let t = 0; t < d; t++) {
        const o = <usize>t << 2;
        const b0 = v128.load(cp), b1 = v128.load(cp, 16);
        let s = v128.load32_splat(r0 + o); a00 = madd(s, b0, a00); a01 = madd(s, b1, a01);
        s = v128.load32_splat(r1 + o); a10 = madd(s, b0, a10); a11 = madd(s, b1, a11);
        s = v128.load32_splat(r2 + o); a20 = madd(s, b0, a20); a21 = madd(s, b1, a21);
        s = v128.load32_splat(r3 + o); a30 = madd(s, b0, a30); a31 = madd(s, b1, a31);
        cp += ctStride;
      }
      combine(a00, j0, k, i, xsq, csq, labels, dist); combine(a01, j0 + 4, k, i, xsq, csq, labels, dist);
      combine(a10, j0, k, i + 1, xsq, csq, labels, dist); combine(a11, j0 + 4, k, i + 1, xsq, csq, labels, dist);
      combine(a20, j0, k, i + 2, xsq, csq, labels, dist); combine(a21, j0 + 4, k, i + 2, xsq, csq, labels, dist);
      combine(a30, j0, k, i + 3, xsq, csq, labels, dist); combine(a31, j0 + 4, k, i + 3, xsq, csq, labels, dist);
    }
    if (j0 < k) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let cp = ct + (<usize>j0 << 2);
      for (let t = 0; t < d; t++) {
        const o = <usize>t << 2, b = v128.load(cp);
        a0 = madd(v128.load32_splat(r0 + o), b, a0); a1 = madd(v128.load32_splat(r1 + o), b, a1);
        a2 = madd(v128.load32_splat(r2 + o), b, a2); a3 = madd(v128.load32_splat(r3 + o), b, a3);
        cp += ctStride;
      }
      combine(a0, j0, k, i, xsq, csq, labels, dist); combine(a1, j0, k, i + 1, xsq, csq, labels, dist);
      combine(a2, j0, k, i + 2, xsq, csq, labels, dist); combine(a3, j0, k, i + 3, xsq, csq, labels, dist);
    }
  }
  for (; i < m; i++) {
    const row = x + <usize>i * rowBytes;
    for (let j0 = 0; j0 < k; j0 += 4) {
      let acc = f32x4.splat(0);
      let cp = ct + (<usize>j0 << 2);
      for (let t = 0; t < d; t++) {
        acc = madd(v128.load32_splat(row + (<usize>t << 2)), v128.load(cp), acc);
        cp += ctStride;
      }
      combine(acc, j0, k, i, xsq, csq, labels, dist);
    }
  }
}

export function kmeans_assign_f32(m: i32, d: i32, k: i32, x: usize, ct: usize, xsq: usize, csq: usize,
  labels: usize, dist: usize): void {
  const ctStride = <usize>((k + 3) & ~3) << 2;
  if (ASC_FEATURE_SIMD) {
    for (let i = 0; i < m; i++) { store<f64>(dist + (<usize>i << 3), Infinity); store<i32>(labels + (<usize>i << 2), 0); }
    assignSimd(m, d, k, x, ct, xsq, csq, labels, dist);
    for (let i = 0; i < m; i++) {
      const p = dist + (<usize>i << 3), v = load<f64>(p);
      store<f64>(p, v > 0 ? v : 0);
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const row = x + ((<usize>i * <usize>d) << 2);
    const xs = load<f64>(xsq + (<usize>i << 3));
    let best = Infinity, bestJ = 0;
    for (let j = 0; j < k; j++) {
      let g: f32 = 0;
      let cp = ct + (<usize>j << 2);
      for (let t = 0; t < d; t++) {
        g = g + load<f32>(row + (<usize>t << 2)) * load<f32>(cp);
        cp += ctStride;
      }
      const v = xs - 2 * <f64>g + load<f64>(csq + (<usize>j << 3));
      if (v < best) { best = v; bestJ = j; }
    }
    store<i32>(labels + (<usize>i << 2), bestJ);
    store<f64>(dist + (<usize>i << 3), best > 0 ? best : 0);
  }
}

export function kmeans_sums_f64(n: i32, d: i32, k: i32, x: usize, labels: usize, sums: usize, counts: usize): void {
  memory.fill(sums, 0, (<usize>k * <usize>d) << 3);
  memory.fill(counts, 0, <usize>k << 2);
  const rowBytes = <usize>d << 3;
  for (let i = 0; i < n; i++) {
    const j = load<i32>(labels + (<usize>i << 2));
    const cp = counts + (<usize>j << 2);
    store<i32>(cp, load<i32>(cp) + 1);
    const src = x + <usize>i * rowBytes, dst = sums + <usize>j * rowBytes;
    let t = 0;
    if (ASC_FEATURE_SIMD) {
      for (; t + 1 < d; t += 2) {
        const o = <usize>t << 3;
        v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
      }
    }
    for (; t < d; t++) {
      const o = <usize>t << 3;
      store<f64>(dst + o, load<f64>(dst + o) + load<f64>(src + o));
    }
  }
}
