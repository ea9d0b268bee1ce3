/**
 * Float64 references of assembly/kmeans.ts, with the kernels' parameter order and a typed array
 * in place of each pointer. The assignment's dot products are f32 in the kernel: here each
 * product and each partial sum is rounded with Math.fround (the SIMD and scalar builds' f32
 * multiply then add, summed over t in increasing order), the rest is plain float64.
 */

/**
 * For each row i of x [m, d]: labels[i] = argmin_j (xsq[i] - 2 g_ij) + csq[j] (ties to the lower
 * j), dist[i] = max of that minimum and 0, g_ij the f32 dot product of x_i and column j of
 * ct [d, kp] (kp = k rounded up to a multiple of 4).
 */
export function kmeansAssign(m: number, d: number, k: number, x: ArrayLike<number>, ct: ArrayLike<number>,
  xsq: ArrayLike<number>, csq: ArrayLike<number>, labels: Int32Array, dist: Float64Array): void {
  const kp = (k + 3) & ~3;
  for (let i = 0; i < m; i++) {
    let best = Infinity, bestJ = 0;
    for (let j = 0; j < k; j++) {
      let g = 0;
      for (let t = 0; t < d; t++) g = Math.fround(g + Math.fround(x[i * d + t]! * ct[t * kp + j]!));
      const v = xsq[i]! - 2 * g + csq[j]!;
      if (v < best) { best = v; bestJ = j; }
    }
    labels[i] = bestJ;
    dist[i] = Math.max(best, 0);
  }
}

/** sums [k, d] and counts [k] of the rows of x [n, d] by label, rows added in increasing order. */
export function kmeansSums(n: number, d: number, k: number, x: ArrayLike<number>, labels: ArrayLike<number>,
  sums: Float64Array, counts: Int32Array): void {
  sums.fill(0, 0, k * d); counts.fill(0, 0, k);
  for (let i = 0; i < n; i++) {
    const j = labels[i]!;
    counts[j] = counts[j]! + 1;
    for (let t = 0; t < d; t++) sums[j * d + t] = sums[j * d + t]! + x[i * d + t]!;
  }
}
