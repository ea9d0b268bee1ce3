/**
 * Exact agglomerative (hierarchical) clustering on Euclidean distances, in the layout and
 * numbering of scipy.cluster.hierarchy.linkage:
 *
 * - ward, average and complete run the nearest-neighbour chain algorithm on a condensed
 *   float64 distance matrix (n (n - 1) / 2 values), updated by the Lance–Williams formulas;
 * - single builds a minimum spanning tree with Prim's algorithm, computing distances on the
 *   fly (O(n) extra memory).
 *
 * Merges are then sorted by distance (stable: merges at equal distance keep the order the
 * algorithm found them in) and relabelled with a union-find, so that row i of the matrix is
 * (a, b, distance, size): the clusters a < b merged into the cluster numbered n + i, points
 * being the clusters 0..n-1. Ward distances are SciPy's: the Ward distance between the two
 * merged clusters, sqrt(2 |A| |B| / (|A| + |B|)) times the distance between their centroids,
 * which for two single points is their Euclidean distance.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { maybeDefaultRuntime } from "../backend/default.js";
import { WasmBackend } from "../backend/wasm.js";
import { ConfigError } from "../nn/layer.js";
import { checkTensorLike, ShapeError, type TensorLike } from "../tensor/tensor.js";

export type LinkageMethod = "ward" | "average" | "complete" | "single";

const METHODS: readonly LinkageMethod[] = ["ward", "average", "complete", "single"];

/** The result of `linkage`: n points and the [n - 1, 4] matrix, row-major. */
export interface Linkage {
  readonly n: number;
  readonly method: LinkageMethod;
  /** Row i = (cluster a, cluster b, distance, size of the new cluster n + i), a < b, distances non-decreasing. */
  readonly matrix: Float64Array;
}

/** Condensed matrices beyond this many entries are refused (16 GiB of float64). */
const MAX_CONDENSED = 2 ** 31;

/** The rows of x as one contiguous float64 array; throws a ConfigError naming a non-finite row. */
function rowsOf(x: TensorLike, what: string): { n: number; d: number; v: Float64Array } {
  checkTensorLike(x, what);
  if (x.shape.length !== 2) throw new ShapeError(`${what} must be [n, d], got [${x.shape.join(", ")}]`);
  const [n, d] = x.shape as [number, number];
  if (d < 1) throw new ShapeError(`${what} must have at least one column, got [${n}, ${d}]`);
  if (n < 2) throw new ConfigError(`${what}: clustering needs at least 2 points, got ${n}`);
  const v = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const value = x.data[x.offset + i * x.stride[0]! + j * x.stride[1]!]!;
      if (!Number.isFinite(value)) throw new ConfigError(`${what}: row ${i} has a non-finite value (${value}) in column ${j}`);
      v[i * d + j] = value;
    }
  }
  return { n, d, v };
}

function euclidean(v: Float64Array, d: number, i: number, j: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) { const t = v[i * d + k]! - v[j * d + k]!; s += t * t; }
  const r = Math.sqrt(s);
  if (!Number.isFinite(r)) throw new ConfigError(`linkage: the distance between rows ${i} and ${j} overflows float64`);
  return r;
}

/** The ConfigError for an infinite distance at condensed index p. */
function overflow(n: number, p: number): ConfigError {
  let i = 0;
  while (p >= n - i - 1) { p -= n - i - 1; i++; }
  return new ConfigError(`linkage: the distance between rows ${i} and ${i + 1 + p} overflows float64`);
}

/** Index of the pair (i, j), i != j, in the condensed upper triangle of an n x n matrix. */
function condensed(n: number, i: number, j: number): number {
  if (i > j) { const t = i; i = j; j = t; }
  return n * i - (i * (i + 1)) / 2 + j - i - 1;
}

/** The distance from cluster i to x ∪ y, from d(i, x), d(i, y), d(x, y) and the sizes. */
type Update = (dix: number, diy: number, dxy: number, nx: number, ny: number, ni: number) => number;

