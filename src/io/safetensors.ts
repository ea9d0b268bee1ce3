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
 * What decoding enforces (the checks of the reference reader, plus duplicate keys, which the
 * reference's JSON map silently collapses): N <= 100,000,000 and 8 + N <= file length; the header
 * is valid UTF-8 and a JSON object starting with "{"; no key appears twice in any JSON object;
 * each entry has exactly the fields dtype (a known name), shape (non-negative integers) and
 * data_offsets ([begin, end], integers, end >= begin); end - begin == product(shape) * dtype size;
 * the offsets, sorted, are contiguous from 0 (no gap, no overlap) and cover the data region
 * exactly (no trailing bytes); __metadata__ maps strings to strings.
 * Decoding never throws: it returns Either<SafetensorsError, Safetensors>.
 *
 * Tensors are written in the insertion order of the record (the reference sorts by dtype
 * alignment, which any order satisfies as long as offsets are contiguous). Decoded tensors are
 * zero-copy views into the input where the element is aligned in memory and the host is
 * little-endian; otherwise their bytes are copied into a fresh, aligned array.
 * F16 and BF16 are carried as raw bit patterns in Uint16Array.
 */
import * as E from "fp-ts/lib/Either.js";

/** The reference reader's limit on the header length. */
export const MAX_HEADER_BYTES = 100_000_000;

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

const dtypeTable: Readonly<Record<Dtype, { readonly size: number; readonly array: ArrayCtor }>> = {
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

function isDtype(value: unknown): value is Dtype {
  return typeof value === "string" && Object.hasOwn(dtypeTable, value);
}

export type SafetensorsErrorKind =
  | "truncated" // shorter than 8 bytes, or the header runs past the end of the file
  | "header-too-large" // N > 100,000,000
  | "header-encoding" // the header is not valid UTF-8
  | "header-json" // the header is not valid JSON
  | "duplicate-key" // a key appears twice in one JSON object
  | "header-structure" // not an object, or an entry's fields are missing, unknown or of the wrong type
  | "dtype" // unknown or unsupported dtype
  | "shape" // a dimension that is not a non-negative integer
  | "offsets" // data_offsets not [begin, end] integers with end >= begin
  | "size-mismatch" // end - begin != product(shape) * dtype size
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

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses each `size`-byte element in place (only used on big-endian hosts). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/** True if the string has no lone UTF-16 surrogate (so it survives UTF-8 encoding). */
function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

function elementCount(shape: readonly number[]): number | null {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A safetensors file as pieces to write in order. */
export interface SafetensorsParts {
  /** The header (length prefix, JSON, space padding), then each tensor's bytes: on little-endian hosts views of the tensors' own memory, not copies. */
  readonly parts: readonly Uint8Array[];
  /** The file's length in bytes. */
  readonly length: number;
}

/**
 * A safetensors file as pieces (see SafetensorsParts), for writing a large file without first
 * assembling it in memory. Throws SafetensorsError("invalid-input") for a tensor whose data
 * is not the array type of its dtype or does not fill its shape, a name "__metadata__", a
 * string with a lone surrogate, or a header over 100,000,000 bytes. Empty metadata is omitted.
 */
export function encodeSafetensorsParts(tensors: Readonly<Record<string, SafeTensor>>, metadata?: Readonly<Record<string, string>>): SafetensorsParts {
  const bad = (message: string, details: SafetensorsErrorDetails = {}) => new SafetensorsError("invalid-input", message, details);
  const parts: string[] = [];
  if (metadata !== undefined) {
    const entries = Object.entries(metadata);
    for (const [k, v] of entries) {
      if (typeof v !== "string") throw bad(`metadata "${k}" must be a string, got ${typeof v}`, { field: k, expected: "string", found: typeof v });
      if (!wellFormed(k) || !wellFormed(v)) throw bad(`metadata "${k}" contains a lone UTF-16 surrogate`, { field: k });
    }
    if (entries.length > 0) parts.push(`"__metadata__":{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  }
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === "__metadata__") throw bad(`a tensor cannot be named "__metadata__"`, { tensor: name });
    if (!wellFormed(name)) throw bad(`tensor name ${JSON.stringify(name)} contains a lone UTF-16 surrogate`, { tensor: name });
    if (t === null || typeof t !== "object") throw bad(`tensor "${name}" must be {dtype, shape, data}`, { tensor: name });
    if (!isDtype(t.dtype)) throw bad(`tensor "${name}": unknown dtype ${JSON.stringify(t.dtype)}`, { tensor: name, field: "dtype", expected: dtypes.join("|"), found: String(t.dtype) });
    const { size, array } = dtypeTable[t.dtype];
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw bad(`tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(t.shape)}`, { tensor: name, field: "shape" });
    }
    const n = elementCount(t.shape);
    if (n === null || !Number.isSafeInteger(n * size)) throw bad(`tensor "${name}": shape [${t.shape.join(", ")}] is too large`, { tensor: name, field: "shape" });
    if (!(t.data instanceof array)) throw bad(`tensor "${name}": ${t.dtype} data must be a ${array.name}`, { tensor: name, field: "data", expected: array.name, found: (t.data as object)?.constructor?.name ?? typeof t.data });
    if (t.data.length !== n) throw bad(`tensor "${name}": ${t.data.length} elements do not fill shape [${t.shape.join(", ")}]`, { tensor: name, field: "data", expected: String(n), found: String(t.data.length) });
    let bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (!hostIsLittleEndian) { bytes = bytes.slice(); swapBytes(bytes, size); }
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${offset + bytes.length}]}`);
    data.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) throw bad(`the header would be ${headerLength} bytes, more than ${MAX_HEADER_BYTES}`);
  const header = new Uint8Array(8 + headerLength);
  const view = new DataView(header.buffer);
  view.setUint32(0, headerLength, true); // u64 little-endian: the low word, then a zero high word
  view.setUint32(4, 0, true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length); // space padding
  return { parts: [header, ...data], length: header.length + offset };
}

/** The pieces of a file as one buffer. */
export function concatParts({ parts, length }: SafetensorsParts): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** A safetensors file in one buffer: encodeSafetensorsParts, assembled (same errors). */
export function encodeSafetensors(tensors: Readonly<Record<string, SafeTensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  return concatParts(encodeSafetensorsParts(tensors, metadata));
}

// ---------------------------------------------------------------------------------------------
// A strict JSON parser (RFC 8259) that keeps objects as Maps in source order, refuses duplicate
// keys and keeps number literals as text, so that 2.0 and 2e0 are not taken for integers.

class JsonNumber {
  constructor(readonly text: string) {}
  get value(): number { return Number(this.text); }
  /** True for a literal written as a non-negative integer: digits only. */
  get isNatural(): boolean { return /^(0|[1-9][0-9]*)$/.test(this.text) && Number.isSafeInteger(this.value); }
}

type Json = null | boolean | string | JsonNumber | Json[] | Map<string, Json>;

class JsonFailure {
  constructor(readonly kind: "header-json" | "duplicate-key", readonly message: string, readonly at: number) {}
}

const MAX_DEPTH = 64;
const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const escapes: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Parses `text`; throws JsonFailure with the character index of the problem. */
function parseJson(text: string): Json {
  let i = 0;
  const fail = (message: string, at = i): never => { throw new JsonFailure("header-json", message, at); };
  const skipSpace = () => {
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    }
  };
  const hex4 = (): number => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("bad \\u escape");
    i += 4;
    return parseInt(h, 16);
  };
  const string = (): string => {
    i++; // opening quote
    let out = "";
    let start = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) { out += text.slice(start, i); i++; return out; }
      if (c < 0x20) fail("control character in a string");
      if (c !== 0x5c) { i++; continue; }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      if (e === "u") {
        const u = hex4();
        if (u >= 0xdc00 && u <= 0xdfff) fail("lone low surrogate in a \\u escape", i - 6);
        if (u >= 0xd800 && u <= 0xdbff) {
          if (text.slice(i, i + 2) !== "\\u") fail("lone high surrogate in a \\u escape", i - 6);
          i += 2;
          const low = hex4();
          if (!(low >= 0xdc00 && low <= 0xdfff)) fail("lone high surrogate in a \\u escape", i - 12);
          out += String.fromCharCode(u, low);
        } else out += String.fromCharCode(u);
      } else if (e !== undefined && Object.hasOwn(escapes, e)) out += escapes[e];
      else fail(`bad escape \\${e ?? ""}`, i - 2);
      start = i;
    }
  };
  const value = (depth: number): Json => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const c = text[i];
    if (c === "{") {
      i++;
      const map = new Map<string, Json>();
      skipSpace();
      if (text[i] === "}") { i++; return map; }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail("expected a string key");
        const at = i;
        const key = string();
        if (map.has(key)) throw new JsonFailure("duplicate-key", `key ${JSON.stringify(key)} appears twice in one object`, at);
        skipSpace();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        map.set(key, value(depth + 1));
        skipSpace();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return map; }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: Json[] = [];
      skipSpace();
      if (text[i] === "]") { i++; return items; }
      for (;;) {
        items.push(value(depth + 1));
        skipSpace();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return items; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      numberPattern.lastIndex = i;
      const m = numberPattern.exec(text);
      if (!m) return fail("bad number");
      i += m[0].length;
      return new JsonNumber(m[0]);
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    return fail(c === undefined ? "unexpected end of the header" : `unexpected character ${JSON.stringify(c)}`);
  };
  const result = value(0);
  skipSpace();
  if (i !== text.length) fail("unexpected text after the JSON value");
  return result;
}

