/**
 * The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), parsed from
 * bytes already in memory. Runtime-neutral: no Node APIs, so it runs in browsers and workers.
 *
 * Layout (all multi-byte numbers big-endian):
 *   offset 0   two zero bytes (the magic)
 *   offset 2   dtype code: 0x08 ubyte, 0x09 sbyte, 0x0B short (i16), 0x0C int (i32),
 *              0x0D float (f32), 0x0E double (f64)
 *   offset 3   number of dimensions k >= 1
 *   offset 4   k dimension sizes, u32 each
 *   4 + 4k     the data, row-major (last dimension fastest), exactly prod(dims) elements
 *
 * ubyte and sbyte data are views into the input bytes (no copy); wider types are decoded into
 * fresh arrays in the platform's byte order.
 */
import * as E from "fp-ts/lib/Either.js";
import { ShapeError } from "../tensor/tensor.js";
import { DataError } from "./errors.js";

export type IdxArray =
  | { readonly dtype: "ubyte"; readonly dims: number[]; readonly data: Uint8Array }
  | { readonly dtype: "sbyte"; readonly dims: number[]; readonly data: Int8Array }
  | { readonly dtype: "short"; readonly dims: number[]; readonly data: Int16Array }
  | { readonly dtype: "int"; readonly dims: number[]; readonly data: Int32Array }
  | { readonly dtype: "float"; readonly dims: number[]; readonly data: Float32Array }
  | { readonly dtype: "double"; readonly dims: number[]; readonly data: Float64Array };

export type IdxDtype = IdxArray["dtype"];

/** Code byte and element size in bytes of each dtype. */
export const IDX_DTYPES: Readonly<Record<IdxDtype, { readonly code: number; readonly size: number }>> = {
  ubyte: { code: 0x08, size: 1 },
  sbyte: { code: 0x09, size: 1 },
  short: { code: 0x0b, size: 2 },
  int: { code: 0x0c, size: 4 },
  float: { code: 0x0d, size: 4 },
  double: { code: 0x0e, size: 8 },
};

const hex = (b: number): string => `0x${b.toString(16).padStart(2, "0")}`;

function dtypeOf(code: number): IdxDtype | undefined {
  return (Object.keys(IDX_DTYPES) as IdxDtype[]).find((k) => IDX_DTYPES[k].code === code);
}

/**
 * Number of elements prod(dims) when it is at most `limit`, else null. Overflow-safe: any zero
 * dimension gives 0; otherwise the running product is checked against limit / d before each
 * multiplication, so it never exceeds `limit` (itself a safe integer).
 */
export function boundedProduct(dims: readonly number[], limit: number): number | null {
  if (dims.includes(0)) return 0;
  let p = 1;
  for (const d of dims) {
    if (p > Math.floor(limit / d)) return null;
    p *= d;
  }
  return p;
}

interface IdxHeader { readonly dtype: IdxDtype; readonly dims: number[]; readonly headerLength: number }

/** The magic, dtype and dimensions at the start of `bytes`, or the Left that parseIdx returns for them. */
function parseHeader(bytes: Uint8Array, where: string): E.Either<DataError, IdxHeader> {
  const fail = (offset: number, message: string) => E.left(new DataError(`${where} at byte ${offset}`, message));
  if (bytes.length < 4) {
    return fail(bytes.length, `truncated IDX header: expected at least 4 bytes (magic, dtype, dimension count), found ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    return fail(0, `not an IDX file: expected magic 0x00 0x00, found ${hex(bytes[0]!)} ${hex(bytes[1]!)}`);
  }
  const code = bytes[2]!;
  const dtype = dtypeOf(code);
  if (dtype === undefined) {
    return fail(2, `unknown IDX dtype code: expected one of 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, found ${hex(code)}`);
  }
  const rank = bytes[3]!;
  if (rank === 0) return fail(3, "IDX dimension count: expected at least 1, found 0");
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    return fail(bytes.length, `truncated IDX header: ${rank} dimensions need ${headerLength} header bytes, found ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return E.right({ dtype, dims: Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false)), headerLength });
}

