/**
 * Histograms: counts of values in equal-width bins, and the figure of one or more series drawn
 * over the same bins (translucent bars, each series outlined in its colour, a legend right of
 * the frame when there is more than one series or a series is named).
 *
 * Bins (numpy's convention): `bins` equal intervals of [lo, hi], edges lo + (hi - lo) k / bins;
 * bin k holds lo_k <= v < lo_{k+1}, the last one also v = hi. Values outside [lo, hi] are
 * counted as below / above and left out of the bins, or (overflow "clamp") put into the first /
 * last bin; NaN and infinities are never binned (counted as nonFinite; "clamp" bins infinities).
 * The default range is [min, max] of the finite values of every series (one range for all, so
 * series compare bin by bin); a single distinct value v gets [v - 0.5, v + 0.5].
 * Heights: counts, or (density) count / (n * bin width) with n the series' binned values, so
 * each series' bars have area 1 and series of different sizes compare. Runtime-neutral.
 */
import { rect, PALETTE, VizError, type Color } from "../raster.js";
import { axes, checkRange, clipTo, finiteExtent, sizeOf, toPixel, type Plot, type PlotFrame, type PlotOptions } from "./axes.js";
import { drawLegend, legendSize, type LegendEntry } from "./legend.js";

export interface HistogramCounts {
  /** bins + 1 ascending edges. */
  readonly edges: Float64Array;
  readonly counts: Float64Array;
  /** Finite values below lo / above hi (0 with overflow "clamp", which bins them). */
  readonly below: number;
  readonly above: number;
  /** NaN and infinite values (infinities are binned, and not counted here, with overflow "clamp"). */
  readonly nonFinite: number;
}

export interface BinOptions {
  /** Number of bins (default 30). */
  readonly bins?: number;
  /** [lo, hi] of the bins (default: the values' finite range). */
  readonly range?: readonly [number, number];
  /** Values outside the range: left out ("drop", default) or put into the end bins ("clamp"). */
  readonly overflow?: "drop" | "clamp";
}

function binCount(bins: number | undefined): number {
  const b = bins ?? 30;
  if (!Number.isSafeInteger(b) || b < 1 || b > 100_000) throw new VizError("histogram bins", { expected: "an integer in [1, 100000]", found: String(b) });
  return b;
}

/** The finite range of all the values ([v - 0.5, v + 0.5] for one distinct value, [0, 1] for none). */
export function valueRange(series: readonly ArrayLike<number>[]): [number, number] {
  const [lo, hi] = finiteExtent(series);
  if (lo > hi) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** `bins` equal-width edges of [lo, hi] (bins + 1 of them, the last exactly hi). */
export function binEdges(lo: number, hi: number, bins: number): Float64Array {
  checkRange([lo, hi], "histogram range");
  const b = binCount(bins);
  const edges = new Float64Array(b + 1);
  for (let k = 0; k <= b; k++) edges[k] = k === b ? hi : lo + ((hi - lo) * k) / b;
  return edges;
}

/** Counts of the values in equal-width bins (conventions above). */
export function histogramCounts(values: ArrayLike<number>, o: BinOptions = {}): HistogramCounts {
  if (!values || typeof values.length !== "number") throw new VizError("histogramCounts: values", { expected: "an array of numbers", found: typeof values });
  const [lo, hi] = o.range ?? valueRange([values]);
  const edges = binEdges(lo, hi, binCount(o.bins));
  const b = edges.length - 1;
  const clamp = o.overflow === "clamp";
  const counts = new Float64Array(b);
  let below = 0, above = 0, nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v) || (!clamp && !Number.isFinite(v))) { nonFinite++; continue; }
    if (v < lo || v > hi) {
      if (!clamp) { if (v < lo) below++; else above++; continue; }
      const e = v < lo ? 0 : b - 1;
      counts[e] = counts[e]! + 1;
      continue;
    }
    let k = Math.min(b - 1, Math.floor(((v - lo) / (hi - lo)) * b));
    // the edges decide: move one bin where the division rounded across an edge
    if (k > 0 && v < edges[k]!) k--;
    else if (k < b - 1 && v >= edges[k + 1]!) k++;
    counts[k] = counts[k]! + 1;
  }
  return { edges, counts, below, above, nonFinite };
}

