/**
 * The figures a learner looks at after training an autoencoder, each drawn into a Raster:
 * reconstructions under their originals, sheets of samples, the decoded latent manifold,
 * interpolation strips, a scatter plot of codes coloured by class, and loss curves. Plus
 * the numbers behind them: the normal quantile grid (with an inverse normal CDF) and the
 * linear and spherical interpolation of codes. Runtime-neutral.
 *
 * Image grids: with tiles of tw = w*scale by th = h*scale pixels, `columns` tiles per row,
 * `gap` pixels between tiles and `padding` around everything, a grid of R rows measures
 *   width  = 2*padding + labelWidth + columns*tw + (columns - 1)*gap
 *   height = titleHeight + 2*padding + R*th + (R - 1)*gap
 * where labelWidth is 0 without row labels and titleHeight is 0 without a title (TITLE_HEIGHT
 * with one; a title wider than the grid widens the figure, the grid centred under it).
 * Zero images give a valid, empty figure of at least 1 x 1 pixels.
 */
import { tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import { drawText, measureText, TEXT_HEIGHT } from "./font.js";
import { checkImageShape, imageRows, imageTiles, type FourBandMode, type ImageShape, type TileOptions } from "./images.js";
import { blit, line, marker, PALETTE, raster, rect, strokeRect, VizError, WHITE, type Color, type MarkerShape, type Raster } from "./raster.js";

const INK: Color = [33, 33, 33];
const AXIS: Color = [80, 80, 80];
const GRID: Color = [232, 232, 232];
const MUTED: Color = [96, 96, 96];
const TITLE_SCALE = 2;
/** Height of the band a title takes at the top of a figure. */
export const TITLE_HEIGHT = TEXT_HEIGHT * TITLE_SCALE + 8;

// ---------------------------------------------------------------------------------------
// image grids

export interface GridOptions {
  readonly imageShape: ImageShape;
  /** Nearest-neighbour magnification of every tile (integer, default 2). */
  readonly scale?: number;
  /** Pixels between neighbouring tiles (default 2). */
  readonly gap?: number;
  /** Pixels around the whole figure (default 4). */
  readonly padding?: number;
  /** Fills the padding and gaps (default white). */
  readonly background?: Color;
  /** A line of text across the top (scale-2 font). */
  readonly title?: string;
  /** How 4-band images are shown (default "truecolor"). */
  readonly mode?: FourBandMode;
  /** Min/max stretch of each band (default "none"; "batch" stretches over all images of the figure). */
  readonly stretch?: TileOptions["stretch"];
  readonly layout?: TileOptions["layout"];
  readonly nanColor?: Color;
}

interface Layout {
  readonly scale: number;
  readonly gap: number;
  readonly padding: number;
  readonly tw: number;
  readonly th: number;
}

function nonNegativeInt(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 0) throw new VizError(`${what} must be a non-negative integer`, { expected: "an integer >= 0", found: String(v) });
  return v;
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new VizError(`${what} must be a positive integer`, { expected: "an integer >= 1", found: String(v) });
  return v;
}

function layoutOf(o: GridOptions): Layout {
  checkImageShape(o.imageShape);
  const scale = positiveInt(o.scale, 2, "scale");
  return {
    scale,
    gap: nonNegativeInt(o.gap, 2, "gap"),
    padding: nonNegativeInt(o.padding, 4, "padding"),
    tw: o.imageShape[1] * scale,
    th: o.imageShape[0] * scale,
  };
}

function tileOptions(o: GridOptions): TileOptions {
  return { imageShape: o.imageShape, mode: o.mode, stretch: o.stretch, layout: o.layout, nanColor: o.nanColor };
}

function canvas(width: number, height: number, background: Color | undefined): Raster {
  return raster(Math.max(1, width), Math.max(1, height), background ?? WHITE);
}

function drawTitle(r: Raster, title: string | undefined, top = 4): void {
  if (title) drawText(r, title, Math.floor(r.width / 2), top, INK, { scale: TITLE_SCALE, align: "center" });
}

/** Draws the title; a title wider than the figure widens it, the figure centred below. */
function finish(out: Raster, title: string | undefined, background: Color | undefined): Raster {
  if (!title) return out;
  const need = measureText(title, TITLE_SCALE).width + 16;
  let r = out;
  if (need > out.width) {
    r = canvas(need, out.height, background);
    blit(r, out, Math.floor((need - out.width) / 2), 0);
  }
  drawTitle(r, title);
  return r;
}

const LABEL_GAP = 6;

function labelColumnWidth(labels: readonly (string | undefined)[] | null | undefined): number {
  if (!labels) return 0;
  let w = 0;
  for (const l of labels) if (l) w = Math.max(w, measureText(l).width);
  return w > 0 ? w + LABEL_GAP : 0;
}

export interface ReconstructionGridOptions extends GridOptions {
  /** Tiles per row (default min(n, 10)); more images wrap into further pairs of rows. */
  readonly columns?: number;
  /** Extra pixels between consecutive pairs of rows (default 3*gap + 2). */
  readonly pairGap?: number;
  /** Labels left of the originals' and the reconstructions' rows (default ["input", "output"]; null for none). */
  readonly rowLabels?: readonly [string, string] | null;
}

