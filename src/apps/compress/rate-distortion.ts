/**
 * The rate-distortion table of a model on test images: for each bit depth, the compressed file's
 * size (bits per image with the header amortised over the n images, the payload alone, the coded
 * stream alone, and the sum of the per-dimension empirical entropies of the symbols) against the
 * PSNR of the decoded images; the PCA baseline at the same budget (pca-baseline.ts: the best
 * (k, b) whose whole file fits in the model's whole file); and the lossless PNG sizes of the
 * same images.
 *
 * PSNR: 10 log10(1 / MSE), the MSE over every value of every test image on the display scale
 * (images.ts), peak 1. PNG: each image's own 8-bit PNG file (grey for 1 channel, grey + alpha, RGB,
 * RGBA for 4 bands: lossless for every band), averaged, and one PNG of all n images stacked
 * vertically (its header and the deflate dictionary shared), per image. Float pixels are written
 * as round(255 v); the embedded MNIST's values are k / 255 to three decimals, so that recovers the
 * original bytes.
 */
import type { Split } from "../../data/dataset.js";
import type { Normalization } from "../../data/normalize.js";
import { splitRows } from "../../data/rows.js";
import { encodeRows, type RunOptions } from "../../models/batched.js";
import type { Model } from "../../models/model.js";
import type { Params } from "../../nn/params.js";
import { tensor } from "../../tensor/tensor.js";
import { checkCompressible, compressCodes, quantiserFor } from "./codec.js";
import { countSymbols } from "./frequency.js";
import { displayOf, Distortion, forEachDecoded, referenceImages, toBytes } from "./images.js";
import { choosePca, pcaAt, pcaBaseline, pcaCandidates } from "./pca-baseline.js";
import { encodePngChannels } from "../../viz/png.js";
import type { Quantiser } from "./quantiser.js";

export interface RdInput {
  readonly model: Model;
  readonly params: Params;
  readonly norm: Normalization;
  readonly imageShape: readonly [number, number, number];
  readonly modelHash: Uint8Array;
  /** The images to compress: `test` at `testIndices` (all of it when absent), in that order. */
  readonly test: Split;
  readonly testIndices?: ArrayLike<number>;
  /** Training images: the AE quantiser's range (unless `quantiser` is given) and the PCA's fit. */
  readonly train: Split;
  readonly quantiser?: Quantiser;
}

export interface RdOptions extends RunOptions {
  /** Bit depths of the model's codes (default 2..8). */
  readonly bits?: readonly number[];
  /** Most principal components of the baseline (default 64). */
  readonly pcaComponents?: number;
  /** Training images the PCA is fitted on, evenly spaced over the split (default 5000). */
  readonly pcaFitSamples?: number;
}

export interface Rate {
  /** The whole file, the payload (tables + stream) and the coded stream, in bits per image. */
  readonly file: number;
  readonly payload: number;
  readonly stream: number;
}

export interface ModelPoint { readonly bits: number; readonly bytes: number; readonly rate: Rate; readonly entropy: number; readonly psnr: number }
export interface PcaPoint { readonly budget: number; readonly k: number; readonly bits: number; readonly bytes: number; readonly rate: Rate; readonly psnr: number }

export interface RateDistortion {
  readonly n: number;
  readonly imageShape: readonly [number, number, number];
  readonly kind: "ae" | "vae";
  readonly latent: number;
  readonly quantiser: Quantiser["kind"];
  /** PSNR of the model's reconstructions from unquantised codes (VAE: posterior means). */
  readonly unquantisedPsnr: number;
  readonly model: readonly ModelPoint[];
  /** The PCA point within each model point's budget (null when even k = 1 at 1 bit does not fit). */
  readonly pca: readonly (PcaPoint | null)[];
  /** Lossless: mean bits of each image's own PNG, bits per image of one stacked PNG, and 8 bits per value. */
  readonly png: { readonly perImage: number; readonly stacked: number; readonly raw: number };
}

const rateOf = (s: { header: number; tables: number; stream: number; total: number }, n: number): Rate =>
  ({ file: (8 * s.total) / n, payload: (8 * (s.tables + s.stream)) / n, stream: (8 * s.stream) / n });

/** Evenly spaced indices i * n / m (floor) of m rows of n: a fair subset of a split sorted by class. */
export function evenlySpaced(n: number, m: number): Uint32Array {
  const k = Math.min(n, m);
  return Uint32Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}

/** The table (see the module comment); async for the PNG sizes (CompressionStream). */
export async function rateDistortion(input: RdInput, o: RdOptions = {}): Promise<RateDistortion> {
  const { model, params, norm, test, train } = input;
  checkCompressible(model);
  const [h, w, c] = input.imageShape;
  const d = h * w * c, L = model.spec.latent;
  const idx = input.testIndices ?? null;
  const n = idx ? idx.length : test.n;
  const run: RunOptions = o.backend ? { backend: o.backend } : {};
  const codes = encodeRows(model, params, splitRows(test, d, norm, idx ?? undefined), run).mean.data;
  const reference = referenceImages(test, d, idx, 0, n);
  const measure = (z: Float32Array): number => {
    const dist = new Distortion();
    forEachDecoded(model, params, z, (start, out) => dist.add(reference.subarray(start * d, start * d + out.length), displayOf(norm, out)), run);
    return dist.psnr;
  };
  const quantiser = input.quantiser ?? quantiserFor(model, () => encodeRows(model, params, splitRows(train, d, norm), run).mean.data);

  const points: ModelPoint[] = [];
  for (const bits of o.bits ?? [2, 3, 4, 5, 6, 7, 8]) {
    const dist = new Distortion();
    const r = compressCodes(model, params, codes, { ...run, bits, quantiser, modelHash: input.modelHash,
      onImages: (start, out) => dist.add(reference.subarray(start * d, start * d + out.length), displayOf(norm, out)) });
    let entropy = 0;
    for (const counts of countSymbols(r.symbols, L, 2 ** bits)) for (const k of counts) if (k > 0) entropy -= k * Math.log2(k / n);
    points.push({ bits, bytes: r.sizes.total, rate: rateOf(r.sizes, n), entropy: entropy / n, psnr: dist.psnr });
  }

  const fitRows = evenlySpaced(train.n, o.pcaFitSamples ?? 5000);
  const pcaTrain = tensor(referenceImages(train, d, fitRows, 0, fitRows.length), [fitRows.length, d]);
  const base = pcaBaseline(pcaTrain, tensor(reference, [n, d]), o.pcaComponents ?? 64, o.backend);
  const candidates = pcaCandidates(base);
  const pca = points.map((p): PcaPoint | null => {
    const choice = choosePca(candidates, p.bytes);
    if (!choice) return null;
    const r = pcaAt(base, choice.k, choice.bits);
    return { budget: p.rate.file, k: choice.k, bits: choice.bits, bytes: r.sizes.total, rate: rateOf(r.sizes, n), psnr: r.psnr };
  });

  const bytes = toBytes(reference);
  let perImage = 0;
  for (let i = 0; i < n; i++) perImage += (await encodePngChannels(bytes.subarray(i * d, (i + 1) * d), w, h, c)).length;
  const stacked = n > 0 ? (await encodePngChannels(bytes, w, h * n, c)).length : 0;

  return {
    n, imageShape: [h, w, c], kind: model.spec.kind, latent: L, quantiser: quantiser.kind,
    unquantisedPsnr: measure(codes), model: points, pca,
    png: { perImage: (8 * perImage) / n, stacked: (8 * stacked) / n, raw: 8 * d },
  };
}
