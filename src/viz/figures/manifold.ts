/**
 * The decoded latent manifold, and the numbers behind it: the normal quantile grid (with an
 * inverse normal CDF) and the grid of codes to decode.
 */
import { tensor, type Tensor, type TensorLike } from "../../tensor/tensor.js";
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { imageRows, imageTiles } from "../images.js";
import { blit, line, VizError, type Raster } from "../raster.js";
import { AXIS, canvas, finish, INK, positiveInt, TITLE_HEIGHT } from "./common.js";
import { layoutOf, tileOptions, type GridOptions } from "./grid-layout.js";
import { formatNumber } from "./ticks.js";

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