/**
 * Originals in one row with their reconstructions in the row below, wrapping into several
 * row pairs when n > columns. Height: titleHeight + 2*padding + P*(2*th + gap) + (P - 1)*pairGap
 * for P = ceil(n / columns) pairs; width as for any image grid.
 */
export function reconstructionGrid(originals: TensorLike, reconstructions: TensorLike, options: ReconstructionGridOptions): Raster {
  const L = layoutOf(options);
  const a = imageRows(originals, options.imageShape, "originals");
  const b = imageRows(reconstructions, options.imageShape, "reconstructions");
  if (a.n !== b.n) throw new VizError("reconstructionGrid: one reconstruction per original", { expected: `${a.n} reconstructions`, found: `${b.n}` });
  const n = a.n;
  const columns = positiveInt(options.columns, Math.max(1, Math.min(n, 10)), "columns");
  const pairGap = nonNegativeInt(options.pairGap, 3 * L.gap + 2, "pairGap");
  const labels = options.rowLabels === undefined ? (["input", "output"] as const) : options.rowLabels;
  const labelWidth = n > 0 ? labelColumnWidth(labels) : 0;
  const pairs = Math.ceil(n / columns);
  const cols = Math.min(columns, n);
  const titleH = options.title ? TITLE_HEIGHT : 0;
  const width = 2 * L.padding + labelWidth + cols * L.tw + Math.max(0, cols - 1) * L.gap;
  const height = titleH + 2 * L.padding + pairs * (2 * L.th + L.gap) + Math.max(0, pairs - 1) * pairGap;
  const out = canvas(width, height, options.background);
  // one stretch range over both batches so the two rows are comparable
  const to = tileOptions(options);
  const range = options.stretch === "batch" ? rangeOver([a.data, b.data], options) : undefined;
  const ta = imageTiles(a, to, range), tb = imageTiles(b, to, range);
  for (let p = 0; p < pairs; p++) {
    const y = titleH + L.padding + p * (2 * L.th + L.gap + pairGap);
    if (labels && labelWidth > 0) {
      drawText(out, labels[0], L.padding, y + Math.floor(L.th / 2), MUTED, { valign: "middle" });
      drawText(out, labels[1], L.padding, y + L.th + L.gap + Math.floor(L.th / 2), MUTED, { valign: "middle" });
    }
    for (let c = 0; c < columns; c++) {
      const i = p * columns + c;
      if (i >= n) break;
      const x = L.padding + labelWidth + c * (L.tw + L.gap);
      blit(out, ta[i]!, x, y, L.scale);
      blit(out, tb[i]!, x, y + L.th + L.gap, L.scale);
    }
  }
  return finish(out, options.title, options.background);
}

function rangeOver(batches: readonly Float32Array[], o: GridOptions): { min: number[]; max: number[] } {
  const c = o.imageShape[2], plane = o.imageShape[0] * o.imageShape[1], d = plane * c;
  const min = new Array<number>(c).fill(Infinity), max = new Array<number>(c).fill(-Infinity);
  for (const v of batches) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (!Number.isFinite(x)) continue;
      const band = (o.layout ?? "hwc") === "hwc" ? i % c : Math.floor((i % d) / plane);
      if (x < min[band]!) min[band] = x;
      if (x > max[band]!) max[band] = x;
    }
  }
  return { min, max };
}

export interface ImageSheetOptions extends GridOptions {
  /** Tiles per row (default ceil(sqrt(n)), a square sheet). */
  readonly columns?: number;
}

/** The images in rows of `columns` (for samples from the prior: n x n of them). */
export function imageSheet(images: TensorLike, options: ImageSheetOptions): Raster {
  const L = layoutOf(options);
  const rows = imageRows(images, options.imageShape);
  const n = rows.n;
  const columns = positiveInt(options.columns, Math.max(1, Math.ceil(Math.sqrt(n))), "columns");
  const cols = Math.min(columns, n);
  const nRows = Math.ceil(n / columns);
  const titleH = options.title ? TITLE_HEIGHT : 0;
  const out = canvas(
    2 * L.padding + cols * L.tw + Math.max(0, cols - 1) * L.gap,
    titleH + 2 * L.padding + nRows * L.th + Math.max(0, nRows - 1) * L.gap,
    options.background,
  );
  const tiles = imageTiles(rows, tileOptions(options));
  tiles.forEach((t, i) => {
    const c = i % columns, r = Math.floor(i / columns);
    blit(out, t, L.padding + c * (L.tw + L.gap), titleH + L.padding + r * (L.th + L.gap), L.scale);
  });
  return finish(out, options.title, options.background);
}

export interface InterpolationStripOptions extends GridOptions {
  /** A label left of each strip (e.g. "3 -> 8"). */
  readonly labels?: readonly string[];
}

/**
 * One strip per tensor of `rows` (each [steps, h*w*c], the decoded path between two codes),
 * strips stacked top to bottom, left-aligned; the width is set by the longest strip.
 */
