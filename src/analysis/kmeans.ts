/**
 * k-means clustering of the rows of x [n, d] (e.g. latent codes): k-means++ seeding
 * (kmeans-seed.ts), Lloyd iterations, the best of nInit restarts, after scikit-learn's KMeans.
 *
 * Numbers: the data are centred on their float64 column means first (the distances and the
 * result do not change; the f32 products lose less to cancellation). In each Lloyd step the
 * squared distances are ||x||² - 2 x·c + ||c||², with x·c an f32 GEMM on the backend
 * (x [n, d] times centres [k, d] transposed, in blocks of rows) and the norms in float64; the
 * argmin (ties to the lower cluster index), the new centres (means of their points) and the
 * inertia are float64 on the host. The reported inertia is the exact float64 sum of squared
 * distances (x - c)² from each point to its centre; the returned centroids are those float64
 * centres rounded to f32. On a WasmBackend (d <= 576) the assignment (those same f32 dot
 * products and f64 combination) and the per-cluster sums run in the kernels of assembly/kmeans.ts,
 * bit-identical to the GEMM-and-host-loop path (which other backends take) over the same module.
 *
 * Convergence, as scikit-learn: stop when the labels did not change, or when the sum over
 * centres of the squared centre shift is <= tol * (mean over features of the population
 * variance of x); when stopped by tol or maxIter, the labels are recomputed once for the final
 * centres. `iterations` counts the Lloyd steps of the kept restart.
 *
 * Empty clusters: after an assignment, each empty cluster (in index order) takes as its centre
 * the point farthest from its own centre (largest distance first, ties to the lower row),
 * among points whose cluster keeps at least one other point; that point leaves its old
 * cluster's mean. With fewer distinct points than k some clusters may stay empty.
 *
 * Randomness: restart r seeds from foldIn(key, r); the result is a function of (x, k, options).
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { WasmBackend } from "../backend/wasm.js";
import type { KernelExports, Ptr } from "../kernels/exports.js";
import { ConfigError } from "../nn/layer.js";
import { foldIn, type Key } from "../random/index.js";
import { checkTensorLike, ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { kmeansPlusPlus, sqDist } from "./kmeans-seed.js";

export interface KMeansOptions {
  /** The key the seeding draws from (restart r uses foldIn(key, r)). */
  readonly key: Key;
  /** Restarts from independent seedings; the lowest inertia is kept (default 4). */
  readonly nInit?: number;
  /** Most Lloyd steps per restart (default 300). */
  readonly maxIter?: number;
  /** Relative tolerance on the squared centre shift (default 1e-4; 0 runs until the labels are stable). */
  readonly tol?: number;
  /** The backend of the distance GEMM (default: the one init() set). */
  readonly backend?: Backend<Buffer>;
}

export interface KMeansResult {
  /** Cluster index of each row, in 0..k-1. */
  readonly labels: Int32Array;
  /** [k, d], row j is the mean of the points labelled j (f32). */
  readonly centroids: Tensor;
  /** Sum of squared Euclidean distances from each point to its centroid (float64). */
  readonly inertia: number;
  /** Lloyd steps run by the kept restart. */
  readonly iterations: number;
}

/** Rows of x per distance GEMM (bounds the [rows, k] product buffer). */
const BLOCK_ROWS = 4096;
/** gemm_f32's KC: up to this depth it sums each product in one pass, as kmeans_assign_f32 does. */
const GEMM_DEPTH_BLOCK = 576;

function checkOptions(n: number, k: number, o: KMeansOptions): { nInit: number; maxIter: number; tol: number } {
  if (!Number.isSafeInteger(k) || k < 1) throw new ConfigError(`kmeans: k must be a positive integer, got ${k}`);
  if (k > n) throw new ConfigError(`kmeans: k (${k}) must not exceed the number of rows (${n})`);
  if (o === null || typeof o !== "object" || o.key === null || typeof o.key !== "object") {
    throw new ConfigError("kmeans: options.key (a random key) is required");
  }
  const nInit = o.nInit ?? 4, maxIter = o.maxIter ?? 300, tol = o.tol ?? 1e-4;
  if (!Number.isSafeInteger(nInit) || nInit < 1) throw new ConfigError(`kmeans: nInit must be a positive integer, got ${nInit}`);
  if (!Number.isSafeInteger(maxIter) || maxIter < 1) throw new ConfigError(`kmeans: maxIter must be a positive integer, got ${maxIter}`);
  if (typeof tol !== "number" || !(tol >= 0) || !Number.isFinite(tol)) throw new ConfigError(`kmeans: tol must be a finite number >= 0, got ${tol}`);
  return { nInit, maxIter, tol };
}

