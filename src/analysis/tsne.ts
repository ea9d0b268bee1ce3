/**
 * t-SNE (van der Maaten & Hinton 2008), exact or by Barnes-Hut (van der Maaten 2014).
 * - "exact": the joint P over all pairs (tsne-affinities.ts) and the exact gradient; O(n^2) time
 *   and memory per iteration.
 * - "barnes-hut": P over the floor(3 perplexity) nearest neighbours of each point
 *   (tsne-sparse.ts), the gradient by a quadtree (tsne-barnes-hut.ts, theta default 0.5);
 *   about O(n log n) per iteration. 2-D only: other dims are a ConfigError (use "exact").
 * - "auto" (the default): exact for n <= TSNE_EXACT_MAX_POINTS (1000), Barnes-Hut above. Up to
 *   there the exact gradient is affordable (measured on the kernels, 2 cores: n = 1000 takes about
 *   4 s per 1000 iterations exact, 1 s by Barnes-Hut; n = 2000 already 25 s exact).
 * - The KL reported for Barnes-Hut is over the sparse P with the tree's Z (bhtsne's evaluateError).
 * Where it runs: on a WasmBackend (the default runtime's unless `backend` is given) the kernels of
 * assembly/tsne.ts in float64 (the Barnes-Hut far field in float32); on any other backend (e.g.
 * the float64 ReferenceBackend) plain float64 code: the exact method is then the original
 * tsneGradient loop, the oracle the kernels and Barnes-Hut are tested against.
 * The default step 200 suits thousands of points; for a few hundred it overshoots and the cost
 * oscillates, and a step near n / earlyExaggeration (openTSNE's rule) works better.
 *
 * Schedule (bhtsne's): gradient descent with momentum 0.5 for the first MOMENTUM_SWITCH = 250
 * iterations and 0.8 after; per-coordinate gains, +0.2 where the gradient's sign differs from the
 * previous update's and *0.8 where it agrees, never below 0.01; P multiplied by
 * `earlyExaggeration` for the first `exaggerationIterations` iterations; Y re-centred to zero
 * mean after every step (the step: tsne_step_f64 or its reference). Input affinities:
 * tsne-affinities.ts (exact), tsne-sparse.ts (Barnes-Hut); objective: tsne-objective.ts.
 *
 * Initialisation: "random" draws y ~ N(0, 1e-4^2) from `key` (normalF64); "pca" projects the
 * centred data on its first `dims` principal components (./pca.ts, Jacobi on the d x d
 * covariance, so for moderate d) and scales them so that the first coordinate has standard
 * deviation 1e-4 (population std, as scikit-learn does). The result is a function of
 * (x, options) and the kernel build: the same key gives the same bits.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ConfigError } from "../nn/layer.js";
import { normalF64, type Key } from "../random/index.js";
import { tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { rowsOf, type Rows } from "./knn.js";
import { pca } from "./pca.js";
import { checkPerplexity, perplexityAffinities } from "./tsne-affinities.js";
import { checkTheta } from "./tsne-barnes-hut.js";
import { makeEngine, type Affinities } from "./tsne-engine.js";
import { sparsePerplexityAffinities } from "./tsne-sparse.js";

export { checkPerplexity, conditionalAffinities, perplexityAffinities } from "./tsne-affinities.js";
export { tsneCost, tsneGradient } from "./tsne-objective.js";

/** Method "auto" runs the exact method up to this many points and Barnes-Hut above. */
export const TSNE_EXACT_MAX_POINTS = 1000;

/** Iterations run with momentum 0.5 before switching to 0.8. */
export const MOMENTUM_SWITCH = 250;
const MOMENTUM = 0.5, FINAL_MOMENTUM = 0.8;
const INIT_STD = 1e-4;

export interface TsneOptions {
  /** The key the random initialisation draws from (required, also with init "pca"). */
  readonly key: Key;
  /** Target perplexity of each point's conditional distribution (default 30), in (0, (n - 1) / 3]. */
  readonly perplexity?: number;
  /** Embedding dimensions (default 2). */
  readonly dims?: number;
  /** Gradient steps (default 1000). */
  readonly iterations?: number;
  /** Step size eta (default 200). */
  readonly learningRate?: number;
  /** Factor on P during the first exaggerationIterations iterations (default 12). */
  readonly earlyExaggeration?: number;
  /** Iterations with exaggerated P (default 250). */
  readonly exaggerationIterations?: number;
  /** "random" (default) or "pca". */
  readonly init?: "random" | "pca";
  /**
   * Called after every `progressEvery`-th iteration and after the last with the number of
   * iterations done and KL(P || Q) against the unexaggerated P.
   */
  readonly onProgress?: (iteration: number, cost: number) => void;
  /** Iterations between onProgress calls (default 50, bhtsne's reporting interval). */
  readonly progressEvery?: number;
  /** "auto" (default: exact for n <= TSNE_EXACT_MAX_POINTS, else Barnes-Hut), "exact" or "barnes-hut" (dims 2 only). */
  readonly method?: "auto" | "exact" | "barnes-hut";
  /** Barnes-Hut accuracy, a finite number >= 0 (default 0.5; 0 is exact; see tsne-barnes-hut.ts); unused by "exact". */
  readonly theta?: number;
  /**
   * Where the work runs (default: the default runtime's backend, so init() first): a WasmBackend
   * runs the kernels, any other backend float64 host code. Also runs the kNN's GEMM.
   */
  readonly backend?: Backend<Buffer>;
}

