/**
 * From tensor rows to RGBA tiles. A batch of images is a tensor [n, h*w*c] (or [n, h, w, c],
 * or any [n, ...] whose trailing sizes multiply to h*w*c; a rank-1 tensor is one image),
 * values assumed in [0, 1] and clamped. Pixels are channel-last (HWC) by default: the value
 * of band b at (y, x) is at (y*w + x)*c + b; `layout: "chw"` reads band planes instead.
 *
 *   c = 1: grey levels.      c = 3: RGB.
 *   c = 4 (R, G, B, NIR satellite bands): mode "truecolor" shows (R, G, B), "falsecolor"
 *   shows (NIR, R, G) (vegetation red), "nir" shows NIR alone in grey.
 *
 * NaN values paint the pixel NAN_COLOR (magenta) so they cannot pass for data; infinities
 * clamp. `stretch` rescales each displayed band from [min, max] to [0, 1]: over the tile
 * ("tile"), over the whole batch ("batch"), or over given ranges.
 */
import { isContiguous, size, toTensor, type TensorLike } from "../tensor/tensor.js";
import { raster, VizError, type Color, type Raster } from "./raster.js";

export type ImageShape = readonly [height: number, width: number, channels: number];
export type FourBandMode = "truecolor" | "falsecolor" | "nir";

/** Per-band value ranges, one entry per channel of the image. */
export interface BandRange {
  readonly min: readonly number[];
  readonly max: readonly number[];
}

export interface TileOptions {
  readonly imageShape: ImageShape;
  /** How 4-band images are shown (default "truecolor"); ignored for 1 and 3 bands. */
  readonly mode?: FourBandMode;
  /** Min/max stretch of each band (default "none"). */
  readonly stretch?: "none" | "tile" | "batch" | BandRange;
  /** Channel-last (default) or channel-first pixel order. */
  readonly layout?: "hwc" | "chw";
  /** Colour of pixels with a NaN in a displayed band (default magenta). */
  readonly nanColor?: Color;
}

export const NAN_COLOR: Color = [255, 0, 255];

/** Checks an image shape [h, w, c]; returns h*w*c. */
export function checkImageShape(imageShape: ImageShape, what = "imageShape"): number {
  if (!Array.isArray(imageShape) || imageShape.length !== 3 || !imageShape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new VizError(`${what} must be [height, width, channels]`, { expected: "three positive integers", found: JSON.stringify(imageShape) });
  }
  const c = imageShape[2];
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new VizError(`${what}: cannot show images of ${c} channels`, { expected: "1 (grey), 3 (RGB) or 4 (R, G, B, NIR) channels", found: `${c}` });
  }
  return imageShape[0] * imageShape[1] * c;
}

/** A batch of images as contiguous rows: n rows of `d` values each. */
export interface ImageRows {
  readonly n: number;
  readonly d: number;
  readonly data: Float32Array;
}

/** Validates `images` against `imageShape` and returns its rows (copied only when strided). */
export function imageRows(images: TensorLike, imageShape: ImageShape, what = "images"): ImageRows {
  const d = checkImageShape(imageShape);
  if (images === null || typeof images !== "object" || !images.shape || !images.data) {
    throw new VizError(`${what}: expected a tensor {data, shape, stride, offset}`, { expected: `a tensor [n, ${d}]`, found: images === null ? "null" : typeof images });
  }
  const shape = images.shape;
  const dims = `${imageShape[0]} x ${imageShape[1]} x ${imageShape[2]}`;
  let n: number;
  if (shape.length === 1) {
    n = shape[0] === 0 ? 0 : 1;
    if (shape[0] !== 0 && shape[0] !== d) throw new VizError(`${what}: an image of shape ${dims}`, { expected: `${d} values`, found: `${shape[0]} values` });
  } else if (shape.length >= 2) {
    n = shape[0]!;
    const rest = size(shape.slice(1));
    if (rest !== d) throw new VizError(`${what}: rows do not hold images of shape ${dims}`, { expected: `rows of ${d} values (shape [n, ${d}])`, found: `rows of ${rest} values (shape [${shape.join(", ")}])` });
  } else {
    throw new VizError(`${what}: a scalar is not a batch of images`, { expected: `a tensor [n, ${d}]`, found: "shape []" });
  }
  let data: Float32Array;
  if (size(shape) === 0) data = new Float32Array(0);
  else if (images.data instanceof Float32Array && isContiguous(images)) data = images.data.subarray(images.offset, images.offset + n * d);
  else data = toTensor(images, what).data;
  return { n, d, data };
}

/** The minimum and maximum of every band over the finite values of all images. */
export function bandRange(images: TensorLike | ImageRows, imageShape: ImageShape, layout: "hwc" | "chw" = "hwc"): BandRange {
  const rows = "stride" in images ? imageRows(images, imageShape) : images;
  return rangeOf(rows.data, imageShape, layout);
}

