/**
 * The PNG header, read without decoding anything, so that sizes can be checked before a
 * decoder allocates width * height * 4 bytes (pngjs has no size limit). Runtime-neutral.
 *
 * Layout (numbers big-endian): the 8-byte signature 89 50 4E 47 0D 0A 1A 0A, then the first
 * chunk, which must be IHDR: length u32 = 13 (offset 8), type "IHDR" (offset 12), width u32
 * (16), height u32 (20), bit depth (24), colour type (25), compression (26), filter (27),
 * interlace (28), CRC (29..32, not checked here; the decoder checks it).
 */
import * as E from "fp-ts/lib/Either.js";
import { DataError } from "./errors.js";
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, type DataLimit } from "./limits.js";

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  /** 1, 2, 4, 8 or 16 bits per sample. */
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  readonly colorType: number;
  readonly interlaced: boolean;
}

export interface PngLimits {
  /** Largest width and largest height; default MAX_IMAGE_SIDE (16384). */
  readonly maxSide?: number;
  /** Largest width * height; default MAX_IMAGE_PIXELS (64M = 2^26 pixels). */
  readonly maxPixels?: number;
}

export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = [0x49, 0x48, 0x44, 0x52];

/** Bit depths allowed for each colour type (PNG spec, table 11.1). */
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16],
};

/** Samples per pixel as stored: grey 1, RGB 3, palette 1 (an index), grey + alpha 2, RGBA 4. */
const STORED_SAMPLES: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7's passes: x start, y start, x step, y step. */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

/**
 * Bytes the image data inflates to: each scanline's filter byte and packed samples, over the
 * seven reduced images when interlaced.
 */
export function pngDataBytes(h: PngHeader): number {
  const bits = STORED_SAMPLES[h.colorType]! * h.bitDepth;
  const rows = (width: number, height: number) => (width > 0 && height > 0 ? height * (1 + Math.ceil((width * bits) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)), 0);
}

/** Samples per pixel after decoding: grey (with or without alpha) 1, RGB and palette 3, RGBA 4. */
export function pngChannels(colorType: number): 1 | 3 | 4 {
  return colorType === 0 || colorType === 4 ? 1 : colorType === 6 ? 4 : 3;
}

const hexBytes = (b: ArrayLike<number>): string => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join(" ");

export function readPngHeader(bytes: Uint8Array, where: string, limits: PngLimits = {}): E.Either<DataError, PngHeader> {
  const maxSide = limits.maxSide ?? MAX_IMAGE_SIDE, maxPixels = limits.maxPixels ?? MAX_IMAGE_PIXELS;
  const fail = (offset: number, message: string, limit?: DataLimit) => E.left(new DataError(`${where} at byte ${offset}`, message, limit));
  const sig = bytes.subarray(0, 8);
  if (sig.length < 8 || PNG_SIGNATURE.some((b, i) => sig[i] !== b)) {
    return fail(0, `not a PNG file: expected the signature ${hexBytes(PNG_SIGNATURE)}, found ${hexBytes(sig) || "an empty file"}`);
  }
  if (bytes.length < 33) return fail(bytes.length, `truncated PNG header: expected at least 33 bytes (signature and IHDR chunk), found ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(8, false);
  const type = bytes.subarray(12, 16);
  if (IHDR.some((b, i) => type[i] !== b)) {
    return fail(12, `expected the first chunk to be IHDR, found "${String.fromCharCode(...type)}" (${hexBytes(type)})`);
  }
  if (length !== 13) return fail(8, `IHDR chunk length: expected 13, found ${length}`);
  const width = view.getUint32(16, false), height = view.getUint32(20, false);
  const bitDepth = bytes[24]!, colorType = bytes[25]!;
  const side = (found: number): DataLimit | undefined => (found > maxSide ? { name: "MAX_IMAGE_SIDE", max: maxSide, found } : undefined);
  const over = (found: number): string => (found > maxSide ? " (over MAX_IMAGE_SIDE)" : "");
  if (width === 0 || width > maxSide) return fail(16, `PNG width: expected 1..${maxSide}, found ${width}${over(width)}`, side(width));
  if (height === 0 || height > maxSide) return fail(20, `PNG height: expected 1..${maxSide}, found ${height}${over(height)}`, side(height));
  if (width * height > maxPixels) {
    return fail(16, `PNG size: expected at most ${maxPixels} pixels, found ${width}x${height} = ${width * height} (over MAX_IMAGE_PIXELS)`,
      { name: "MAX_IMAGE_PIXELS", max: maxPixels, found: width * height });
  }
  const depths = DEPTHS[colorType];
  if (!depths) return fail(25, `PNG colour type: expected 0, 2, 3, 4 or 6, found ${colorType}`);
  if (!depths.includes(bitDepth)) return fail(24, `PNG bit depth for colour type ${colorType}: expected one of ${depths.join(", ")}, found ${bitDepth}`);
  if (bytes[26] !== 0) return fail(26, `PNG compression method: expected 0, found ${bytes[26]}`);
  if (bytes[27] !== 0) return fail(27, `PNG filter method: expected 0, found ${bytes[27]}`);
  const interlace = bytes[28]!;
  if (interlace > 1) return fail(28, `PNG interlace method: expected 0 or 1, found ${interlace}`);
  return E.right({ width, height, bitDepth, colorType, interlaced: interlace === 1 });
}
