/**
 * Mutations of a file's bytes, drawn from a key (src/random), so that a case is reproduced
 * from (seed, format, index) alone. Each returns the new bytes and says what it did.
 */
import { bits, foldIn, type Key } from "../../src/random/index.js";

/** A header field: byte offset, width and byte order. */
export interface Field { readonly at: number; readonly width: 1 | 2 | 4; readonly le: boolean; readonly name: string }

/** Values a field is set to: the edges of the integer types. */
export const EDGE_VALUES: readonly number[] = [0, 1, 2 ** 31 - 1, 2 ** 32 - 1];

/** Random numbers from a key, drawn in order. */
export class Draw {
  private words: Uint32Array = new Uint32Array(0);
  private at = 0;
  private block = 0;
  constructor(private readonly k: Key) {}
  u32(): number {
    if (this.at === this.words.length) { this.words = bits(foldIn(this.k, this.block++), 64); this.at = 0; }
    return this.words[this.at++]!;
  }
  /** An integer in [0, n). */
  below(n: number): number { return n <= 1 ? 0 : Math.floor((this.u32() / 2 ** 32) * n); }
  pick<T>(items: readonly T[]): T { return items[this.below(items.length)]!; }
  chance(p: number): boolean { return this.u32() / 2 ** 32 < p; }
  bytes(n: number): Uint8Array { return Uint8Array.from({ length: n }, () => this.u32() & 0xff); }
}

export interface Mutated { readonly bytes: Uint8Array; readonly what: string }

function readField(b: Uint8Array, f: Field): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return f.width === 1 ? v.getUint8(f.at) : f.width === 2 ? v.getUint16(f.at, f.le) : v.getUint32(f.at, f.le);
}

function writeField(b: Uint8Array, f: Field, value: number): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const x = value % 2 ** (8 * f.width);
  if (f.width === 1) v.setUint8(f.at, x);
  else if (f.width === 2) v.setUint16(f.at, x, f.le);
  else v.setUint32(f.at, x, f.le);
}

export const truncate = (b: Uint8Array, d: Draw): Mutated => {
  const n = d.chance(0.3) ? Math.max(0, b.length - 1 - d.below(16)) : d.below(b.length);
  return { bytes: b.slice(0, n), what: `truncate to ${n} of ${b.length}` };
};

export const flipBits = (b: Uint8Array, d: Draw): Mutated => {
  const out = b.slice();
  const n = 1 + d.below(16);
  const at: number[] = [];
  for (let i = 0; i < n && out.length > 0; i++) {
    const bit = d.below(out.length * 8);
    out[bit >> 3] = out[bit >> 3]! ^ (1 << (bit & 7));
    at.push(bit);
  }
  return { bytes: out, what: `flip bits ${at.join(",")}` };
};

export const setField = (b: Uint8Array, d: Draw, fields: readonly Field[]): Mutated => {
  const usable = fields.filter((f) => f.at + f.width <= b.length);
  if (usable.length === 0) return flipBits(b, d);
  const f = d.pick(usable), value = d.pick(EDGE_VALUES) % 2 ** (8 * f.width);
  const out = b.slice();
  writeField(out, f, f.width === 1 && value > 1 ? (value === 2 ** 31 - 1 ? 0x7f : 0xff) : value);
  return { bytes: out, what: `set ${f.name} (byte ${f.at}) to ${readField(out, f)}` };
};

export const nudgeField = (b: Uint8Array, d: Draw, fields: readonly Field[]): Mutated => {
  const usable = fields.filter((f) => f.at + f.width <= b.length);
  if (usable.length === 0) return flipBits(b, d);
  const f = d.pick(usable), old = readField(b, f);
  const delta = d.pick([-2, -1, 1, 2, 1000, old, -old + 1]);
  const out = b.slice();
  writeField(out, f, Math.max(0, old + delta));
  return { bytes: out, what: `${f.name} (byte ${f.at}) ${old} -> ${readField(out, f)}` };
};

export const trailingJunk = (b: Uint8Array, d: Draw): Mutated => {
  const n = 1 + d.below(4096);
  const junk = d.chance(0.5) ? d.bytes(n) : new Uint8Array(n);
  const out = new Uint8Array(b.length + n);
  out.set(b);
  out.set(junk, b.length);
  return { bytes: out, what: `append ${n} junk bytes` };
};

/** Overwrites, deletes or repeats a random range: a broken stream where the bytes are compressed. */
export const splice = (b: Uint8Array, d: Draw): Mutated => {
  if (b.length < 2) return trailingJunk(b, d);
  const start = d.below(b.length), len = 1 + d.below(Math.min(256, b.length - start));
  const mode = d.below(3);
  if (mode === 0) {
    const out = b.slice();
    out.set(d.chance(0.5) ? d.bytes(len) : new Uint8Array(len).fill(0xff), start);
    return { bytes: out, what: `overwrite bytes [${start}, ${start + len})` };
  }
  if (mode === 1) return { bytes: new Uint8Array([...b.subarray(0, start), ...b.subarray(start + len)]), what: `delete bytes [${start}, ${start + len})` };
  return { bytes: new Uint8Array([...b.subarray(0, start + len), ...b.subarray(start)]), what: `repeat bytes [${start}, ${start + len})` };
};

/** One to three mutations of `b`, header fields among them when the format names some. */
export function mutate(b: Uint8Array, d: Draw, fields: readonly Field[]): Mutated {
  const ops = [truncate, flipBits, trailingJunk, splice, (x: Uint8Array, r: Draw) => setField(x, r, fields), (x: Uint8Array, r: Draw) => nudgeField(x, r, fields)];
  const weights = fields.length > 0 ? [1, 2, 1, 2, 3, 2] : [1, 3, 1, 3, 0, 0];
  let bytes = b;
  const what: string[] = [];
  const n = 1 + (d.chance(0.3) ? d.below(3) : 0);
  for (let i = 0; i < n; i++) {
    const total = weights.reduce((s, w) => s + w, 0);
    let r = d.below(total), k = 0;
    while (r >= weights[k]!) r -= weights[k++]!;
    const m = ops[k]!(bytes, d);
    bytes = m.bytes;
    what.push(m.what);
  }
  return { bytes, what: what.join("; ") };
}
