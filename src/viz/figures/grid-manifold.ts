/**
 * Decodes over a rectangular grid in a plane of the code space, with their own values along
 * each axis (latentManifold labels both axes with one list of values; here the plane may span
 * different ranges across and up, e.g. each code coordinate's 1st to 99th percentile).
 *
 * Order: row-major, the top row holding the highest y, x increasing to the right; the codes of
 * planeGridCodes come in that order. Tiles touch (gap 0) unless a gap is given.
 */
import { tensor, type Tensor, type TensorLike } from "../../tensor/tensor.js";
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { imageRows, imageTiles } from "../images.js";
import { blit, line, VizError, type Raster } from "../raster.js";
import { AXIS, canvas, finish, INK, TITLE_HEIGHT } from "./common.js";
import { layoutOf, tileOptions, type GridOptions } from "./grid-layout.js";
import { formatNumber } from "./ticks.js";

export interface GridManifoldOptions extends GridOptions {
  /** The x value of each column, left to right. */
  readonly xValues: ArrayLike<number>;
  /** The y value of each row, bottom to top (the top row shows the last); absent: a single row. */
  readonly yValues?: ArrayLike<number>;
  /** Axis titles (default ["x", "y"]). */
  readonly axisLabels?: readonly [string, string];
}

function stepOf(values: ArrayLike<number>): number {
  const n = values.length;
  return n > 1 ? Math.abs(values[n - 1]! - values[0]!) / (n - 1) : 0;
}

/** Lays out xValues.length x yValues.length decoded tiles, labelling the columns below and the rows on the left. */
export function gridManifold(decoded: TensorLike, options: GridManifoldOptions): Raster {
  const L = layoutOf({ ...options, gap: options.gap ?? 0 });
  const xs = options.xValues, ys = options.yValues ?? [];
  const cols = xs.length, rows = Math.max(1, ys.length);
  if (cols < 1) throw new VizError("gridManifold: xValues", { expected: "at least one value", found: "0" });
  const images = imageRows(decoded, options.imageShape, "decoded");
  if (images.n !== cols * rows) throw new VizError(`gridManifold: a ${rows} x ${cols} grid of tiles`, { expected: `${cols * rows} images`, found: `${images.n}` });
  const xLabels = Array.from(xs, (v) => formatNumber(v, stepOf(xs) / 10));
  const yLabels = Array.from(ys, (v) => formatNumber(v, stepOf(ys) / 10));
  const [xTitle, yTitle] = options.axisLabels ?? ["x", "y"];
  const yTickW = yLabels.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const xTickW = xLabels.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const titleH = options.title ? TITLE_HEIGHT : 0;
  const left = ys.length > 0 ? TEXT_HEIGHT + 6 + yTickW + 7 : 0;
  const bottom = 4 + 3 + TEXT_HEIGHT + 5 + TEXT_HEIGHT;
  const gridW = cols * L.tw + (cols - 1) * L.gap, gridH = rows * L.th + (rows - 1) * L.gap;
  const out = canvas(2 * L.padding + left + gridW, titleH + 2 * L.padding + gridH + bottom, options.background);
  const x0 = L.padding + left, y0 = titleH + L.padding;
  imageTiles(images, tileOptions(options)).forEach((t, i) => {
    blit(out, t, x0 + (i % cols) * (L.tw + L.gap), y0 + Math.floor(i / cols) * (L.th + L.gap), L.scale);
  });
  // every k-th label, so that neighbouring labels do not touch
  const everyX = Math.max(1, Math.ceil((xTickW + 6) / (L.tw + L.gap)));
  for (let c = 0; c < cols; c += everyX) {
    const cx = x0 + c * (L.tw + L.gap) + Math.floor(L.tw / 2);
    line(out, cx, y0 + gridH, cx, y0 + gridH + 3, AXIS, { antialias: false });
    drawText(out, xLabels[c]!, cx, y0 + gridH + 7, INK, { align: "center" });
  }
  drawText(out, xTitle, x0 + Math.floor(gridW / 2), y0 + gridH + 7 + TEXT_HEIGHT + 5, INK, { align: "center" });
  if (ys.length > 0) {
    const everyY = Math.max(1, Math.ceil((TEXT_HEIGHT + 4) / (L.th + L.gap)));
    for (let r = 0; r < rows; r += everyY) {
      const cy = y0 + r * (L.th + L.gap) + Math.floor(L.th / 2);
      line(out, x0 - 4, cy, x0 - 1, cy, AXIS, { antialias: false });
      drawText(out, yLabels[rows - 1 - r]!, x0 - 7, cy, INK, { align: "right", valign: "middle" });
    }
    drawText(out, yTitle, L.padding, y0 + Math.floor(gridH / 2), INK, { rotate: 90, align: "center" });
  }
  return finish(out, options.title, options.background);
}

/**
 * The codes of a grid in the plane origin + x u + y v: a tensor [rows * cols, latent], row r,
 * column c holding x = xValues[c], y = yValues[rows - 1 - r] (top row = highest y), the order
 * gridManifold lays out. Without yValues (or v) a single row along u.
 */
export function planeGridCodes(origin: ArrayLike<number>, u: ArrayLike<number>, xValues: ArrayLike<number>,
  v?: ArrayLike<number>, yValues?: ArrayLike<number>): Tensor {
  const latent = origin.length;
  if (u.length !== latent || (v && v.length !== latent)) throw new VizError("planeGridCodes: directions", { expected: `${latent} values each`, found: `${u.length} and ${v?.length ?? "none"}` });
  const ys = v && yValues ? yValues : [0];
  const cols = xValues.length, rows = ys.length;
  const z = new Float32Array(rows * cols * latent);
  for (let r = 0; r < rows; r++) {
    const y = ys[rows - 1 - r]!;
    for (let c = 0; c < cols; c++) {
      const x = xValues[c]!, o = (r * cols + c) * latent;
      for (let j = 0; j < latent; j++) z[o + j] = origin[j]! + x * u[j]! + (v && yValues ? y * v[j]! : 0);
    }
  }
  return tensor(z, [rows * cols, latent]);
}
