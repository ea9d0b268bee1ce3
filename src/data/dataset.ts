/**
 * A data set of images as the trainer sees it. Pixels stay in their stored type to save
 * memory (uint8 takes a quarter of f32: Fashion-MNIST train is 47 MB as bytes) and are
 * normalised per batch, never as a whole split: uint8 values go through the data set's
 * Normalization (./normalize.ts: v / 255 by default, or an affine map per band fitted on the
 * training split); float values pass unchanged.
 * Layout: sample-major, each image row-major with channels last (HWC), so a sample is
 * h * w * c consecutive values.
 */
import { foldIn, type Key } from "../random/index.js";
import { ShapeError, tensor, type Tensor } from "../tensor/tensor.js";
import type { BatchSource } from "./batch-source.js";
import { permutation } from "./batches.js";
import { GLOBAL, normalizationBands, normalizationTable, type Normalization } from "./normalize.js";

export interface Split {
  readonly n: number;
  readonly pixels: Uint8Array | Float32Array;
  /** One label per sample, or null when the data has none. */
  readonly labels: Uint8Array | null;
}

export interface Dataset {
  readonly name: string;
  /** [height, width, channels]. */
  readonly imageShape: readonly [number, number, number];
  readonly train: Split;
  readonly test: Split;
  /** Names of the labels 0, 1, ...; absent when labels are bare numbers. */
  readonly classNames?: readonly string[];
}

export function features(ds: Pick<Dataset, "imageShape">): number {
  const [h, w, c] = ds.imageShape;
  return h * w * c;
}

export function checkSplit(split: Split, d: number, what: string): void {
  if (split.pixels.length !== split.n * d) throw new ShapeError(`${what}: ${split.pixels.length} pixel values for ${split.n} samples of ${d}`);
  if (split.labels && split.labels.length !== split.n) throw new ShapeError(`${what}: ${split.labels.length} labels for ${split.n} samples`);
}

/**
 * Writes samples `rows` of a split, normalised, into `out` from index `at` (rows.length * d
 * values): the one float copy of a batch, written where it is needed (e.g. straight into a
 * kernel buffer).
 */
export function gatherInto(split: Split, d: number, rows: ArrayLike<number>, out: Float32Array, at = 0, norm: Normalization = GLOBAL): void {
  if (at < 0 || at + rows.length * d > out.length) throw new ShapeError(`gatherInto: ${rows.length} rows of ${d} do not fit at ${at} in ${out.length} values`);
  const src = split.pixels;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (!(row >= 0 && row < split.n)) throw new ShapeError(`gatherInto: row ${row} is outside the split's ${split.n} samples`);
  }
  if (!(src instanceof Uint8Array)) {
    for (let r = 0; r < rows.length; r++) out.set(src.subarray(rows[r]! * d, rows[r]! * d + d), at + r * d);
    return;
  }
  const table = normalizationTable(norm);
  const c = normalizationBands(norm);
  if (c === null) {
    for (let r = 0; r < rows.length; r++) {
      const base = rows[r]! * d, o = at + r * d;
      for (let j = 0; j < d; j++) out[o + j] = table[src[base + j]!]!;
    }
    return;
  }
  if (d % c !== 0) throw new ShapeError(`a per-band normalisation of ${c} bands does not fit samples of ${d} values`);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * d, o = at + r * d;
    for (let j = 0; j < d; j += c) {
      for (let b = 0; b < c; b++) out[o + j + b] = table[src[base + j + b]! * c + b]!;
    }
  }
}

/** Samples `rows` of a split as a normalised [rows.length, d] f32 tensor. */
export function gather(split: Split, d: number, rows: ArrayLike<number>, norm: Normalization = GLOBAL): Tensor {
  const out = new Float32Array(rows.length * d);
  gatherInto(split, d, rows, out, 0, norm);
  return tensor(out, [rows.length, d]);
}

/**
 * The whole split (or its first `limit` samples) as one normalised tensor: four bytes per value,
 * so only for small splits (Fashion-MNIST's test split alone is 31 MB as f32); evaluate large ones
 * in batches (gather / gatherInto).
 */
export function splitTensor(split: Split, d: number, limit = split.n, norm: Normalization = GLOBAL): Tensor {
  return gather(split, d, Uint32Array.from({ length: Math.min(limit, split.n) }, (_, i) => i), norm);
}

export interface SplitBatchOptions {
  readonly batchSize: number;
  /** Shuffles every epoch by foldIn(key, epoch) when given; in order when absent. */
  readonly key?: Key;
  readonly dropLast?: boolean;
  /** How uint8 pixels become inputs (default GLOBAL: v / 255). */
  readonly normalization?: Normalization;
  /**
   * Write every batch into one buffer per batch size instead of a fresh one, so an epoch makes
   * no garbage (469 batches of 400 KB for Fashion-MNIST, which the garbage collector otherwise
   * lets pile up). Only for a consumer that is done with a batch when it asks for the next, as
   * train.fit is; collecting the batches would give the last one many times.
   */
  readonly reuseBuffers?: boolean;
}

/** Minibatches of a split, shuffled per epoch by foldIn(key, epoch) when a key is given. */
export function splitBatches(split: Split, d: number, o: SplitBatchOptions): BatchSource<Tensor> {
  if (!Number.isSafeInteger(o.batchSize) || o.batchSize < 1) throw new ShapeError(`batchSize must be a positive integer, got ${o.batchSize}`);
  const buffers = new Map<number, Float32Array>();
  return function* (epoch: number) {
    const order = o.key ? permutation(foldIn(o.key, epoch), split.n) : Uint32Array.from({ length: split.n }, (_, i) => i);
    for (let start = 0; start < split.n; start += o.batchSize) {
      const end = Math.min(split.n, start + o.batchSize);
      if (end - start < o.batchSize && o.dropLast) break;
      if (!o.reuseBuffers) { yield gather(split, d, order.subarray(start, end), o.normalization); continue; }
      const rows = end - start;
      let buf = buffers.get(rows);
      if (!buf) { buf = new Float32Array(rows * d); buffers.set(rows, buf); }
      gatherInto(split, d, order.subarray(start, end), buf, 0, o.normalization);
      yield tensor(buf, [rows, d]);
    }
  };
}

/** A reproducible random subset of k distinct sample indices (for pictures). */
export function pickSamples(key: Key, n: number, k: number): Uint32Array {
  return permutation(key, n).subarray(0, Math.min(k, n)).slice();
}
