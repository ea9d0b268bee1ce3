/**
 * A data set of images as the trainer sees it. Pixels stay in their stored type to save
 * memory (uint8 takes a quarter of f32: Fashion-MNIST train is 47 MB as bytes) and are
 * normalised per batch: uint8 values v become v / 255 in [0, 1]; float values pass unchanged.
 * Layout: sample-major, each image row-major with channels last (HWC), so a sample is
 * h * w * c consecutive values.
 */
import { foldIn, type Key } from "../random/index.js";
import { ShapeError, tensor, type Tensor } from "../tensor/tensor.js";
import type { BatchSource } from "../train/fit.js";
import { permutation } from "./batches.js";

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

/** Samples `rows` of a split as a normalised [rows.length, d] f32 tensor. */
export function gather(split: Split, d: number, rows: ArrayLike<number>): Tensor {
  const out = new Float32Array(rows.length * d);
  const src = split.pixels;
  const scale = src instanceof Uint8Array ? 1 / 255 : 1;
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * d, at = r * d;
    if (scale === 1) out.set((src as Float32Array).subarray(base, base + d), at);
    else for (let j = 0; j < d; j++) out[at + j] = src[base + j]! * scale;
  }
  return tensor(out, [rows.length, d]);
}

/** The whole split (or its first `limit` samples) as one normalised tensor. */
export function splitTensor(split: Split, d: number, limit = split.n): Tensor {
  return gather(split, d, Uint32Array.from({ length: Math.min(limit, split.n) }, (_, i) => i));
}

/** Minibatches of a split, shuffled per epoch by foldIn(key, epoch) when a key is given. */
export function splitBatches(split: Split, d: number, o: { batchSize: number; key?: Key; dropLast?: boolean }): BatchSource {
  if (!Number.isSafeInteger(o.batchSize) || o.batchSize < 1) throw new ShapeError(`batchSize must be a positive integer, got ${o.batchSize}`);
  return function* (epoch: number) {
    const order = o.key ? permutation(foldIn(o.key, epoch), split.n) : Uint32Array.from({ length: split.n }, (_, i) => i);
    for (let start = 0; start < split.n; start += o.batchSize) {
      const end = Math.min(split.n, start + o.batchSize);
      if (end - start < o.batchSize && o.dropLast) break;
      yield gather(split, d, order.subarray(start, end));
    }
  };
}

/** A reproducible random subset of k distinct sample indices (for pictures). */
export function pickSamples(key: Key, n: number, k: number): Uint32Array {
  return permutation(key, n).subarray(0, Math.min(k, n)).slice();
}
