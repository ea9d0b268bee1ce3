/**
 * A runtime-neutral PNG encoder (8-bit RGBA, no interlacing) with its own small DEFLATE
 * compressor: per-row adaptive filters, LZ77 matching with hash chains, fixed Huffman codes.
 * Plain TypeScript, no Node or DOM APIs, so it runs anywhere; the output of a figure is
 * typically a few percent of the raw pixel size. `compress: false` writes stored blocks.
 */
import { VizError, type Raster } from "./raster.js";

export interface PngOptions {
  /** Compress the pixel data (default true); false stores it uncompressed (faster, larger). */
  readonly compress?: boolean;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  const chunk = 5552;
  for (let i = 0; i < bytes.length;) {
    const end = Math.min(bytes.length, i + chunk);
    for (; i < end; i++) { a += bytes[i]!; b += a; }
    a %= 65521; b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The filtered scanlines: each row prefixed by its filter type, chosen by the minimum-sum heuristic. */
function filterRows(r: Raster): Uint8Array {
  const stride = r.width * 4;
  const out = new Uint8Array((stride + 1) * r.height);
  const src = r.data;
  const candidate = new Uint8Array(stride);
  for (let y = 0; y < r.height; y++) {
    const row = y * stride;
    const prev = y > 0 ? row - stride : -1;
    let bestSum = Infinity, bestType = 0;
    const best = new Uint8Array(stride);
    for (let type = 0; type < 5; type++) {
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const x = src[row + i]!;
        const a = i >= 4 ? src[row + i - 4]! : 0;
        const b = prev >= 0 ? src[prev + i]! : 0;
        const c = i >= 4 && prev >= 0 ? src[prev + i - 4]! : 0;
        let pred = 0;
        if (type === 1) pred = a;
        else if (type === 2) pred = b;
        else if (type === 3) pred = (a + b) >> 1;
        else if (type === 4) {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        const v = (x - pred) & 0xff;
        candidate[i] = v;
        sum += v < 128 ? v : 256 - v;
        if (sum >= bestSum) break;
      }
      if (sum < bestSum) { bestSum = sum; bestType = type; best.set(candidate); }
    }
    out[y * (stride + 1)] = bestType;
    out.set(best, y * (stride + 1) + 1);
  }
  return out;
}

class BitWriter {
  private buf: Uint8Array;
  private pos = 0;
  private bit = 0;
  private acc = 0;
  constructor(capacity: number) { this.buf = new Uint8Array(Math.max(64, capacity)); }
  private ensure(extra: number): void {
    if (this.pos + extra < this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra + 64));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  /** Writes the low `n` bits of `v`, least significant first. */
  bits(v: number, n: number): void {
    this.ensure(8);
    for (let i = 0; i < n; i++) {
      this.acc |= ((v >>> i) & 1) << this.bit;
      if (++this.bit === 8) { this.buf[this.pos++] = this.acc; this.acc = 0; this.bit = 0; }
    }
  }
  /** Writes a Huffman code of `n` bits, most significant first. */
  code(v: number, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.bits((v >>> i) & 1, 1);
  }
  alignByte(): void { if (this.bit > 0) { this.ensure(1); this.buf[this.pos++] = this.acc; this.acc = 0; this.bit = 0; } }
  bytes(b: Uint8Array): void { this.alignByte(); this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
  result(): Uint8Array { this.alignByte(); return this.buf.subarray(0, this.pos); }
}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

// symbol -> code index tables for lengths 3..258 and distances 1..32768
const LENGTH_CODE = new Uint8Array(259);
for (let c = 0; c < 29; c++) {
  const hi = c === 28 ? 258 : LENGTH_BASE[c]! + (1 << LENGTH_EXTRA[c]!) - 1;
  for (let l = LENGTH_BASE[c]!; l <= hi; l++) LENGTH_CODE[l] = c;
}
function distCode(d: number): number {
  let c = 0;
  while (c < 29 && DIST_BASE[c + 1]! <= d) c++;
  return c;
}

function literal(w: BitWriter, sym: number): void {
  if (sym < 144) w.code(0x30 + sym, 8);
  else if (sym < 256) w.code(0x190 + sym - 144, 9);
  else if (sym < 280) w.code(sym - 256, 7);
  else w.code(0xc0 + sym - 280, 8);
}

const WINDOW = 32768;
const MAX_CHAIN = 16;

/** DEFLATE (RFC 1951) with fixed Huffman codes and greedy LZ77 matching. */
function deflateFixed(data: Uint8Array): Uint8Array {
  const w = new BitWriter(data.length / 4 + 64);
  w.bits(1, 1); // final block
  w.bits(1, 2); // fixed Huffman
  const HASH = 1 << 15;
  const head = new Int32Array(HASH).fill(-1);
  const prev = new Int32Array(WINDOW).fill(-1);
  const hash = (i: number): number => ((data[i]! << 10) ^ (data[i + 1]! << 5) ^ data[i + 2]!) & (HASH - 1);
  const insert = (i: number): void => {
    if (i + 2 >= data.length) return;
    const h = hash(i);
    prev[i & (WINDOW - 1)] = head[h]!;
    head[h] = i;
  };
  const n = data.length;
  let i = 0;
  while (i < n) {
    let bestLen = 0, bestDist = 0;
    if (i + 2 < n) {
      let cand = head[hash(i)]!;
      let chain = MAX_CHAIN;
      const maxLen = Math.min(258, n - i);
      while (cand >= 0 && i - cand <= WINDOW && chain-- > 0) {
        if (data[cand + bestLen] === data[i + bestLen]) {
          let l = 0;
          while (l < maxLen && data[cand + l] === data[i + l]) l++;
          if (l > bestLen) { bestLen = l; bestDist = i - cand; if (l === maxLen) break; }
        }
        const next = prev[cand & (WINDOW - 1)]!;
        if (next >= cand) break;
        cand = next;
      }
    }
    if (bestLen >= 3) {
      const lc = LENGTH_CODE[bestLen]!;
      literal(w, 257 + lc);
      w.bits(bestLen - LENGTH_BASE[lc]!, LENGTH_EXTRA[lc]!);
      const dc = distCode(bestDist);
      w.code(dc, 5);
      w.bits(bestDist - DIST_BASE[dc]!, DIST_EXTRA[dc]!);
      for (let k = 0; k < bestLen; k++) insert(i + k);
      i += bestLen;
    } else {
      literal(w, data[i]!);
      insert(i);
      i++;
    }
  }
  literal(w, 256);
  return w.result();
}

/** DEFLATE stored blocks (no compression). */
function deflateStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(data.length + blocks * 5);
  let o = 0;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535, len = Math.min(65535, data.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0;
    out[o++] = len & 0xff; out[o++] = len >>> 8;
    out[o++] = ~len & 0xff; out[o++] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), o);
    o += len;
  }
  return out;
}

