/**
 * PNG files of 8-bit images of 1 to 4 channels (grey, grey + alpha, RGB, RGBA: colour types
 * 0, 4, 2, 6), the lossless baseline of the rate-distortion table. Same scheme as viz/png.ts (whose
 * encoder is RGBA only): per row the filter (none, sub, up, average, Paeth) with the smallest sum
 * of absolute filtered bytes, then the platform's zlib (CompressionStream "deflate", default level).
 * Chunk lengths and CRCs big-endian, as PNG requires.
 */
import { ShapeError } from "../../tensor/tensor.js";
import { crc32 } from "./crc32.js";

const COLOR_TYPE = [0, 0, 4, 2, 6] as const;

function filterRows(px: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array((stride + 1) * height);
  const candidate = new Uint8Array(stride), best = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride, prev = row - stride;
    let bestSum = Infinity, bestType = 0;
    for (let type = 0; type < 5; type++) {
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? px[row + i - bpp]! : 0;
        const b = y > 0 ? px[prev + i]! : 0;
        const c = i >= bpp && y > 0 ? px[prev + i - bpp]! : 0;
        let pred = 0;
        if (type === 1) pred = a;
        else if (type === 2) pred = b;
        else if (type === 3) pred = (a + b) >> 1;
        else if (type === 4) {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        const v = (px[row + i]! - pred) & 0xff;
        candidate[i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < bestSum) { bestSum = sum; bestType = type; best.set(candidate); }
    }
    out[y * (stride + 1)] = bestType;
    out.set(best, y * (stride + 1) + 1);
  }
  return out;
}

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

/** The PNG file of an 8-bit image, pixels row-major with channels last (HWC). */
export async function encodePng8(pixels: Uint8Array, width: number, height: number, channels: number): Promise<Uint8Array> {
  if (![width, height].every((v) => Number.isSafeInteger(v) && v >= 1) || !(channels >= 1 && channels <= 4 && Number.isInteger(channels))) {
    throw new ShapeError(`encodePng8: a ${width} x ${height} image of ${channels} channels cannot be a PNG (sizes >= 1, 1..4 channels)`);
  }
  if (pixels.length !== width * height * channels) throw new ShapeError(`encodePng8: ${pixels.length} bytes for a ${width} x ${height} x ${channels} image`);
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width); hv.setUint32(4, height);
  header[8] = 8; header[9] = COLOR_TYPE[channels]!;
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk("IHDR", header),
    chunk("IDAT", await zlib(filterRows(pixels, width, height, channels))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
