/**
 * Brute-force nearest neighbours and k-nearest-neighbour classification.
 *
 * Squared Euclidean distances come from the backend's GEMM (||q||^2 + ||x||^2 - 2 q.x, the
 * norms in float64 on the host). An f32 GEMM is only approximate, so the GEMM values select
 * candidates: with e_ij a bound on the error of an approximate distance, every point whose
 * approximate distance minus e_ij is within the k-th smallest approximate-plus-e_ij is a
 * candidate, and the candidates' distances are computed again exactly in float64. The
 * neighbours returned are therefore the exact float64 neighbours, ties broken by the lower index.
 * Queries go through the GEMM in blocks so the distance buffer stays bounded.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ConfigError } from "../nn/layer.js";
import { checkTensorLike, ShapeError, type TensorLike } from "../tensor/tensor.js";

/** A [n, d] matrix copied into a row-major float64 array. */
export interface Rows {
  readonly n: number;
  readonly d: number;
  readonly data: Float64Array;
}

/** The rows of a [n, d] tensor as float64; a ConfigError names the first row holding NaN or infinity. */
export function rowsOf(x: TensorLike, what: string): Rows {
  checkTensorLike(x, what);
  if (x.shape.length !== 2) throw new ShapeError(`${what} must be [n, d], got [${x.shape.join(", ")}]`);
  const [n, d] = x.shape as [number, number];
  const data = new Float64Array(n * d);
  const s0 = x.stride[0]!, s1 = x.stride[1]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = x.data[x.offset + i * s0 + j * s1]!;
      if (!Number.isFinite(v)) throw new ConfigError(`${what}: row ${i} holds a non-finite value (${v}) at column ${j}`);
      data[i * d + j] = v;
    }
  }
  return { n, d, data };
}

/** Integer labels as an Int32Array, checked against the expected count. */
export function labelsOf(y: ArrayLike<number>, n: number, what: string): Int32Array {
  if (!y || typeof y.length !== "number") throw new ShapeError(`${what}: expected an array of labels`);
  if (y.length !== n) throw new ShapeError(`${what} has ${y.length} labels for ${n} rows`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new ConfigError(`${what}: label ${i} is not a 32-bit integer (${v})`);
    out[i] = v;
  }
  return out;
}

/** Exact squared Euclidean distance between row i of a and row j of b, in float64. */
export function squaredDistance(a: Rows, i: number, b: Rows, j: number): number {
  let s = 0;
  const d = a.d, ai = i * d, bj = j * d;
  for (let c = 0; c < d; c++) { const t = a.data[ai + c]! - b.data[bj + c]!; s += t * t; }
  return s;
}

function squaredNorms(x: Rows): Float64Array {
  const out = new Float64Array(x.n);
  for (let i = 0; i < x.n; i++) {
    let s = 0;
    for (let c = 0; c < x.d; c++) s += x.data[i * x.d + c]! ** 2;
    out[i] = s;
  }
  return out;
}

/**
 * Calls visit(row0, rows, sq) for blocks of query rows, sq[r * b.n + j] the approximate squared
 * distance (clamped at 0) from query row0 + r to reference row j; also passes the relative error
 * bound `tol`: |sq - exact| <= tol * (||q||^2 + ||x||^2).
 */
export function distanceBlocks<B extends Buffer>(be: Backend<B>, queries: Rows, refs: Rows,
  visit: (row0: number, rows: number, sq: Float64Array, qNorm: Float64Array, rNorm: Float64Array, tol: number) => void): void {
  const { d } = refs;
  const m = queries.n, n = refs.n;
  const qNorm = squaredNorms(queries), rNorm = squaredNorms(refs);
  const block = Math.max(1, Math.min(m, Math.floor((1 << 22) / Math.max(n, 1))));
  const rb = be.alloc(Math.max(n * d, 1)), qb = be.alloc(Math.max(block * d, 1)), cb = be.alloc(Math.max(block * n, 1));
  try {
    be.write(rb, refs.data);
    let tol = 0;
    for (let row0 = 0; row0 < m; row0 += block) {
      const rows = Math.min(block, m - row0);
      be.write(qb, queries.data.subarray(row0 * d, (row0 + rows) * d));
      if (d > 0) be.gemm(false, true, rows, n, d, -2, qb, d, rb, d, 0, cb, n);
      const dots = be.read(cb);
      // Precision of the products: inputs rounded once, d products and sums in that precision.
      const eps = dots instanceof Float64Array ? 2 ** -53 : 2 ** -24;
      tol = 4 * (d + 4) * eps;
      const sq = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) sq[r * n + j] = Math.max(0, qNorm[row0 + r]! + rNorm[j]! + (d > 0 ? dots[r * n + j]! : 0));
      }
      visit(row0, rows, sq, qNorm, rNorm, tol);
    }
  } finally {
    be.free(rb); be.free(qb); be.free(cb);
  }
}

export interface NeighbourOptions<B extends Buffer = Buffer> {
  /** Where the GEMM runs (default: the default runtime's backend). */
  readonly backend?: Backend<B>;
}

