/**
 * The compressed-codes file (".latc"): quantised codes of n images, entropy-coded, with what is
 * needed to check them against the model that decodes them. All integers little-endian.
 *
 *   offset  bytes  field
 *   0       4      magic "LATC" (4C 41 54 43)
 *   4       2      format version, 1
 *   6       1      quantiser: 0 uniform (AE: per-dimension range), 1 normal (VAE: prior quantiles)
 *   7       1      bits per symbol B, 1..12 (alphabet K = 2^B)
 *   8       4      count n, 0..2^20
 *   12      4      latent size L, 1..4096; n * L <= 2^24 and L * K <= 2^22
 *   16      32     model hash: SHA-256 of the model file's bytes
 *   48      4      payload length P, bytes
 *   52      4      CRC-32 of the payload
 *   56      4      CRC-32 of the images compress predicted (the model's outputs, float32 LE, row-major)
 *   60      Q      quantiser parameters: uniform: for each dimension lo, hi (float32); normal: none (Q = 0)
 *   60 + Q  4      CRC-32 of bytes [0, 60 + Q)
 *   64 + Q  P      payload:
 *                    L frequency tables, dimension 0 first: the counts of symbols 0..K-1 as varints,
 *                    where a count 0 is followed by a varint r: r more zero counts follow (a run of
 *                    r + 1 zeros); each table's counts add up to n;
 *                    then the range-coded symbols (range-coder.ts), sample-major (code 0's L
 *                    symbols, then code 1's, ...), symbol i with table i mod L, to the payload's end.
 *
 * The file is exactly 64 + Q + P bytes. decodeCompressed is an edge: any bytes give a Right or a
 * DataError Left naming the byte offset (magic, version, a field out of its bounds, truncation,
 * trailing bytes, a CRC mismatch, malformed tables, symbols that do not match their tables);
 * the bounds are checked before anything is allocated from them. encodeCompressed throws
 * ConfigError or ShapeError for values it cannot write.
 */
import * as E from "fp-ts/lib/Either.js";
import { DataError } from "../../data/errors.js";
import { ConfigError } from "../../nn/layer.js";
import { ShapeError } from "../../tensor/tensor.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { crc32 } from "../../io/crc32.js";
import { countSymbols, frequencyTable } from "./frequency.js";
import { checkBits, MAX_BITS, type Quantiser } from "./quantiser.js";
import { decodeSymbols, encodeSymbols } from "./range-coder.js";

export const MAGIC = Uint8Array.of(0x4c, 0x41, 0x54, 0x43);
export const FORMAT_VERSION = 1;
export const FIXED_HEADER = 60;
export const MAX_COUNT = 2 ** 20;
export const MAX_LATENT = 4096;
export const MAX_SYMBOLS = 2 ** 24;
export const MAX_TABLE_ENTRIES = 2 ** 22;
export const MAX_PAYLOAD = 2 ** 31;
export const HASH_BYTES = 32;

export interface CompressedCodes {
  readonly quantiser: Quantiser;
  readonly bits: number;
  readonly modelHash: Uint8Array;
  readonly count: number;
  readonly latent: number;
  readonly imagesCrc: number;
  /** [count, latent], sample-major. */
  readonly symbols: Uint16Array;
}

/** Where the bytes of a file went. */
export interface CompressedSizes {
  /** Fixed header, quantiser parameters and header CRC. */
  readonly header: number;
  readonly tables: number;
  /** The range-coded symbols. */
  readonly stream: number;
  readonly total: number;
}

/** The problem with a header's sizes, or null when they are within the format's bounds. */
function sizeProblem(bits: number, count: number, latent: number): string | null {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= MAX_BITS)) return `bits is ${bits}, expected 1..${MAX_BITS}`;
  if (!(Number.isSafeInteger(count) && count >= 0 && count <= MAX_COUNT)) return `count is ${count}, expected 0..${MAX_COUNT}`;
  if (!(Number.isSafeInteger(latent) && latent >= 1 && latent <= MAX_LATENT)) return `latent size is ${latent}, expected 1..${MAX_LATENT}`;
  if (count * latent > MAX_SYMBOLS) return `${count} codes of ${latent} are ${count * latent} symbols, at most ${MAX_SYMBOLS} allowed`;
  if (latent * 2 ** bits > MAX_TABLE_ENTRIES) return `${latent} tables of ${2 ** bits} symbols exceed ${MAX_TABLE_ENTRIES} entries`;
  return null;
}

