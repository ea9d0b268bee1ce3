/**
 * MATLAB level-5 MAT-files (the format of `save` up to -v7), parsed from bytes already in
 * memory. Runtime-neutral: no Node APIs; compressed elements are inflated by an injected
 * function (node:zlib's inflateSync in src/data/node/sat6.ts, or any zlib in a browser).
 *
 * Layout (https://www.mathworks.com/help/pdf_doc/matlab/matfile_format.pdf):
 *   offset 0    116 bytes of header text, starting "MATLAB" (e.g. "MATLAB 5.0 MAT-file, ...")
 *   offset 116  8 bytes subsystem data offset (ignored)
 *   offset 124  version, u16: 0x0100 (0x0200 marks a -v7.3 file, which is HDF5: refused)
 *   offset 126  endian indicator, 2 bytes: "IM" little-endian, "MI" big-endian (both read)
 *   offset 128  data elements, each an 8-byte tag (type u32, byte count u32) and its data,
 *               padded to a multiple of 8 bytes; or the small form for at most 4 data bytes
 *               (a u32 with the type in the low 16 bits and the count in the high 16, then
 *               the data in the next 4 bytes). miCOMPRESSED (15) elements hold a zlib stream
 *               of further elements and are not padded; miMATRIX (14) elements are arrays.
 * An array (miMATRIX) holds sub-elements: array flags (miUINT32 x2: class in the low byte,
 * flags complex 0x08, global 0x04, logical 0x02 in the next), dimensions (miINT32, at least
 * 2), name (miINT8), then by class: numeric and char arrays a real part (any numeric data
 * type: MATLAB stores a double array of small integers as miUINT8, for instance) and, when
 * complex, an imaginary part; cell arrays one miMATRIX per element (column-major). Struct,
 * object, sparse, function and opaque arrays are recognised by name and skipped.
 * Data is column-major (Fortran order): index = i0 + d0 * (i1 + d1 * (i2 + ...)).
 * Real parts are views into the input (or inflated) bytes: nothing is copied.
 */
import * as E from "fp-ts/lib/Either.js";
import { DataError } from "./errors.js";
import { boundedProduct } from "./idx.js";
import { allowanceLimit, inflateAllowance, MAX_DATA_BYTES, type DataLimit } from "./limits.js";

/** Data types of elements (the miXXX codes). */
export const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9,
  INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;

/** Array classes (the mxXXX_CLASS codes). */
export const MX = {
  CELL: 1, STRUCT: 2, OBJECT: 3, CHAR: 4, SPARSE: 5, DOUBLE: 6, SINGLE: 7, INT8: 8, UINT8: 9,
  INT16: 10, UINT16: 11, INT32: 12, UINT32: 13, INT64: 14, UINT64: 15, FUNCTION: 16, OPAQUE: 17,
} as const;

const MI_NAMES: Readonly<Record<number, string>> = {
  1: "miINT8", 2: "miUINT8", 3: "miINT16", 4: "miUINT16", 5: "miINT32", 6: "miUINT32", 7: "miSINGLE", 9: "miDOUBLE",
  12: "miINT64", 13: "miUINT64", 14: "miMATRIX", 15: "miCOMPRESSED", 16: "miUTF8", 17: "miUTF16", 18: "miUTF32",
};

/** Element size in bytes of the numeric and text data types. */
const MI_SIZES: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

const MX_NAMES: readonly string[] = [
  "", "cell", "struct", "object", "char", "sparse", "double", "single", "int8", "uint8",
  "int16", "uint16", "int32", "uint32", "int64", "uint64", "function", "opaque",
];

/** Name of a data type code, e.g. "miUINT8", or "type 8" for unknown codes. */
export const miName = (type: number): string => MI_NAMES[type] ?? `type ${type}`;
/** Name of an array class code, e.g. "uint8", or "class 42" for unknown codes. */
export const mxName = (cls: number): string => (cls > 0 ? MX_NAMES[cls] : undefined) ?? `class ${cls}`;

/** Numeric array classes: double, single and the integer classes. */
export const isNumericClass = (cls: number): boolean => cls >= MX.DOUBLE && cls <= MX.UINT64;

/** The stored real (or text) part of an array: its own data type, count and bytes. */
export interface MatData {
  readonly type: number;
  /** Number of stored values: bytes.length / element size. */
  readonly count: number;
  /** A view into the file (or inflated element) bytes. */
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
}

