/**
 * Exact t-SNE in float64 (van der Maaten & Hinton 2008), the reference method of bhtsne's exact
 * path (theta = 0): the reference that kernel and Barnes–Hut versions are tested against.
 * O(n^2) time and memory per iteration, so for a few thousand points at most. The default step
 * 200 suits thousands of points; for a few hundred it overshoots and the cost oscillates, and a
 * step near n / earlyExaggeration (openTSNE's rule) works better.
 *
 * Schedule (bhtsne's): gradient descent with momentum 0.5 for the first MOMENTUM_SWITCH = 250
 * iterations and 0.8 after; per-coordinate gains, +0.2 where the gradient's sign differs from the
 * previous update's and *0.8 where it agrees, never below 0.01; P multiplied by
 * `earlyExaggeration` for the first `exaggerationIterations` iterations; Y re-centred to zero
 * mean after every step. Input affinities: tsne-affinities.ts; objective: tsne-objective.ts.
 *
 * Initialisation: "random" draws y ~ N(0, 1e-4^2) from `key` (normalF64); "pca" projects the
 * centred data on its first `dims` principal components (./pca.ts, Jacobi on the d x d
 * covariance, so for moderate d) and scales them so that the first coordinate has standard
 * deviation 1e-4 (population std, as scikit-learn does). The result is a function of
 * (x, options): the same key gives the same bits.
 */
import { ConfigError } from "../nn/layer.js";
import { normalF64, type Key } from "../random/index.js";
import { tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { rowsOf, type Rows } from "./knn.js";
import { pca } from "./pca.js";
import { checkPerplexity, perplexityAffinities } from "./tsne-affinities.js";
import { tsneCost, tsneGradient } from "./tsne-objective.js";

export { checkPerplexity, conditionalAffinities, perplexityAffinities } from "./tsne-affinities.js";
export { tsneCost, tsneGradient } from "./tsne-objective.js";

/** Iterations run with momentum 0.5 before switching to 0.8. */
export const MOMENTUM_SWITCH = 250;
const MOMENTUM = 0.5, FINAL_MOMENTUM = 0.8;
const GAIN_UP = 0.2, GAIN_DOWN = 0.8, MIN_GAIN = 0.01;
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
}

export interface TsneResult {
  /** [n, dims] float32. */
  readonly embedding: Tensor;
  /** KL(P || Q) of the final embedding (float64, unexaggerated P). */
  readonly cost: number;
  readonly iterations: number;
}

function positive(v: number, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ConfigError(`tsne: ${what} must be a positive finite number, got ${v}`);
  return v;
}

function count(v: number, what: string, min: number): number {
  if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(`tsne: ${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

function zeroMean(y: Float64Array, n: number, dims: number): void {
  for (let c = 0; c < dims; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += y[i * dims + c]!;
    m /= n;
    for (let i = 0; i < n; i++) y[i * dims + c] = y[i * dims + c]! - m;
  }
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

/** Embeds the rows of x [n, d] in `dims` dimensions by exact t-SNE; see the file comment. */
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

  const rows = rowsOf(x, "tsne input");
  const n = rows.n;
  checkPerplexity(perplexity, n);
  if (init === "pca" && dims > rows.d) throw new ConfigError(`tsne: init "pca" needs dims <= d = ${rows.d}, got ${dims}`);
  const p = perplexityAffinities({ data: rows.data, shape: [n, rows.d], stride: [rows.d, 1], offset: 0 }, perplexity);

  let y: Float64Array;
  if (init === "pca") y = pcaInit(rows, dims);
  else { y = normalF64(o.key, n * dims); for (let i = 0; i < y.length; i++) y[i] = y[i]! * INIT_STD; }

  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  const exaggerated = exaggerationIterations > 0 ? p.map((v) => v * exaggeration) : p;
  for (let t = 0; t < iterations; t++) {
    const grad = tsneGradient(t < exaggerationIterations ? exaggerated : p, y, n, dims);
    const momentum = t < MOMENTUM_SWITCH ? MOMENTUM : FINAL_MOMENTUM;
    for (let i = 0; i < y.length; i++) {
      const g = grad[i]!;
      let gain = Math.sign(g) !== Math.sign(update[i]!) ? gains[i]! + GAIN_UP : gains[i]! * GAIN_DOWN;
      if (gain < MIN_GAIN) gain = MIN_GAIN;
      gains[i] = gain;
      update[i] = momentum * update[i]! - eta * gain * g;
      y[i] = y[i]! + update[i]!;
    }
    zeroMean(y, n, dims);
    if (o.onProgress && ((t + 1) % progressEvery === 0 || t + 1 === iterations)) o.onProgress(t + 1, tsneCost(p, y));
  }
  return { embedding: tensor(Float32Array.from(y), [n, dims]), cost: tsneCost(p, y), iterations };
}