/** x as centred float64 rows [n, d], with its column means; non-finite values are a ConfigError. */
function gather(x: TensorLike, n: number, d: number): { xs: Float64Array; mean: Float64Array } {
  const xs = new Float64Array(n * d), mean = new Float64Array(d);
  const s0 = x.stride[0]!, s1 = x.stride[1]!;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = Number(x.data[x.offset + i * s0 + j * s1]);
      if (!Number.isFinite(v)) throw new ConfigError(`kmeans: row ${i} of x holds a non-finite value (${v}) in column ${j}`);
      xs[i * d + j] = v;
      mean[j] = mean[j]! + v;
    }
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xs[i * d + j] = xs[i * d + j]! - mean[j]!;
  return { xs, mean };
}

/**
 * The per-iteration work of one call: assign (each row's nearest centre and squared distance)
 * and sums (per-cluster sums of the rows in row order, and counts). GemmStepper runs the
 * assignment as a backend GEMM combined on the host (any backend); KernelStepper runs both in
 * the kernels of assembly/kmeans.ts (WasmBackend), with the same arithmetic, so the two give
 * the same bits on a WasmBackend.
 */
interface Stepper {
  assign(centres: Float64Array, labels: Int32Array, dist: Float64Array): void;
  sums(labels: Int32Array, sums: Float64Array, counts: Int32Array): void;
  dispose(): void;
}

/** Squared norms of the k rows of c [k, d] (float64, summed in order) into out. */
function rowNorms(c: Float64Array, k: number, d: number, out: Float64Array): void {
  for (let j = 0; j < k; j++) { let s = 0; for (let t = 0; t < d; t++) s += c[j * d + t]! ** 2; out[j] = s; }
}

class GemmStepper implements Stepper {
  private readonly xb: Buffer;
  private readonly cb: Buffer;
  private readonly gb: Buffer;
  private readonly xsq: Float64Array;
  private readonly csq: Float64Array;
  private readonly rows: number;

  constructor(private readonly be: Backend<Buffer>, private readonly xs: Float64Array,
    private readonly n: number, private readonly d: number, private readonly k: number) {
    this.rows = Math.min(n, BLOCK_ROWS);
    const bufs: Buffer[] = [];
    try {
      for (const len of [n * d, k * d, this.rows * k]) bufs.push(be.alloc(len));
      be.write(bufs[0]!, xs);
    } catch (e) { for (const b of bufs) be.free(b); throw e; }
    [this.xb, this.cb, this.gb] = bufs as [Buffer, Buffer, Buffer];
    this.xsq = new Float64Array(n);
    rowNorms(xs, n, d, this.xsq);
    this.csq = new Float64Array(k);
  }

  assign(centres: Float64Array, labels: Int32Array, dist: Float64Array): void {
    const { be, n, d, k } = this;
    be.write(this.cb, centres);
    rowNorms(centres, k, d, this.csq);
    for (let i0 = 0; i0 < n; i0 += this.rows) {
      const m = Math.min(this.rows, n - i0);
      const xv = be.view(this.xb, i0 * d, m * d), gv = be.view(this.gb, 0, m * k);
      be.gemm(false, true, m, k, d, 1, xv, d, this.cb, d, 0, gv, k);
      const g = be.hostView ? be.hostView(gv) : be.read(gv);
      for (let r = 0; r < m; r++) {
        const i = i0 + r;
        let bestJ = 0, best = Infinity;
        for (let j = 0; j < k; j++) {
          const v = this.xsq[i]! - 2 * g[r * k + j]! + this.csq[j]!;
          if (v < best) { best = v; bestJ = j; }
        }
        labels[i] = bestJ;
        dist[i] = Math.max(best, 0);
      }
    }
  }