export function interpolationStrips(rows: readonly TensorLike[], options: InterpolationStripOptions): Raster {
  const L = layoutOf(options);
  if (!Array.isArray(rows)) throw new VizError("interpolationStrips: expected an array of tensors", { expected: "TensorLike[]", found: typeof rows });
  const strips = rows.map((t, i) => imageRows(t, options.imageShape, `strip ${i}`));
  const steps = strips.reduce((m, s) => Math.max(m, s.n), 0);
  const labelWidth = labelColumnWidth(options.labels ?? null);
  const titleH = options.title ? TITLE_HEIGHT : 0;
  const k = strips.length;
  const out = canvas(
    2 * L.padding + labelWidth + steps * L.tw + Math.max(0, steps - 1) * L.gap,
    titleH + 2 * L.padding + k * L.th + Math.max(0, k - 1) * L.gap,
    options.background,
  );
  const to = tileOptions(options);
  const range = options.stretch === "batch" ? rangeOver(strips.map((s) => s.data), options) : undefined;
  strips.forEach((s, r) => {
    const y = titleH + L.padding + r * (L.th + L.gap);
    const label = options.labels?.[r];
    if (label) drawText(out, label, L.padding, y + Math.floor(L.th / 2), MUTED, { valign: "middle" });
    imageTiles(s, to, range).forEach((t, c) => blit(out, t, L.padding + labelWidth + c * (L.tw + L.gap), y, L.scale));
  });
  return finish(out, options.title, options.background);
}

// ---------------------------------------------------------------------------------------
// the latent manifold

export interface ManifoldOptions extends GridOptions {
  /** Tiles per side: `decoded` holds gridSize^2 images. */
  readonly gridSize: number;
  /** The grid's z values (ascending, length gridSize), e.g. normalQuantileGrid(gridSize): labels the axes when given. */
  readonly values?: ArrayLike<number>;
  /** Axis titles when `values` is given (default ["z1", "z2"]). */
  readonly axisLabels?: readonly [string, string];
}

/**
 * Lays out tiles the caller decoded over a grid of codes: row-major, the first row of tiles
 * at the top holding the highest y (the order latentGridCodes produces). Gap defaults to 0
 * here, so the tiles form one continuous picture. With `values`, the z values label the
 * columns (x, below) and rows (y, left).
 */
export function latentManifold(decoded: TensorLike, options: ManifoldOptions): Raster {
  const L = layoutOf({ ...options, gap: options.gap ?? 0 });
  const g = positiveInt(options.gridSize, 1, "gridSize");
  const rows = imageRows(decoded, options.imageShape, "decoded");
  if (rows.n !== g * g) throw new VizError(`latentManifold: a ${g} x ${g} grid of tiles`, { expected: `${g * g} images`, found: `${rows.n}` });
  const values = options.values;
  if (values && values.length !== g) throw new VizError("latentManifold: one grid value per row and column", { expected: `${g} values`, found: `${values.length}` });
  const titleH = options.title ? TITLE_HEIGHT : 0;
  const labels = values ? Array.from(values, (v) => formatNumber(v, 0.01)) : [];
  const tickW = labels.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const axisLabels = options.axisLabels ?? ["z1", "z2"];
  const left = values ? TEXT_HEIGHT + 6 + tickW + 7 : 0;
  const bottom = values ? 4 + 3 + TEXT_HEIGHT + 5 + TEXT_HEIGHT : 0;
  const gridW = g * L.tw + (g - 1) * L.gap, gridH = g * L.th + (g - 1) * L.gap;
  const out = canvas(2 * L.padding + left + gridW, titleH + 2 * L.padding + gridH + bottom, options.background);
  const x0 = L.padding + left, y0 = titleH + L.padding;
  imageTiles(rows, tileOptions(options)).forEach((t, i) => {
    blit(out, t, x0 + (i % g) * (L.tw + L.gap), y0 + Math.floor(i / g) * (L.th + L.gap), L.scale);
  });
  if (values) {
    // label every k-th tile so that the labels do not touch
    const everyX = Math.max(1, Math.ceil((tickW + 6) / (L.tw + L.gap)));
    const everyY = Math.max(1, Math.ceil((TEXT_HEIGHT + 4) / (L.th + L.gap)));
    for (let i = 0; i < g; i++) {
      const cx = x0 + i * (L.tw + L.gap) + Math.floor(L.tw / 2);
      const cy = y0 + i * (L.th + L.gap) + Math.floor(L.th / 2);
      if (i % everyX === 0) {
        line(out, cx, y0 + gridH, cx, y0 + gridH + 3, AXIS, { antialias: false });
        drawText(out, labels[i]!, cx, y0 + gridH + 7, INK, { align: "center" });
      }
      if (i % everyY === 0) {
        line(out, x0 - 4, cy, x0 - 1, cy, AXIS, { antialias: false });
        drawText(out, labels[g - 1 - i]!, x0 - 7, cy, INK, { align: "right", valign: "middle" });
      }
    }
    drawText(out, axisLabels[0], x0 + Math.floor(gridW / 2), y0 + gridH + 7 + TEXT_HEIGHT + 5, INK, { align: "center" });
    drawText(out, axisLabels[1], L.padding, y0 + Math.floor(gridH / 2), INK, { rotate: 90, align: "center" });
  }
  return finish(out, options.title, options.background);
}

