/**
 * Sparse t-SNE input affinities, as bhtsne and scikit-learn compute them for Barnes-Hut: each
 * point's conditional distribution is calibrated (the bisection of tsne-affinities.ts) over its
 * k = floor(3 perplexity) nearest neighbours only (exact Euclidean kNN, nearestNeighbours), then
 * symmetrised to p_ij = (p_j|i + p_i|j) / 2n, stored in CSR. Each neighbour row is taken in
 * column order with its squared distances recomputed in float64, so that with k = n - 1 the
 * result equals the exact perplexityAffinities bit for bit. With fewer neighbours P is symmetric
 * and sums to 1; points outside each other's neighbourhoods get p_ij = 0.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ConfigError } from "../nn/layer.js";
import type { TensorLike } from "../tensor/tensor.js";
import { nearestNeighbours, rowsOf, squaredDistance } from "./knn.js";
import { calibrateRow, checkPerplexity } from "./tsne-affinities.js";

/**
 * A symmetric n x n matrix in compressed sparse rows: row i holds values[k] at column cols[k] for
 * k in [rowPtr[i], rowPtr[i + 1]), columns increasing, no entry on the diagonal.
 */
export interface SparseAffinities {
  readonly n: number;
  readonly rowPtr: Int32Array;
  readonly cols: Int32Array;
  readonly values: Float64Array;
}

export interface SparseAffinityOptions {
  /** Neighbours per point (default floor(3 * perplexity)), in 1..n - 1. */
  readonly neighbours?: number;
  /** Where the kNN's distance GEMM runs (default: the default runtime's backend). */
  readonly backend?: Backend<Buffer>;
}

/** The joint affinities of x [n, d] over each point's nearest neighbours; see the file comment. */
export function sparsePerplexityAffinities(x: TensorLike, perplexity: number, options: SparseAffinityOptions = {}): SparseAffinities {
  const rows = rowsOf(x, "t-SNE input");
  const n = rows.n;
  checkPerplexity(perplexity, n);
  const k = options.neighbours ?? Math.floor(3 * perplexity);
  if (!Number.isSafeInteger(k) || k < 1 || k > n - 1) {
    throw new ConfigError(`t-SNE neighbours must be an integer in 1..${n - 1} (floor(3 * perplexity) by default, so perplexity >= 1/3), got ${k}`);
  }
  const be = options.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
  const xs: TensorLike = { data: rows.data, shape: [n, rows.d], stride: [rows.d, 1], offset: 0 };
  const nb = nearestNeighbours(xs, xs, k + 1, { backend: be });
  // Conditional rows: k neighbours of i (itself dropped, else the farthest), in column order.
  const cols = new Int32Array(n * k), cond = new Float64Array(n * k);
  const dist = new Float64Array(k), row = new Float64Array(k), order = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    // Insertion into column order (k is small).
    let m = 0;
    for (let t = 0; t <= k; t++) {
      const j = nb.indices[i * (k + 1) + t]!;
      if (j === i || m === k) continue;
      let at = m++;
      while (at > 0 && order[at - 1]! > j) { order[at] = order[at - 1]!; at--; }
      order[at] = j;
    }
    for (let t = 0; t < k; t++) {
      const j = order[t]!;
      dist[t] = squaredDistance(rows, i, rows, j);
      cols[i * k + t] = j;
    }
    calibrateRow(dist, k, perplexity, row);
    cond.set(row, i * k);
  }
  return symmetrise(n, k, cols, cond);
}

/** (C + C^T) / 2n for C with k entries a row (columns increasing), as CSR with sorted columns. */
function symmetrise(n: number, k: number, cols: Int32Array, cond: Float64Array): SparseAffinities {
  // The transpose by counting: its rows list their columns in increasing order.
  const tPtr = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) tPtr[cols[e]! + 1] = tPtr[cols[e]! + 1]! + 1;
  for (let i = 0; i < n; i++) tPtr[i + 1] = tPtr[i + 1]! + tPtr[i]!;
  const tCols = new Int32Array(n * k), tVals = new Float64Array(n * k), fill = tPtr.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let e = i * k; e < (i + 1) * k; e++) {
      const c = cols[e]!, at = fill[c]!;
      fill[c] = at + 1; tCols[at] = i; tVals[at] = cond[e]!;
    }
  }
  const rowPtr = new Int32Array(n + 1), outCols = new Int32Array(2 * n * k), values = new Float64Array(2 * n * k);
  const scale = 2 * n;
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    let a = i * k, b = tPtr[i]!;
    const aEnd = a + k, bEnd = tPtr[i + 1]!;
    while (a < aEnd || b < bEnd) {
      const ca = a < aEnd ? cols[a]! : n, cb = b < bEnd ? tCols[b]! : n;
      // p_j|i + p_i|j; a missing one is 0 (x + 0 = x exactly).
      const c = Math.min(ca, cb), va = ca === c ? cond[a++]! : 0, vb = cb === c ? tVals[b++]! : 0;
      outCols[nnz] = c; values[nnz] = (va + vb) / scale; nnz++;
    }
    rowPtr[i + 1] = nnz;
  }
  return { n, rowPtr, cols: outCols.slice(0, nnz), values: values.slice(0, nnz) };
}

