/**
 * Little-endian byte writing and bounds-checked reading for the compressed-file format.
 * Integers are unsigned little-endian; floats IEEE 754 binary32 little-endian; a varint is
 * unsigned LEB128 (7 bits per byte, least significant group first, high bit = "more follows"),
 * at most 5 bytes for a value below 2^32.
 *
 * ByteReader throws a DataError naming the byte offset; it is a helper of the decoder's edge
 * (format.ts), which catches it and returns it as a Left.
 */
import { DataError } from "../../data/errors.js";

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.buf.buffer);
  }
  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(2 * this.buf.length, this.length + extra));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void { this.ensure(1); this.buf[this.length++] = v; }
  u16(v: number): void { this.ensure(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  u32(v: number): void { this.ensure(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  f32(v: number): void { this.ensure(4); this.view.setFloat32(this.length, v, true); this.length += 4; }
  bytes(b: Uint8Array): void { this.ensure(b.length); this.buf.set(b, this.length); this.length += b.length; }
  varint(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v < 2 ** 32)) throw new RangeError(`varint: ${v} is not an integer in [0, 2^32)`);
    this.ensure(5);
    while (v >= 0x80) { this.buf[this.length++] = (v & 0x7f) | 0x80; v = Math.floor(v / 128); }
    this.buf[this.length++] = v;
  }
  /** Overwrites a u32 written earlier at `at`. */
  patchU32(at: number, v: number): void { this.view.setUint32(at, v, true); }
  /** The bytes written so far (a view: copy before writing more). */
  view8(): Uint8Array { return this.buf.subarray(0, this.length); }
  finish(): Uint8Array { return this.buf.slice(0, this.length); }
}

export class ByteReader {
  private readonly view: DataView;
  pos: number;
  /** Reads bytes[start, end) of `bytes`; offsets in messages count from the start of `bytes`. */
  constructor(private readonly bytes: Uint8Array, private readonly where: string, start = 0, readonly end = bytes.length) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }
  fail(message: string, at = this.pos): never {
    throw new DataError(`${this.where} at byte ${at}`, message);
  }
  private need(n: number, what: string): void {
    if (this.pos + n > this.end) this.fail(`truncated: ${what} needs ${n} bytes, ${this.end - this.pos} left`);
  }
  u8(what: string): number { this.need(1, what); return this.bytes[this.pos++]!; }
  u16(what: string): number { this.need(2, what); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  f32(what: string): number { this.need(4, what); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
  bytesOf(n: number, what: string): Uint8Array { this.need(n, what); const b = this.bytes.slice(this.pos, this.pos + n); this.pos += n; return b; }
  /** A varint of at most `max`; longer than 5 bytes or above max fails. */
  varint(max: number, what: string): number {
    const at = this.pos;
    let v = 0, scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (v > max) this.fail(`${what} is ${v}, at most ${max} allowed`, at);
        return v;
      }
      scale *= 128;
    }
    return this.fail(`${what}: a varint longer than 5 bytes`, at);
  }
}