/**
 * The inverse of the standard normal CDF, Phi^-1(p), by Wichura's algorithm AS241 (PPND16,
 * Applied Statistics 37, 1988), accurate to about 1e-16 relative. p = 0 gives -Infinity,
 * p = 1 Infinity, anything outside [0, 1] (or NaN) NaN.
 */
export function inverseNormalCdf(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
      + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r
      + 3.387132872796366608)
      / (((((((5226.495278852545561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
      + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
      + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r
      + 1.42343711074968357734)
      / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
      + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
      + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r
      + 6.6579046435011037772)
      / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
      + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -x : x;
}

export interface QuantileGridOptions {
  /**
   * Spread the probabilities evenly over [low, high] inclusive (the Keras VAE example uses
   * [0.05, 0.95]). Default: the centred probabilities (i + 0.5) / gridSize.
   */
  readonly range?: readonly [number, number];
}

/**
 * gridSize z values, ascending, at quantiles of the standard normal: equal steps of
 * probability map to equal shares of the prior, so the manifold shows where codes lie.
 */
export function normalQuantileGrid(gridSize: number, options: QuantileGridOptions = {}): Float32Array {
  const g = positiveInt(gridSize, 1, "gridSize");
  const out = new Float32Array(g);
  const range = options.range;
  if (range) {
    const [lo, hi] = range;
    if (!(lo > 0 && hi < 1 && lo <= hi)) throw new VizError("normalQuantileGrid: probability range", { expected: "0 < low <= high < 1", found: `[${lo}, ${hi}]` });
    for (let i = 0; i < g; i++) out[i] = inverseNormalCdf(g === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (g - 1));
  } else {
    for (let i = 0; i < g; i++) out[i] = inverseNormalCdf((i + 0.5) / g);
  }
  return out;
}

export interface GridCodesOptions {
  /** Size of each code (default 2); coordinates other than `dims` are 0. */
  readonly latent?: number;
  /** The two coordinates the grid spans (default [0, 1]): x along columns, y along rows. */
  readonly dims?: readonly [number, number];
}

/**
 * The codes for latentManifold, a tensor [g*g, latent]: row r*g + c has x = values[c] and
 * y = values[g - 1 - r] (top row = highest y), ready to be decoded in one batch.
 */
export function latentGridCodes(values: ArrayLike<number>, options: GridCodesOptions = {}): Tensor {
  const g = values.length;
  const latent = positiveInt(options.latent, 2, "latent");
  const [dx, dy] = options.dims ?? [0, 1];
  if (!(Number.isSafeInteger(dx) && Number.isSafeInteger(dy) && dx >= 0 && dy >= 0 && dx < latent && dy < latent && dx !== dy)) {
    throw new VizError("latentGridCodes: dims", { expected: `two different coordinates in [0, ${latent})`, found: `[${dx}, ${dy}]` });
  }
  const z = new Float32Array(g * g * latent);
  for (let r = 0; r < g; r++) {
    for (let c = 0; c < g; c++) {
      z[(r * g + c) * latent + dx] = values[c]!;
      z[(r * g + c) * latent + dy] = values[g - 1 - r]!;
    }
  }
  return tensor(z, [g * g, latent]);
}

// ---------------------------------------------------------------------------------------
// interpolation of codes

function checkPair(a: Float32Array, b: Float32Array, steps: number, what: string): void {
  if (a.length !== b.length) throw new VizError(`${what}: codes of different sizes`, { expected: `${a.length} values`, found: `${b.length}` });
  if (!Number.isSafeInteger(steps) || steps < 1) throw new VizError(`${what}: steps must be a positive integer`, { expected: "an integer >= 1", found: String(steps) });
}

function fraction(i: number, steps: number): number {
  return steps === 1 ? 0 : i / (steps - 1);
}

/** `steps` codes from a to b (both included) along the straight line: a tensor [steps, d]. */
export function lerp(a: Float32Array, b: Float32Array, steps: number): Tensor {
  checkPair(a, b, steps, "lerp");
  const d = a.length;
  const out = new Float32Array(steps * d);
  for (let i = 0; i < steps; i++) {
    const t = fraction(i, steps);
    for (let j = 0; j < d; j++) out[i * d + j] = (1 - t) * a[j]! + t * b[j]!;
  }
  return tensor(out, [steps, d]);
}

/**
 * `steps` codes from a to b along the great circle (spherical linear interpolation), the
 * path that stays in the typical shell of a Gaussian prior: for codes of equal norm every
 * step keeps that norm. Falls back to lerp when the angle between a and b is about 0 (or
 * either is zero); for opposite codes the path is not defined and lerp is used as well.
 */
export function slerp(a: Float32Array, b: Float32Array, steps: number): Tensor {
  checkPair(a, b, steps, "slerp");
  const d = a.length;
  let dot = 0, na = 0, nb = 0;
  for (let j = 0; j < d; j++) { dot += a[j]! * b[j]!; na += a[j]! * a[j]!; nb += b[j]! * b[j]!; }
  const cos = dot / Math.sqrt(na * nb);
  const omega = Math.acos(Math.min(1, Math.max(-1, cos)));
  const sin = Math.sin(omega);
  if (!(sin > 1e-6)) return lerp(a, b, steps);
  const out = new Float32Array(steps * d);
  for (let i = 0; i < steps; i++) {
    const t = fraction(i, steps);
    const wa = Math.sin((1 - t) * omega) / sin, wb = Math.sin(t * omega) / sin;
    for (let j = 0; j < d; j++) out[i * d + j] = wa * a[j]! + wb * b[j]!;
  }
  return tensor(out, [steps, d]);
}

// ---------------------------------------------------------------------------------------
// plots: axes, ticks, legends

/** Where the data area of a plot is, in raster pixels, and the data ranges it spans. */
export interface PlotFrame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
}

/** A plot: a Raster plus its frame, for placing further marks with toPixel. */
export interface Plot extends Raster {
  readonly frame: PlotFrame;
}

/**
 * The pixel of the data point (x, y): xRange spans the frame's columns left..left+width-1,
 * yRange its rows from the bottom (top+height-1) up to the top.
 */
export function toPixel(frame: PlotFrame, x: number, y: number): [number, number] {
  const [x0, x1] = frame.xRange, [y0, y1] = frame.yRange;
  return [
    frame.left + ((x - x0) / (x1 - x0)) * (frame.width - 1),
    frame.top + frame.height - 1 - ((y - y0) / (y1 - y0)) * (frame.height - 1),
  ];
}

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

/** Round tick values (steps of 1, 2 or 5 times a power of ten) inside [lo, hi], about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 5): { values: number[]; step: number } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || hi <= lo) return { values: Number.isFinite(lo) ? [lo] : [], step: 1 };
  const step = niceStep(hi - lo, target);
  const values: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) values.push(Math.abs(k * step) < step * 1e-9 ? 0 : k * step);
  return { values, step };
}

/** A tick label: as many decimals as the step needs; exponent form for very large or small numbers. */
export function formatNumber(v: number, step = 0): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || (step > 0 && step < 1e-4) || (step === 0 && a < 1e-4)) {
    const s = v.toExponential(step > 0 ? Math.max(0, Math.min(6, Math.round(Math.log10(a / step)))) : 2);
    return s.replace(/\.?0+e/, "e").replace("e+", "e");
  }
  const decimals = step > 0 ? Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)) : Math.max(0, Math.min(6, 3 - Math.floor(Math.log10(a))));
  let s = v.toFixed(decimals);
  if (step === 0 && s.includes(".")) s = s.replace(/\.?0+$/, "");
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