const UPDATES: Record<Exclude<LinkageMethod, "single">, Update> = {
  complete: (dix, diy) => (dix > diy ? dix : diy),
  average: (dix, diy, _dxy, nx, ny) => (nx * dix + ny * diy) / (nx + ny),
  ward: (dix, diy, dxy, nx, ny, ni) => {
    const t = 1 / (nx + ny + ni);
    return Math.sqrt((ni + nx) * t * dix * dix + (ni + ny) * t * diy * diy - ni * t * dxy * dxy);
  },
};

/**
 * Nearest-neighbour chain: grow a chain of nearest neighbours until its last two clusters are
 * each other's nearest, merge them, and continue from what is left of the chain. Ties go to the
 * previous cluster of the chain, then to the lowest cluster index. The merged cluster takes
 * the place of the larger index of the pair. Rows come out in merge order, unlabelled.
 * The scans run over `active`, the clusters still alive in increasing order (compacted when a
 * quarter of it has been merged away), so they visit clusters in index order as a scan of all n
 * would; pair (i, j), i < j, is read at rowStart[i] + j.
 */
function nnChain(dist: Float64Array, n: number, update: Update): Float64Array {
  const z = new Float64Array((n - 1) * 4);
  const size = new Int32Array(n).fill(1); // 0: merged into another cluster
  const chain = new Int32Array(n);
  const rowStart = new Float64Array(n); // condensed(n, i, j) = rowStart[i] + j for j > i
  for (let i = 0; i < n; i++) rowStart[i] = n * i - (i * (i + 1)) / 2 - i - 1;
  const active = new Int32Array(n);
  for (let i = 0; i < n; i++) active[i] = i;
  let alive = n, dead = 0, len = 0;
  for (let k = 0; k < n - 1; k++) {
    if (len === 0) {
      for (let a = 0; a < alive; a++) if (size[active[a]!]! > 0) { chain[0] = active[a]!; len = 1; break; }
    }
    let x: number, y = -1, best: number;
    for (;;) {
      x = chain[len - 1]!;
      if (len > 1) { y = chain[len - 2]!; best = dist[condensed(n, x, y)]!; } else best = Infinity;
      const rx = rowStart[x]!;
      for (let a = 0; a < alive; a++) {
        const i = active[a]!;
        if (i === x || size[i] === 0) continue;
        const dxi = i < x ? dist[rowStart[i]! + x]! : dist[rx + i]!;
        if (dxi < best) { best = dxi; y = i; }
      }
      if (len > 1 && y === chain[len - 2]) break;
      chain[len++] = y;
    }
    len -= 2;
    if (x > y) { const t = x; x = y; y = t; }
    const nx = size[x]!, ny = size[y]!;
    z[k * 4] = x; z[k * 4 + 1] = y; z[k * 4 + 2] = best; z[k * 4 + 3] = nx + ny;
    size[x] = 0;
    size[y] = nx + ny;
    const ry = rowStart[y]!, rx = rowStart[x]!;
    for (let a = 0; a < alive; a++) {
      const i = active[a]!;
      if (i === y || size[i] === 0) continue;
      const iy = i < y ? rowStart[i]! + y : ry + i;
      const ix = i < x ? rowStart[i]! + x : rx + i;
      dist[iy] = update(dist[ix]!, dist[iy]!, best, nx, ny, size[i]!);
    }
    if (++dead * 4 > alive) {
      let w = 0;
      for (let a = 0; a < alive; a++) if (size[active[a]!]! > 0) active[w++] = active[a]!;
      alive = w; dead = 0;
    }
  }
  return z;
}

/**
 * Prim's minimum spanning tree from point 0; each row is a tree edge (its point in the tree,
 * the point added, length), in the order the points were added. Ties go to the lowest index.
 */
