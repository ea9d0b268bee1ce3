/**
 * A source of rows read in batches: `n` rows of `width` f32 values, written on demand into a
 * caller's buffer. Lets a model run over a data split that is stored compactly (uint8 pixels,
 * normalised when read) without the whole split ever held as f32.
 */
import { copyInto, type TensorLike } from "./tensor.js";

export interface Rows {
  readonly n: number;
  readonly width: number;
  /** Writes rows [start, start + count) into out[0 .. count * width). */
  fill(start: number, count: number, out: Float32Array): void;
}

/** The rows of a [n, width] tensor (any strides). */
export function tensorRows(t: TensorLike): Rows {
  const width = t.shape[1]!;
  return {
    n: t.shape[0]!, width,
    fill(start, count, out) {
      copyInto({ data: t.data, shape: [count, width], stride: t.stride, offset: t.offset + start * t.stride[0]! }, out);
    },
  };
}

/** Rows `which` of a row-major [n, width] array, in that order, as a new [which.length * width] array. */
export function gatherRows(data: Float32Array, width: number, which: ArrayLike<number>): Float32Array {
  const out = new Float32Array(which.length * width);
  for (let t = 0; t < which.length; t++) out.set(data.subarray(which[t]! * width, (which[t]! + 1) * width), t * width);
  return out;
}