function dataRange(values: ArrayLike<number>, margin: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return [0, 1];
  if (hi === lo) { const h = Math.abs(lo) * 0.1 || 0.5; return [lo - h, hi + h]; }
  const m = (hi - lo) * margin;
  return [lo - m, hi + m];
}

function checkRange(range: readonly [number, number] | undefined, what: string): void {
  if (range && !(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[1] > range[0])) {
    throw new VizError(`${what} must be [low, high] with low < high`, { expected: "two finite numbers, ascending", found: JSON.stringify(range) });
  }
}

export interface PlotOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Size of the whole figure (defaults: 560 x 420 for scatter plots, 560 x 360 for loss curves). */
  readonly width?: number;
  readonly height?: number;
  /** Fixed axis ranges; by default the data's range plus a small margin. */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly background?: Color;
}

interface LegendEntry {
  readonly name: string;
  readonly color: Color;
  readonly kind: "marker" | "line";
}

const LEGEND_ROW = 12;
const LEGEND_SWATCH = 14;

function legendSize(entries: readonly LegendEntry[]): { width: number; height: number } {
  const nameW = entries.reduce((m, e) => Math.max(m, measureText(e.name).width), 0);
  return { width: 6 + LEGEND_SWATCH + 5 + nameW + 6, height: 4 + entries.length * LEGEND_ROW + 2 };
}

function drawLegend(r: Raster, entries: readonly LegendEntry[], x: number, y: number, markerSize: number): void {
  const { width, height } = legendSize(entries);
  rect(r, x, y, width, height, [255, 255, 255, 235]);
  strokeRect(r, x, y, width, height, [200, 200, 200]);
  entries.forEach((e, i) => {
    const cy = y + 4 + i * LEGEND_ROW + Math.floor(TEXT_HEIGHT / 2) - 1;
    const sx = x + 6;
    if (e.kind === "line") line(r, sx, cy, sx + LEGEND_SWATCH - 1, cy, e.color, { width: 2 });
    else marker(r, sx + Math.floor(LEGEND_SWATCH / 2), cy, e.color, { size: Math.max(2.5, markerSize) });
    drawText(r, e.name, sx + LEGEND_SWATCH + 5, y + 4 + i * LEGEND_ROW, INK);
  });
}

