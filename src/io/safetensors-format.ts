/**
 * The safetensors file format (https://github.com/huggingface/safetensors), written and read
 * here without dependencies. Runtime-neutral: Uint8Array, TextEncoder and TextDecoder only.
 *
 * Layout of a file:
 *   bytes [0, 8)          N, the header length: an unsigned 64-bit little-endian integer
 *   bytes [8, 8 + N)      the header: UTF-8 JSON object
 *                           { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] },
 *                             "__metadata__": { "<key>": "<string value>" } }
 *                         padded with spaces to a multiple of 8 bytes (as the reference writer does)
 *   bytes [8 + N, end)    the data region; a tensor's bytes are [8 + N + begin, 8 + N + end),
 *                         elements little-endian, row-major ("C" order)
 *
 * F16 and BF16 are carried as raw bit patterns in Uint16Array.
 */

/**
 * The largest header length N, 16 MiB. The reference reader allows 100,000,000 bytes; real
 * headers take kilobytes, and refusing a 100 MB header of garbage would cost about 1 GB.
 */
export const MAX_HEADER_BYTES = 2 ** 24;
/** The largest tensor, in bytes (2 GiB): more than a model's kernels can hold with its gradient and optimizer slots. */
export const MAX_TENSOR_BYTES = 2 ** 31;
/**
 * The most JSON values a header may hold (each object, array, string, number and literal counts
 * one): about 25,000 tensors. The reference reader has no such count; it bounds the time and
 * memory of parsing a header (a 99 MB header of 49 million numbers would take gigabytes).
 */
export const MAX_HEADER_VALUES = 2 ** 18;

/** Element arrays by dtype. */
export interface DtypeArrays {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
}

export type Dtype = keyof DtypeArrays;

/** One tensor: contiguous row-major elements of `dtype`, data.length == product(shape). */
export type SafeTensor<D extends Dtype = Dtype> = D extends Dtype
  ? { readonly dtype: D; readonly shape: readonly number[]; readonly data: DtypeArrays[D] }
  : never;

export interface Safetensors {
  readonly tensors: Readonly<Record<string, SafeTensor>>;
  /** The __metadata__ map; {} when the file has none. */
  readonly metadata: Readonly<Record<string, string>>;
}

type ArrayCtor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => DtypeArrays[Dtype];

export const dtypeTable: Readonly<Record<Dtype, { readonly size: number; readonly array: ArrayCtor }>> = {
  F64: { size: 8, array: Float64Array },
  F32: { size: 4, array: Float32Array },
  F16: { size: 2, array: Uint16Array },
  BF16: { size: 2, array: Uint16Array },
  I64: { size: 8, array: BigInt64Array },
  I32: { size: 4, array: Int32Array },
  I16: { size: 2, array: Int16Array },
  I8: { size: 1, array: Int8Array },
  U64: { size: 8, array: BigUint64Array },
  U32: { size: 4, array: Uint32Array },
  U16: { size: 2, array: Uint16Array },
  U8: { size: 1, array: Uint8Array },
};

export const dtypes: readonly Dtype[] = Object.keys(dtypeTable) as Dtype[];

export function dtypeSize(dtype: Dtype): number {
  return dtypeTable[dtype].size;
}

export function isDtype(value: unknown): value is Dtype {
  return typeof value === "string" && Object.hasOwn(dtypeTable, value);
}

export type SafetensorsErrorKind =
  | "truncated" // shorter than 8 bytes, or the header runs past the end of the file
  | "header-too-large" // N > MAX_HEADER_BYTES, or more than MAX_HEADER_VALUES JSON values
  | "header-encoding" // the header is not valid UTF-8
  | "header-json" // the header is not valid JSON
  | "duplicate-key" // a key appears twice in one JSON object
  | "header-structure" // not an object, or an entry's fields are missing, unknown or of the wrong type
  | "dtype" // unknown or unsupported dtype
  | "shape" // a dimension that is not a non-negative integer
  | "offsets" // data_offsets not [begin, end] integers with end >= begin
  | "size-mismatch" // end - begin != product(shape) * dtype size
  | "tensor-too-large" // product(shape) * dtype size > MAX_TENSOR_BYTES
  | "gap" // bytes of the data region no tensor covers (including before the first tensor)
  | "overlap" // two tensors share bytes
  | "data-past-end" // the offsets reach past the end of the file
  | "trailing-bytes" // bytes after the last tensor
  | "metadata" // __metadata__ is not an object of strings
  | "invalid-input"; // encoding: the tensors or metadata given cannot be written

export interface SafetensorsErrorDetails {
  readonly tensor?: string;
  readonly field?: string;
  readonly expected?: string;
  readonly found?: string;
  /** Absolute byte offset in the file where the problem is, when known. */
  readonly byteOffset?: number;
}

export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
  constructor(readonly kind: SafetensorsErrorKind, message: string, readonly details: SafetensorsErrorDetails = {}) {
    super(message);
  }
}

export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte element in place (only used on big-endian hosts). */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

export function elementCount(shape: readonly number[]): number | null {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}
