/**
 * The PCA baseline of the rate-distortion table: images (display scale) projected on their top k
 * principal components, each coefficient quantised uniformly over its range on the PCA's training
 * images at b bits, and coded by the same file format and range coder as the model's codes
 * (quantiser "uniform", latent size k). The basis, like the model's weights, is not counted in
 * the size. Decoded images are mean + sum of level * component, clipped to [0, 1].
 *
 * Choosing (k, b) for a bit budget: for every k of PCA_KS up to kMax and b in 1..8 the file size is
 * estimated exactly but for the stream (header + tables + the coder's ideal code length + 1
 * byte) and the squared error without clipping from the orthonormal decomposition
 * |x - mean|^2 - sum_{j<k} c_j^2 + sum_{j<k} (c_j - level_j)^2; the best estimated error within the
 * budget is then encoded and decoded for real.
 */
import type { Pca } from "../../analysis/pca.js";
import type { Backend, Buffer } from "../../backend/backend.js";
import { projectWide, widePca } from "../../analysis/pca-wide.js";
import { ShapeError, type Tensor } from "../../tensor/tensor.js";
import { encodeCompressed, FIXED_HEADER, HASH_BYTES, tableBytes, type CompressedSizes } from "./format.js";
import { countSymbols, idealBits } from "./frequency.js";
import { Distortion } from "./images.js";
import { quantise, quantiserLevels, type Quantiser } from "./quantiser.js";

export const PCA_KS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128];
export const PCA_BITS = [1, 2, 3, 4, 5, 6, 7, 8];

export interface PcaBaseline {
  readonly fit: Pca;
  readonly kMax: number;
  /** The test images [n, d] (display scale) and their coefficients [n, kMax]. */
  readonly test: Tensor;
  readonly coefficients: Tensor;
  readonly lo: Float32Array;
  readonly hi: Float32Array;
  /** sum_i |x_i - mean|^2 over the test images. */
  readonly energy: number;
  /** Per component j: sum_i c_ij^2. */
  readonly coefficientEnergy: Float64Array;
  /** Per component j and depth b (index j * 8 + b - 1): ideal bits, table bytes, squared quantisation error. */
  readonly bitsOf: Float64Array;
  readonly tableBytesOf: Float64Array;
  readonly errorOf: Float64Array;
}

function column(t: Tensor, j: number): Float32Array {
  const [n, k] = t.shape as [number, number];
  return Float32Array.from({ length: n }, (_, i) => t.data[i * k + j]!);
}

/** Fits the PCA on `train` [m, d] (kMax components at most; analysis/pca-wide.ts) and measures every component of `test` [n, d] at every depth. */
export function pcaBaseline(train: Tensor, test: Tensor, kMax: number, be?: Backend<Buffer>): PcaBaseline {
  const [m, d] = train.shape as [number, number];
  if (test.shape[1] !== d) throw new ShapeError(`PCA baseline: test images of ${test.shape[1]} values, training images of ${d}`);
  const k = Math.min(kMax, d, m);
  if (k < 1) throw new ShapeError("PCA baseline: no training images to fit");
  const fit = widePca(train, k, be);
  const trainCoef = projectWide(fit, train, be), coefficients = projectWide(fit, test, be);
  const lo = new Float32Array(k), hi = new Float32Array(k);
  for (let j = 0; j < k; j++) {
    const c = column(trainCoef, j);
    lo[j] = c.reduce((a, b) => Math.min(a, b), Infinity);
    hi[j] = c.reduce((a, b) => Math.max(a, b), -Infinity);
  }
  const n = test.shape[0]!;
  let energy = 0;
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) energy += (test.data[i * d + q]! - fit.mean[q]!) ** 2;
  const coefficientEnergy = new Float64Array(k);
  const B = PCA_BITS.length;
  const bitsOf = new Float64Array(k * B), tableBytesOf = new Float64Array(k * B), errorOf = new Float64Array(k * B);
  for (let j = 0; j < k; j++) {
    const c = column(coefficients, j);
    coefficientEnergy[j] = c.reduce((a, v) => a + v * v, 0);
    const q: Quantiser = { kind: "uniform", lo: lo.subarray(j, j + 1), hi: hi.subarray(j, j + 1) };
    for (const b of PCA_BITS) {
      const symbols = quantise(q, b, c, 1);
      const levels = quantiserLevels(q, b, 1);
      const counts = countSymbols(symbols, 1, 2 ** b)[0]!;
      bitsOf[j * B + b - 1] = n > 0 ? idealBits(counts) : 0;
      tableBytesOf[j * B + b - 1] = tableBytes(counts);
      let err = 0;
      for (let i = 0; i < n; i++) err += (c[i]! - levels[symbols[i]!]!) ** 2;
      errorOf[j * B + b - 1] = err;
    }
  }
  return { fit, kMax: k, test, coefficients, lo, hi, energy, coefficientEnergy, bitsOf, tableBytesOf, errorOf };
}