interface AxesSpec {
  readonly width: number;
  readonly height: number;
  readonly title: string | undefined;
  readonly xLabel: string | undefined;
  readonly yLabel: string | undefined;
  readonly xRange: readonly [number, number];
  readonly yRange: readonly [number, number];
  /** Room kept free right of the frame (for an outside legend). */
  readonly rightReserve: number;
  readonly integerX?: boolean;
  readonly background: Color | undefined;
}

/** Draws title, frame, grid lines, ticks and labels; returns the raster and its frame. */
function axes(spec: AxesSpec): Plot {
  const out = canvas(spec.width, spec.height, spec.background);
  const pad = 10;
  const yTicks = niceTicks(spec.yRange[0], spec.yRange[1], Math.max(2, Math.round(spec.height / 70)));
  const yLabels = yTicks.values.map((v) => formatNumber(v, yTicks.step));
  const yTickW = yLabels.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const top = pad + (spec.title ? TITLE_HEIGHT + 2 : 4);
  const left = pad + (spec.yLabel ? TEXT_HEIGHT + 8 : 0) + yTickW + 8;
  const bottom = pad + 4 + 4 + TEXT_HEIGHT + (spec.xLabel ? 8 + TEXT_HEIGHT : 0);
  const fh = Math.max(2, spec.height - top - bottom);
  const ticksFor = (fw: number): { values: number[]; step: number } => {
    let t = niceTicks(spec.xRange[0], spec.xRange[1], Math.max(2, Math.round(fw / 80)));
    if (spec.integerX && t.step < 1) t = niceTicks(spec.xRange[0], spec.xRange[1], Math.max(1, Math.floor(spec.xRange[1] - spec.xRange[0])));
    if (spec.integerX && t.step < 1) t = { values: t.values.filter(Number.isInteger), step: 1 };
    return t;
  };
  // room on the right for the legend, and for half of the last x tick label when it sits near the edge
  let right = pad + spec.rightReserve + 6;
  {
    const fw = Math.max(2, spec.width - left - right);
    const t = ticksFor(fw);
    const last = t.values[t.values.length - 1];
    if (last !== undefined) {
      const frame0: PlotFrame = { left, top, width: fw, height: fh, xRange: spec.xRange, yRange: spec.yRange };
      const fromEdge = left + fw - 1 - toPixel(frame0, last, 0)[0];
      const half = Math.ceil(measureText(formatNumber(last, t.step)).width / 2);
      right = Math.max(right, Math.ceil(half + 4 - fromEdge));
    }
  }
  const fw = Math.max(2, spec.width - left - right);
  const frame: PlotFrame = { left, top, width: fw, height: fh, xRange: spec.xRange, yRange: spec.yRange };
  const xTicks = ticksFor(fw);
  // grid lines and ticks
  for (const v of xTicks.values) {
    const x = Math.round(toPixel(frame, v, 0)[0]);
    line(out, x, top, x, top + fh - 1, GRID, { antialias: false });
    line(out, x, top + fh, x, top + fh + 3, AXIS, { antialias: false });
  }
  yTicks.values.forEach((v, i) => {
    const y = Math.round(toPixel(frame, 0, v)[1]);
    line(out, left, y, left + fw - 1, y, GRID, { antialias: false });
    line(out, left - 4, y, left - 1, y, AXIS, { antialias: false });
    drawText(out, yLabels[i]!, left - 7, y, INK, { align: "right", valign: "middle" });
  });
  // x tick labels, dropping any that would run into the previous one
  let lastRight = -Infinity;
  for (const v of xTicks.values) {
    const x = Math.round(toPixel(frame, v, 0)[0]);
    const s = formatNumber(v, xTicks.step);
    const w = measureText(s).width;
    if (x - Math.floor(w / 2) <= lastRight + 4) continue;
    drawText(out, s, x, top + fh + 7, INK, { align: "center" });
    lastRight = x - Math.floor(w / 2) + w;
  }
  // the frame, just outside the data area
  strokeRect(out, left - 1, top - 1, fw + 2, fh + 2, AXIS);
  if (spec.title) drawText(out, spec.title, left + Math.floor(fw / 2), pad, INK, { scale: TITLE_SCALE, align: "center" });
  if (spec.xLabel) drawText(out, spec.xLabel, left + Math.floor(fw / 2), top + fh + 7 + TEXT_HEIGHT + 6, INK, { align: "center" });
  if (spec.yLabel) drawText(out, spec.yLabel, pad, top + Math.floor(fh / 2), INK, { rotate: 90, align: "center" });
  return Object.assign(out, { frame });
}

/** Only the pixels inside the frame are kept when drawing data marks. */
function clipTo(out: Raster, frame: PlotFrame, draw: (target: Raster) => void): void {
  // draw into a scratch copy of the frame region, then copy back: simple and exact clipping
  const { left, top, width, height } = frame;
  const scratch = raster(width, height, [0, 0, 0, 0]);
  for (let y = 0; y < height; y++) scratch.data.set(out.data.subarray(((top + y) * out.width + left) * 4, ((top + y) * out.width + left + width) * 4), y * width * 4);
  const shifted: Raster = scratch;
  draw(shifted);
  for (let y = 0; y < height; y++) out.data.set(scratch.data.subarray(y * width * 4, (y + 1) * width * 4), ((top + y) * out.width + left) * 4);
}

