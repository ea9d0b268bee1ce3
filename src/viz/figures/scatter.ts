/** The scatter plot of codes coloured by class. */
import type { TensorLike } from "../../tensor/tensor.js";
import { marker, PALETTE, VizError, type MarkerShape } from "../raster.js";
import { axes, checkRange, clipTo, dataRange, sizeOf, toPixel, type Plot, type PlotFrame, type PlotOptions } from "./axes.js";
import { drawLegend, legendSize, type LegendEntry } from "./legend.js";

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
