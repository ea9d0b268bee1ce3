/**
 * Image quality against a reference: PSNR and SSIM. Runtime-neutral, float64 throughout.
 *
 * Conventions:
 *   - images are values on a scale whose peak is `peak` (PSNR) or whose dynamic range is
 *     `range` (SSIM), both 1 by default: images scaled to [0, 1];
 *   - an image is h * w * c values, row-major with channels last (HWC), as data sets store them;
 *     a batch is n such images one after the other;
 *   - PSNR = 10 log10(peak^2 / MSE), the MSE the mean over all h * w * c values of one image;
 *     identical images give +Infinity;
 *   - SSIM is Wang, Bovik, Sheikh & Simoncelli (2004): local statistics under an 11 x 11
 *     Gaussian window (sigma 1.5, normalised to sum 1), weighted (biased) variances and
 *     covariance, C1 = (K1 L)^2, C2 = (K2 L)^2 with K1 = 0.01, K2 = 0.03, L = 1. The SSIM map is
 *     taken over the valid region only (the window wholly inside the image; no padding), so an
 *     h x w image gives an (h - 10) x (w - 10) map; its mean is the channel's SSIM and the
 *     image's SSIM is the mean over channels. This is what scikit-image's structural_similarity
 *     gives with gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.
 *   - over a batch, both are computed per image and then averaged (the mean of per-image dB, not
 *     the dB of the pooled MSE); one identical pair makes the mean PSNR +Infinity.
 */
import { ConfigError } from "../nn/layer.js";
import { ShapeError } from "../tensor/tensor.js";

export type ImageShape = readonly [height: number, width: number, channels: number];

export interface SsimOptions {
  /** Side of the square window (odd, default 11). */
  readonly window?: number;
  /** Standard deviation of the Gaussian window, in pixels (default 1.5). */
  readonly sigma?: number;
  readonly k1?: number;
  readonly k2?: number;
  /** Dynamic range L of the values (default 1). */
  readonly range?: number;
}

