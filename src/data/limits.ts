/**
 * The data loaders' resource limits, one constant each. Input that passes one is refused with a
 * DataError whose `limit` names the constant, its value and what was found, before the memory
 * it would take is allocated (sizes are checked from headers and file sizes first; inflation is
 * capped as it runs). Runtime-neutral.
 */

/** Largest width and largest height of an image (PNG). */
export const MAX_IMAGE_SIDE = 16384;
/** Largest width * height of an image (PNG): 64 M pixels, 256 MiB as RGBA. */
export const MAX_IMAGE_PIXELS = 2 ** 26;
/**
 * Largest decoded data: a decompressed file (gzip IDX), an inflated MAT element or PNG image
 * data, a raw data file, and the pixels of one split. 1 GiB holds SAT-6's 324,000 training
 * patches (1.02 GB). Loaders that take a `maxBytes` option use it in place of this default.
 */
export const MAX_DATA_BYTES = 2 ** 30;
/**
 * Largest ratio of decompressed to compressed bytes, checked once the output passes
 * INFLATE_RATIO_GRACE_BYTES. Real data compresses a few times (MNIST's images 4.7:1); deflate
 * reaches 1032:1 only on runs of one byte, which is what a decompression bomb is made of.
 */
export const MAX_INFLATE_RATIO = 100;
/** Output below this size is never refused for its ratio (small, highly regular files). */
export const INFLATE_RATIO_GRACE_BYTES = 2 ** 24;
/** Longest line of a SAT-6 CSV file (a pixel row is at most 12,543 bytes). */
export const MAX_CSV_LINE_BYTES = 2 ** 20;
/** Largest PNG file read. */
export const MAX_PNG_FILE_BYTES = 64 * 2 ** 20;
/**
 * Longest gzip member header (fixed 10 bytes plus the optional extra field, file name, comment
 * and header CRC). gzip(1) writes a few dozen bytes; the size declared by the data's own header
 * is read from the bytes after it.
 */
export const MAX_GZIP_HEADER_BYTES = 2 ** 16;
/** Largest MAT file read whole. */
export const MAX_MAT_FILE_BYTES = 2 ** 32 - 1;

export type DataLimitName =
  | "MAX_IMAGE_SIDE" | "MAX_IMAGE_PIXELS" | "MAX_DATA_BYTES" | "MAX_INFLATE_RATIO"
  | "MAX_CSV_LINE_BYTES" | "MAX_PNG_FILE_BYTES" | "MAX_GZIP_HEADER_BYTES" | "MAX_MAT_FILE_BYTES";

/** Which limit a DataError reports: its name, the value in force, and what the input needed. */
export interface DataLimit {
  readonly name: DataLimitName;
  readonly max: number;
  /** What the input declared or reached, when known (a decimal string when beyond 2^53). */
  readonly found?: number | string;
}

/**
 * The most `compressed` bytes may decompress to under MAX_INFLATE_RATIO and `cap` (the absolute
 * limit in force).
 */
export function inflateAllowance(compressed: number, cap: number): number {
  return Math.min(cap, Math.max(INFLATE_RATIO_GRACE_BYTES, MAX_INFLATE_RATIO * compressed));
}

/**
 * The limit that an output of `found` bytes (or more than inflateAllowance(compressed, cap))
 * passes: the absolute cap when it is past it, else the ratio when that is the tighter bound.
 */
export function allowanceLimit(compressed: number, cap: number, found?: number | string): DataLimit {
  const pastCap = typeof found === "number" && found > cap;
  const byRatio = !pastCap && inflateAllowance(compressed, cap) < cap;
  const f = found === undefined ? {} : { found };
  return byRatio ? { name: "MAX_INFLATE_RATIO", max: MAX_INFLATE_RATIO, ...f } : { name: "MAX_DATA_BYTES", max: cap, ...f };
}