function writeCounts(w: ByteWriter, counts: Uint32Array): void {
  for (let s = 0; s < counts.length;) {
    const c = counts[s]!;
    w.varint(c);
    if (c > 0) { s++; continue; }
    let run = 1;
    while (s + run < counts.length && counts[s + run] === 0) run++;
    w.varint(run - 1);
    s += run;
  }
}

function readCounts(r: ByteReader, K: number, n: number, dim: number): Uint32Array {
  const counts = new Uint32Array(K);
  const start = r.pos;
  let sum = 0;
  for (let s = 0; s < K;) {
    const c = r.varint(n, `count of symbol ${s} in table ${dim}`);
    if (c > 0) { counts[s++] = c; sum += c; continue; }
    s += 1 + r.varint(K - s - 1, `zero run at symbol ${s} in table ${dim}`);
  }
  if (sum !== n) r.fail(`table ${dim}'s counts add up to ${sum}, not the file's count ${n}`, start);
  return counts;
}

/** Bytes a table of these counts takes in a file. */
export function tableBytes(counts: Uint32Array): number {
  const w = new ByteWriter(64);
  writeCounts(w, counts);
  return w.length;
}

/** The file's bytes and how they divide. */
export function encodeCompressed(c: CompressedCodes): { bytes: Uint8Array; sizes: CompressedSizes } {
  checkBits(c.bits);
  const problem = sizeProblem(c.bits, c.count, c.latent);
  if (problem) throw new ConfigError(`cannot write the compressed codes: ${problem}`);
  if (c.symbols.length !== c.count * c.latent) throw new ShapeError(`${c.symbols.length} symbols for ${c.count} codes of ${c.latent}`);
  if (!(c.modelHash instanceof Uint8Array) || c.modelHash.length !== HASH_BYTES) throw new ConfigError(`the model hash must be ${HASH_BYTES} bytes`);
  if (!(Number.isInteger(c.imagesCrc) && c.imagesCrc >= 0 && c.imagesCrc < 2 ** 32)) throw new ConfigError(`imagesCrc must be a uint32, got ${c.imagesCrc}`);
  const K = 2 ** c.bits;
  for (let i = 0; i < c.symbols.length; i++) if (c.symbols[i]! >= K) throw new ConfigError(`symbol ${i} is ${c.symbols[i]}, outside 0..${K - 1}`);
  const q = c.quantiser;
  if (q.kind === "uniform" && (q.lo.length !== c.latent || q.hi.length !== c.latent)) throw new ShapeError(`a uniform quantiser for ${q.lo.length} dimensions with codes of ${c.latent}`);

  const payload = new ByteWriter(c.latent * 16 + c.symbols.length);
  const counts = countSymbols(c.symbols, c.latent, K);
  for (const t of counts) writeCounts(payload, t);
  const tables = payload.length;
  const stream = encodeSymbols(c.symbols, counts.map(frequencyTable));
  payload.bytes(stream);
  const body = payload.view8();

  const w = new ByteWriter(FIXED_HEADER + 4 + 8 * c.latent + body.length);
  w.bytes(MAGIC);
  w.u16(FORMAT_VERSION);
  w.u8(q.kind === "uniform" ? 0 : 1);
  w.u8(c.bits);
  w.u32(c.count);
  w.u32(c.latent);
  w.bytes(c.modelHash);
  w.u32(body.length);
  w.u32(crc32(body));
  w.u32(c.imagesCrc);
  if (q.kind === "uniform") for (let j = 0; j < c.latent; j++) { w.f32(q.lo[j]!); w.f32(q.hi[j]!); }
  w.u32(crc32(w.view8()));
  const header = w.length;
  w.bytes(body);
  return { bytes: w.finish(), sizes: { header, tables, stream: stream.length, total: w.length } };
}

/** Reads a compressed-codes file; `where` names it in errors (e.g. its path). */
export function decodeCompressed(bytes: Uint8Array, where = "compressed codes"): E.Either<DataError, CompressedCodes & { readonly sizes: CompressedSizes }> {
  try {
    return E.right(decode(bytes, where));
  } catch (e) {
    if (e instanceof DataError) return E.left(e);
    return E.left(new DataError(where, `cannot decode: ${e instanceof Error ? e.message : String(e)}`));
  }
}