function checkShape(shape: ImageShape, what: string): number {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((v) => Number.isSafeInteger(v) && v >= 1)) {
    throw new ShapeError(`${what}: image shape must be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  return shape[0] * shape[1] * shape[2];
}

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new ShapeError(`${what}: the images have ${a.length} and ${b.length} values`);
}

/** The mean squared difference of two equally long arrays, in float64. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b, "mse");
  if (a.length === 0) throw new ShapeError("mse: empty images");
  let s = 0;
  for (let i = 0; i < a.length; i++) { const t = a[i]! - b[i]!; s += t * t; }
  return s / a.length;
}

/** PSNR in dB of `image` against `reference`: 10 log10(peak^2 / MSE); +Infinity when they are equal. */
export function psnr(reference: ArrayLike<number>, image: ArrayLike<number>, peak = 1): number {
  if (!(peak > 0) || !Number.isFinite(peak)) throw new ConfigError(`psnr: peak must be a positive finite number, got ${peak}`);
  const e = mse(reference, image);
  return e === 0 ? Infinity : 10 * Math.log10((peak * peak) / e);
}

/** The 1-D Gaussian window of `size` taps (centred, exp(-t^2 / (2 sigma^2)), normalised to sum 1); the 2-D window is its outer product. */
export function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  if (!Number.isSafeInteger(size) || size < 1 || size % 2 === 0) throw new ConfigError(`ssim window must be an odd positive integer, got ${size}`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ConfigError(`ssim sigma must be a positive finite number, got ${sigma}`);
  const g = new Float64Array(size), r = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) { g[i] = Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)); s += g[i]!; }
  for (let i = 0; i < size; i++) g[i] = g[i]! / s;
  return g;
}

/**
 * SSIM of `image` against `reference`, each one image of `shape` (HWC), valid region, averaged
 * over the map and then over the channels. Symmetric in its two images. Images smaller than the
 * window are a ConfigError.
 */
export function ssim(reference: ArrayLike<number>, image: ArrayLike<number>, shape: ImageShape, options: SsimOptions = {}): number {
  const d = checkShape(shape, "ssim");
  checkPair(reference, image, "ssim");
  if (reference.length !== d) throw new ShapeError(`ssim: an image of shape [${shape.join(", ")}] has ${d} values, got ${reference.length}`);
  const win = options.window ?? 11;
  const g = gaussianWindow(win, options.sigma ?? 1.5);
  const [h, w, c] = shape;
  if (h < win || w < win) throw new ConfigError(`ssim: images of ${h} x ${w} pixels are smaller than the ${win} x ${win} window`);
  const L = options.range ?? 1, k1 = options.k1 ?? 0.01, k2 = options.k2 ?? 0.03;
  if (!(L > 0) || !Number.isFinite(L)) throw new ConfigError(`ssim: range must be a positive finite number, got ${L}`);
  const c1 = (k1 * L) ** 2, c2 = (k2 * L) ** 2;
  const oh = h - win + 1, ow = w - win + 1;
  // Separable filtering, valid region: rows first into [h, ow], then columns into [oh, ow].
  // Five planes: x, y, x^2, y^2, xy.
  const rowPass = new Float64Array(5 * h * ow);
  const out = new Float64Array(5 * oh * ow);
  let total = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let yy = 0; yy < h; yy++) {
      for (let xx = 0; xx < ow; xx++) {
        let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (let t = 0; t < win; t++) {
          const i = ((yy * w) + xx + t) * c + ch;
          const a = reference[i]!, b = image[i]!, wt = g[t]!;
          sx += wt * a; sy += wt * b; sxx += wt * a * a; syy += wt * b * b; sxy += wt * a * b;
        }
        const o = yy * ow + xx, plane = h * ow;
        rowPass[o] = sx; rowPass[plane + o] = sy; rowPass[2 * plane + o] = sxx; rowPass[3 * plane + o] = syy; rowPass[4 * plane + o] = sxy;
      }
    }
    for (let p = 0; p < 5; p++) {
      for (let yy = 0; yy < oh; yy++) {
        for (let xx = 0; xx < ow; xx++) {
          let s = 0;
          for (let t = 0; t < win; t++) s += g[t]! * rowPass[p * h * ow + (yy + t) * ow + xx]!;
          out[p * oh * ow + yy * ow + xx] = s;
        }
      }
    }
    const m = oh * ow;
    let sum = 0;
    for (let i = 0; i < m; i++) {
      const mx = out[i]!, my = out[m + i]!;
      const vx = out[2 * m + i]! - mx * mx, vy = out[3 * m + i]! - my * my, cxy = out[4 * m + i]! - mx * my;
      sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    }
    total += sum / m;
  }
  return total / c;
}

/** Per-image PSNR and SSIM of a batch against its references, and their means. */
export interface BatchQuality {
  /** Mean of the per-image PSNRs in dB (+Infinity when any image equals its reference). */
  readonly psnr: number;
  /** Mean of the per-image SSIMs. */
  readonly ssim: number;
  readonly psnrPerImage: Float64Array;
  readonly ssimPerImage: Float64Array;
}

/** PSNR (peak = options.range, default 1) and SSIM of n = images.length / (h w c) images against the references at the same places. */
export function batchQuality(references: ArrayLike<number>, images: ArrayLike<number>, shape: ImageShape, options: SsimOptions = {}): BatchQuality {
  const d = checkShape(shape, "batchQuality");
  checkPair(references, images, "batchQuality");
  if (references.length % d !== 0) throw new ShapeError(`batchQuality: ${references.length} values are not whole images of ${d}`);
  const n = references.length / d;
  if (n === 0) throw new ShapeError("batchQuality: no images");
  const slice = (v: ArrayLike<number>, i: number): ArrayLike<number> =>
    "subarray" in v ? (v as Float32Array).subarray(i * d, (i + 1) * d) : Array.prototype.slice.call(v, i * d, (i + 1) * d) as number[];
  const psnrPerImage = new Float64Array(n), ssimPerImage = new Float64Array(n);
  let sp = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const a = slice(references, i), b = slice(images, i);
    psnrPerImage[i] = psnr(a, b, options.range ?? 1);
    ssimPerImage[i] = ssim(a, b, shape, options);
    sp += psnrPerImage[i]!; ss += ssimPerImage[i]!;
  }
  return { psnr: sp / n, ssim: ss / n, psnrPerImage, ssimPerImage };
}

/** A number for JSON: +-Infinity and NaN become null (JSON has no infinity; a PSNR of null means +Infinity, identical images). */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
