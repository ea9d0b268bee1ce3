/**
 * Codes to images and images to distortion. Model outputs are decoded in fixed chunks of
 * DECODE_CHUNK codes (decodeRows on each), the same chunks whenever a file's codes are decoded,
 * so compress's prediction and decompress run the same programs on the same rows (same bits on
 * the same kernel build). Distortion is measured on the data's display scale (the stored uint8
 * value v as v / 255, float pixels as stored): outputs are clipped to [0, 1] and mapped through
 * the inverse of the model's normalisation (denormalizeForDisplay).
 */
import { denormalizeForDisplay, type Normalization } from "../../data/normalize.js";
import type { Split } from "../../data/dataset.js";
import { decodeRows, type RunOptions } from "../../models/batched.js";
import type { Model } from "../../models/model.js";
import type { Params } from "../../nn/params.js";
import { ShapeError, tensor } from "../../tensor/tensor.js";

export const DECODE_CHUNK = 512;

/** Decodes codes [n, L] chunk by chunk; fn gets each chunk's first row and its outputs [count, input]. */
export function forEachDecoded(model: Model, params: Params, codes: Float32Array, fn: (start: number, outputs: Float32Array) => void, o: RunOptions = {}): void {
  const L = model.spec.latent;
  if (codes.length % L !== 0) throw new ShapeError(`${codes.length} code values are not a whole number of codes of ${L}`);
  const n = codes.length / L;
  for (let start = 0; start < n; start += DECODE_CHUNK) {
    const count = Math.min(DECODE_CHUNK, n - start);
    fn(start, decodeRows(model, params, tensor(codes.subarray(start * L, (start + count) * L), [count, L]), o).data);
  }
}

/** Model outputs shown on the data's scale: clipped to [0, 1], then through the inverse normalisation. */
export function displayOf(norm: Normalization, outputs: Float32Array): Float32Array {
  const clipped = new Float32Array(outputs.length);
  for (let i = 0; i < outputs.length; i++) {
    const v = outputs[i]!;
    clipped[i] = v > 1 ? 1 : v >= 0 ? v : 0; // NaN -> 0
  }
  return denormalizeForDisplay(norm, clipped);
}

/** A split's images at rows [start, start + count) of `indices` (or of the split) on the display scale, as float32. */
export function referenceImages(split: Split, d: number, indices: ArrayLike<number> | null, start: number, count: number): Float32Array {
  const out = new Float32Array(count * d);
  const px = split.pixels, scale = px instanceof Uint8Array ? 1 / 255 : 1;
  for (let r = 0; r < count; r++) {
    const row = indices ? indices[start + r]! : start + r;
    for (let j = 0; j < d; j++) out[r * d + j] = px[row * d + j]! * scale;
  }
  return out;
}

/** Squared error summed in float64 over images; PSNR with peak 1 of the mean over every value. */
export class Distortion {
  private sum = 0;
  private values = 0;
  add(reference: ArrayLike<number>, decoded: ArrayLike<number>): void {
    if (reference.length !== decoded.length) throw new ShapeError(`distortion: ${reference.length} reference values against ${decoded.length}`);
    for (let i = 0; i < reference.length; i++) this.sum += (reference[i]! - decoded[i]!) ** 2;
    this.values += reference.length;
  }
  get mse(): number {
    return this.values === 0 ? NaN : this.sum / this.values;
  }
  /** 10 log10(1 / mse) in dB (Infinity for a perfect match). */
  get psnr(): number {
    return psnr(this.mse);
  }
}

export function psnr(mse: number): number {
  return -10 * Math.log10(mse);
}

/** The 8-bit samples of display values in [0, 1]: round(255 v), clamped. */
export function toBytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(255 * values[i]!)));
  return out;
}
