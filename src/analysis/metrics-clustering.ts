/**
 * Clustering metrics against true labels, with scikit-learn's definitions and limit cases.
 * Labels are any 32-bit integers (Int32Array or plain arrays); only equality between labels
 * matters, so every metric here is unchanged by renaming the labels of either argument.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { maybeDefaultRuntime } from "../backend/default.js";
import { ConfigError } from "../nn/layer.js";
import { ShapeError, type TensorLike } from "../tensor/tensor.js";
import { distanceBlocks, labelsOf, rowsOf, squaredDistance, type Rows } from "./knn.js";

/**
 * The minimum-cost assignment of a rectangular rows x cols cost matrix (row-major): result[r]
 * is the column of row r, or -1 for the rows left over when rows > cols. Each column is used at
 * most once. The Hungarian algorithm with potentials (shortest augmenting paths), O(k^2 K) for
 * k = min(rows, cols), K = max(rows, cols).
 */
export function linearAssignment(cost: ArrayLike<number>, rows: number, cols: number): Int32Array {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) throw new ShapeError(`linearAssignment: bad size ${rows} x ${cols}`);
  if (cost.length !== rows * cols) throw new ShapeError(`linearAssignment: ${cost.length} costs for a ${rows} x ${cols} matrix`);
  for (let i = 0; i < cost.length; i++) if (!Number.isFinite(cost[i]!)) throw new ConfigError(`linearAssignment: cost ${i} is not finite (${cost[i]})`);
  const transposed = rows > cols;
  const n = transposed ? cols : rows, m = transposed ? rows : cols;
  const at = transposed ? (i: number, j: number) => cost[j * cols + i]! : (i: number, j: number) => cost[i * cols + j]!;
  // 1-based arrays; column 0 is the virtual start of each augmenting path.
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1), way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1), used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity); used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = at(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) { minv[j] = cur; way[j] = j0; }
        if (minv[j]! < delta) { delta = minv[j]!; j1 = j; }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) { u[p[j]!] = u[p[j]!]! + delta; v[j] = v[j]! - delta; } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do { const j1 = way[j0]!; p[j0] = p[j1]!; j0 = j1; } while (j0 !== 0);
  }
  const out = new Int32Array(rows).fill(-1);
  for (let j = 1; j <= m; j++) {
    if (p[j] === 0) continue;
    if (transposed) out[j - 1] = p[j]! - 1; else out[p[j]! - 1] = j - 1;
  }
  return out;
}

/** Labels renamed 0..k-1 in increasing order of the original values. */
function codesOf(y: Int32Array): { codes: Int32Array; k: number } {
  const names = Array.from(new Set(y)).sort((a, b) => a - b);
  const index = new Map(names.map((name, i) => [name, i]));
  return { codes: Int32Array.from(y, (v) => index.get(v)!), k: names.length };
}

/** The contingency table [kt, kp] of the two labellings, with its margins. */
function contingency(labels: ArrayLike<number>, predicted: ArrayLike<number>, what: string) {
  if (!labels || typeof labels.length !== "number") throw new ShapeError(`${what}: expected an array of labels`);
  const n = labels.length;
  const t = codesOf(labelsOf(labels, n, `${what} labels`)), p = codesOf(labelsOf(predicted, n, `${what} predicted`));
  if (n === 0) throw new ConfigError(`${what}: no labels`);
  const table = new Float64Array(t.k * p.k), rowSum = new Float64Array(t.k), colSum = new Float64Array(p.k);
  for (let i = 0; i < n; i++) {
    const a = t.codes[i]!, b = p.codes[i]!;
    table[a * p.k + b] = table[a * p.k + b]! + 1;
    rowSum[a] = rowSum[a]! + 1; colSum[b] = colSum[b]! + 1;
  }
  return { n, kt: t.k, kp: p.k, table, rowSum, colSum };
}

/**
 * Clustering accuracy: the fraction of points whose predicted cluster maps to their true
 * class under the one-to-one mapping of clusters to classes that maximises it (Hungarian
 * matching on the contingency table). Between 1 / max(#classes, #clusters) and 1.
 */
export function clusteringAccuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const c = contingency(labels, predicted, "clusteringAccuracy");
  const assign = linearAssignment(c.table.map((v) => -v), c.kt, c.kp);
  let hit = 0;
  for (let r = 0; r < c.kt; r++) if (assign[r]! >= 0) hit += c.table[r * c.kp + assign[r]!]!;
  return hit / c.n;
}