export interface MatArray {
  readonly name: string;
  /** mxXXX_CLASS code (0 for the empty placeholder an empty cell holds). */
  readonly classId: number;
  /** "double", "uint8", "char", "cell", ... */
  readonly className: string;
  readonly dims: readonly number[];
  readonly complex: boolean;
  readonly logical: boolean;
  /** Numeric and char arrays: the real part; null for other classes. */
  readonly real: MatData | null;
  /** Cell arrays: the elements, column-major; null for other classes. */
  readonly cells: readonly MatArray[] | null;
  /** Where the array's element starts, for messages. */
  readonly where: string;
}

export interface MatFile {
  /** The header text, trailing spaces and NULs removed. */
  readonly text: string;
  readonly littleEndian: boolean;
  /** Top-level variables by name (only those asked for when `names` was given). */
  readonly variables: ReadonlyMap<string, MatArray>;
}

/**
 * Inflates a zlib stream (RFC 1950): its bytes, or null when they would pass `maxOutputBytes`
 * (stopping there); throws an Error whose message says what is wrong when the stream is corrupt
 * or truncated. With `head` true it returns only the first (at most maxOutputBytes) bytes,
 * inflated from the start of the stream, and never throws (empty when nothing inflates); an
 * implementation may ignore `head`, which only costs the early refusal below.
 */
export type Inflate = (compressed: Uint8Array, maxOutputBytes: number, head?: boolean) => Uint8Array | null;

export interface MatOptions {
  /** Needed for miCOMPRESSED elements (files saved with -v7, MATLAB's default); without it they are an error. */
  readonly inflate?: Inflate;
  /** Keep only these top-level variables; the others are skipped after their name is read. */
  readonly names?: readonly string[];
  /**
   * Cap on the inflated size of each compressed element; default MAX_DATA_BYTES (1 GiB). An
   * element may also inflate to at most MAX_INFLATE_RATIO times its compressed size (beyond
   * 16 MiB), and to no more than the one element its first tag declares (MATLAB writes one
   * array per compressed element): the tag is inflated first, and a declared size beyond the
   * caps, or a type no element has, is refused at once.
   */
  readonly maxInflatedBytes?: number;
}

export const DEFAULT_MAX_INFLATED_BYTES = MAX_DATA_BYTES;
const MAX_DEPTH = 32;

/** One region of bytes (the file, or an inflated element) and how to name its offsets. */
class Region {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly le: boolean, readonly locate: (offset: number) => string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(at: number): number { return this.view.getUint32(at, this.le); }
  i32(at: number): number { return this.view.getInt32(at, this.le); }
  fail(at: number, message: string): never { throw new DataError(this.locate(at), message); }
}

interface Tag {
  readonly type: number;
  readonly size: number;
  /** Offset of the tag itself. */
  readonly at: number;
  /** Offset of the data. */
  readonly data: number;
  /** Offset of the next element. */
  readonly next: number;
}

const pad8 = (n: number): number => n + ((8 - (n % 8)) % 8);

