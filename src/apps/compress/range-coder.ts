/**
 * A static range coder (Subbotin/Schindler style, with carry propagation as in LZMA's
 * rc): 32-bit `low` and `range`, bytes out most significant first. Symbol s of a table
 * narrows [low, low + range) to its share cum[s] / total .. cum[s + 1] / total, with
 * r = floor(range / total); range is renormalised to >= 2^24 by shifting out bytes, so
 * total <= 2^16 keeps r >= 2^8 and each symbol costs at most -log2(freq / total) + ~0.006 bits.
 *
 * Stream layout: the bytes of the code value after its first one (always 0 in this scheme,
 * so dropped); trailing zero bytes are dropped too, and the decoder reads zeros past the
 * end. The flush picks the value of the final interval with the most trailing zero bits (a
 * multiple of 2^24 at least, as range >= 2^24), so it adds at most 2 bytes.
 * Numbers are float64 holding exact integers below 2^33 (no 64-bit integer arithmetic).
 *
 * The decoder is total: on any bytes it returns symbols of nonzero frequency in bounded
 * time (a value past the table is clamped to the last symbol); only the file's checksum and
 * tables tell a corrupt stream from a good one.
 */
import { ConfigError } from "../../nn/layer.js";
import { ByteWriter } from "./bytes.js";
import { MAX_TOTAL, symbolAt, type FrequencyTable } from "./frequency.js";

const TOP = 2 ** 24;
const TWO32 = 2 ** 32;

export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  /** The byte held back for a carry, and how many bytes are pending (it plus following 0xFF bytes). */
  private cache = 0;
  private pending = 1;
  private first = true;
  private readonly out = new ByteWriter(1024);

  /** Codes symbol s of the table (freq[s] must be > 0). */
  encode(t: FrequencyTable, s: number): void {
    const size = t.freq[s];
    if (size === undefined || size === 0 || t.total > MAX_TOTAL) {
      throw new ConfigError(`symbol ${s} cannot be coded: ${size === undefined ? "outside the alphabet" : size === 0 ? "its frequency is 0" : `the table's total ${t.total} exceeds ${MAX_TOTAL}`}`);
    }
    const r = Math.floor(this.range / t.total);
    this.low += r * t.cum[s]!;
    this.range = r * size;
    while (this.range < TOP) {
      this.range *= 256;
      this.shiftLow();
    }
  }

  private emit(byte: number): void {
    if (this.first) {
      this.first = false;
      if (byte !== 0) throw new Error(`range coder: the leading byte is ${byte}, not 0`); // cannot happen: [low, low + range) stays in [0, 2^32) scaled
      return;
    }
    this.out.u8(byte);
  }

  private shiftLow(): void {
    if (this.low < 0xff000000 || this.low >= TWO32) {
      const carry = this.low >= TWO32 ? 1 : 0;
      let c = this.cache;
      do {
        this.emit((c + carry) & 0xff);
        c = 0xff;
      } while (--this.pending !== 0);
      this.cache = Math.floor(this.low / TOP) & 0xff;
    }
    this.pending++;
    this.low = (this.low % TOP) * 256;
  }

  /** Ends the stream and returns its bytes. */
  finish(): Uint8Array {
    const end = this.low + this.range;
    for (let k = 32; k >= 0; k--) {
      const v = Math.ceil(this.low / 2 ** k) * 2 ** k;
      if (v < end) { this.low = v; break; }
    }
    for (let i = 0; i < 5; i++) this.shiftLow();
    const bytes = this.out.view8();
    let n = bytes.length;
    while (n > 0 && bytes[n - 1] === 0) n--;
    return bytes.slice(0, n);
  }
}

export class RangeDecoder {
  private code = 0;
  private range = 0xffffffff;
  private pos: number;
  /** Decodes bytes[start, end) (zeros past the end). */
  constructor(private readonly bytes: Uint8Array, start = 0, private readonly end = bytes.length) {
    this.pos = start;
    for (let i = 0; i < 4; i++) this.code = this.code * 256 + this.next();
  }
  private next(): number {
    return this.pos < this.end ? this.bytes[this.pos++]! : (this.pos++, 0);
  }
  /** Bytes read past the end (a valid stream needs at most 4). */
  get overrun(): number {
    return Math.max(0, this.pos - this.end);
  }
  decode(t: FrequencyTable): number {
    const r = Math.floor(this.range / t.total);
    const v = Math.min(Math.floor(this.code / r), t.total - 1);
    const s = symbolAt(t, v);
    this.code -= r * t.cum[s]!;
    this.range = r * t.freq[s]!;
    while (this.range < TOP) {
      this.code = (this.code * 256 + this.next()) % TWO32;
      this.range *= 256;
    }
    return s;
  }
}

/** Codes symbols[i] with tables[i % tables.length] (sample-major codes: one table per dimension). */
export function encodeSymbols(symbols: ArrayLike<number>, tables: readonly FrequencyTable[]): Uint8Array {
  const enc = new RangeEncoder();
  const L = tables.length;
  for (let i = 0; i < symbols.length; i++) enc.encode(tables[i % L]!, symbols[i]!);
  return enc.finish();
}

/**
 * `count` symbols decoded from bytes[start, end) with tables[i % tables.length]. Every table must
 * have total >= 1 when count > 0 (ConfigError otherwise).
 */
export function decodeSymbols(bytes: Uint8Array, tables: readonly FrequencyTable[], count: number, start = 0, end = bytes.length): Uint16Array {
  const out = new Uint16Array(count);
  if (count === 0) return out;
  for (const t of tables) if (!(t.total >= 1 && t.total <= MAX_TOTAL)) throw new ConfigError(`a table's total must be in [1, ${MAX_TOTAL}], got ${t.total}`);
  const dec = new RangeDecoder(bytes, start, end);
  const L = tables.length;
  for (let i = 0; i < count; i++) out[i] = dec.decode(tables[i % L]!);
  return out;
}
