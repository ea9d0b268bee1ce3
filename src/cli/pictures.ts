/**
 * The pictures of a run folder, computed from a trained model and the test split:
 * reconstructions.png, samples.png (VAE), latent.png (test codes coloured by label: the first
 * two dimensions for a 2-D latent, else the first two principal components), manifold.png
 * (decodes over a grid: the prior's quantiles for a 2-D VAE latent, else along the first two
 * principal directions of the codes), interpolation.png and loss.png. runPictures gives them
 * as rasters drawn on demand (for a report), writePictures writes them.
 *
 * Every image is shown on the data's own scale: test images as stored (uint8 v as v / 255), and
 * whatever the model outputs (reconstructions, samples, decodes) mapped back through the inverse
 * of the data set's normalisation (denormalizeForDisplay). With the default v / 255 that is the
 * model's output itself; with per-band normalisation (SAT-6) it puts each band back into its
 * original uint8 range, so true colour looks like the scene and the bands keep their relative
 * brightness, instead of every band stretched to its own 1st-99th percentiles. The model works
 * on batches of bounded size (models/batched.ts), never on a whole split.
 */
import { join } from "node:path";
import { pca, project } from "../analysis/pca.js";
import { features, gather, pickSamples, type Dataset } from "../data/dataset.js";
import { denormalizeForDisplay, GLOBAL, type Normalization } from "../data/normalize.js";
import type { Model } from "../models/model.js";
import type { Params } from "../nn/params.js";
import { split, type Key } from "../random/index.js";
import { tensor, type Tensor } from "../tensor/tensor.js";
import type { EpochMetrics } from "../train/fit.js";
import { imageSheet, interpolationStrips, latentGridCodes, latentManifold, lerp, lossCurve, normalQuantileGrid,
  reconstructionGrid, scatterPlot, slerp } from "../viz/figures/index.js";
import type { FourBandMode, ImageShape } from "../viz/images.js";
import type { Raster } from "../viz/raster.js";
import { writePng } from "../viz/node/png.js";
import { splitRows } from "../data/rows.js";
import { decodeRows, encodeRows, reconstructRows, sampleRows, type RunOptions } from "../models/batched.js";
import { tensorRows, type Rows } from "../tensor/rows.js";

const SCATTER_POINTS = 2000;

/** Rows [i] of a [n, d] tensor as a Float32Array. */
function row(t: Tensor, i: number): Float32Array {
  const d = t.shape[1]!;
  return t.data.slice(i * d, (i + 1) * d);
}

/** Model outputs [n, d] shown on the data's scale. */
export function shown(norm: Normalization, t: Tensor): Tensor {
  return norm.method === "global" ? t : tensor(denormalizeForDisplay(norm, t.data), t.shape);
}

/** Codes of x and, when the latent is wider than 2, their projection on the first two principal components. */
export function latentPlane(model: Model, params: Params, x: Tensor | Rows, ev: RunOptions = {}): { codes: Tensor; plane: Tensor; pcaOf: ReturnType<typeof pca> | null } {
  const codes = encodeRows(model, params, "fill" in x ? x : tensorRows(x), ev).mean;
  if (model.spec.latent === 2) return { codes, plane: codes, pcaOf: null };
  if (model.spec.latent === 1) {
    const flat = new Float32Array(codes.shape[0]! * 2);
    codes.data.forEach((v, i) => { flat[2 * i] = v; });
    return { codes, plane: tensor(flat, [codes.shape[0]!, 2]), pcaOf: null };
  }
  const p = pca(codes, 2);
  return { codes, plane: project(p, codes), pcaOf: p };
}

/** 4-band images (R, G, B, NIR) are shown three ways: file-name suffix and description. */
export const fourBandModes = [["truecolor", "true colour (R, G, B)"], ["falsecolor", "false colour (NIR, R, G)"], ["nir", "NIR"]] as const;

export function reconstructionPicture(model: Model, params: Params, ds: Dataset, key: Key, n = 10,
  title = "test images (top) and reconstructions", mode: FourBandMode = "truecolor", norm: Normalization = GLOBAL, ev: RunOptions = {}) {
  const d = features(ds);
  const idx = pickSamples(key, ds.test.n, n);
  const rec = reconstructRows(model, params, splitRows(ds.test, d, norm, idx), ev);
  return reconstructionGrid(gather(ds.test, d, idx), shown(norm, rec), { imageShape: ds.imageShape as ImageShape, columns: 10, scale: 2, title, mode });
}

