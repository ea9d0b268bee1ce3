/**
 * A runtime-neutral PNG encoder (8-bit RGBA, no interlacing): per-row adaptive filters, then
 * the platform's own zlib compressor (CompressionStream "deflate", in every runtime this
 * library supports), so it needs no Node API and no compressor of its own. Async because
 * CompressionStream is. In Node, src/viz/node/png.ts writes files with pngjs instead.
 */
import { crc32 } from "../io/crc32.js";
import { VizError, type Raster } from "./raster.js";

/**
 * The filtered scanlines of 8-bit pixels (row-major, `bpp` bytes a pixel): per row the filter
 * (none, sub, up, average, Paeth) with the smallest sum of absolute filtered bytes.
 */
function filterRows(px: ArrayLike<number>, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array((stride + 1) * height);
  const candidate = new Uint8Array(stride), best = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = y > 0 ? row - stride : -1;
    let bestSum = Infinity, bestType = 0;
    for (let type = 0; type < 5; type++) {
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const x = px[row + i]!;
        const a = i >= bpp ? px[row + i - bpp]! : 0;
        const b = prev >= 0 ? px[prev + i]! : 0;
        const c = i >= bpp && prev >= 0 ? px[prev + i - bpp]! : 0;
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

/** zlib (RFC 1950) stream of the bytes, by the platform's CompressionStream. */
async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc32(out.subarray(4, 8 + payload.length)));
  return out;
}

/** The PNG file (8-bit RGBA) of a raster. */
export async function encodePng(r: Raster): Promise<Uint8Array> {
  if (!r || !Number.isSafeInteger(r.width) || !Number.isSafeInteger(r.height) || r.width < 1 || r.height < 1) {
    throw new VizError("encodePng: a PNG needs at least one pixel", { expected: "width, height >= 1", found: r ? `${r.width} x ${r.height}` : String(r) });
  }
  if (!r.data || r.data.length !== r.width * r.height * 4) {
    throw new VizError("encodePng: pixel data does not match the size", { expected: `${r.width * r.height * 4} bytes`, found: `${r.data?.length} bytes` });
  }
  return pngFile(r.data, r.width, r.height, 4);
}

/** PNG colour type by channel count: grey, grey + alpha, RGB, RGBA. */
const COLOR_TYPE = [0, 0, 4, 2, 6] as const;

/**
 * The PNG file of an 8-bit image of 1 to 4 channels (grey, grey + alpha, RGB, RGBA), pixels
 * row-major with channels last (HWC).
 */
export async function encodePngChannels(pixels: Uint8Array, width: number, height: number, channels: number): Promise<Uint8Array> {
  if (![width, height].every((v) => Number.isSafeInteger(v) && v >= 1) || !(channels >= 1 && channels <= 4 && Number.isInteger(channels))) {
    throw new VizError(`encodePngChannels: a ${width} x ${height} image of ${channels} channels cannot be a PNG (sizes >= 1, 1..4 channels)`);
  }
  if (pixels.length !== width * height * channels) throw new VizError(`encodePngChannels: ${pixels.length} bytes for a ${width} x ${height} x ${channels} image`);
  return pngFile(pixels, width, height, channels);
}

async function pngFile(pixels: ArrayLike<number>, width: number, height: number, channels: number): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width); hv.setUint32(4, height);
  header[8] = 8; header[9] = COLOR_TYPE[channels]!; header[10] = 0; header[11] = 0; header[12] = 0;
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", await zlib(filterRows(pixels, width, height, channels))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