  sums(labels: Int32Array, sums: Float64Array, counts: Int32Array): void {
    const { xs, n, d } = this;
    sums.fill(0); counts.fill(0);
    for (let i = 0; i < n; i++) {
      const j = labels[i]!;
      counts[j] = counts[j]! + 1;
      for (let t = 0; t < d; t++) sums[j * d + t] = sums[j * d + t]! + xs[i * d + t]!;
    }
  }

  dispose(): void {
    this.be.free(this.gb); this.be.free(this.cb); this.be.free(this.xb);
  }
}

/** Arena blocks: x f32 and f64 [n, d], centres transposed f32 [d, kp], norms, labels, dist, sums. */
class KernelStepper implements Stepper {
  private readonly kx: KernelExports;
  private readonly blocks: Ptr[] = [];
  private readonly kp: number;
  private readonly csq: Float64Array;
  private x32 = 0; private x64 = 0; private ct = 0; private xsq = 0; private csqP = 0;
  private labels = 0; private dist = 0; private sumsP = 0; private counts = 0;

  constructor(private readonly be: WasmBackend, xs: Float64Array,
    private readonly n: number, private readonly d: number, private readonly k: number) {
    this.kx = be.module.exports;
    const kp = this.kp = (k + 3) & ~3;
    this.csq = new Float64Array(kp);
    try {
      this.x32 = this.alloc(4 * n * d); this.x64 = this.alloc(8 * n * d); this.ct = this.alloc(4 * d * kp);
      this.xsq = this.alloc(8 * n); this.csqP = this.alloc(8 * kp); this.labels = this.alloc(4 * n);
      this.dist = this.alloc(8 * n); this.sumsP = this.alloc(8 * k * d); this.counts = this.alloc(4 * k);
      // Views only now: an allocation may have grown (and detached) the memory.
      const mem = this.kx.memory.buffer;
      new Float32Array(mem, this.x32, n * d).set(xs);
      new Float64Array(mem, this.x64, n * d).set(xs);
      new Float32Array(mem, this.ct, d * kp).fill(0);
      rowNorms(xs, n, d, new Float64Array(mem, this.xsq, n));
    } catch (e) { this.dispose(); throw e; }
  }

  private alloc(bytes: number): Ptr { const p = this.be.arena.allocBytes(bytes); this.blocks.push(p); return p; }

  assign(centres: Float64Array, labels: Int32Array, dist: Float64Array): void {
    const { kx, n, d, k, kp } = this;
    const mem = kx.memory.buffer, ct = new Float32Array(mem, this.ct, d * kp);
    for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) ct[t * kp + j] = centres[j * d + t]!;
    rowNorms(centres, k, d, this.csq);
    new Float64Array(mem, this.csqP, kp).set(this.csq);
    kx.kmeans_assign_f32(n, d, k, this.x32, this.ct, this.xsq, this.csqP, this.labels, this.dist);
    labels.set(new Int32Array(kx.memory.buffer, this.labels, n));
    dist.set(new Float64Array(kx.memory.buffer, this.dist, n));
  }

  sums(labels: Int32Array, sums: Float64Array, counts: Int32Array): void {
    const { kx, n, d, k } = this;
    new Int32Array(kx.memory.buffer, this.labels, n).set(labels);
    kx.kmeans_sums_f64(n, d, k, this.x64, this.labels, this.sumsP, this.counts);
    sums.set(new Float64Array(kx.memory.buffer, this.sumsP, k * d));
    counts.set(new Int32Array(kx.memory.buffer, this.counts, k));
  }

  dispose(): void {
    while (this.blocks.length > 0) this.be.arena.release(this.blocks.pop()!);
  }
}

