/**
 * The dendrogram of a hierarchical clustering, truncated like SciPy's
 * dendrogram(Z, truncate_mode="lastp", p): only the last p - 1 merges are drawn, so the
 * tree has p leaves; a leaf that stands for a merged cluster is labelled with its size in
 * parentheses, a leaf that is one point with the point's index.
 */
import { checkLinkage, type Linkage } from "../../analysis/hierarchical.js";
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { line, type Color, type Raster } from "../raster.js";
import { sizeOf, toPixel, type PlotFrame } from "./axes.js";
import { AXIS, canvas, GRID, INK, positiveInt, TITLE_HEIGHT, TITLE_SCALE } from "./common.js";
import { formatNumber, niceTicks } from "./ticks.js";

export interface DendrogramOptions {
  /** Number of leaves: the last lastP - 1 merges are drawn (default 30; n or more draws the whole tree). */
  readonly lastP?: number;
  readonly title?: string;
  /** Label of the vertical axis (default "distance"). */
  readonly yLabel?: string;
  /** Size of the whole figure (default 560 x 360). */
  readonly width?: number;
  readonly height?: number;
  /** Colour of the links (default the figures' ink). */
  readonly color?: Color;
  readonly background?: Color;
}

/**
 * Leaves are laid out left to right by a depth-first walk from the root, the first cluster
 * of each merge (the smaller id) on the left; a merge is drawn as a bracket at its distance,
 * centred above its two children; leaves sit at distance 0.
 */
export function dendrogram(l: Linkage | Float64Array, options: DendrogramOptions = {}): Raster {
  const { n, matrix } = checkLinkage(l, "dendrogram");
  const p = Math.min(positiveInt(options.lastP, 30, "dendrogram: lastP"), n);
  const width = sizeOf(options.width, 560, "width"), height = sizeOf(options.height, 360, "height");
  const firstShown = 2 * n - p; // clusters numbered from here on are drawn as merges
  const sizeOfCluster = (c: number): number => (c < n ? 1 : matrix[(c - n) * 4 + 3]!);
  // leaves, in drawing order
  const leaves: number[] = [];
  const stack = [2 * n - 2];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (c < firstShown) { leaves.push(c); continue; }
    stack.push(matrix[(c - n) * 4 + 1]!, matrix[(c - n) * 4]!);
  }
  const labels = leaves.map((c) => (c < n ? String(c) : `(${sizeOfCluster(c)})`));
  const top = 2 * n - 2 >= firstShown ? matrix[(n - 2) * 4 + 2]! : 0;
  const yHi = top > 0 ? top * 1.05 : 1;
  const yTicks = niceTicks(0, yHi, Math.max(2, Math.round(height / 70)));
  const yLabels = yTicks.values.map((v) => formatNumber(v, yTicks.step));
  const yTickW = yLabels.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const yLabel = options.yLabel ?? "distance";
  const pad = 10;
  const left = pad + (yLabel ? TEXT_HEIGHT + 8 : 0) + yTickW + 8;
  const fw = Math.max(2, width - left - pad - 6);
  const slot = fw / leaves.length;
  const labelW = labels.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const rotate = labelW + 4 > slot;
  const labelH = rotate ? labelW : TEXT_HEIGHT;
  const frameTop = pad + (options.title ? TITLE_HEIGHT + 2 : 4);
  const fh = Math.max(2, height - frameTop - pad - 6 - labelH);
  const frame: PlotFrame = { left, top: frameTop, width: fw, height: fh, xRange: [0, leaves.length], yRange: [0, yHi] };
  const out = canvas(width, height, options.background);
  const ink = options.color ?? INK;
  // vertical axis: grid lines, ticks and their labels
  yTicks.values.forEach((v, i) => {
    if (v > yHi) return;
    const y = Math.round(toPixel(frame, 0, v)[1]);
    line(out, left, y, left + fw - 1, y, GRID, { antialias: false });
    line(out, left - 5, y, left - 2, y, AXIS, { antialias: false });
    drawText(out, yLabels[i]!, left - 8, y, INK, { align: "right", valign: "middle" });
  });
  line(out, left - 2, frameTop, left - 2, frameTop + fh - 1, AXIS, { antialias: false });
  // the brackets, children before parents, each child at its x and height
  const xOf = new Map<number, number>();
  leaves.forEach((c, i) => xOf.set(c, i + 0.5));
  const heightOf = (c: number): number => (c < firstShown ? 0 : matrix[(c - n) * 4 + 2]!);
  const px = (x: number, y: number): [number, number] => { const [a, b] = toPixel(frame, x, y); return [Math.round(a), Math.round(b)]; };
  for (let c = firstShown; c <= 2 * n - 2; c++) {
    const a = matrix[(c - n) * 4]!, b = matrix[(c - n) * 4 + 1]!;
    const xa = xOf.get(a)!, xb = xOf.get(b)!, h = heightOf(c);
    xOf.set(c, (xa + xb) / 2);
    const [ax, ay] = px(xa, heightOf(a)), [bx, by] = px(xb, heightOf(b)), [, hy] = px(0, h);
    line(out, ax, ay, ax, hy, ink, { antialias: false });
    line(out, bx, by, bx, hy, ink, { antialias: false });
    line(out, ax, hy, bx, hy, ink, { antialias: false });
  }
  // leaf labels under the frame, and a tick for each leaf
  const base = frameTop + fh;
  leaves.forEach((_, i) => {
    const [x] = px(i + 0.5, 0);
    line(out, x, base, x, base + 2, AXIS, { antialias: false });
    if (rotate) drawText(out, labels[i]!, x, base + 5, INK, { rotate: 90, align: "right", valign: "middle" });
    else drawText(out, labels[i]!, x, base + 5, INK, { align: "center" });
  });
  if (options.title) drawText(out, options.title, left + Math.floor(fw / 2), pad, INK, { scale: TITLE_SCALE, align: "center" });
  if (yLabel) drawText(out, yLabel, pad, frameTop + Math.floor(fh / 2), INK, { rotate: 90, align: "center" });
  return out;
}