export function samplePicture(model: Model, params: Params, imageShape: ImageShape, key: Key, n = 64, norm: Normalization = GLOBAL, ev: RunOptions = {}) {
  return imageSheet(shown(norm, sampleRows(model, params, key, n, ev)), { imageShape, scale: 2, title: "samples from the prior" });
}

export function interpolationPicture(model: Model, params: Params, ds: Dataset, key: Key, pairs = 4, steps = 10, spherical = false,
  norm: Normalization = GLOBAL, ev: RunOptions = {}) {
  const d = features(ds);
  const idx = pickSamples(key, ds.test.n, 2 * pairs);
  const codes = encodeRows(model, params, splitRows(ds.test, d, norm, idx), ev).mean;
  const strips: Tensor[] = [];
  const labels: string[] = [];
  for (let p = 0; 2 * p + 1 < idx.length; p++) {
    const a = row(codes, 2 * p), b = row(codes, 2 * p + 1);
    strips.push(shown(norm, decodeRows(model, params, spherical ? slerp(a, b, steps) : lerp(a, b, steps), ev)));
    const la = ds.test.labels?.[idx[2 * p]!], lb = ds.test.labels?.[idx[2 * p + 1]!];
    labels.push(la === undefined || lb === undefined ? `pair ${p + 1}` : `${ds.classNames?.[la] ?? la} > ${ds.classNames?.[lb] ?? lb}`);
  }
  return interpolationStrips(strips, { imageShape: ds.imageShape as ImageShape, scale: 2, labels,
    title: `${spherical ? "spherical" : "linear"} interpolation between test codes` });
}

export function latentPicture(model: Model, params: Params, ds: Dataset, key: Key, norm: Normalization = GLOBAL, ev: RunOptions = {}) {
  const d = features(ds);
  const idx = pickSamples(key, ds.test.n, SCATTER_POINTS);
  const labels = ds.test.labels ? Uint8Array.from(idx, (i) => ds.test.labels![i]!) : null;
  const { plane, pcaOf } = latentPlane(model, params, splitRows(ds.test, d, norm, idx), ev);
  const what = model.spec.kind === "vae" ? "posterior means" : "codes";
  const axes = pcaOf ? [`principal component 1 of ${model.spec.latent}`, `principal component 2 of ${model.spec.latent}`]
    : model.spec.latent === 1 ? ["z1", ""] : ["z1", "z2"];
  return scatterPlot(plane, labels, {
    title: `test ${what}`,
    xLabel: axes[0], yLabel: axes[1], ...(ds.classNames ? { classNames: ds.classNames } : {}), width: 640, height: 480,
  });
}

/**
 * The decoded grid. For a 2-D VAE: z over the prior's quantiles (0.05..0.95, as in the Keras
 * example). Otherwise: the mean code plus steps along the first two principal directions, at
 * -2..2 standard deviations of the codes along each.
 */
export function manifoldPicture(model: Model, params: Params, ds: Dataset, key: Key, grid = 15, norm: Normalization = GLOBAL, ev: RunOptions = {}) {
  const L = model.spec.latent;
  if (L === 2 && model.spec.kind === "vae") {
    const values = normalQuantileGrid(grid, { range: [0.05, 0.95] });
    const decoded = shown(norm, decodeRows(model, params, latentGridCodes(values), ev));
    return latentManifold(decoded, { gridSize: grid, imageShape: ds.imageShape as ImageShape, values, scale: 1,
      title: "decoded over the prior's quantiles", axisLabels: ["z1", "z2"] });
  }
  const d = features(ds);
  const { codes } = latentPlane(model, params, splitRows(ds.test, d, norm, pickSamples(key, ds.test.n, SCATTER_POINTS)), ev);
  const p = pca(codes, Math.min(2, L));
  const values = Float32Array.from({ length: grid }, (_, i) => -2 + (4 * i) / (grid - 1));
  const z = new Float32Array(grid * grid * L);
  const sd = Array.from(p.variance, (v) => Math.sqrt(v));
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      for (let j = 0; j < L; j++) {
        let v = p.mean[j]! + values[c]! * sd[0]! * p.components[0]![j]!;
        if (p.components[1]) v += values[grid - 1 - r]! * sd[1]! * p.components[1][j]!;
        z[(r * grid + c) * L + j] = v;
      }
    }
  }
  const decoded = shown(norm, decodeRows(model, params, tensor(z, [grid * grid, L]), ev));
  return latentManifold(decoded, { gridSize: grid, imageShape: ds.imageShape as ImageShape, values, scale: 1,
    title: "decoded along the codes' first two principal directions", axisLabels: ["pc1 (sd)", "pc2 (sd)"] });
}

