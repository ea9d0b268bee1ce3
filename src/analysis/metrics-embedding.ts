/**
 * How well an embedding low [n, d] keeps the neighbourhoods of high [n, D] (Venna & Kaski).
 * Trustworthiness penalises points among a point's k nearest neighbours in the embedding that
 * are not among its k nearest in the original space; continuity is the converse. Both use
 * scikit-learn's formula
 *   T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k(i)} max(0, r(i, j) - k),
 * r(i, j) the rank of j among the other points by distance from i (1 = nearest) in the space
 * being checked against. Exact: Euclidean distances in float64, ties ranked by the lower index.
 * O(n^2 (D + d + k)) time, O(n) memory; k must be below n / 2 (scikit-learn's requirement).
 */
import { ConfigError } from "../nn/layer.js";
import { ShapeError, type TensorLike } from "../tensor/tensor.js";
import { rowsOf, squaredDistance, type Rows } from "./knn.js";

function inputs(high: TensorLike, low: TensorLike, k: number, what: string): { high: Rows; low: Rows } {
  const h = rowsOf(high, `${what} high`), l = rowsOf(low, `${what} low`);
  if (h.n !== l.n) throw new ShapeError(`${what}: high has ${h.n} rows, low ${l.n}`);
  if (!Number.isSafeInteger(k) || k < 1 || k >= h.n / 2) {
    throw new ConfigError(`${what}: k must be an integer with 1 <= k < n / 2 = ${h.n / 2}, got ${k}`);
  }
  return { high: h, low: l };
}

/** (distance, index) order: true when a comes before b. */
function before(da: number, a: number, db: number, b: number): boolean {
  return da < db || (da === db && a < b);
}

/**
 * The rank penalty sum over points i of max(0, r(i, j) - k) for the k nearest neighbours j of i
 * in `neighbourSpace`, r ranked in `rankSpace`.
 */
function penalty(rankSpace: Rows, neighbourSpace: Rows, k: number): number {
  const n = rankSpace.n;
  const dr = new Float64Array(n), dn = new Float64Array(n);
  const nbr = new Int32Array(k), nbrDist = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      dr[j] = squaredDistance(rankSpace, i, rankSpace, j);
      dn[j] = squaredDistance(neighbourSpace, i, neighbourSpace, j);
    }
    // The k nearest of i in neighbourSpace (self excluded), by sorted insertion.
    let filled = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const dj = dn[j]!;
      if (filled === k && !before(dj, j, nbrDist[k - 1]!, nbr[k - 1]!)) continue;
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && before(dj, j, nbrDist[p - 1]!, nbr[p - 1]!)) { nbr[p] = nbr[p - 1]!; nbrDist[p] = nbrDist[p - 1]!; p--; }
      nbr[p] = j; nbrDist[p] = dj;
    }
    for (let t = 0; t < k; t++) {
      const j = nbr[t]!, dj = dr[j]!;
      let rank = 1;
      for (let l = 0; l < n; l++) if (l !== i && before(dr[l]!, l, dj, j)) rank++;
      if (rank > k) total += rank - k;
    }
  }
  return total;
}

function score(total: number, n: number, k: number): number {
  return 1 - total * (2 / (n * k * (2 * n - 3 * k - 1)));
}

/**
 * Trustworthiness of the embedding low [n, d] of high [n, D] for k neighbours, in [0, 1]
 * (1: every embedding neighbour is a true neighbour). Equal to scikit-learn's
 * sklearn.manifold.trustworthiness(high, low, n_neighbors=k) where distances have no ties.
 */
export function trustworthiness(high: TensorLike, low: TensorLike, k: number): number {
  const r = inputs(high, low, k, "trustworthiness");
  return score(penalty(r.high, r.low, k), r.high.n, k);
}

/**
 * Continuity of the embedding low [n, d] of high [n, D] for k neighbours, in [0, 1] (1: every
 * true neighbour stays a neighbour in the embedding): trustworthiness with the roles swapped.
 */
export function continuity(high: TensorLike, low: TensorLike, k: number): number {
  const r = inputs(high, low, k, "continuity");
  return score(penalty(r.low, r.high, k), r.high.n, k);
}
