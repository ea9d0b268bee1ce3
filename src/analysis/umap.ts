/**
 * UMAP (McInnes, Healy & Melville) of the rows of x [n, d] through the umap-js package:
 * Euclidean distances, umap-js's approximate neighbours (random-projection trees and
 * NN-descent), its fuzzy simplicial set and its SGD layout, all in float64; the embedding is
 * returned rounded to f32.
 *
 * Randomness: umap-js draws every random number through its `random` option, which here reads
 * a stream of latent's uniform floats: block b of a stream holds uniform(foldIn(k, b), 65536).
 * The fit reads the stream of split(key)[0]; every call of transform restarts the stream of
 * split(key)[1], so transform is a function of the fitted model and its points alone. The
 * result is a function of (x, options).
 *
 * Epochs: umap-js's transform runs nEpochs / 3 epochs and stops when the epoch count equals
 * that quotient exactly, so an nEpochs not divisible by 3 would never stop. A given nEpochs is
 * therefore rounded up to the next multiple of 3. Without nEpochs umap-js chooses (500 epochs
 * for n <= 2500, fewer above; transform runs 100, or 30 for more than 10,000 points).
 *
 * Transform: new points start at the weighted mean of their neighbours' embedding and move
 * against the fixed fitted embedding. umap-js also moves the fitted points when a batch has
 * exactly n rows, so such a batch runs as its first n - 1 rows and then its last row; the
 * fitted embedding is restored before every call.
 *
 * Supervision: with labels (integers, -1 for an unlabelled row) the graph is intersected
 * with the categorical label graph (umap-js's setSupervisedProjection); targetWeight in (0, 1]
 * weighs the labels against the data (umap-js reads 0 as its default 0.5, so 0 is refused).
 */
import { UMAP } from "umap-js";
import { ConfigError } from "../nn/layer.js";
import { foldIn, keyData, split, uniform, type Key } from "../random/index.js";
import { ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { labelsOf, rowsOf, type Rows } from "./knn.js";

export interface UmapOptions {
  /** The key every random number of the fit and of transform derives from. */
  readonly key: Key;
  /** Embedding dimensions (default 2). */
  readonly nComponents?: number;
  /** Neighbours per point, the point itself included; an integer in 2..n-1 (default 15). */
  readonly nNeighbors?: number;
  /** Smallest distance between embedded points, in [0, 1] (default 0.1). */
  readonly minDist?: number;
  /** Layout epochs, a positive integer rounded up to a multiple of 3 (default: umap-js's choice). */
  readonly nEpochs?: number;
  /** One integer label per row (-1: unlabelled) for supervised UMAP. */
  readonly labels?: ArrayLike<number>;
  /** Weight of the labels against the data, in (0, 1] (default 0.5); only with labels. */
  readonly targetWeight?: number;
}

export interface Umap {
  /** [n, nComponents], row i embeds row i of x. */
  readonly embedding: Tensor;
  /** The embedding [m, nComponents] of new rows [m, d] against the fitted one. */
  transform(points: TensorLike): Tensor;
}

/** Uniform floats a block of the random stream holds. */
const BLOCK = 65536;

/** A generator of the floats of uniform(foldIn(k, 0), BLOCK), uniform(foldIn(k, 1), BLOCK), ... in order. */
function stream(k: Key): () => number {
  let block = 0, values = uniform(foldIn(k, 0), BLOCK), i = 0;
  return () => {
    if (i === BLOCK) { block++; values = uniform(foldIn(k, block), BLOCK); i = 0; }
    return values[i++]!;
  };
}

function toArrays(r: Rows): number[][] {
  return Array.from({ length: r.n }, (_, i) => Array.from(r.data.subarray(i * r.d, (i + 1) * r.d)));
}

function integerIn(value: number | undefined, fallback: number, lo: number, hi: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new ConfigError(`umap: ${what} must be an integer in ${lo}..${hi}, got ${String(v)}`);
  return v;
}

function numberIn(value: number | undefined, fallback: number, ok: (v: number) => boolean, range: string, what: string): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !ok(v)) throw new ConfigError(`umap: ${what} must be in ${range}, got ${String(v)}`);
  return v;
}