export interface PcaCandidate {
  readonly k: number;
  readonly bits: number;
  /** Estimated file bytes and mean squared error (unclipped). */
  readonly bytes: number;
  readonly mse: number;
}

/** Every (k, b) with its estimated size and error. */
export function pcaCandidates(p: PcaBaseline): PcaCandidate[] {
  const [n, d] = p.test.shape as [number, number];
  const B = PCA_BITS.length;
  const out: PcaCandidate[] = [];
  for (const k of PCA_KS.filter((v) => v <= p.kMax)) {
    for (const b of PCA_BITS) {
      let bits = 0, tables = 0, err = p.energy;
      for (let j = 0; j < k; j++) {
        bits += p.bitsOf[j * B + b - 1]!;
        tables += p.tableBytesOf[j * B + b - 1]!;
        err += p.errorOf[j * B + b - 1]! - p.coefficientEnergy[j]!;
      }
      out.push({ k, bits: b, bytes: FIXED_HEADER + 8 * k + 4 + tables + Math.ceil(bits / 8) + 1, mse: Math.max(err, 0) / Math.max(n * d, 1) });
    }
  }
  return out;
}

/** The candidate of least estimated error whose estimated size is within `maxBytes`, or null. */
export function choosePca(candidates: readonly PcaCandidate[], maxBytes: number): PcaCandidate | null {
  let best: PcaCandidate | null = null;
  for (const c of candidates) if (c.bytes <= maxBytes && (!best || c.mse < best.mse)) best = c;
  return best;
}

/** Encodes the test images at (k, b) for real: the file's sizes and the PSNR of the clipped reconstructions. */
export function pcaAt(p: PcaBaseline, k: number, bits: number): { sizes: CompressedSizes; psnr: number } {
  const [n, d] = p.test.shape as [number, number];
  const K = p.kMax;
  const codes = new Float32Array(n * k);
  for (let i = 0; i < n; i++) codes.set(p.coefficients.data.subarray(i * K, i * K + k), i * k);
  const q: Quantiser = { kind: "uniform", lo: p.lo.slice(0, k), hi: p.hi.slice(0, k) };
  const symbols = quantise(q, bits, codes, k);
  const { sizes } = encodeCompressed({ quantiser: q, bits, modelHash: new Uint8Array(HASH_BYTES), count: n, latent: k, imagesCrc: 0, symbols });
  const levels = quantiserLevels(q, bits, k);
  const dist = new Distortion();
  const image = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    image.set(p.fit.mean);
    for (let j = 0; j < k; j++) {
      const c = levels[j * 2 ** bits + symbols[i * k + j]!]!, v = p.fit.components[j]!;
      for (let q2 = 0; q2 < d; q2++) image[q2] = image[q2]! + c * v[q2]!;
    }
    for (let q2 = 0; q2 < d; q2++) image[q2] = Math.min(1, Math.max(0, image[q2]!));
    dist.add(p.test.data.subarray(i * d, (i + 1) * d), image);
  }
  return { sizes, psnr: n > 0 ? dist.psnr : NaN };
}
