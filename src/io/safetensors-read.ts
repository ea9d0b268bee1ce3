/**
 * Reading safetensors files (the layout: ./safetensors-format.ts).
 *
 * What decoding enforces (the checks of the reference reader, plus duplicate keys, which the
 * reference's JSON map silently collapses, and the resource limits of ./safetensors-format.ts):
 * N <= MAX_HEADER_BYTES (16 MiB; the reference allows 100 MB) and 8 + N <= file length; at most
 * MAX_HEADER_VALUES JSON values; the header is valid UTF-8 and a JSON object starting with "{";
 * no key appears twice in any JSON object; each entry has exactly the fields dtype (a known
 * name), shape (non-negative integers) and data_offsets ([begin, end], integers, end >= begin);
 * end - begin == product(shape) * dtype size, at most MAX_TENSOR_BYTES; the offsets, sorted, are
 * contiguous from 0 (no gap, no overlap) and cover the data region exactly (no trailing bytes);
 * __metadata__ maps strings to strings.
 * Decoding never throws: it returns Either<SafetensorsError, Safetensors>.
 *
 * Decoded tensors are zero-copy views into the input where the element is aligned in memory and
 * the host is little-endian; otherwise their bytes are copied into a fresh, aligned array.
 */
import * as E from "fp-ts/lib/Either.js";
import { dtypes, dtypeTable, elementCount, hostIsLittleEndian, isDtype, MAX_HEADER_BYTES, MAX_TENSOR_BYTES, SafetensorsError, swapBytes,
  type Dtype, type DtypeArrays, type SafeTensor, type Safetensors, type SafetensorsErrorDetails, type SafetensorsErrorKind } from "./safetensors-format.js";
import { describeJson, JsonFailure, JsonNumber, parseJson, type Json } from "./safetensors-json.js";

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
    if (want === null || want > MAX_TENSOR_BYTES) {
      return fail("tensor-too-large", `tensor "${name}": ${dtype} [${shape.join(", ")}] needs ${want ?? "more than 2^53"} bytes, more than MAX_TENSOR_BYTES (${MAX_TENSOR_BYTES})`,
        { ...at, field: "shape", expected: `<= ${MAX_TENSOR_BYTES} bytes`, found: String(want ?? "more than 2^53") });
    }
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