/** UMAP embedding of the rows of x [n, d]; see the module comment for randomness, epochs and supervision. */
export function umap(x: TensorLike, options: UmapOptions): Umap {
  const rows = rowsOf(x, "umap input");
  const { n, d } = rows;
  if (d < 1) throw new ShapeError(`umap input must have at least one column, got [${n}, ${d}]`);
  if (n < 2) throw new ConfigError(`umap: needs at least 2 rows, got ${n}`);
  if (options === null || typeof options !== "object") throw new ConfigError("umap: options with a key are required");
  try { keyData(options.key); } catch { throw new ConfigError(`umap: options.key is not a random key: ${String(options.key)}`); }
  const nComponents = integerIn(options.nComponents, 2, 1, 2 ** 16, "nComponents");
  const nNeighbors = options.nNeighbors ?? 15;
  if (!Number.isSafeInteger(nNeighbors) || nNeighbors < 2) throw new ConfigError(`umap: nNeighbors must be an integer >= 2, got ${String(nNeighbors)}`);
  if (nNeighbors >= n) throw new ConfigError(`umap: nNeighbors (${nNeighbors}) must be smaller than the number of rows (${n})`);
  const minDist = numberIn(options.minDist, 0.1, (v) => v >= 0 && v <= 1, "[0, 1]", "minDist");
  const nEpochs = options.nEpochs === undefined ? undefined
    : Math.ceil(integerIn(options.nEpochs, 0, 1, 2 ** 30, "nEpochs") / 3) * 3;
  if (options.targetWeight !== undefined && options.labels === undefined) throw new ConfigError("umap: targetWeight needs labels");
  const targetWeight = numberIn(options.targetWeight, 0.5, (v) => v > 0 && v <= 1, "(0, 1]", "targetWeight");
  const labels = options.labels === undefined ? undefined : labelsOf(options.labels, n, "umap labels");
  if (labels) for (let i = 0; i < n; i++) if (labels[i]! < -1) throw new ConfigError(`umap labels: label ${i} is ${labels[i]} (labels are >= 0, or -1 for unlabelled)`);

  const [fitKey, transformKey] = split(options.key) as [Key, Key];
  let next = stream(fitKey);
  const model = new UMAP({ nComponents, nNeighbors, minDist, random: () => next(), ...(nEpochs === undefined ? {} : { nEpochs }) });
  if (labels) model.setSupervisedProjection(Array.from(labels), { targetWeight });
  const fitted = model.fit(toArrays(rows));
  const saved = fitted.map((r) => r.slice());
  const out = new Float32Array(n * nComponents);
  for (let i = 0; i < n; i++) for (let j = 0; j < nComponents; j++) out[i * nComponents + j] = saved[i]![j]!;
  const embedding = tensor(out, [n, nComponents]);

  const run = (points: number[][]): number[][] => {
    // umap-js transforms against the array getEmbedding() returns: put the fitted values back.
    const live = model.getEmbedding();
    for (let i = 0; i < n; i++) for (let j = 0; j < nComponents; j++) live[i]![j] = saved[i]![j]!;
    next = stream(transformKey);
    return model.transform(points);
  };

  const transform = (points: TensorLike): Tensor => {
    const q = rowsOf(points, "umap transform points");
    if (q.d !== d) throw new ShapeError(`umap transform: points have ${q.d} columns, the fitted data ${d}`);
    const m = q.n;
    const result = new Float32Array(m * nComponents);
    if (m > 0) {
      const arrays = toArrays(q);
      const moved = m === n ? [...run(arrays.slice(0, n - 1)), ...run(arrays.slice(n - 1))] : run(arrays);
      for (let i = 0; i < m; i++) for (let j = 0; j < nComponents; j++) result[i * nComponents + j] = moved[i]![j]!;
    }
    return tensor(result, [m, nComponents]);
  };

  return { embedding, transform };
}
