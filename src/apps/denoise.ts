/**
 * Denoising with an autoencoder, and its baseline. Runtime-neutral.
 *
 * Scale: every image here is on the model's input scale, [0, 1] (the data's normalisation:
 * v / 255, or the per-band percentile map for SAT-6), rows of h * w * c values (HWC).
 *
 * The corruption of one image is drawn from foldIn(key, id), id the image's index in its split,
 * so an image is corrupted the same way whatever else is drawn with it. Draws are those of the
 * training kernels (objectives/corrupt.ts), stream 0 of the key (src/random): uniform(k, d) for
 * mask and salt-and-pepper (the same bits), normal(k, d) for Gaussian noise (the kernel's f32
 * Box-Muller may differ by a few ulp).
 *
 * Scores (denoiseScores) are taken on images clipped to [0, 1] (Gaussian noise leaves it;
 * decoders with unbounded outputs and the PCA reconstruction can too), against the clean input.
 */
import { project, type Pca } from "../analysis/pca.js";
import type { Model } from "../models/model.js";
import { reconstructRows, type RunOptions } from "../models/batched.js";
import type { Params } from "../nn/params.js";
import type { Corruption } from "../objectives/objective.js";
import { foldIn, normal, uniform, type Key } from "../random/index.js";
import { tensorRows } from "../tensor/rows.js";
import { ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { batchQuality, finiteOrNull, type ImageShape } from "./image-quality.js";

/** The corruption as the --corrupt flag writes it: gaussian:SIGMA, mask:RATE, saltpepper:RATE. */
export function corruptionName(c: Corruption): string {
  return c.type === "gaussian" ? `gaussian:${c.sigma}` : c.type === "mask" ? `mask:${c.rate}` : `saltpepper:${c.rate}`;
}

/**
 * x corrupted with the draws of `key`, as the training kernels do it: gaussian x + sigma * N(0, 1)
 * (not clipped); mask: 0 where u < rate; salt-and-pepper: 0 where u < rate / 2, 1 where
 * u >= 1 - rate / 2; otherwise x (u the uniform draws in [0, 1)).
 */
export function corrupt(c: Corruption, key: Key, x: ArrayLike<number>): Float32Array {
  const n = x.length, out = new Float32Array(n);
  if (c.type === "gaussian") {
    const z = normal(key, n);
    for (let i = 0; i < n; i++) out[i] = x[i]! + c.sigma * z[i]!;
    return out;
  }
  const u = uniform(key, n);
  const rate = c.rate, half = rate / 2;
  for (let i = 0; i < n; i++) {
    out[i] = c.type === "mask" ? (u[i]! < rate ? 0 : x[i]!) : u[i]! < half ? 0 : u[i]! >= 1 - half ? 1 : x[i]!;
  }
  return out;
}

/** Rows of x [ids.length, d] corrupted row by row: row r with foldIn(key, ids[r]). */
export function corruptRows(c: Corruption, key: Key, x: Float32Array, d: number, ids: ArrayLike<number>): Float32Array {
  if (x.length !== ids.length * d) throw new ShapeError(`corruptRows: ${x.length} values are not ${ids.length} rows of ${d}`);
  const out = new Float32Array(x.length);
  for (let r = 0; r < ids.length; r++) out.set(corrupt(c, foldIn(key, ids[r]!), x.subarray(r * d, (r + 1) * d)), r * d);
  return out;
}

/** The values clipped to [0, 1], in a new array (NaN stays NaN). */
export function clip01(x: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(x);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! < 0 ? 0 : out[i]! > 1 ? 1 : out[i]!;
  return out;
}

/** The PCA reconstruction of x [n, d]: mean + sum over the fit's k components of each coordinate times its component. */
export function pcaReconstruct(fit: Pca, x: TensorLike): Tensor {
  const [n, d] = x.shape as [number, number];
  if (x.shape.length !== 2 || d !== fit.mean.length) throw new ShapeError(`pcaReconstruct: x must be [n, ${fit.mean.length}], got [${x.shape.join(", ")}]`);
  const coords = project(fit, x), k = fit.components.length;
  const out = new Float32Array(n * d), row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    row.set(fit.mean);
    for (let c = 0; c < k; c++) {
      const a = coords.data[i * k + c]!, comp = fit.components[c]!;
      for (let j = 0; j < d; j++) row[j] = row[j]! + a * comp[j]!;
    }
    out.set(row, i * d);
  }
  return tensor(out, [n, d]);
}

/** The model's reconstruction of the corrupted rows [n, input] (VAE: decoded at z = mean), clipped to [0, 1]. */
export function denoiseRows(model: Model, params: Params, corrupted: Tensor, o: RunOptions = {}): Tensor {
  return tensor(clip01(reconstructRows(model, params, tensorRows(corrupted), o).data), corrupted.shape);
}

/** Mean PSNR (dB, peak 1; null for +Infinity) and SSIM of a batch against the clean images. */
export interface QualityFigures {
  readonly psnr: number | null;
  readonly ssim: number;
}

/** The scores of each batch of `versions` (each as many images as `clean`), clipped to [0, 1], against `clean`. */
export function denoiseScores<K extends string>(clean: Float32Array, versions: Record<K, Float32Array>, shape: ImageShape): Record<K, QualityFigures> {
  const out = {} as Record<K, QualityFigures>;
  for (const name of Object.keys(versions) as K[]) {
    const q = batchQuality(clean, clip01(versions[name]), shape);
    out[name] = { psnr: finiteOrNull(q.psnr), ssim: q.ssim };
  }
  return out;
}