function primMst(v: Float64Array, n: number, d: number): Float64Array {
  const z = new Float64Array((n - 1) * 4);
  const inTree = new Uint8Array(n);
  const nearest = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n);
  let x = 0;
  for (let k = 0; k < n - 1; k++) {
    inTree[x] = 1;
    let y = -1, best = Infinity;
    for (let i = 0; i < n; i++) {
      if (inTree[i]) continue;
      const dxi = euclidean(v, d, x, i);
      if (dxi < nearest[i]!) { nearest[i] = dxi; from[i] = x; }
      if (nearest[i]! < best || y < 0) { best = nearest[i]!; y = i; }
    }
    z.set([from[y]!, y, best, 0], k * 4);
    x = y;
  }
  return z;
}

/** Sorts rows by distance (stable) and renumbers them as merges of clusters n + i, with sizes. */
function sortAndLabel(raw: Float64Array, n: number): Float64Array {
  const order = Array.from({ length: n - 1 }, (_, i) => i).sort((a, b) => raw[a * 4 + 2]! - raw[b * 4 + 2]! || a - b);
  const parent = new Int32Array(2 * n - 1);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const size = new Float64Array(2 * n - 1).fill(1);
  const find = (a: number): number => {
    let r = a;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[a] !== r) { const next = parent[a]!; parent[a] = r; a = next; }
    return r;
  };
  const z = new Float64Array((n - 1) * 4);
  order.forEach((src, i) => {
    const a = find(raw[src * 4]!), b = find(raw[src * 4 + 1]!);
    const label = n + i;
    parent[a] = label; parent[b] = label;
    size[label] = size[a]! + size[b]!;
    z.set([Math.min(a, b), Math.max(a, b), raw[src * 4 + 2]!, size[label]!], i * 4);
  });
  return z;
}

export interface LinkageOptions {
  /**
   * Where the condensed distances are computed: a WasmBackend runs assembly/distances.ts, any
   * other backend the host loop; both give the same bits. Default: the default runtime's
   * backend when init() has run, else the host loop.
   */
  readonly backend?: Backend<Buffer>;
}

/** The condensed Euclidean distances of the rows of v [n, d] into dist, in float64 on the host. */
function hostDistances(v: Float64Array, n: number, d: number, dist: Float64Array): void {
  for (let i = 0, p = 0; i < n; i++) {
    const oi = i * d;
    for (let j = i + 1; j < n; j++) {
      let sq = 0;
      for (let c = 0, oj = j * d; c < d; c++) { const t = v[oi + c]! - v[oj + c]!; sq += t * t; }
      dist[p++] = Math.sqrt(sq);
    }
  }
}

/** hostDistances on the kernel, one condensed row per call, the data transposed in the arena. */
function kernelDistances(be: WasmBackend, v: Float64Array, n: number, d: number, dist: Float64Array): void {
  const xt = be.arena.allocBytes(8 * n * d);
  let row = 0;
  try {
    row = be.arena.allocBytes(8 * n);
    const k = be.module.exports;
    const t = new Float64Array(k.memory.buffer, xt, n * d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) t[c * n + i] = v[i * d + c]!;
    for (let i = 0, p = 0; i < n - 1; i++) {
      k.condensed_row_f64(xt, n, d, i, row);
      const len = n - i - 1;
      dist.set(new Float64Array(k.memory.buffer, row, len), p);
      p += len;
    }
  } finally {
    be.arena.release(xt);
    if (row) be.arena.release(row);
  }
}

/**
 * Agglomerative clustering of the rows of x [n, d] (n >= 2, finite values) by Euclidean
 * distance: the linkage matrix of scipy.cluster.hierarchy.linkage(x, method). Ward, average
 * and complete keep a float64 matrix of n (n - 1) / 2 distances; single needs O(n) memory.
 */
