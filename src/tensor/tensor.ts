/**
 * The tensor record shared by every layer of the library: the four fields of scijs ndarray,
 * so any ndarray (or anything shaped like one) is accepted as input. Values are f32.
 * `stride` and `offset` count elements; row-major contiguous tensors have
 * stride[i] = prod(shape[i+1:]) and offset 0.
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset: number;
}

/** Anything with ndarray's four fields and numeric, indexable data (an ndarray, a Tensor). */
export interface TensorLike {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset: number;
}

export class ShapeError extends Error {
  override readonly name = "ShapeError";
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { stride[i] = s; s *= shape[i]!; }
  return stride;
}

function checkShape(shape: readonly number[], what: string): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError(`${what}: dimension ${d} in shape [${shape.join(", ")}] is not a non-negative integer`);
  }
}

/** A contiguous tensor over `data` (not copied; frozen record). */
export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  checkShape(shape, "tensor");
  if (data.length !== size(shape)) throw new ShapeError(`tensor: ${data.length} values do not fill shape [${shape.join(", ")}] (${size(shape)} needed)`);
  return Object.freeze({ data, shape: Object.freeze([...shape]), stride: Object.freeze(contiguousStride(shape)), offset: 0 });
}

export function zeros(shape: readonly number[]): Tensor {
  checkShape(shape, "zeros");
  return tensor(new Float32Array(size(shape)), shape);
}

export function isContiguous(t: TensorLike): boolean {
  let s = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    if (t.shape[i]! !== 1 && t.stride[i]! !== s) return false;
    s *= t.shape[i]!;
  }
  return true;
}

/** Validates the four fields of an ndarray-like value; throws a ShapeError naming what is wrong. */
export function checkTensorLike(t: TensorLike, what: string): void {
  if (t === null || typeof t !== "object" || !t.data || !t.shape || !t.stride || typeof t.data.length !== "number") {
    throw new ShapeError(`${what}: expected a tensor {data, shape, stride, offset}`);
  }
  checkShape(t.shape, what);
  if (t.stride.length !== t.shape.length) throw new ShapeError(`${what}: stride has ${t.stride.length} entries for ${t.shape.length} dimensions`);
  if (!Number.isSafeInteger(t.offset) || t.offset < 0) throw new ShapeError(`${what}: offset ${t.offset} is not a non-negative integer`);
  if (size(t.shape) === 0) return;
  let lo = t.offset, hi = t.offset;
  for (let i = 0; i < t.shape.length; i++) {
    const span = (t.shape[i]! - 1) * t.stride[i]!;
    if (span < 0) lo += span; else hi += span;
  }
  if (lo < 0 || hi >= t.data.length) throw new ShapeError(`${what}: shape [${t.shape.join(", ")}] with stride [${t.stride.join(", ")}] and offset ${t.offset} reaches outside its ${t.data.length} values`);
}

/**
 * Writes the values of t, in row-major order, into `out` starting at `at`.
 * Fast path for contiguous data; strided views are walked index by index.
 */
export function copyInto(t: TensorLike, out: { [i: number]: number; set?: unknown }, at = 0): void {
  const n = size(t.shape);
  if (n === 0) return;
  if (isContiguous(t)) {
    const src = t.data;
    if (ArrayBuffer.isView(src) && ArrayBuffer.isView(out)) {
      (out as Float32Array).set((src as Float32Array).subarray(t.offset, t.offset + n), at);
    } else {
      for (let i = 0; i < n; i++) out[at + i] = src[t.offset + i]!;
    }
    return;
  }
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let p = t.offset;
    for (let d = 0; d < rank; d++) p += index[d]! * t.stride[d]!;
    out[at + i] = t.data[p]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < t.shape[d]!) break;
      index[d] = 0;
    }
  }
}

/** A contiguous f32 copy of any tensor-like value. */
export function toTensor(t: TensorLike, what = "tensor"): Tensor {
  checkTensorLike(t, what);
  const data = new Float32Array(size(t.shape));
  copyInto(t, data);
  return tensor(data, t.shape);
}
