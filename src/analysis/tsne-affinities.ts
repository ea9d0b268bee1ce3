/**
 * t-SNE's input affinities, exact (van der Maaten's reference method, O(n^2) time and memory).
 * For each point i a Gaussian over the other points, p_j|i proportional to exp(-beta_i |x_i - x_j|^2)
 * on squared Euclidean distances, its precision beta_i found by bisection so that the
 * distribution's perplexity exp(H) (H in nats) matches the target: |H - log(perplexity)| < 1e-5,
 * at most 200 steps, starting from beta = 1 and doubling or halving until the target is
 * bracketed (bhtsne's search). Distances are shifted by the row's smallest before exp, which
 * leaves p_j|i unchanged and keeps exp from underflowing on widely spread data.
 * The joint affinities are p_ij = (p_j|i + p_i|j) / 2n: symmetric, summing to 1, zero diagonal.
 */
import { ConfigError } from "../nn/layer.js";
import type { TensorLike } from "../tensor/tensor.js";
import { rowsOf, type Rows } from "./knn.js";

/** Tolerance on the entropy (nats) of the bisection on beta. */
export const PERPLEXITY_TOLERANCE = 1e-5;
/** Most bisection steps per point. */
export const PERPLEXITY_MAX_STEPS = 200;

/** A ConfigError unless 0 < perplexity <= (n - 1) / 3 (bhtsne's rule 3 * perplexity <= n - 1). */
export function checkPerplexity(perplexity: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new ConfigError(`t-SNE needs at least 2 points, got ${n}`);
  if (typeof perplexity !== "number" || !Number.isFinite(perplexity) || perplexity <= 0 || 3 * perplexity > n - 1) {
    throw new ConfigError(`t-SNE perplexity must be in (0, (n - 1) / 3] = (0, ${(n - 1) / 3}] for n = ${n}, got ${perplexity}`);
  }
  return perplexity;
}

/** The full matrix [n * n] of squared Euclidean distances between rows. */
export function squaredDistances(x: Rows): Float64Array {
  const { n, d, data } = x;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) { const t = data[i * d + c]! - data[j * d + c]!; s += t * t; }
      out[i * n + j] = s; out[j * n + i] = s;
    }
  }
  return out;
}

/**
 * Fills out[0..m) with the Gaussian conditional over m squared distances at precision beta (the
 * distances shifted by their smallest); returns its entropy in nats.
 */
function gaussianRow(dist: Float64Array, m: number, beta: number, out: Float64Array): number {
  let dmin = Infinity;
  for (let j = 0; j < m; j++) if (dist[j]! < dmin) dmin = dist[j]!;
  let sum = 0, weighted = 0;
  for (let j = 0; j < m; j++) {
    const shifted = dist[j]! - dmin;
    const e = Math.exp(-beta * shifted);
    out[j] = e; sum += e; weighted += shifted * e;
  }
  for (let j = 0; j < m; j++) out[j] = out[j]! / sum;
  return Math.log(sum) + beta * weighted / sum;
}

/**
 * The conditional distribution over m squared distances (one point's, itself left out) with the
 * given perplexity, written to out[0..m): the bisection on beta of the file comment. Shared by
 * the exact and the sparse (nearest-neighbour) affinities, so that both give the same bits on the
 * same distances in the same order.
 */
export function calibrateRow(dist: Float64Array, m: number, perplexity: number, out: Float64Array): void {
  const target = Math.log(perplexity);
  let beta = 1, lo = -Infinity, hi = Infinity;
  for (let step = 0; step < PERPLEXITY_MAX_STEPS; step++) {
    const h = gaussianRow(dist, m, beta, out);
    const diff = h - target;
    if (Math.abs(diff) < PERPLEXITY_TOLERANCE) break;
    if (diff > 0) { lo = beta; beta = hi === Infinity ? beta * 2 : (beta + hi) / 2; }
    else { hi = beta; beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2; }
    if (step === PERPLEXITY_MAX_STEPS - 1) gaussianRow(dist, m, beta, out);
  }
}

/**
 * The conditional affinities [n * n] of x [n, d]: row i holds p_j|i (the diagonal 0), each row
 * summing to 1 with perplexity `perplexity`. A ConfigError for a bad perplexity or a row
 * holding NaN or infinity (named); a ShapeError when x is not [n, d].
 */
export function conditionalAffinities(x: TensorLike, perplexity: number): Float64Array {
  const rows = rowsOf(x, "t-SNE input");
  const n = rows.n;
  checkPerplexity(perplexity, n);
  const dist = squaredDistances(rows);
  const p = new Float64Array(n * n);
  const others = new Float64Array(n - 1), row = new Float64Array(n - 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0, t = 0; j < n; j++) if (j !== i) others[t++] = dist[i * n + j]!;
    calibrateRow(others, n - 1, perplexity, row);
    for (let j = 0, t = 0; j < n; j++) if (j !== i) p[i * n + j] = row[t++]!;
  }
  return p;
}

/**
 * The symmetrised joint affinities [n * n] of x [n, d]: p_ij = (p_j|i + p_i|j) / 2n, symmetric,
 * summing to 1, with a zero diagonal. Errors as conditionalAffinities.
 */
export function perplexityAffinities(x: TensorLike, perplexity: number): Float64Array {
  const p = conditionalAffinities(x, perplexity);
  const n = Math.round(Math.sqrt(p.length));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = (p[i * n + j]! + p[j * n + i]!) / (2 * n);
      p[i * n + j] = s; p[j * n + i] = s;
    }
  }
  return p;
}