export function linkage(x: TensorLike, method: LinkageMethod, options: LinkageOptions = {}): Linkage {
  if (!METHODS.includes(method)) throw new ConfigError(`linkage: unknown method ${JSON.stringify(method)} (expected one of ${METHODS.join(", ")})`);
  const { n, d, v } = rowsOf(x, "linkage input");
  let raw: Float64Array;
  if (method === "single") raw = primMst(v, n, d);
  else {
    const m = (n * (n - 1)) / 2;
    if (m > MAX_CONDENSED) throw new ConfigError(`linkage: ${n} points need ${m} pairwise distances, more than the ${MAX_CONDENSED} this method keeps in memory ("single" needs none)`);
    const dist = new Float64Array(m);
    const be = options.backend ?? maybeDefaultRuntime()?.backend;
    if (be instanceof WasmBackend) kernelDistances(be, v, n, d, dist);
    else hostDistances(v, n, d, dist);
    const far = dist.indexOf(Infinity);
    if (far >= 0) throw overflow(n, far);
    raw = nnChain(dist, n, UPDATES[method]);
  }
  return Object.freeze({ n, method, matrix: sortAndLabel(raw, n) });
}

/**
 * Checks a linkage (a Linkage record, or a bare [n - 1, 4] matrix) and returns n and its
 * matrix: every row merges two clusters that exist and are not yet merged, a < b.
 */
export function checkLinkage(l: Linkage | Float64Array, what = "linkage"): { n: number; matrix: Float64Array } {
  const matrix = l instanceof Float64Array ? l : l?.matrix;
  if (!(matrix instanceof Float64Array) || matrix.length < 4 || matrix.length % 4 !== 0) {
    throw new ConfigError(`${what}: expected a linkage (or its [n - 1, 4] Float64Array), n >= 2`);
  }
  const n = matrix.length / 4 + 1;
  if (!(l instanceof Float64Array) && l.n !== n) throw new ConfigError(`${what}: n = ${l.n} but the matrix has ${n - 1} rows`);
  const used = new Uint8Array(2 * n - 1);
  for (let i = 0; i < n - 1; i++) {
    const a = matrix[i * 4]!, b = matrix[i * 4 + 1]!;
    for (const c of [a, b]) {
      if (!Number.isInteger(c) || c < 0 || c >= n + i || used[c]) throw new ConfigError(`${what}: row ${i} merges cluster ${c}, which is not an existing unmerged cluster`);
      used[c] = 1;
    }
    if (!(a < b)) throw new ConfigError(`${what}: row ${i} must list the smaller cluster first, got (${a}, ${b})`);
  }
  return { n, matrix };
}

/**
 * Flat clusters: labels 0..k-1 for the n points, from the first n - k merges of the linkage
 * (the partition just before its last k - 1 merges), the same partition as SciPy's
 * fcluster(Z, k, criterion="maxclust") unless merges tie at the cut's distance, where
 * fcluster returns fewer clusters and this still returns k. Labels are numbered in order of
 * each cluster's smallest point: point 0 has label 0, the first point not with it label 1, ...
 */
export function cut(l: Linkage | Float64Array, k: number): Int32Array {
  const { n, matrix } = checkLinkage(l, "cut");
  if (!Number.isSafeInteger(k) || k < 1 || k > n) throw new ConfigError(`cut: k must be an integer in [1, ${n}], got ${k}`);
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (a: number): number => { while (parent[a] !== a) { parent[a] = parent[parent[a]!]!; a = parent[a]!; } return a; };
  // a point standing for each cluster, points and merged clusters alike
  const rep = new Int32Array(2 * n - 1);
  for (let i = 0; i < n; i++) rep[i] = i;
  for (let i = 0; i < n - k; i++) {
    const a = find(rep[matrix[i * 4]!]!), b = find(rep[matrix[i * 4 + 1]!]!);
    parent[Math.max(a, b)] = Math.min(a, b);
    rep[n + i] = Math.min(a, b);
  }
  const labels = new Int32Array(n).fill(-1);
  const byRoot = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    let label = byRoot.get(r);
    if (label === undefined) { label = byRoot.size; byRoot.set(r, label); }
    labels[i] = label;
  }
  return labels;
}
