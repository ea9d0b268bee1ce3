/**
 * Samples of a conditional VAE (a model with `classes`): `latent sample --class c` decodes n codes
 * from the prior with the label c; without --class, a grid with one row per class, the same n
 * codes in every row (so a column shows one code, its "style", under each label). The codes are
 * N(0, I) draws from the key, as for an unconditional model's sheet, so --class c with the same
 * --seed and --n gives row c of the grid. Rows are named by the data's class names when it has
 * them, else by the class index.
 */
import { loadDataset } from "../../data/node/load.js";
import { classNamesFor } from "../../data/node/idx-dir.js";
import type { Normalization } from "../../data/normalize.js";
import { decodeRows, type RunOptions } from "../../models/batched.js";
import type { Model } from "../../models/model.js";
import type { Params } from "../../nn/params.js";
import type { Key } from "../../random/index.js";
import { normal } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { imageSheet, interpolationStrips } from "../../viz/figures/index.js";
import type { ImageShape } from "../../viz/images.js";
import type { Raster } from "../../viz/raster.js";
import { int, UsageError } from "../args.js";
import { shown } from "../pictures.js";

/** --class as a class index of the model, or null when absent; refused on an unconditional model. */
export function classFlag(values: Record<string, unknown>, model: Model, path: string): number | null {
  if (values.class === undefined) return null;
  const C = model.arch.classes;
  if (C === 0) throw new UsageError(`--class needs a conditional model: ${path} was trained without labels`);
  return int(values, "class", 0, C - 1);
}

/** n codes z ~ N(0, I) [n, latent] drawn from the key (the draws of models' sampleRows on the f32 kernels, within rounding). */
export function priorCodes(model: Model, key: Key, n: number): Float32Array {
  return normal(key, n * model.spec.latent);
}

/** The decodes of the same codes under each of `classes`: [classes.length * n, input], class by class. */
export function classSamples(model: Model, params: Params, codes: Float32Array, classes: readonly number[], ev: RunOptions = {}): Tensor {
  const L = model.spec.latent, n = codes.length / L;
  const z = new Float32Array(classes.length * n * L);
  const labels = new Int32Array(classes.length * n);
  classes.forEach((c, r) => { z.set(codes, r * n * L); labels.fill(c, r * n, (r + 1) * n); });
  return decodeRows(model, params, tensor(z, [classes.length * n, L]), { ...ev, labels });
}

/** One class: a sheet of n samples. */
export function classSheetPicture(model: Model, params: Params, imageShape: ImageShape, key: Key, c: number, n: number, name: string,
  norm: Normalization, ev: RunOptions = {}): Raster {
  const images = shown(norm, classSamples(model, params, priorCodes(model, key, n), [c], ev));
  return imageSheet(images, { imageShape, scale: 2, title: `samples from the prior, class ${name}` });
}

/** Every class: one row per class of n samples, the same codes in each column. */
export function classGridPicture(model: Model, params: Params, imageShape: ImageShape, key: Key, n: number, names: readonly string[],
  norm: Normalization, ev: RunOptions = {}): Raster {
  const C = model.arch.classes;
  const classes = Array.from({ length: C }, (_, c) => c);
  const all = shown(norm, classSamples(model, params, priorCodes(model, key, n), classes, ev));
  const D = model.spec.input;
  const rows = classes.map((c) => tensor(all.data.slice(c * n * D, (c + 1) * n * D), [n, D]));
  return interpolationStrips(rows, { imageShape, scale: 2, labels: names.slice(0, C), title: "samples from the prior, one row per class, one code per column" });
}

/**
 * Names of the model's classes: the data set's class names (known by name, else read from the
 * test split of `data` when it loads), or the indices when there are none or not one per class.
 */
export async function classNames(data: string | null, classes: number): Promise<string[]> {
  const indices = Array.from({ length: classes }, (_, c) => String(c));
  if (data === null) return indices;
  let names = classNamesFor(data);
  if (!names) {
    const loaded = await loadDataset(data, { skipTrain: true })();
    names = loaded._tag === "Right" ? loaded.right.classNames : undefined;
  }
  return names && names.length === classes ? [...names] : indices;
}