function sizeOf(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 64 || v > 8192) throw new VizError(`${what} of a plot`, { expected: "an integer in [64, 8192]", found: String(v) });
  return v;
}

// ---------------------------------------------------------------------------------------
// scatter plot

export interface ScatterOptions extends PlotOptions {
  /** Names of the classes, by label (default: the label's number). */
  readonly classNames?: readonly string[];
  /** For a tensor [n, k] with k > 2: the two columns to plot (default [0, 1]). */
  readonly dims?: readonly [number, number];
  /** Marker radius in pixels (default 2). */
  readonly markerSize?: number;
  readonly markerShape?: MarkerShape;
  /** Marker opacity, 0..1 (default 0.75), so dense clusters show their density. */
  readonly alpha?: number;
}

function pointsOf(points: Float32Array | TensorLike, dims: readonly [number, number]): { xs: Float32Array; ys: Float32Array } {
  if (points instanceof Float32Array) {
    if (points.length % 2 !== 0) throw new VizError("scatterPlot: interleaved points x0, y0, x1, y1, ...", { expected: "an even number of values", found: `${points.length}` });
    const n = points.length / 2;
    const xs = new Float32Array(n), ys = new Float32Array(n);
    for (let i = 0; i < n; i++) { xs[i] = points[2 * i]!; ys[i] = points[2 * i + 1]!; }
    return { xs, ys };
  }
  if (!points || !points.shape || points.shape.length !== 2) {
    throw new VizError("scatterPlot: points", { expected: "a Float32Array of x, y pairs or a tensor [n, 2]", found: points && points.shape ? `shape [${points.shape.join(", ")}]` : typeof points });
  }
  const [n, k] = points.shape as [number, number];
  const [dx, dy] = dims;
  if (!(dx >= 0 && dy >= 0 && dx < k && dy < k)) throw new VizError("scatterPlot: dims", { expected: `columns in [0, ${k})`, found: `[${dx}, ${dy}]` });
  const xs = new Float32Array(n), ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = points.data[points.offset + i * points.stride[0]! + dx * points.stride[1]!]!;
    ys[i] = points.data[points.offset + i * points.stride[0]! + dy * points.stride[1]!]!;
  }
  return { xs, ys };
}

/**
 * Points (a Float32Array x0, y0, x1, y1, ... or a tensor [n, 2]) as markers on axes with
 * ticks, coloured by `labels` (class k gets PALETTE[k % 10]) with a legend of the classes
 * right of the frame. Non-finite points are skipped. Points are drawn in order.
 */
