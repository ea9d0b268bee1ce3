/**
 * Decompression bombs built cheaply: a gzip or zlib stream of a prefix followed by any number of
 * zero bytes, made of one deflate segment of ZERO_UNIT zeros repeated (a segment from
 * Z_SYNC_FLUSH is a byte-aligned run of non-final blocks, and its back-references reach only
 * zeros, so copies concatenate) and a final empty block, with the real CRC-32 / Adler-32 and
 * size trailer (the CRC of n zeros by GF(2) matrix powers). 10 GB of zeros is about 10 MB.
 */
import { constants, deflateRawSync } from "node:zlib";
import { crc32 } from "../../src/io/crc32.js";

/** Zeros per repeated segment. */
export const ZERO_UNIT = 1 << 22;
/** A final fixed-Huffman block holding only end-of-block. */
const FINAL_BLOCK = Uint8Array.of(0x03, 0x00);

const segment = (bytes: Uint8Array): Uint8Array => deflateRawSync(bytes, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });

/** The raw deflate stream of `prefix` and `zeros` zero bytes. */
function deflateZeros(prefix: Uint8Array, zeros: number): Uint8Array[] {
  const parts: Uint8Array[] = [segment(prefix)];
  const whole = Math.floor(zeros / ZERO_UNIT), rest = zeros % ZERO_UNIT;
  if (whole > 0) {
    const unit = segment(new Uint8Array(ZERO_UNIT));
    for (let i = 0; i < whole; i++) parts.push(unit);
  }
  if (rest > 0) parts.push(segment(new Uint8Array(rest)));
  parts.push(FINAL_BLOCK);
  return parts;
}

/** x -> the CRC register after one zero byte, as 32 columns over GF(2). */
function zeroByteMatrix(): Uint32Array {
  const m = new Uint32Array(32);
  for (let i = 0; i < 32; i++) {
    let c = (1 << i) >>> 0;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    m[i] = c >>> 0;
  }
  return m;
}

function apply(m: Uint32Array, v: number): number {
  let out = 0;
  for (let i = 0; v !== 0; i++, v >>>= 1) if (v & 1) out ^= m[i]!;
  return out >>> 0;
}

const compose = (a: Uint32Array, b: Uint32Array): Uint32Array => Uint32Array.from(b, (col) => apply(a, col));

/** The CRC-32 of bytes whose CRC is `crc`, followed by n zero bytes. */
export function crc32AppendZeros(crc: number, n: number): number {
  let reg = (crc ^ 0xffffffff) >>> 0;
  let power = zeroByteMatrix();
  for (let k = n; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) reg = apply(power, reg);
    power = compose(power, power);
  }
  return (reg ^ 0xffffffff) >>> 0;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

/** A gzip file of `prefix` then `zeros` zero bytes. */
export function gzipZeros(prefix: Uint8Array, zeros: number): Uint8Array {
  const trailer = new DataView(new ArrayBuffer(8));
  trailer.setUint32(0, crc32AppendZeros(crc32(prefix), zeros), true);
  trailer.setUint32(4, (prefix.length + zeros) % 2 ** 32, true);
  const header = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
  return concat([header, ...deflateZeros(prefix, zeros), new Uint8Array(trailer.buffer)]);
}

/** A zlib stream (RFC 1950) of `prefix` then `zeros` zero bytes. */
export function zlibZeros(prefix: Uint8Array, zeros: number): Uint8Array {
  const M = 65521;
  let a = 1, b = 0;
  for (const x of prefix) { a = (a + x) % M; b = (b + a) % M; }
  b = (b + (zeros % M) * a) % M;
  const trailer = new DataView(new ArrayBuffer(4));
  trailer.setUint32(0, ((b << 16) | a) >>> 0, false);
  return concat([Uint8Array.of(0x78, 0xda), ...deflateZeros(prefix, zeros), new Uint8Array(trailer.buffer)]);
}
