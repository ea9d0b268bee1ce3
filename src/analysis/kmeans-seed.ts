/**
 * k-means++ seeding (Arthur & Vassilvitskii), in scikit-learn's greedy form: the first centre
 * is a point drawn uniformly, each further centre is the best of 2 + floor(ln k) candidates
 * drawn with probability proportional to D² (the squared distance to the nearest centre chosen
 * so far), "best" meaning the one that leaves the smallest total D².
 *
 * Data are the centred rows of x, row-major [n, d] in float64; distances are computed exactly
 * in float64 on the host. Draws: one uniform(key, 1 + (k - 1) * trials) call, f32 values in
 * [0, 1): value 0 picks the first centre (index floor(u * n)), values 1 + (c - 1) * trials ..
 * c * trials the candidates of centre c. A candidate is the first point whose cumulative D²
 * exceeds u * (total D²), so a point already at distance 0 is never drawn while any point is
 * not; when every point is at distance 0 (fewer distinct points than k), candidates repeat
 * the uniform rule and centres coincide.
 */
import { uniform, type Key } from "../random/index.js";

/** Squared Euclidean distance between row i of x and row j of c (both [*, d], float64). */
export function sqDist(x: Float64Array, i: number, c: Float64Array, j: number, d: number): number {
  let s = 0;
  const xi = i * d, cj = j * d;
  for (let t = 0; t < d; t++) { const v = x[xi + t]! - c[cj + t]!; s += v * v; }
  return s;
}

/** Candidates tried per centre after the first: 2 + floor(ln k), as scikit-learn. */
export function localTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/** k initial centres [k, d] (float64, rows of x) for x [n, d] (float64, centred), from key. */
export function kmeansPlusPlus(x: Float64Array, n: number, d: number, k: number, key: Key): Float64Array {
  const trials = localTrials(k);
  const u = uniform(key, 1 + (k - 1) * trials);
  const centres = new Float64Array(k * d);
  const first = Math.min(n - 1, Math.floor(u[0]! * n));
  centres.set(x.subarray(first * d, first * d + d), 0);
  let closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = sqDist(x, i, centres, 0, d);
  const cumsum = new Float64Array(n);
  let candidate = new Float64Array(n);
  let best = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let pot = 0;
    for (let i = 0; i < n; i++) { pot += closest[i]!; cumsum[i] = pot; }
    let bestPot = Infinity, bestId = -1;
    for (let t = 0; t < trials; t++) {
      const r = u[1 + (c - 1) * trials + t]!;
      const id = pot > 0 ? firstAbove(cumsum, r * pot) : Math.min(n - 1, Math.floor(r * n));
      let candPot = 0;
      const row = x.subarray(id * d, id * d + d);
      for (let i = 0; i < n; i++) {
        const dist = Math.min(closest[i]!, sqDist(x, i, row, 0, d));
        candidate[i] = dist;
        candPot += dist;
      }
      if (candPot < bestPot) {
        bestPot = candPot; bestId = id;
        const swap = best; best = candidate; candidate = swap;
      }
    }
    centres.set(x.subarray(bestId * d, bestId * d + d), c * d);
    const swap = closest; closest = best; best = swap;
  }
  return centres;
}

/** The first index whose cumulative sum exceeds target (the last index when none does). */
function firstAbove(cumsum: Float64Array, target: number): number {
  let lo = 0, hi = cumsum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumsum[mid]! > target) hi = mid; else lo = mid + 1;
  }
  return lo;
}