function describeJson(v: Json | undefined): string {
  const s = describeFull(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function describeFull(v: Json | undefined): string {
  if (v === undefined) return "nothing";
  if (v instanceof JsonNumber) return v.text;
  if (v instanceof Map) return "an object";
  if (Array.isArray(v)) return `[${v.slice(0, 10).map(describeFull).join(", ")}${v.length > 10 ? ", ..." : ""}]`;
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface Entry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** Reads a safetensors file, validating it completely; never throws. */
export function decodeSafetensors(bytes: Uint8Array): E.Either<SafetensorsError, Safetensors> {
  const fail = (kind: SafetensorsErrorKind, message: string, details: SafetensorsErrorDetails = {}) =>
    E.left(new SafetensorsError(kind, message, details));
  if (!(bytes instanceof Uint8Array)) return fail("invalid-input", "expected the file as a Uint8Array");
  if (bytes.length < 8) return fail("truncated", `the file has ${bytes.length} bytes, fewer than the 8 of the header length`, { expected: ">= 8 bytes", found: String(bytes.length), byteOffset: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const low = view.getUint32(0, true), high = view.getUint32(4, true);
  const n = high * 2 ** 32 + low; // exact while high < 2^21; anything with high > 0 is too large anyway
  if (high !== 0 || n > MAX_HEADER_BYTES) return fail("header-too-large", `the header length ${high !== 0 ? `${high} * 2^32 + ${low}` : n} exceeds ${MAX_HEADER_BYTES} bytes`, { expected: `<= ${MAX_HEADER_BYTES}`, found: String(n), byteOffset: 0 });
  if (8 + n > bytes.length) return fail("truncated", `the header length ${n} runs past the end of the ${bytes.length}-byte file`, { expected: `>= ${8 + n} bytes`, found: String(bytes.length), byteOffset: 0 });

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail("header-encoding", "the header is not valid UTF-8", { byteOffset: 8 });
  }
  const byteAt = (charIndex: number) => 8 + new TextEncoder().encode(text.slice(0, charIndex)).length;
  let root: Json;
  try {
    root = parseJson(text);
  } catch (e) {
    if (!(e instanceof JsonFailure)) throw e;
    return fail(e.kind, `header: ${e.message} (byte ${byteAt(e.at)})`, { byteOffset: byteAt(e.at) });
  }
  if (!(root instanceof Map) || !text.startsWith("{")) return fail("header-structure", `the header must be a JSON object starting with "{", found ${describeJson(root)}`, { expected: "a JSON object", found: describeJson(root), byteOffset: 8 });

  const metadata: [string, string][] = [];
  const entries: Entry[] = [];
  for (const [name, value] of root) {
    if (name === "__metadata__") {
      if (!(value instanceof Map)) return fail("metadata", `__metadata__ must be an object of strings, found ${describeJson(value)}`, { field: "__metadata__", expected: "an object", found: describeJson(value) });
      for (const [k, v] of value) {
        if (typeof v !== "string") return fail("metadata", `__metadata__ value "${k}" must be a string, found ${describeJson(v)}`, { field: k, expected: "a string", found: describeJson(v) });
        metadata.push([k, v]);
      }
      continue;
    }
    const at = { tensor: name };
    if (!(value instanceof Map)) return fail("header-structure", `tensor "${name}": expected {dtype, shape, data_offsets}, found ${describeJson(value)}`, at);
    for (const field of ["dtype", "shape", "data_offsets"]) {
      if (!value.has(field)) return fail("header-structure", `tensor "${name}": field "${field}" is missing`, { ...at, field });
    }
    for (const field of value.keys()) {
      if (field !== "dtype" && field !== "shape" && field !== "data_offsets") return fail("header-structure", `tensor "${name}": unknown field "${field}"`, { ...at, field });
    }
    const dtype = value.get("dtype");
    if (!isDtype(dtype)) return fail("dtype", `tensor "${name}": unknown or unsupported dtype ${describeJson(dtype)}`, { ...at, field: "dtype", expected: dtypes.join("|"), found: describeJson(dtype) });
    const shapeJson = value.get("shape");
    if (!Array.isArray(shapeJson) || !shapeJson.every((d) => d instanceof JsonNumber && d.isNatural)) {
      return fail("shape", `tensor "${name}": shape must be a list of non-negative integers, found ${describeJson(shapeJson)}`, { ...at, field: "shape", expected: "non-negative integers", found: describeJson(shapeJson) });
    }
    const shape = shapeJson.map((d) => (d as JsonNumber).value);
    const offsets = value.get("data_offsets");
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => d instanceof JsonNumber && d.isNatural)) {
      return fail("offsets", `tensor "${name}": data_offsets must be [begin, end], non-negative integers, found ${describeJson(offsets)}`, { ...at, field: "data_offsets", expected: "[begin, end]", found: describeJson(offsets) });
    }
    const [begin, end] = offsets.map((d) => (d as JsonNumber).value) as [number, number];
    if (end < begin) return fail("offsets", `tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`, { ...at, field: "data_offsets", expected: "end >= begin", found: `[${begin}, ${end}]`, byteOffset: 8 + n + begin });
    const count = elementCount(shape);
    const want = count === null ? null : count * dtypeTable[dtype].size;
    if (want === null || want !== end - begin) {
      return fail("size-mismatch", `tensor "${name}": ${dtype} [${shape.join(", ")}] needs ${want ?? "too many"} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`, { ...at, expected: String(want), found: String(end - begin), byteOffset: 8 + n + begin });
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  // Sorted by offsets (zero-sized tensors first at equal begins), the tensors must tile [0, data length).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    const details = { tensor: e.name, expected: `begin ${covered}`, found: `begin ${e.begin}`, byteOffset: 8 + n + Math.min(covered, e.begin) };
    if (e.begin > covered) return fail("gap", `tensor "${e.name}" begins at data byte ${e.begin}, leaving bytes [${covered}, ${e.begin}) unused`, details);
    if (e.begin < covered) return fail("overlap", `tensor "${e.name}" begins at data byte ${e.begin}, inside bytes already used up to ${covered}`, details);
    covered = e.end;
  }
  const dataLength = bytes.length - 8 - n;
  if (covered > dataLength) return fail("data-past-end", `the tensors need ${covered} data bytes, the file has ${dataLength}`, { expected: `${8 + n + covered} bytes`, found: String(bytes.length), byteOffset: bytes.length });
  if (covered < dataLength) return fail("trailing-bytes", `${dataLength - covered} bytes follow the last tensor`, { expected: `${8 + n + covered} bytes`, found: String(bytes.length), byteOffset: 8 + n + covered });

  const tensors = entries.map((e): [string, SafeTensor] => {
    const { size, array } = dtypeTable[e.dtype];
    const start = bytes.byteOffset + 8 + n + e.begin;
    const count = (e.end - e.begin) / size;
    let data: DtypeArrays[Dtype];
    if (hostIsLittleEndian && start % size === 0) data = new array(bytes.buffer, start, count);
    else {
      const copy = bytes.slice(8 + n + e.begin, 8 + n + e.end); // fresh buffer, aligned at 0
      if (!hostIsLittleEndian) swapBytes(copy, size);
      data = new array(copy.buffer, 0, count);
    }
    return [e.name, Object.freeze({ dtype: e.dtype, shape: Object.freeze(e.shape), data }) as SafeTensor];
  });
  return E.right(Object.freeze({
    tensors: Object.freeze(Object.fromEntries(tensors)),
    metadata: Object.freeze(Object.fromEntries(metadata)),
  }));
}
