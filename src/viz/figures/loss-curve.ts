/** Loss curves: one line per series over the epochs. */
import { line, marker, PALETTE, VizError, type Color } from "../raster.js";
import { axes, checkRange, clipTo, dataRange, sizeOf, toPixel, type Plot, type PlotFrame, type PlotOptions } from "./axes.js";
import { drawLegend, legendSize, type LegendEntry } from "./legend.js";

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