export function scatterPlot(points: Float32Array | TensorLike, labels: Uint8Array | null, options: ScatterOptions = {}): Plot {
  const { xs, ys } = pointsOf(points, options.dims ?? [0, 1]);
  const n = xs.length;
  if (labels && labels.length !== n) throw new VizError("scatterPlot: one label per point", { expected: `${n} labels`, found: `${labels.length}` });
  checkRange(options.xRange, "xRange");
  checkRange(options.yRange, "yRange");
  const alpha = Math.min(1, Math.max(0, options.alpha ?? 0.75));
  const size = options.markerSize ?? 2;
  const entries: LegendEntry[] = [];
  if (labels) {
    const present = [...new Set(labels)].sort((a, b) => a - b);
    for (const k of present) entries.push({ name: options.classNames?.[k] ?? String(k), color: PALETTE[k % PALETTE.length]!, kind: "marker" });
  }
  const legend = entries.length > 0 ? legendSize(entries) : null;
  const plot = axes({
    width: sizeOf(options.width, 560, "width"),
    height: sizeOf(options.height, 420, "height"),
    title: options.title, xLabel: options.xLabel, yLabel: options.yLabel,
    xRange: options.xRange ?? dataRange(xs, 0.04),
    yRange: options.yRange ?? dataRange(ys, 0.04),
    rightReserve: legend ? legend.width + 8 : 0,
    background: options.background,
  });
  const f = plot.frame;
  clipTo(plot, f, (target) => {
    const local: PlotFrame = { ...f, left: 0, top: 0 };
    for (let i = 0; i < n; i++) {
      const x = xs[i]!, y = ys[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const [px, py] = toPixel(local, x, y);
      const base = labels ? PALETTE[labels[i]! % PALETTE.length]! : PALETTE[0]!;
      marker(target, px, py, [base[0], base[1], base[2], Math.round(alpha * 255)], { size, shape: options.markerShape ?? "circle" });
    }
  });
  if (legend) drawLegend(plot, entries, f.left + f.width + 1 + 8, f.top, size);
  return plot;
}

// ---------------------------------------------------------------------------------------
// loss curves

export interface LossSeries {
  readonly name: string;
  readonly values: ArrayLike<number>;
  /** x of each value (default 1, 2, 3, ...: epochs counted from 1). */
  readonly x?: ArrayLike<number>;
  readonly color?: Color;
}

export interface LossCurveOptions extends PlotOptions {
  /** Line width in pixels (default 2). */
  readonly lineWidth?: number;
  /** Mark every value with a dot (default: when a series has at most 60 values). */
  readonly markers?: boolean;
}

/**
 * One line per series (train, test, ...) over a shared x axis, with ticks, grid lines and a
 * legend placed in whichever inside corner the lines leave free. Non-finite values break
 * the line.
 */
export function lossCurve(series: readonly LossSeries[], options: LossCurveOptions = {}): Plot {
  if (!Array.isArray(series)) throw new VizError("lossCurve: series", { expected: "an array of {name, values}", found: typeof series });
  const xsOf = series.map((s, k) => {
    if (!s || typeof s.name !== "string" || !s.values || typeof s.values.length !== "number") {
      throw new VizError(`lossCurve: series ${k}`, { expected: "{name: string, values: number[]}", found: JSON.stringify(s)?.slice(0, 60) ?? String(s) });
    }
    if (s.x && s.x.length !== s.values.length) throw new VizError(`lossCurve: series "${s.name}" x`, { expected: `${s.values.length} x values`, found: `${s.x.length}` });
    return s.x ? Float64Array.from(s.x) : Float64Array.from({ length: s.values.length }, (_, i) => i + 1);
  });
  checkRange(options.xRange, "xRange");
  checkRange(options.yRange, "yRange");
  const allX = xsOf.flatMap((x) => Array.from(x));
  const allY = series.flatMap((s) => Array.from(s.values as ArrayLike<number>));
  const integerX = series.every((s) => !s.x || Array.from(s.x).every(Number.isInteger));
  let xRange = options.xRange;
  if (!xRange) {
    const [lo, hi] = dataRange(allX, 0);
    // a little room at both ends so the end markers are not cut by the frame
    const [a, b] = integerX && allX.length > 0 ? [Math.min(1, lo), Math.max(hi, lo + 1)] : [lo, hi];
    const m = (b - a) * 0.02;
    xRange = allX.length > 1 || integerX ? [a - m, b + m] : dataRange(allX, 0.04);
  }
  const plot = axes({
    width: sizeOf(options.width, 560, "width"),
    height: sizeOf(options.height, 360, "height"),
    title: options.title, xLabel: options.xLabel ?? "epoch", yLabel: options.yLabel ?? "loss",
    xRange, yRange: options.yRange ?? dataRange(allY, 0.05),
    rightReserve: 0, integerX, background: options.background,
  });
  const f = plot.frame;
  const colors = series.map((s, k) => s.color ?? PALETTE[k % PALETTE.length]!);
  const lw = options.lineWidth ?? 2;
  const pixels: [number, number][] = [];
  clipTo(plot, f, (target) => {
    const local: PlotFrame = { ...f, left: 0, top: 0 };
    series.forEach((s, k) => {
      const xs = xsOf[k]!;
      const px = new Float64Array(xs.length), py = new Float64Array(xs.length);
      for (let i = 0; i < xs.length; i++) {
        const v = s.values[i]!;
        if (Number.isFinite(v) && Number.isFinite(xs[i]!)) {
          [px[i], py[i]] = toPixel(local, xs[i]!, v);
          pixels.push([px[i]! + f.left, py[i]! + f.top]);
        } else { px[i] = NaN; py[i] = NaN; }
      }
      for (let i = 1; i < xs.length; i++) {
        if (![px[i - 1]!, py[i - 1]!, px[i]!, py[i]!].every(Number.isFinite)) continue;
        line(target, px[i - 1]!, py[i - 1]!, px[i]!, py[i]!, colors[k]!, { width: lw });
        // points along the segment, for choosing a free corner for the legend
        const steps = Math.ceil(Math.hypot(px[i]! - px[i - 1]!, py[i]! - py[i - 1]!) / 4);
        for (let t = 1; t < steps; t++) pixels.push([f.left + px[i - 1]! + ((px[i]! - px[i - 1]!) * t) / steps, f.top + py[i - 1]! + ((py[i]! - py[i - 1]!) * t) / steps]);
      }
      const withMarkers = options.markers ?? xs.length <= 60;
      for (let i = 0; i < xs.length; i++) {
        if (withMarkers || !(Number.isFinite(px[i - 1] ?? NaN) || Number.isFinite(px[i + 1] ?? NaN))) marker(target, px[i]!, py[i]!, colors[k]!, { size: lw + 0.5 });
      }
    });
  });
  if (series.length > 0) {
    const entries = series.map((s, k): LegendEntry => ({ name: s.name, color: colors[k]!, kind: "line" }));
    const { width, height } = legendSize(entries);
    const m = 6;
    const corners: [number, number][] = [
      [f.left + f.width - width - m, f.top + m], [f.left + m, f.top + m],
      [f.left + f.width - width - m, f.top + f.height - height - m], [f.left + m, f.top + f.height - height - m],
    ];
    let best = corners[0]!, bestCount = Infinity;
    for (const c of corners) {
      let count = 0;
      for (const [x, y] of pixels) if (x >= c[0] - 4 && x <= c[0] + width + 4 && y >= c[1] - 4 && y <= c[1] + height + 4) count++;
      if (count < bestCount) { best = c; bestCount = count; }
    }
    drawLegend(plot, entries, best[0], best[1], 2);
  }
  return plot;
}