export function lossPicture(history: readonly EpochMetrics[]) {
  const x = history.map((h) => h.epoch);
  const series = [{ name: "train", values: history.map((h) => h.train.loss), x }];
  if (history.some((h) => h.test)) series.push({ name: "test", values: history.map((h) => h.test?.loss ?? NaN), x });
  return lossCurve(series, { title: "loss per epoch", xLabel: "epoch", yLabel: "nats per sample" });
}

/** A picture of a run folder, drawn when `make` is called: its file name and what it shows. */
export interface RunPicture {
  readonly name: string;
  readonly caption: string;
  readonly make: () => Raster;
}

/**
 * The pictures writePictures writes, in its order and drawn with its keys, without writing
 * them (the analyze command's report shows them). Each is drawn only when asked for.
 */
export function runPictures(model: Model, params: Params, ds: Dataset, history: readonly EpochMetrics[], key: Key,
  norm: Normalization = GLOBAL, ev: RunOptions = {}): RunPicture[] {
  const [kRec, kSample, kInterp, kLatent, kManifold] = split(key, 5) as [Key, Key, Key, Key, Key];
  const out: RunPicture[] = [];
  const add = (name: string, caption: string, make: () => Raster) => { out.push({ name, caption, make }); };
  const what = model.spec.kind === "vae" ? "posterior means" : "codes";
  const bands = ds.imageShape[2] === 4 ? `, in ${fourBandModes[0][1]}` : "";
  if (ds.test.n > 0) add("reconstructions.png", `20 random test images (top rows) and their reconstructions${bands}`, () => reconstructionPicture(model, params, ds, kRec, 20, undefined, undefined, norm, ev));
  if (ds.test.n > 0 && ds.imageShape[2] === 4) {
    for (const [mode, how] of fourBandModes.slice(1)) {
      add(`reconstructions-${mode}.png`, `the same test images and reconstructions in ${how}`,
        () => reconstructionPicture(model, params, ds, kRec, 20, `test images (top) and reconstructions, ${how}`, mode, norm, ev));
    }
  }
  if (model.spec.kind === "vae") add("samples.png", "64 samples from the prior, decoded", () => samplePicture(model, params, ds.imageShape as ImageShape, kSample, 64, norm, ev));
  if (ds.test.n > 1) {
    add("latent.png", `up to ${SCATTER_POINTS} test ${what} by label`, () => latentPicture(model, params, ds, kLatent, norm, ev));
    add("manifold.png", "decodes over a 15 x 15 grid of the latent space", () => manifoldPicture(model, params, ds, kManifold, 15, norm, ev));
    add("interpolation.png", "decodes along straight lines between the codes of pairs of test images", () => interpolationPicture(model, params, ds, kInterp, 4, 10, false, norm, ev));
  }
  if (history.length > 0) add("loss.png", "the loss per epoch on the training and test splits", () => lossPicture(history));
  return out;
}

/** Writes every picture of runPictures into `dir`, one after another; returns the file names. */
export async function writePictures(dir: string, model: Model, params: Params, ds: Dataset,
  history: readonly EpochMetrics[], key: Key, norm: Normalization = GLOBAL, ev: RunOptions = {}): Promise<string[]> {
  const written: string[] = [];
  for (const p of runPictures(model, params, ds, history, key, norm, ev)) {
    await writePng(join(dir, p.name), p.make());
    written.push(p.name);
  }
  return written;
}