/** Reads the tag at `pos` of an element that must end by `end`. */
function readTag(r: Region, pos: number, end: number, what: string): Tag {
  if (end - pos < 8) r.fail(pos, `truncated ${what}: a data element tag needs 8 bytes, ${Math.max(0, end - pos)} remain`);
  const first = r.u32(pos);
  const small = first >>> 16;
  if (small !== 0) {
    const type = first & 0xffff;
    if (small > 4) r.fail(pos, `${what}: small data element of ${miName(type)} claims ${small} bytes, at most 4 fit`);
    return { type, size: small, at: pos, data: pos + 4, next: pos + 8 };
  }
  const size = r.u32(pos + 4);
  const data = pos + 8;
  if (size > end - data) {
    r.fail(pos, `${what}: element of ${miName(first)} claims ${size} bytes, only ${end - data} remain`);
  }
  // Compressed elements are not padded; the others are (tolerate missing padding at the very end).
  const next = first === MI.COMPRESSED ? data + size : Math.min(end, data + pad8(size));
  return { type: first, size, at: pos, data, next };
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function parseMatrix(r: Region, t: Tag, depth: number, keep: ((name: string) => boolean) | null): MatArray | null {
  const where = r.locate(t.at);
  const end = t.data + t.size;
  if (depth > MAX_DEPTH) r.fail(t.at, `arrays nested more than ${MAX_DEPTH} deep`);
  if (t.size === 0) {
    return { name: "", classId: 0, className: "empty", dims: [0, 0], complex: false, logical: false, real: null, cells: null, where };
  }
  const flags = readTag(r, t.data, end, "array flags");
  if (flags.type !== MI.UINT32 || flags.size !== 8) {
    r.fail(flags.at, `array flags: expected miUINT32 of 8 bytes, found ${miName(flags.type)} of ${flags.size} bytes`);
  }
  const word = r.u32(flags.data);
  const classId = word & 0xff, bits = (word >>> 8) & 0xff;
  const complex = (bits & 0x08) !== 0, logical = (bits & 0x02) !== 0;
  if (classId === 0 || classId >= MX_NAMES.length) r.fail(flags.data, `unknown array class ${classId} (expected 1..${MX_NAMES.length - 1})`);
  const className = mxName(classId);
  let pos = flags.next;

  const readName = (): string => {
    const nt = readTag(r, pos, end, "array name");
    if (nt.type !== MI.INT8 && nt.type !== MI.UINT8) r.fail(nt.at, `array name: expected miINT8, found ${miName(nt.type)}`);
    pos = nt.next;
    return latin1(r.bytes.subarray(nt.data, nt.data + nt.size));
  };

  if (classId === MX.OPAQUE) {
    // Opaque arrays (MATLAB strings, tables, ...) have no dimensions: flags, name, then class data.
    const name = readName();
    if (keep && !keep(name)) return null;
    return { name, classId, className, dims: [], complex, logical, real: null, cells: null, where };
  }

  const dt = readTag(r, pos, end, "array dimensions");
  if (dt.type !== MI.INT32 || dt.size % 4 !== 0 || dt.size < 8) {
    r.fail(dt.at, `array dimensions: expected miINT32 with at least 2 values, found ${miName(dt.type)} of ${dt.size} bytes`);
  }
  const dims = Array.from({ length: dt.size / 4 }, (_, i) => r.i32(dt.data + 4 * i));
  if (dims.some((d) => d < 0)) r.fail(dt.data, `array dimensions: negative dimension in [${dims.join(", ")}]`);
  pos = dt.next;
  const name = readName();
  if (keep && !keep(name)) return null;
  const base = { name, classId, className, dims, complex, logical, where };

  if (classId === MX.CELL) {
    // Each cell is an element of at least 8 bytes: this bounds the count before looping.
    const count = boundedProduct(dims, Math.floor((end - pos) / 8));
    if (count === null) r.fail(pos, `cell array [${dims.join(", ")}]: more cells than the ${end - pos} remaining bytes can hold`);
    const cells: MatArray[] = [];
    for (let i = 0; i < count; i++) {
      const ct = readTag(r, pos, end, `cell ${i + 1} of ${name || "a cell array"}`);
      if (ct.type !== MI.MATRIX) r.fail(ct.at, `cell ${i + 1}: expected miMATRIX, found ${miName(ct.type)}`);
      cells.push(parseMatrix(r, ct, depth + 1, null)!);
      pos = ct.next;
    }
    return { ...base, real: null, cells };
  }

  if (classId === MX.CHAR || isNumericClass(classId)) {
    const part = (what: string): MatData => {
      const pt = readTag(r, pos, end, `${what} of ${name || "an array"}`);
      const size = MI_SIZES[pt.type];
      if (size === undefined) r.fail(pt.at, `${what} of ${className} array ${name}: expected numeric data, found ${miName(pt.type)}`);
      if (pt.size % size !== 0) r.fail(pt.at, `${what} of ${name}: ${pt.size} bytes is not a whole number of ${miName(pt.type)} values`);
      pos = pt.next;
      return { type: pt.type, count: pt.size / size, bytes: r.bytes.subarray(pt.data, pt.data + pt.size), littleEndian: r.le };
    };
    // Tolerate an empty array written without its (empty) real part.
    if (pos >= end && boundedProduct(dims, 0) === 0) {
      return { ...base, real: { type: MI.DOUBLE, count: 0, bytes: r.bytes.subarray(end, end), littleEndian: r.le }, cells: null };
    }
    const real = part("real part");
    // UTF-8 text may use several bytes per character: its count is not checked against the dims.
    if (real.type !== MI.UTF8) {
      const n = boundedProduct(dims, real.count);
      if (n !== real.count) r.fail(t.at, `${className} array ${name}: dims [${dims.join(", ")}] need ${dims.reduce((p, d) => p * d, 1)} values, the real part holds ${real.count}`);
    }
    if (complex) part("imaginary part");
    return { ...base, real, cells: null };
  }
  // struct, object, sparse, function: recognised, not read.
  return { ...base, real: null, cells: null };
}

/**
 * The bytes a compressed element's content takes by its first tag (the tag and its padded data;
 * MATLAB writes one miMATRIX per compressed element), or null when `head` holds no whole tag or
 * a small element. Throws for a type no element has, as the full parse would after inflating.
 */
function declaredElementBytes(head: Uint8Array | null, le: boolean, where: string): number | null {
  if (head === null || head.length < 8) return null;
  const v = new DataView(head.buffer, head.byteOffset, 8);
  const type = v.getUint32(0, le);
  if (type >>> 16 !== 0) return null;
  if (MI_NAMES[type] === undefined) throw new DataError(`${where} (compressed element, inflated byte 0)`, `unknown data element type ${type}`);
  return 8 + pad8(v.getUint32(4, le));
}

const limitText = (l: DataLimit): string => (l.name === "MAX_DATA_BYTES" ? "the maxInflatedBytes limit, MAX_DATA_BYTES" : `MAX_INFLATE_RATIO ${l.max}:1`);

/** Parses the elements of `r` from `pos` on into `out`. */
function parseElements(r: Region, pos: number, o: MatOptions, out: Map<string, MatArray>, topLevel: boolean): void {
  const end = r.bytes.length;
  const keep = o.names ? ((set) => (name: string) => set.has(name))(new Set(o.names)) : null;
  while (pos < end) {
    if (end - pos < 8) {
      // Some writers pad the file; anything but zeros is a cut element.
      if (r.bytes.subarray(pos, end).every((b) => b === 0)) return;
      r.fail(pos, `truncated data element: a tag needs 8 bytes, ${end - pos} remain`);
    }
    const t = readTag(r, pos, end, "data element");
    if (t.type === MI.COMPRESSED) {
      if (!topLevel) r.fail(t.at, "compressed element inside a compressed element");
      if (!o.inflate) r.fail(t.at, "compressed element (the file was saved with -v7 compression) but no inflate function was given");
      const cap = o.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
      const compressed = r.bytes.subarray(t.data, t.data + t.size);
      const allowed = inflateAllowance(t.size, cap);
      const declared = declaredElementBytes(o.inflate(compressed, 8, true), r.le, r.locate(t.at));
      if (declared !== null && declared > allowed) {
        throw new DataError(r.locate(t.at), `compressed element of ${t.size} zlib bytes declares an element of ${declared} bytes, more than the `
          + `${allowed} allowed (${limitText(allowanceLimit(t.size, cap))})`, allowanceLimit(t.size, cap, declared));
      }
      const max = declared ?? allowed;
      let inflated: Uint8Array | null;
      try {
        inflated = o.inflate(compressed, max);
      } catch (e) {
        r.fail(t.at, `corrupt compressed element (${t.size} zlib bytes): ${e instanceof Error ? e.message : String(e)}`);
      }
      if (inflated === null) {
        if (declared !== null) r.fail(t.at, `compressed element inflates to more than the ${declared} bytes its first tag declares`);
        throw new DataError(r.locate(t.at), `compressed element of ${t.size} zlib bytes inflates to more than ${allowed} bytes `
          + `(${limitText(allowanceLimit(t.size, cap))})`, allowanceLimit(t.size, cap));
      }
      const inner = inflated;
      const at = r.locate(t.at);
      parseElements(new Region(inner, r.le, (k) => `${at} (compressed element, inflated byte ${k} of ${inner.length})`), 0, o, out, false);
    } else if (t.type === MI.MATRIX) {
      const a = parseMatrix(r, t, 0, keep);
      if (a && a.name !== "") out.set(a.name, a);
    } else if (MI_NAMES[t.type] === undefined) {
      r.fail(t.at, `unknown data element type ${t.type} (expected miMATRIX 14 or miCOMPRESSED 15 at the top level)`);
    }
    pos = t.next;
  }
}

/**
 * Parses a level-5 MAT-file; `where` names it in errors (which add the byte offset, and for
 * compressed elements the offset inside the inflated data).
 */
export function parseMat(bytes: Uint8Array, where: string, o: MatOptions = {}): E.Either<DataError, MatFile> {
  try {
    if (bytes.length < 128) {
      throw new DataError(`${where} at byte 0`, `truncated MAT-file header: expected 128 bytes, found ${bytes.length}`);
    }
    const text = latin1(bytes.subarray(0, 116)).replace(/[\s\0]+$/, "");
    if (!text.startsWith("MATLAB")) {
      throw new DataError(`${where} at byte 0`, `not a level-5 MAT-file: expected the header text to start with "MATLAB", `
        + `found ${JSON.stringify(text.slice(0, 24))} (level-4 MAT-files are not supported)`);
    }
    const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
    if (indicator !== "IM" && indicator !== "MI") {
      throw new DataError(`${where} at byte 126`, `MAT-file endian indicator: expected "IM" (little-endian) or "MI" (big-endian), `
        + `found bytes 0x${bytes[126]!.toString(16).padStart(2, "0")} 0x${bytes[127]!.toString(16).padStart(2, "0")}`);
    }
    const le = indicator === "IM";
    const r = new Region(bytes, le, (k) => `${where} at byte ${k}`);
    const version = r.view.getUint16(124, le);
    if (version === 0x0200) {
      r.fail(124, "MAT-file version 7.3 (an HDF5 file) is not supported: re-save it with save(..., '-v7')");
    }
    if (version !== 0x0100) r.fail(124, `MAT-file version: expected 0x0100, found 0x${version.toString(16).padStart(4, "0")}`);
    const variables = new Map<string, MatArray>();
    parseElements(r, 128, o, variables, true);
    return E.right({ text, littleEndian: le, variables });
  } catch (e) {
    return E.left(e instanceof DataError ? e : new DataError(where, `cannot parse MAT-file: ${String(e)}`));
  }
}

/** The stored values as numbers: a view for miUINT8, otherwise decoded (int64 beyond 2^53 rounds). */
export function matNumbers(d: MatData): Uint8Array | Float64Array {
  if (d.type === MI.UINT8 || d.type === MI.UTF8) return d.bytes;
  const v = new DataView(d.bytes.buffer, d.bytes.byteOffset, d.bytes.byteLength);
  const le = d.littleEndian;
  const out = new Float64Array(d.count);
  const read: (i: number) => number = (() => {
    switch (d.type) {
      case MI.INT8: return (i: number) => v.getInt8(i);
      case MI.INT16: return (i: number) => v.getInt16(2 * i, le);
      case MI.UINT16: case MI.UTF16: return (i: number) => v.getUint16(2 * i, le);
      case MI.INT32: return (i: number) => v.getInt32(4 * i, le);
      case MI.UINT32: case MI.UTF32: return (i: number) => v.getUint32(4 * i, le);
      case MI.SINGLE: return (i: number) => v.getFloat32(4 * i, le);
      case MI.DOUBLE: return (i: number) => v.getFloat64(8 * i, le);
      case MI.INT64: return (i: number) => Number(v.getBigInt64(8 * i, le));
      case MI.UINT64: return (i: number) => Number(v.getBigUint64(8 * i, le));
      default: throw new RangeError(`not numeric data: ${miName(d.type)}`);
    }
  })();
  for (let i = 0; i < d.count; i++) out[i] = read(i);
  return out;
}

/**
 * The rows of a char array as strings, trailing spaces removed (a [1, n] array is one string;
 * a [k, n] array is k padded rows, stored column-major). Null when `a` is not a 2-D char array.
 */
export function matStrings(a: MatArray): string[] | null {
  if (a.classId !== MX.CHAR || !a.real || a.dims.length !== 2) return null;
  const [rows, cols] = a.dims as [number, number];
  if (a.real.type === MI.UTF8) {
    const text = new TextDecoder().decode(a.real.bytes);
    if (rows > 1) return null; // multi-row UTF-8 char matrices cannot be split by byte count
    return [text.replace(/ +$/, "")];
  }
  const codes = matNumbers(a.real);
  if (codes.length !== rows * cols) return null;
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    let s = "";
    for (let j = 0; j < cols; j++) s += String.fromCodePoint(codes[i + rows * j]!);
    out.push(s.replace(/ +$/, ""));
  }
  return out;
}