function entropy(counts: Float64Array, n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/**
 * Normalised mutual information, MI / ((H(labels) + H(predicted)) / 2) (scikit-learn's default
 * arithmetic normalisation), in [0, 1]. As in scikit-learn: 1 when both labellings have a single
 * class, 0 when the mutual information is 0.
 */
export function nmi(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const c = contingency(labels, predicted, "nmi");
  if (c.kt === 1 && c.kp === 1) return 1;
  let mi = 0;
  for (let a = 0; a < c.kt; a++) {
    for (let b = 0; b < c.kp; b++) {
      const nij = c.table[a * c.kp + b]!;
      if (nij > 0) mi += (nij / c.n) * Math.log((c.n * nij) / (c.rowSum[a]! * c.colSum[b]!));
    }
  }
  if (!(mi > 0)) return 0;
  const norm = (entropy(c.rowSum, c.n) + entropy(c.colSum, c.n)) / 2;
  return Math.min(1, mi / Math.max(norm, Number.EPSILON));
}

/**
 * The adjusted Rand index (Hubert & Arabie) from pair counts, scikit-learn's formula: 1 for
 * identical partitions (including the limit cases of all singletons or one cluster), about 0
 * for independent labellings, never below -1/2.
 */
export function ari(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const c = contingency(labels, predicted, "ari");
  const n = c.n;
  let sumSquares = 0;
  for (const v of c.table) sumSquares += v * v;
  let rowSquares = 0, colSquares = 0;
  for (const v of c.rowSum) rowSquares += v * v;
  for (const v of c.colSum) colSquares += v * v;
  // Ordered pair counts: same/same, different/same, same/different, different/different.
  const tp = sumSquares - n;
  const fp = colSquares - sumSquares;
  const fn = rowSquares - sumSquares;
  const tn = n * n - fp - fn - sumSquares;
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

export interface SilhouetteOptions<B extends Buffer = Buffer> {
  /** Computes the distances through this backend's GEMM (blocks of rows against all rows). */
  readonly backend?: Backend<B>;
}

/** Up to this many rows, with no backend given, the distances are computed on the host in float64. */
export const SILHOUETTE_HOST_ROWS = 4096;

/**
 * The mean silhouette coefficient of x [n, d] under the labels (Euclidean distance), in [-1, 1].
 * As in scikit-learn: a point alone in its cluster scores 0, and 2..n-1 distinct labels are required.
 * O(n^2 d) time, O(n * labels) memory beyond one block of distances. With no backend and
 * n <= SILHOUETTE_HOST_ROWS the distances are exact float64 host sums; otherwise they go through
 * a backend's GEMM (the given one, else the default runtime's, else the host), whose f32 products
 * make each distance accurate to about 1e-7 of the points' norms.
 */
export function silhouette<B extends Buffer = Buffer>(x: TensorLike, labels: ArrayLike<number>, options: SilhouetteOptions<B> = {}): number {
  const rows = rowsOf(x, "silhouette x");
  const { codes, k } = codesOf(labelsOf(labels, rows.n, "silhouette labels"));
  const n = rows.n;
  if (k < 2 || k > n - 1) throw new ConfigError(`silhouette: needs 2..${n - 1} distinct labels for ${n} rows, got ${k}`);
  const size = new Float64Array(k);
  for (const c of codes) size[c] = size[c]! + 1;
  const sums = new Float64Array(n * k);
  const be = options.backend ?? (n <= SILHOUETTE_HOST_ROWS ? undefined : (maybeDefaultRuntime()?.backend as unknown as Backend<B> | undefined));
  if (be) {
    distanceBlocks(be, rows, rows, (row0, count, sq) => {
      for (let r = 0; r < count; r++) {
        const i = row0 + r;
        for (let j = 0; j < n; j++) {
          if (j !== i) { const at = i * k + codes[j]!; sums[at] = sums[at]! + Math.sqrt(sq[r * n + j]!); }
        }
      }
    });
  } else {
    hostSums(rows, codes, k, sums);
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = codes[i]!;
    if (size[own]! <= 1) continue;
    const a = sums[i * k + own]! / (size[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own) b = Math.min(b, sums[i * k + c]! / size[c]!);
    const top = Math.max(a, b);
    if (top > 0) total += (b - a) / top;
  }
  return total / n;
}

function hostSums(rows: Rows, codes: Int32Array, k: number, sums: Float64Array): void {
  for (let i = 0; i < rows.n; i++) {
    for (let j = i + 1; j < rows.n; j++) {
      const dist = Math.sqrt(squaredDistance(rows, i, rows, j));
      const ai = i * k + codes[j]!, aj = j * k + codes[i]!;
      sums[ai] = sums[ai]! + dist;
      sums[aj] = sums[aj]! + dist;
    }
  }
}