export interface TsneResult {
  /** [n, dims] float32. */
  readonly embedding: Tensor;
  /**
   * KL(P || Q) of the final embedding (float64, unexaggerated P); for Barnes-Hut over the sparse
   * P with Z estimated by the tree (bhtsne's evaluateError).
   */
  readonly cost: number;
  readonly iterations: number;
  /** The method that ran ("auto" resolved). */
  readonly method: "exact" | "barnes-hut";
}

function positive(v: number, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ConfigError(`tsne: ${what} must be a positive finite number, got ${v}`);
  return v;
}

function count(v: number, what: string, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(`tsne: ${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

function pcaInit(rows: Rows, dims: number): Float64Array {
  const { n, d, data } = rows;
  const p = pca({ data, shape: [n, d], stride: [d, 1], offset: 0 }, dims);
  const y = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dims; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[i * d + j]! - p.mean[j]!) * p.components[c]![j]!;
      y[i * dims + c] = s;
    }
  }
  let mean = 0, sq = 0;
  for (let i = 0; i < n; i++) mean += y[i * dims]! / n;
  for (let i = 0; i < n; i++) sq += (y[i * dims]! - mean) ** 2 / n;
  const std = Math.sqrt(sq);
  const scale = std > 0 ? INIT_STD / std : 1;
  for (let i = 0; i < y.length; i++) y[i] = y[i]! * scale;
  return y;
}

function resolveMethod(o: TsneOptions, n: number, dims: number): "exact" | "barnes-hut" {
  const wanted = o.method ?? "auto";
  if (wanted !== "auto" && wanted !== "exact" && wanted !== "barnes-hut") {
    throw new ConfigError(`tsne: method must be "auto", "exact" or "barnes-hut", got ${String(wanted)}`);
  }
  const method = wanted === "auto" ? (n <= TSNE_EXACT_MAX_POINTS ? "exact" : "barnes-hut") : wanted;
  if (method === "barnes-hut" && dims !== 2) {
    throw new ConfigError(`tsne: method "barnes-hut"${wanted === "auto" ? ` (what "auto" runs for n > ${TSNE_EXACT_MAX_POINTS})` : ""} supports dims = 2 only, got dims = ${dims}; use method "exact"`);
  }
  return method;
}

/** Embeds the rows of x [n, d] in `dims` dimensions by t-SNE; see the file comment. */
export function tsne(x: TensorLike, options: TsneOptions): TsneResult {
  const o = options;
  if (o === null || typeof o !== "object" || o.key === null || typeof o.key !== "object") {
    throw new ConfigError("tsne: options.key (a random key) is required");
  }
  const perplexity = o.perplexity ?? 30;
  const dims = count(o.dims ?? 2, "dims", 1);
  const iterations = count(o.iterations ?? 1000, "iterations", 0);
  const eta = positive(o.learningRate ?? 200, "learningRate");
  const exaggeration = positive(o.earlyExaggeration ?? 12, "earlyExaggeration");
  const exaggerationIterations = count(o.exaggerationIterations ?? 250, "exaggerationIterations", 0);
  const progressEvery = count(o.progressEvery ?? 50, "progressEvery", 1);
  const init = o.init ?? "random";
  if (init !== "random" && init !== "pca") throw new ConfigError(`tsne: init must be "random" or "pca", got ${String(init)}`);
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new ConfigError("tsne: onProgress must be a function");
  const theta = checkTheta(o.theta ?? 0.5, "tsne");

  const rows = rowsOf(x, "tsne input");
  const n = rows.n;
  checkPerplexity(perplexity, n);
  const method = resolveMethod(o, n, dims);
  if (init === "pca" && dims > rows.d) throw new ConfigError(`tsne: init "pca" needs dims <= d = ${rows.d}, got ${dims}`);
  if (method === "barnes-hut" && Math.floor(3 * perplexity) < 1) {
    throw new ConfigError(`tsne: method "barnes-hut" needs perplexity >= 1/3 (floor(3 * perplexity) neighbours), got ${perplexity}`);
  }
  const be = o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
  const xs: TensorLike = { data: rows.data, shape: [n, rows.d], stride: [rows.d, 1], offset: 0 };
  const affinities: Affinities = method === "exact"
    ? { method, p: perplexityAffinities(xs, perplexity) }
    : { method, p: sparsePerplexityAffinities(xs, perplexity, { backend: be }), theta };

  let y0: Float64Array;
  if (init === "pca") y0 = pcaInit(rows, dims);
  else { y0 = normalF64(o.key, n * dims); for (let i = 0; i < y0.length; i++) y0[i] = y0[i]! * INIT_STD; }

  const engine = makeEngine(be, n, dims, y0, affinities);
  try {
    for (let t = 0; t < iterations; t++) {
      engine.forces(t < exaggerationIterations ? exaggeration : 1);
      engine.step(t < MOMENTUM_SWITCH ? MOMENTUM : FINAL_MOMENTUM, eta);
      if (o.onProgress && ((t + 1) % progressEvery === 0 || t + 1 === iterations)) o.onProgress(t + 1, engine.cost());
    }
    const cost = engine.cost(), y = engine.embedding();
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) throw new ConfigError(`tsne: the embedding diverged (a non-finite value in row ${Math.floor(i / dims)}); lower learningRate`);
    }
    return { embedding: tensor(Float32Array.from(y), [n, dims]), cost, iterations, method };
  } finally {
    engine.dispose();
  }
}