function decode(bytes: Uint8Array, where: string): CompressedCodes & { readonly sizes: CompressedSizes } {
  const r = new ByteReader(bytes, where);
  const head = bytes.subarray(0, 4);
  if (!head.every((b, i) => b === MAGIC[i])) {
    r.fail(`not a latent compressed-codes file: it starts with ${Array.from(head, (b) => b.toString(16).padStart(2, "0")).join(" ")}, expected 4c 41 54 43 ("LATC")`, 0);
  }
  if (bytes.length < 4) r.fail(`truncated: ${bytes.length} bytes, the magic alone needs 4`, bytes.length);
  r.pos = 4;
  const version = r.u16("the format version");
  if (version !== FORMAT_VERSION) r.fail(`format version ${version} is not supported (this reads version ${FORMAT_VERSION})`, 4);
  const kind = r.u8("the quantiser");
  if (kind > 1) r.fail(`quantiser ${kind} is not known (0 uniform, 1 normal)`, 6);
  const bits = r.u8("the bit depth");
  const count = r.u32("the count");
  const latent = r.u32("the latent size");
  const problem = sizeProblem(bits, count, latent);
  if (problem) r.fail(`header out of bounds: ${problem}`, 7);
  const modelHash = r.bytesOf(HASH_BYTES, "the model hash");
  const payloadBytes = r.u32("the payload length");
  const payloadCrc = r.u32("the payload CRC");
  const imagesCrc = r.u32("the images CRC");
  const Q = kind === 0 ? 8 * latent : 0;
  const headerEnd = FIXED_HEADER + Q + 4;
  if (bytes.length < headerEnd) r.fail(`truncated: the header needs ${headerEnd} bytes, the file has ${bytes.length}`, bytes.length);
  const headerCrc = crc32(bytes.subarray(0, FIXED_HEADER + Q));
  const storedHeaderCrc = new DataView(bytes.buffer, bytes.byteOffset + FIXED_HEADER + Q, 4).getUint32(0, true);
  if (headerCrc !== storedHeaderCrc) r.fail(`header checksum mismatch: CRC-32 ${hex(headerCrc)}, stored ${hex(storedHeaderCrc)}`, FIXED_HEADER + Q);
  if (payloadBytes > MAX_PAYLOAD) r.fail(`payload length ${payloadBytes} exceeds ${MAX_PAYLOAD}`, 48);
  const total = headerEnd + payloadBytes;
  if (bytes.length < total) r.fail(`truncated: the header announces ${total} bytes, the file has ${bytes.length}`, bytes.length);
  if (bytes.length > total) r.fail(`${bytes.length - total} bytes after the end of the payload`, total);
  const payload = bytes.subarray(headerEnd, total);
  const crc = crc32(payload);
  if (crc !== payloadCrc) r.fail(`payload checksum mismatch: CRC-32 ${hex(crc)}, stored ${hex(payloadCrc)}`, headerEnd);

  let quantiser: Quantiser = { kind: "normal" };
  if (kind === 0) {
    const lo = new Float32Array(latent), hi = new Float32Array(latent);
    for (let j = 0; j < latent; j++) {
      const at = r.pos;
      lo[j] = r.f32("a range"); hi[j] = r.f32("a range");
      if (!(Number.isFinite(lo[j]!) && Number.isFinite(hi[j]!) && lo[j]! <= hi[j]!)) r.fail(`dimension ${j}'s range [${lo[j]}, ${hi[j]}] is not finite lo <= hi`, at);
    }
    quantiser = { kind: "uniform", lo, hi };
  }
  const K = 2 ** bits;
  const body = new ByteReader(bytes, where, headerEnd, total);
  const counts: Uint32Array[] = [];
  for (let j = 0; j < latent; j++) counts.push(readCounts(body, K, count, j));
  const tables = body.pos - headerEnd;
  const symbols = decodeSymbols(bytes, counts.map(frequencyTable), count * latent, body.pos, total);
  const decoded = countSymbols(symbols, latent, K);
  for (let j = 0; j < latent; j++) {
    if (!decoded[j]!.every((c, s) => c === counts[j]![s])) r.fail(`the coded symbols do not match table ${j}`, body.pos);
  }
  return {
    quantiser, bits, modelHash, count, latent, imagesCrc, symbols,
    sizes: { header: headerEnd, tables, stream: total - body.pos, total },
  };
}

const hex = (v: number): string => v.toString(16).padStart(8, "0");