/**
 * The file size an IDX header declares (header plus prod(dims) elements), from the first bytes
 * of the file: a Left when they start an invalid header (the Left parseIdx gives), undefined when
 * they are too few to hold the header. Beyond 2^53 the size is rounded, which only ever makes it
 * a refusal. For checking a compressed file's declared size before inflating it (../node/gzip.ts).
 */
export function idxDeclaredBytes(head: Uint8Array, where: string): E.Either<DataError, number> | undefined {
  if (head.length < 4 || head.length < 4 + 4 * head[3]!) return undefined;
  const header = parseHeader(head, where);
  if (E.isLeft(header)) return header;
  const { dtype, dims, headerLength } = header.right;
  return E.right(Number(BigInt(headerLength) + dims.reduce((p, d) => p * BigInt(d), 1n) * BigInt(IDX_DTYPES[dtype].size)));
}

/** Parses one IDX file; `where` names it in errors (e.g. the file path). */
export function parseIdx(bytes: Uint8Array, where: string): E.Either<DataError, IdxArray> {
  const header = parseHeader(bytes, where);
  if (E.isLeft(header)) return header;
  const { dtype, dims, headerLength } = header.right;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = IDX_DTYPES[dtype].size;
  const found = bytes.length - headerLength;
  const count = boundedProduct(dims, Math.floor(found / size));
  if (count === null || count * size !== found) {
    // The exact expectation, in BigInt so that it is right even when it overflows a double.
    const expected = dims.reduce((p, d) => p * BigInt(d), 1n) * BigInt(size);
    return E.left(new DataError(`${where} at byte ${headerLength}`, `IDX data length: dims [${dims.join(", ")}] of ${dtype} `
      + `(${size} byte${size > 1 ? "s" : ""} each) expect ${expected} data bytes, found ${found}`));
  }
  return E.right(decode(dtype, dims, bytes, headerLength, count, view));
}

function decode(dtype: IdxDtype, dims: number[], bytes: Uint8Array, at: number, n: number, view: DataView): IdxArray {
  const start = bytes.byteOffset + at;
  switch (dtype) {
    case "ubyte": return { dtype, dims, data: new Uint8Array(bytes.buffer, start, n) };
    case "sbyte": return { dtype, dims, data: new Int8Array(bytes.buffer, start, n) };
    case "short": {
      const data = new Int16Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt16(at + 2 * i, false);
      return { dtype, dims, data };
    }
    case "int": {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt32(at + 4 * i, false);
      return { dtype, dims, data };
    }
    case "float": {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + 4 * i, false);
      return { dtype, dims, data };
    }
    case "double": {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat64(at + 8 * i, false);
      return { dtype, dims, data };
    }
  }
}

/**
 * Encodes an array as IDX bytes (big-endian); the inverse of parseIdx, for tests and export.
 * Throws ShapeError for dims IDX cannot store (not 1..255 of them, or one outside u32) or that
 * the data does not fill.
 */
export function encodeIdx(a: IdxArray): Uint8Array {
  const { size, code } = IDX_DTYPES[a.dtype];
  if (a.dims.length < 1 || a.dims.length > 255) throw new ShapeError(`IDX needs 1..255 dimensions, got ${a.dims.length}`);
  for (const d of a.dims) if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new ShapeError(`IDX dimensions are u32, got ${d}`);
  const n = boundedProduct(a.dims, Number.MAX_SAFE_INTEGER);
  if (n !== a.data.length) throw new ShapeError(`dims [${a.dims.join(", ")}] need ${n} elements, data has ${a.data.length}`);
  const header = 4 + 4 * a.dims.length;
  const out = new Uint8Array(header + n * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = a.dims.length;
  a.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < n; i++) {
    const v = a.data[i]!, at = header + i * size;
    switch (a.dtype) {
      case "ubyte": view.setUint8(at, v); break;
      case "sbyte": view.setInt8(at, v); break;
      case "short": view.setInt16(at, v, false); break;
      case "int": view.setInt32(at, v, false); break;
      case "float": view.setFloat32(at, v, false); break;
      case "double": view.setFloat64(at, v, false); break;
    }
  }
  return out;
}
