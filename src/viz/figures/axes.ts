/**
 * Plots: the frame of the data area, the mapping of data to pixels, and the axes with title,
 * grid lines, ticks and labels that scatter plots and loss curves are drawn on.
 */
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { line, raster, strokeRect, VizError, type Color, type Raster } from "../raster.js";
import { AXIS, canvas, GRID, INK, TITLE_HEIGHT, TITLE_SCALE } from "./common.js";
import { formatNumber, niceTicks } from "./ticks.js";

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

/** The smallest and largest finite value of all the series ([Infinity, -Infinity] when there is none). */
export function finiteExtent(series: readonly ArrayLike<number>[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const values of series) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

export function dataRange(values: ArrayLike<number>, margin: number): [number, number] {
  const [lo, hi] = finiteExtent([values]);
  if (lo > hi) return [0, 1];
  if (hi === lo) { const h = Math.abs(lo) * 0.1 || 0.5; return [lo - h, hi + h]; }
  const m = (hi - lo) * margin;
  return [lo - m, hi + m];
}

export function checkRange(range: readonly [number, number] | undefined, what: string): void {
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
export function axes(spec: AxesSpec): Plot {
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
export function clipTo(out: Raster, frame: PlotFrame, draw: (target: Raster) => void): void {
  // draw into a scratch copy of the frame region, then copy back: simple and exact clipping
  const { left, top, width, height } = frame;
  const scratch = raster(width, height, [0, 0, 0, 0]);
  for (let y = 0; y < height; y++) scratch.data.set(out.data.subarray(((top + y) * out.width + left) * 4, ((top + y) * out.width + left + width) * 4), y * width * 4);
  const shifted: Raster = scratch;
  draw(shifted);
  for (let y = 0; y < height; y++) out.data.set(scratch.data.subarray(y * width * 4, (y + 1) * width * 4), ((top + y) * out.width + left) * 4);
}

export function sizeOf(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 64 || v > 8192) throw new VizError(`${what} of a plot`, { expected: "an integer in [64, 8192]", found: String(v) });
  return v;
}
