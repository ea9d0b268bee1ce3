/**
 * What `latent compare` computes for one model on the compared test samples: their codes (VAE:
 * posterior means) and the plane they are plotted in, a Gaussian fitted to the codes, decodes
 * over a grid of the plane, decodes of draws from the Gaussian, interpolations between pairs of
 * test images, the model's test figures (evaluateModel) and the distances that measure how much
 * the draws look like data.
 *
 * Scales: codes in the model's own latent units. Every image (decodes, reconstructions, test
 * images) on the data's display scale: stored uint8 v as v / 255, model outputs mapped back
 * through the inverse of the model's normalisation (denormalizeForDisplay), so two models with
 * different normalisations are measured on one scale. Distances between images are RMS per value
 * on that scale: ||a - b|| / sqrt(values per image).
 */
import { nearestNeighbours, pca, project } from "../../analysis/index.js";
import { fitGaussian, projectGaussian, sampleGaussian, type GaussianFit } from "../../analysis/gaussian-fit.js";
import { features, type Dataset } from "../../data/dataset.js";
import { denormalizeForDisplay, type Normalization } from "../../data/normalize.js";
import { splitRows } from "../../data/rows.js";
import type { ModelFile } from "../../io/model-file.js";
import { decodeRows, encodeRows, reconstructRows } from "../../models/batched.js";
import { evaluateModel, type ModelReport } from "../../models/metrics.js";
import type { Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { lerp } from "../../viz/figures/interpolate.js";
import { planeGridCodes } from "../../viz/figures/grid-manifold.js";
import { checkFinite } from "./analyze-metrics.js";

/** Grid decodes per side; the grid spans the 1st to the 99th percentile of each plotted coordinate. */
export const GRID = 15;
export const GRID_PERCENTILES: readonly [number, number] = [1, 99];
/** Decoded draws from each fitted Gaussian for the distances (the pictures show the first SHOWN_DRAWS). */
export const DRAWS = 256;
export const SHOWN_DRAWS = 64;
/** Interpolation: pairs of test images and codes per path (both ends included). */
export const PAIRS = 4;
export const STEPS = 10;
/** Test images whose reconstructions and codes give the reference distances. */
export const REFERENCE_QUERIES = 256;

/** The samples both models are compared on: test split rows `idx`, their images on the display scale. */
export interface Samples {
  readonly ds: Dataset;
  /** Test split indices, in random order (drawn by --seed). */
  readonly idx: Uint32Array;
  /** The test images at idx on the display scale, [n, d]. */
  readonly images: Tensor;
  /** Interpolation pairs: positions into idx, [[a, b], ...]. */
  readonly pairs: readonly (readonly [number, number])[];
  /** Positions 0..queries-1 of idx are the reference queries. */
  readonly queries: number;
}

export interface ModelStudy {
  readonly path: string;
  readonly file: ModelFile;
  readonly norm: Normalization;
  readonly codes: Tensor;
  /** The plotted plane: "latent" (the code itself, latent 1 or 2) or "pca" (its first two principal components). */
  readonly basis: "latent" | "pca";
  /** [n, 2] coordinates in the plane (second column 0 for a 1-D latent). */
  readonly plane: Tensor;
  readonly axisLabels: readonly [string, string];
  readonly fit: GaussianFit;
  /** The fitted Gaussian in the plane (null for a 1-D latent). */
  readonly planeGaussian: { readonly mean: readonly [number, number]; readonly covariance: readonly [number, number, number] } | null;
  readonly grid: { readonly xValues: Float64Array; readonly yValues: Float64Array | null; readonly decoded: Tensor };
  /** DRAWS decoded draws from the fit, display scale. */
  readonly draws: Tensor;
  /** One [STEPS, d] path per pair, display scale. */
  readonly interpolations: readonly Tensor[];
  readonly evaluation: ModelReport;
  readonly distances: Distances;
}

export interface Distances {
  /** Mean over the draws of the RMS distance from the decoded draw to its nearest compared test image. */
  readonly drawToNearestTest: number;
  /** Mean over the reference queries of the RMS distance from the reconstruction of test image i to its nearest test image other than i. */
  readonly reconstructionToNearestOtherTest: number;
  /** drawToNearestTest / reconstructionToNearestOtherTest: 1 when random draws decode as close to data as real codes do. */
  readonly drawExcess: number;
  /** Mean code-space distance from a draw to its nearest test code, over the same for a test code to its nearest other test code. */
  readonly latentGapRatio: number;
}

/** Display scale of a model's outputs [n, d]. */
export function shown(norm: Normalization, t: Tensor): Tensor {
  return norm.method === "global" ? t : tensor(denormalizeForDisplay(norm, t.data), t.shape);
}

/** The p-th percentile (0..100) of values, linear between order statistics. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  const at = (p / 100) * (s.length - 1), lo = Math.floor(at), hi = Math.ceil(at);
  return s[lo]! + (s[hi]! - s[lo]!) * (at - lo);
}

function column(t: Tensor, j: number): Float64Array {
  const [n, k] = t.shape as [number, number];
  return Float64Array.from({ length: n }, (_, i) => t.data[i * k + j]!);
}

/** GRID values from the 1st to the 99th percentile of values (a small span around a constant). */
function gridValues(values: Float64Array): Float64Array {
  let lo = percentile(values, GRID_PERCENTILES[0]), hi = percentile(values, GRID_PERCENTILES[1]);
  if (!(hi > lo)) { const h = Math.abs(lo) * 0.1 || 0.5; lo -= h; hi += h; }
  return Float64Array.from({ length: GRID }, (_, i) => lo + ((hi - lo) * i) / (GRID - 1));
}

/** Rows [from, from + count) of a [n, w] tensor, copied. */
export function rowSlice(t: Tensor, from: number, count: number): Tensor {
  const w = t.shape[1]!;
  return tensor(t.data.slice(from * w, (from + count) * w), [count, w]);
}

/**
 * Mean Euclidean distance from each query row to its nearest row of refs. With `exceptOwn`, query
 * i stands for refs row i (itself, or its reconstruction) and that row does not count: the
 * nearest of the others is taken (k = 2, the first neighbour that is not row i).
 */
export function meanNearest(refs: Tensor, queries: Tensor, exceptOwn: boolean): number {
  const q = queries.shape[0]!;
  if (q === 0 || refs.shape[0]! < (exceptOwn ? 2 : 1)) return NaN;
  const nb = nearestNeighbours(refs, queries, exceptOwn ? 2 : 1);
  let sum = 0;
  for (let i = 0; i < q; i++) sum += nb.distances[i * nb.k + (exceptOwn && nb.indices[i * nb.k] === i ? 1 : 0)]!;
  return sum / q;
}

export function study(path: string, file: ModelFile, norm: Normalization, s: Samples, keys: { draws: Key; eval: Key }): ModelStudy {
  const { model, params } = file;
  const L = file.spec.latent, d = features(s.ds);
  const rows = splitRows(s.ds.test, d, norm, s.idx);
  const codes = encodeRows(model, params, rows).mean;
  checkFinite(codes, `the codes of ${path} on the test samples`);
  const fit = fitGaussian(codes);

  // The plane: the code itself for latent <= 2, else its first two principal components.
  let plane: Tensor, basis: "latent" | "pca", axisLabels: [string, string], dirs: Float64Array[], origin: Float64Array;
  if (L <= 2) {
    basis = "latent";
    const n = codes.shape[0]!, flat = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) { flat[2 * i] = codes.data[i * L]!; flat[2 * i + 1] = L === 2 ? codes.data[i * L + 1]! : 0; }
    plane = tensor(flat, [n, 2]);
    axisLabels = L === 2 ? ["z1", "z2"] : ["z1", ""];
    dirs = Array.from({ length: L }, (_, j) => Float64Array.from({ length: L }, (_, k) => (k === j ? 1 : 0)));
    origin = new Float64Array(L);
  } else {
    basis = "pca";
    const p = pca(codes, 2);
    plane = project(p, codes);
    axisLabels = [`principal component 1 of ${L}`, `principal component 2 of ${L}`];
    dirs = p.components;
    origin = p.mean;
  }
  const g = L >= 2 ? projectGaussian(fit, dirs, origin) : null;
  const planeGaussian = g ? { mean: [g.mean[0]!, g.mean[1]!] as const, covariance: [g.covariance[0]!, g.covariance[1]!, g.covariance[3]!] as const } : null;

  // The grid: over each plotted coordinate's 1st..99th percentile, other coordinates at the mean (origin).
  const xValues = gridValues(column(plane, 0));
  const yValues = L >= 2 ? gridValues(column(plane, 1)) : null;
  const gridCodes = planeGridCodes(origin, dirs[0]!, xValues, dirs[1], yValues ?? undefined);
  const grid = { xValues, yValues, decoded: shown(norm, decodeRows(model, params, gridCodes)) };

  // Draws from the fitted Gaussian, and their distances.
  const drawCodes = sampleGaussian(fit, keys.draws, DRAWS);
  const draws = shown(norm, decodeRows(model, params, drawCodes));
  const recon = shown(norm, reconstructRows(model, params, splitRows(s.ds.test, d, norm, s.idx.subarray(0, s.queries))));
  const drawToNearestTest = meanNearest(s.images, draws, false) / Math.sqrt(d);
  const reconstructionToNearestOtherTest = meanNearest(s.images, recon, true) / Math.sqrt(d);
  const latentGapRatio = meanNearest(codes, drawCodes, false) / meanNearest(codes, rowSlice(codes, 0, s.queries), true);

  const code = (i: number): Float32Array => codes.data.slice(i * L, (i + 1) * L);
  const interpolations = s.pairs.map(([a, b]) => shown(norm, decodeRows(model, params, lerp(code(a), code(b), STEPS))));
  const evaluation = evaluateModel(model, params, rows, keys.eval);
  return {
    path, file, norm, codes, basis, plane, axisLabels, fit, planeGaussian, grid, draws, interpolations, evaluation,
    distances: { drawToNearestTest, reconstructionToNearestOtherTest, drawExcess: drawToNearestTest / reconstructionToNearestOtherTest, latentGapRatio },
  };
}