export interface HistogramSeries {
  readonly name?: string;
  readonly values: ArrayLike<number>;
  readonly color?: Color;
}

export interface HistogramOptions extends PlotOptions, BinOptions {
  /** Bar heights as densities (each series' area 1) instead of counts (default false). */
  readonly density?: boolean;
  /** Opacity of the bars' fill, 0..1 (default 0.45 for several series, 0.8 for one). */
  readonly alpha?: number;
}

/** The figure's plot, with the counts it drew (one per series, in order). */
export interface HistogramPlot extends Plot {
  readonly histograms: readonly HistogramCounts[];
}

/** One or more series binned over the same edges and drawn on shared axes (default 560 x 360). */
export function histogram(series: readonly HistogramSeries[], options: HistogramOptions = {}): HistogramPlot {
  if (!Array.isArray(series) || series.length === 0) throw new VizError("histogram: series", { expected: "at least one {values}", found: Array.isArray(series) ? "none" : typeof series });
  series.forEach((s, k) => {
    if (!s || !s.values || typeof s.values.length !== "number") throw new VizError(`histogram: series ${k}`, { expected: "{values: number[]}", found: typeof s });
  });
  checkRange(options.range, "histogram range");
  checkRange(options.yRange, "yRange");
  const range = options.range ?? valueRange(series.map((s) => s.values));
  const bin: BinOptions = { bins: options.bins, range, overflow: options.overflow };
  const hists = series.map((s) => histogramCounts(s.values, bin));
  const edges = hists[0]!.edges;
  const heights = hists.map((h) => {
    if (!options.density) return h.counts;
    const n = h.counts.reduce((a, c) => a + c, 0);
    return h.counts.map((c, k) => (n > 0 ? c / (n * (edges[k + 1]! - edges[k]!)) : 0));
  });
  const top = heights.reduce((m, hs) => hs.reduce((a, v) => Math.max(a, v), m), 0);
  const colors = series.map((s, k) => s.color ?? PALETTE[k % PALETTE.length]!);
  const entries: LegendEntry[] = series.length > 1 || series[0]!.name
    ? series.map((s, k) => ({ name: s.name ?? `series ${k + 1}`, color: colors[k]!, kind: "marker" })) : [];
  const legend = entries.length ? legendSize(entries) : null;
  const plot = axes({
    width: sizeOf(options.width, 560, "width"), height: sizeOf(options.height, 360, "height"),
    title: options.title, xLabel: options.xLabel, yLabel: options.yLabel ?? (options.density ? "density" : "count"),
    xRange: options.xRange ?? [range[0], range[1]], yRange: options.yRange ?? [0, top > 0 ? top * 1.05 : 1],
    rightReserve: legend ? legend.width + 8 : 0, background: options.background,
  });
  const f = plot.frame;
  const alpha = Math.min(1, Math.max(0, options.alpha ?? (series.length > 1 ? 0.45 : 0.8)));
  clipTo(plot, f, (target) => {
    const local: PlotFrame = { ...f, left: 0, top: 0 };
    const [, y0] = toPixel(local, 0, 0);
    heights.forEach((hs, s) => {
      const c = colors[s]!;
      for (let k = 0; k < hs.length; k++) {
        if (!(hs[k]! > 0)) continue;
        const x0 = Math.round(toPixel(local, edges[k]!, 0)[0]), x1 = Math.round(toPixel(local, edges[k + 1]!, 0)[0]);
        const y = Math.round(toPixel(local, 0, hs[k]!)[1]);
        const bottom = Math.round(y0);
        rect(target, x0, y, Math.max(1, x1 - x0), bottom - y + 1, [c[0], c[1], c[2], Math.round(alpha * 255)]);
        rect(target, x0, y, Math.max(1, x1 - x0), 1, c); // the bar's top in the full colour
      }
    });
  });
  if (legend) drawLegend(plot, entries, f.left + f.width + 1 + 8, f.top, 3);
  return Object.assign(plot, { histograms: hists });
}