/** Means of the labelled points, with empty clusters re-seeded (see the file comment). */
function update(st: Stepper, xs: Float64Array, n: number, d: number, k: number, labels: Int32Array, dist: Float64Array,
  previous: Float64Array): Float64Array {
  const sums = new Float64Array(k * d), counts = new Int32Array(k);
  st.sums(labels, sums, counts);
  const out = new Float64Array(k * d);
  const empty: number[] = [];
  for (let j = 0; j < k; j++) if (counts[j] === 0) empty.push(j);
  if (empty.length > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b]! - dist[a]! || a - b);
    let next = 0;
    for (const j of empty) {
      while (next < n && counts[labels[order[next]!]!]! < 2) next++;
      if (next >= n) { out.set(previous.subarray(j * d, j * d + d), j * d); continue; }
      const i = order[next++]!, old = labels[i]!;
      counts[old] = counts[old]! - 1;
      for (let t = 0; t < d; t++) {
        sums[old * d + t] = sums[old * d + t]! - xs[i * d + t]!;
        sums[j * d + t] = xs[i * d + t]!;
      }
      counts[j] = 1;
    }
  }
  for (let j = 0; j < k; j++) {
    if (counts[j] === 0) continue;
    for (let t = 0; t < d; t++) out[j * d + t] = sums[j * d + t]! / counts[j]!;
  }
  return out;
}

interface Run { labels: Int32Array; centres: Float64Array; inertia: number; iterations: number }

function lloyd(asg: Stepper, xs: Float64Array, n: number, d: number, k: number, seeds: Float64Array,
  maxIter: number, tolAbs: number): Run {
  let centres = seeds;
  let labels = new Int32Array(n), old = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n);
  let iterations = 0, stable = false;
  for (let it = 0; it < maxIter; it++) {
    asg.assign(centres, labels, dist);
    const next = update(asg, xs, n, d, k, labels, dist, centres);
    let shift = 0;
    for (let t = 0; t < k * d; t++) shift += (next[t]! - centres[t]!) ** 2;
    centres = next;
    iterations = it + 1;
    let same = true;
    for (let i = 0; i < n && same; i++) same = labels[i] === old[i];
    if (same) { stable = true; break; }
    if (shift <= tolAbs) break;
    const swap = old; old = labels; labels = swap;
  }
  if (!stable) asg.assign(centres, labels, dist);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(xs, i, centres, labels[i]!, d);
  return { labels, centres, inertia, iterations };
}

/** k-means of the rows of x [n, d]; see the file comment for the method and its numbers. */
export function kmeans(x: TensorLike, k: number, options: KMeansOptions): KMeansResult {
  checkTensorLike(x, "kmeans input");
  if (x.shape.length !== 2) throw new ShapeError(`kmeans input must be [n, d], got [${x.shape.join(", ")}]`);
  const [n, d] = x.shape as [number, number];
  if (n < 1 || d < 1) throw new ShapeError(`kmeans input must have at least one row and one column, got [${n}, ${d}]`);
  const { nInit, maxIter, tol } = checkOptions(n, k, options);
  const { xs, mean } = gather(x, n, d);
  let variance = 0;
  for (let i = 0; i < n * d; i++) variance += xs[i]! ** 2;
  const tolAbs = tol * (variance / (n * d));
  const be = options.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
  // The kernel's dot products equal gemm_f32's while d fits one GEMM depth block (576).
  const asg: Stepper = be instanceof WasmBackend && d <= GEMM_DEPTH_BLOCK ? new KernelStepper(be, xs, n, d, k)
    : new GemmStepper(be, xs, n, d, k);
  let best: Run | undefined;
  try {
    for (let r = 0; r < nInit; r++) {
      const seeds = kmeansPlusPlus(xs, n, d, k, foldIn(options.key, r));
      const run = lloyd(asg, xs, n, d, k, seeds, maxIter, tolAbs);
      if (!best || run.inertia < best.inertia) best = run;
    }
  } finally {
    asg.dispose();
  }
  const c = new Float32Array(k * d);
  for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) c[j * d + t] = best!.centres[j * d + t]! + mean[t]!;
  return { labels: best!.labels, centroids: tensor(c, [k, d]), inertia: best!.inertia, iterations: best!.iterations };
}