/** The CSR of a dense symmetric P [n * n] (its non-zero off-diagonal entries). */
export function sparseFromDense(p: ArrayLike<number>, n: number): SparseAffinities {
  if (!Number.isSafeInteger(n) || n < 0 || p.length !== n * n) throw new ConfigError(`sparseFromDense: P must hold n * n = ${n * n} values, got ${p.length}`);
  const rowPtr = new Int32Array(n + 1), cols: number[] = [], values: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (j !== i && p[i * n + j] !== 0) { cols.push(j); values.push(p[i * n + j]!); }
    rowPtr[i + 1] = cols.length;
  }
  return { n, rowPtr, cols: Int32Array.from(cols), values: Float64Array.from(values) };
}

/** The entries of P above the diagonal (columns > row), as CSR: what the attractive kernel takes. */
export function upperTriangle(p: SparseAffinities): SparseAffinities {
  const rowPtr = new Int32Array(p.n + 1);
  let nnz = 0;
  for (let i = 0; i < p.n; i++) {
    for (let e = p.rowPtr[i]!; e < p.rowPtr[i + 1]!; e++) if (p.cols[e]! > i) nnz++;
    rowPtr[i + 1] = nnz;
  }
  const cols = new Int32Array(nnz), values = new Float64Array(nnz);
  for (let i = 0, at = 0; i < p.n; i++) {
    for (let e = p.rowPtr[i]!; e < p.rowPtr[i + 1]!; e++) if (p.cols[e]! > i) { cols[at] = p.cols[e]!; values[at++] = p.values[e]!; }
  }
  return { n: p.n, rowPtr, cols, values };
}

/** Checks the CSR's structure (sizes, columns in range and increasing), values (finite, >= 0) and symmetry. */
export function checkSparse(p: SparseAffinities, what: string): void {
  const bad = (why: string): never => { throw new ConfigError(`${what}: sparse P ${why}`); };
  if (p === null || typeof p !== "object" || !(p.rowPtr instanceof Int32Array) || !(p.cols instanceof Int32Array) || !(p.values instanceof Float64Array)) {
    bad("must have Int32Array rowPtr and cols and a Float64Array values");
  }
  const n = p.n;
  if (!Number.isSafeInteger(n) || n < 0 || p.rowPtr.length !== n + 1 || p.rowPtr[0] !== 0) bad(`must have n + 1 row pointers from 0 (n = ${n})`);
  const nnz = p.rowPtr[n]!;
  if (p.cols.length !== nnz || p.values.length !== nnz) bad(`has ${p.cols.length} columns and ${p.values.length} values for ${nnz} entries`);
  for (let i = 0; i < n; i++) {
    if (p.rowPtr[i + 1]! < p.rowPtr[i]!) bad(`row pointers decrease at row ${i}`);
    for (let e = p.rowPtr[i]!; e < p.rowPtr[i + 1]!; e++) {
      const c = p.cols[e]!, v = p.values[e]!;
      if (c < 0 || c >= n || c === i) bad(`row ${i} has column ${c} (must be in 0..${n - 1}, not ${i})`);
      if (e > p.rowPtr[i]! && c <= p.cols[e - 1]!) bad(`row ${i} has columns out of order (${p.cols[e - 1]}, ${c})`);
      if (!(v >= 0) || !Number.isFinite(v)) bad(`row ${i} holds ${v} (values must be finite and >= 0)`);
    }
  }
  for (let i = 0; i < n; i++) {
    for (let e = p.rowPtr[i]!; e < p.rowPtr[i + 1]!; e++) {
      const j = p.cols[e]!;
      let lo = p.rowPtr[j]!, hi = p.rowPtr[j + 1]!;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (p.cols[mid]! < i) lo = mid + 1; else hi = mid; }
      if (lo === p.rowPtr[j + 1]! || p.cols[lo] !== i || p.values[lo] !== p.values[e]) bad(`is not symmetric at (${i}, ${j})`);
    }
  }
}
