/**
 * Writing safetensors files (the layout: ./safetensors-format.ts).
 *
 * Tensors are written in the insertion order of the record (the reference sorts by dtype
 * alignment, which any order satisfies as long as offsets are contiguous).
 */
import { dtypeTable, dtypes, elementCount, hostIsLittleEndian, isDtype, MAX_HEADER_BYTES, SafetensorsError, swapBytes,
  type SafeTensor, type SafetensorsErrorDetails } from "./safetensors-format.js";

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
 * string with a lone surrogate, or a header over MAX_HEADER_BYTES. Empty metadata is omitted.
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
