/**
 * Figures of images in rows: reconstructions under their originals, sheets of samples, and
 * interpolation strips.
 *
 * Image grids: with tiles of tw = w*scale by th = h*scale pixels, `columns` tiles per row,
 * `gap` pixels between tiles and `padding` around everything, a grid of R rows measures
 *   width  = 2*padding + labelWidth + columns*tw + (columns - 1)*gap
 *   height = titleHeight + 2*padding + R*th + (R - 1)*gap
 * where labelWidth is 0 without row labels and titleHeight is 0 without a title (TITLE_HEIGHT
 * with one; a title wider than the grid widens the figure, the grid centred under it).
 * Zero images give a valid, empty figure of at least 1 x 1 pixels.
 */
import type { TensorLike } from "../../tensor/tensor.js";
import { drawText, measureText } from "../font.js";
import { imageRows, imageTiles } from "../images.js";
import { blit, VizError, type Raster } from "../raster.js";
import { canvas, finish, MUTED, nonNegativeInt, positiveInt, TITLE_HEIGHT } from "./common.js";
import { layoutOf, tileOptions, type GridOptions } from "./grid-layout.js";

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
