/**
 * Minibatches of a [N, D] tensor as a BatchSource for train.fit. Epoch e is shuffled with the
 * key foldIn(key, e) by Fisher-Yates over the key's random words (index = word mod (i + 1):
 * the bias, below N / 2^32, is negligible for any data set that fits in memory).
 * A final partial batch is kept unless dropLast.
 */
import { bits, foldIn, type Key } from "../random/index.js";
import { checkTensorLike, copyInto, ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import type { BatchSource } from "./batch-source.js";

export interface BatchOptions {
  readonly batchSize: number;
  /** Shuffles every epoch when given; in order when absent. */
  readonly key?: Key;
  readonly dropLast?: boolean;
}

/** The permutation of 0..n-1 for one epoch. */
export function permutation(key: Key, n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const words = bits(key, n);
  for (let i = n - 1; i > 0; i--) {
    const j = words[i]! % (i + 1);
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  return order;
}

/** Copies the given rows of x [N, D] into a fresh [rows.length, D] tensor. */
export function gatherRows(x: TensorLike, rows: ArrayLike<number>): Tensor {
  const D = x.shape[1]!;
  const out = new Float32Array(rows.length * D);
  for (let r = 0; r < rows.length; r++) {
    copyInto({ data: x.data, shape: [1, D], stride: x.stride, offset: x.offset + rows[r]! * x.stride[0]! }, out, r * D);
  }
  return tensor(out, [rows.length, D]);
}

export function batches(x: TensorLike, o: BatchOptions): BatchSource<Tensor> {
  checkTensorLike(x, "data");
  if (x.shape.length !== 2) throw new ShapeError(`data must have shape [n, features], got [${x.shape.join(", ")}]`);
  if (!Number.isSafeInteger(o.batchSize) || o.batchSize < 1) throw new ShapeError(`batchSize must be a positive integer, got ${o.batchSize}`);
  const n = x.shape[0]!;
  return function* (epoch: number) {
    const order = o.key ? permutation(foldIn(o.key, epoch), n) : null;
    for (let start = 0; start < n; start += o.batchSize) {
      const end = Math.min(n, start + o.batchSize);
      if (end - start < o.batchSize && o.dropLast) break;
      const rows = order ? order.subarray(start, end) : Uint32Array.from({ length: end - start }, (_, i) => start + i);
      yield gatherRows(x, rows);
    }
  };
}