export interface Neighbours {
  /** [m, k]: row q lists the indices of its k nearest points of x, nearest first. */
  readonly indices: Int32Array;
  /** [m, k]: the Euclidean distances (float64) matching `indices`. */
  readonly distances: Float64Array;
  readonly k: number;
}

function checkK(k: number, n: number, what: string): void {
  if (!Number.isSafeInteger(k) || k < 1 || k > n) throw new ConfigError(`${what}: k must be an integer in 1..${n}, got ${k}`);
}

function neighboursOf<B extends Buffer>(be: Backend<B>, x: Rows, q: Rows, k: number): Neighbours {
  const m = q.n, n = x.n;
  const indices = new Int32Array(m * k), distances = new Float64Array(m * k);
  const upper = new Float64Array(k);
  distanceBlocks(be, q, x, (row0, rows, sq, qNorm, rNorm, tol) => {
    for (let r = 0; r < rows; r++) {
      const qi = row0 + r, base = r * n;
      // The k smallest upper bounds (sorted insertion into a k-array).
      let filled = 0;
      for (let j = 0; j < n; j++) {
        const u = sq[base + j]! + tol * (qNorm[qi]! + rNorm[j]!);
        if (filled === k && u >= upper[k - 1]!) continue;
        let p = filled < k ? filled++ : k - 1;
        while (p > 0 && upper[p - 1]! > u) { upper[p] = upper[p - 1]!; p--; }
        upper[p] = u;
      }
      const bound = upper[k - 1]!;
      const cand: number[] = [], exact: number[] = [];
      for (let j = 0; j < n; j++) {
        if (sq[base + j]! - tol * (qNorm[qi]! + rNorm[j]!) <= bound) { cand.push(j); exact.push(squaredDistance(q, qi, x, j)); }
      }
      const order = cand.map((_, c) => c).sort((a, b) => exact[a]! - exact[b]! || cand[a]! - cand[b]!);
      for (let t = 0; t < k; t++) {
        indices[qi * k + t] = cand[order[t]!]!;
        distances[qi * k + t] = Math.sqrt(exact[order[t]!]!);
      }
    }
  });
  return { indices, distances, k };
}

/**
 * The k nearest rows of x [n, d] to each row of queries [m, d] (Euclidean, exact in float64,
 * ties broken by the lower index). A query that is also a row of x finds itself first.
 */
export function nearestNeighbours<B extends Buffer = Buffer>(x: TensorLike, queries: TensorLike, k: number,
  options: NeighbourOptions<B> = {}): Neighbours {
  const xr = rowsOf(x, "nearestNeighbours points"), qr = rowsOf(queries, "nearestNeighbours queries");
  if (xr.d !== qr.d) throw new ShapeError(`nearestNeighbours: points have ${xr.d} columns, queries ${qr.d}`);
  checkK(k, xr.n, "nearestNeighbours");
  return neighboursOf(options.backend ?? (defaultBackend() as unknown as Backend<B>), xr, qr, k);
}

/**
 * The k-nearest-neighbour class of every row of testX: the majority label among its k nearest
 * training rows; a tie between labels goes to the tied label of the nearest of those neighbours.
 */
export function knnPredict<B extends Buffer = Buffer>(trainX: TensorLike, trainY: ArrayLike<number>, testX: TensorLike,
  k: number, options: NeighbourOptions<B> = {}): Int32Array {
  const xr = rowsOf(trainX, "knn trainX"), qr = rowsOf(testX, "knn testX");
  if (xr.d !== qr.d) throw new ShapeError(`knn: trainX has ${xr.d} columns, testX ${qr.d}`);
  const y = labelsOf(trainY, xr.n, "knn trainY");
  checkK(k, xr.n, "knn");
  const nb = neighboursOf(options.backend ?? (defaultBackend() as unknown as Backend<B>), xr, qr, k);
  const out = new Int32Array(qr.n);
  const votes = new Map<number, number>();
  for (let q = 0; q < qr.n; q++) {
    votes.clear();
    let most = 0;
    for (let t = 0; t < k; t++) {
      const label = y[nb.indices[q * k + t]!]!, c = (votes.get(label) ?? 0) + 1;
      votes.set(label, c);
      if (c > most) most = c;
    }
    // Nearest first: the first neighbour whose label has the top count wins.
    for (let t = 0; t < k; t++) {
      const label = y[nb.indices[q * k + t]!]!;
      if (votes.get(label) === most) { out[q] = label; break; }
    }
  }
  return out;
}

/** The fraction of test rows whose knnPredict class equals testY. */
export function knnAccuracy<B extends Buffer = Buffer>(trainX: TensorLike, trainY: ArrayLike<number>, testX: TensorLike,
  testY: ArrayLike<number>, k: number, options: NeighbourOptions<B> = {}): number {
  const predicted = knnPredict(trainX, trainY, testX, k, options);
  const truth = labelsOf(testY, predicted.length, "knn testY");
  if (truth.length === 0) throw new ConfigError("knnAccuracy: no test rows");
  let hit = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hit++;
  return hit / truth.length;
}