function zlib(data: Uint8Array, compress: boolean): Uint8Array {
  const body = compress ? deflateFixed(data) : deflateStored(data);
  const out = new Uint8Array(body.length + 6);
  out[0] = 0x78; out[1] = compress ? 0x5e : 0x01; // CMF/FLG: deflate, 32K window; FCHECK makes (CMF*256+FLG) % 31 == 0
  out.set(body, 2);
  const a = adler32(data);
  out[out.length - 4] = a >>> 24; out[out.length - 3] = (a >>> 16) & 0xff; out[out.length - 2] = (a >>> 8) & 0xff; out[out.length - 1] = a & 0xff;
  return out;
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc32(out, 4, 8 + payload.length));
  return out;
}

/** The PNG file (8-bit RGBA) of a raster. */
export function encodePng(r: Raster, options: PngOptions = {}): Uint8Array {
  if (!r || !Number.isSafeInteger(r.width) || !Number.isSafeInteger(r.height) || r.width < 1 || r.height < 1) {
    throw new VizError("encodePng: a PNG needs at least one pixel", { expected: "width, height >= 1", found: r ? `${r.width} x ${r.height}` : String(r) });
  }
  if (!r.data || r.data.length !== r.width * r.height * 4) {
    throw new VizError("encodePng: pixel data does not match the size", { expected: `${r.width * r.height * 4} bytes`, found: `${r.data?.length} bytes` });
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, r.width); hv.setUint32(4, r.height);
  header[8] = 8; header[9] = 6; header[10] = 0; header[11] = 0; header[12] = 0;
  const compress = options.compress ?? true;
  const idat = zlib(compress ? filterRows(r) : storedRows(r), compress);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function storedRows(r: Raster): Uint8Array {
  const stride = r.width * 4;
  const out = new Uint8Array((stride + 1) * r.height);
  for (let y = 0; y < r.height; y++) out.set(r.data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return out;
}