function rangeOf(values: Float32Array, imageShape: ImageShape, layout: "hwc" | "chw"): BandRange {
  const c = imageShape[2];
  const plane = imageShape[0] * imageShape[1];
  const d = plane * c;
  const min = new Array<number>(c).fill(Infinity), max = new Array<number>(c).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const b = layout === "hwc" ? i % c : Math.floor((i % d) / plane);
    if (v < min[b]!) min[b] = v;
    if (v > max[b]!) max[b] = v;
  }
  return { min, max };
}

/** Which bands feed red, green and blue (the same band three times for grey). */
function bandsFor(c: number, mode: FourBandMode): readonly [number, number, number] {
  if (c === 1) return [0, 0, 0];
  if (c === 3) return [0, 1, 2];
  switch (mode) {
    case "truecolor": return [0, 1, 2];
    case "falsecolor": return [3, 0, 1];
    case "nir": return [3, 3, 3];
    default: throw new VizError(`unknown 4-band mode "${String(mode)}"`, { expected: `"truecolor", "falsecolor" or "nir"`, found: JSON.stringify(mode) });
  }
}

function toByte(v: number): number {
  return v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
}

/**
 * The tile of one image given as its h*w*c values. `batchRange` is the range used by
 * stretch "batch" (computed from `values` alone when absent).
 */
export function tileFromValues(values: ArrayLike<number>, options: TileOptions, batchRange?: BandRange): Raster {
  const d = checkImageShape(options.imageShape);
  if (values.length !== d) {
    throw new VizError(`an image of shape ${options.imageShape.join(" x ")}`, { expected: `${d} values`, found: `${values.length} values` });
  }
  const [h, w, c] = options.imageShape;
  const layout = options.layout ?? "hwc";
  const [br, bg, bb] = bandsFor(c, options.mode ?? "truecolor");
  const nan = options.nanColor ?? NAN_COLOR;
  const v = values instanceof Float32Array ? values : Float32Array.from(values);
  const stretch = options.stretch ?? "none";
  const range = stretch === "none" ? null
    : stretch === "tile" ? rangeOf(v, options.imageShape, layout)
    : stretch === "batch" ? batchRange ?? rangeOf(v, options.imageShape, layout)
    : stretch;
  if (range && (range.min.length < c || range.max.length < c)) {
    throw new VizError("stretch range", { expected: `min and max for each of ${c} bands`, found: `${range.min.length} minima and ${range.max.length} maxima` });
  }
  const lo = [0, 0, 0], scale = [1, 1, 1];
  [br, bg, bb].forEach((band, k) => {
    if (!range) return;
    const a = range.min[band]!, b = range.max[band]!;
    if (Number.isFinite(a) && Number.isFinite(b) && b - a > 1e-12) { lo[k] = a; scale[k] = 1 / (b - a); }
  });
  const out = raster(w, h);
  const px = out.data;
  const plane = h * w;
  for (let p = 0; p < plane; p++) {
    const at = (band: number): number => layout === "hwc" ? v[p * c + band]! : v[band * plane + p]!;
    const r = at(br), g = at(bg), b = at(bb);
    const o = p * 4;
    if (Number.isNaN(r) || Number.isNaN(g) || Number.isNaN(b)) {
      px[o] = nan[0]; px[o + 1] = nan[1]; px[o + 2] = nan[2]; px[o + 3] = nan[3] ?? 255;
      continue;
    }
    px[o] = toByte((r - lo[0]!) * scale[0]!);
    px[o + 1] = toByte((g - lo[1]!) * scale[1]!);
    px[o + 2] = toByte((b - lo[2]!) * scale[2]!);
    px[o + 3] = 255;
  }
  return out;
}

/** The tile (w x h pixels, unscaled) of image `row` of the batch `images`. */
export function imageTile(images: TensorLike, row: number, options: TileOptions): Raster {
  const rows = imageRows(images, options.imageShape);
  if (!Number.isSafeInteger(row) || row < 0 || row >= rows.n) {
    throw new VizError(`image index ${row} is out of range`, { expected: `0 <= index < ${rows.n}`, found: String(row) });
  }
  const batch = options.stretch === "batch" ? rangeOf(rows.data, options.imageShape, options.layout ?? "hwc") : undefined;
  return tileFromValues(rows.data.subarray(row * rows.d, (row + 1) * rows.d), options, batch);
}

/** The tiles of every image of the batch. */
export function imageTiles(images: TensorLike | ImageRows, options: TileOptions, batchRange?: BandRange): Raster[] {
  const rows = "stride" in images ? imageRows(images, options.imageShape) : images;
  const range = options.stretch === "batch" ? batchRange ?? rangeOf(rows.data, options.imageShape, options.layout ?? "hwc") : undefined;
  const tiles: Raster[] = [];
  for (let i = 0; i < rows.n; i++) tiles.push(tileFromValues(rows.data.subarray(i * rows.d, (i + 1) * rows.d), options, range));
  return tiles;
}
