/**
 * A confusion matrix as a heat map: one row per true class (top to bottom), one column per
 * predicted class or cluster (left to right), each cell shaded by its share t of its row
 * (shade "row", the default: the row's recall) or of the largest count (shade "max"), from
 * CONFUSION_LOW at t = 0 to CONFUSION_HIGH at t = 1 (linear in each channel, rounded), with its
 * count written in the middle: white on cells with t > 0.5, ink on the others. Row names are
 * right-aligned left of the grid; column names are centred under it, turned a quarter turn when
 * one is wider than a cell; the row label runs bottom to top left of the row names, the column
 * label under the column names.
 *
 * Layout, in pixels, for c the cell side, P = CONFUSION_PADDING and G = CONFUSION_GAP:
 *   left   = P + (rowLabel ? TEXT_HEIGHT + G : 0) + (widest row name) + G     x of the grid
 *   top    = (title ? TITLE_HEIGHT : 0) + P                                    y of the grid
 *   width  = left + cols*c + 1 + P, or more for a column label wider than the grid: the label is
 *            centred under the grid unless that would cross the left edge, and the figure ends P
 *            pixels after it
 *   height = top + rows*c + 1 + G + names + (columnLabel ? G + TEXT_HEIGHT : 0) + P
 * where names is TEXT_HEIGHT, or the widest column name when they are turned. The grid is
 * cols*c + 1 by rows*c + 1 pixels of GRID lines; cell (i, j) fills the (c - 1)-pixel square at
 * (left + j*c + 1, top + i*c + 1). A title wider than the figure widens it, the figure centred
 * under the title. Counts must be non-negative integers; anything else is a VizError.
 */
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { rect, VizError, WHITE, type Color, type Raster } from "../raster.js";
import { canvas, finish, GRID, INK, positiveInt, TITLE_HEIGHT } from "./common.js";

/** The shade of t = 0 and of t = 1 (matplotlib's "Blues" ends). */
export const CONFUSION_LOW: Color = [247, 251, 255];
export const CONFUSION_HIGH: Color = [8, 48, 107];
export const CONFUSION_PADDING = 10;
export const CONFUSION_GAP = 6;

export interface ConfusionOptions {
  /** Names of the rows, top to bottom (default "0", "1", ...). */
  readonly rowNames?: readonly string[];
  /** Names of the columns, left to right (default "0", "1", ...). */
  readonly columnNames?: readonly string[];
  /** Label of the rows' axis (default "true class"; "" for none). */
  readonly rowLabel?: string;
  /** Label of the columns' axis (default "predicted"; "" for none). */
  readonly columnLabel?: string;
  readonly title?: string;
  /** Side of a cell in pixels, grid line included (default: the widest count + 10, at least 26). */
  readonly cellSize?: number;
  /** What a cell's shade is the share of: its row's total (default) or the largest count. */
  readonly shade?: "row" | "max";
  readonly background?: Color;
}

/** The colour of share t in [0, 1]. */
export function confusionShade(t: number): Color {
  const u = Math.min(1, Math.max(0, t));
  const mix = (k: number): number => Math.round(CONFUSION_LOW[k]! + (CONFUSION_HIGH[k]! - CONFUSION_LOW[k]!) * u);
  return [mix(0), mix(1), mix(2)];
}

function checkCounts(counts: readonly ArrayLike<number>[]): { rows: number; cols: number } {
  if (!Array.isArray(counts) || counts.length === 0) {
    throw new VizError("confusionMatrix: counts", { expected: "a non-empty array of rows", found: Array.isArray(counts) ? "no rows" : typeof counts });
  }
  const cols = counts[0]?.length ?? 0;
  if (!(cols > 0)) throw new VizError("confusionMatrix: row 0", { expected: "at least one count", found: String(cols) });
  counts.forEach((row, i) => {
    if (!row || row.length !== cols) throw new VizError(`confusionMatrix: row ${i}`, { expected: `${cols} counts`, found: String(row?.length) });
    for (let j = 0; j < cols; j++) {
      const v = row[j]!;
      if (!Number.isSafeInteger(v) || v < 0) throw new VizError(`confusionMatrix: count (${i}, ${j})`, { expected: "a non-negative integer", found: String(v) });
    }
  });
  return { rows: counts.length, cols };
}

function names(given: readonly string[] | undefined, n: number, what: string): readonly string[] {
  if (given === undefined) return Array.from({ length: n }, (_, i) => String(i));
  if (!Array.isArray(given) || given.length !== n) throw new VizError(`confusionMatrix: ${what}`, { expected: `${n} names`, found: String(given?.length) });
  return given.map(String);
}

/** The counts[i][j] (rows: true classes, columns: predictions) drawn as described above. */
export function confusionMatrix(counts: readonly ArrayLike<number>[], options: ConfusionOptions = {}): Raster {
  const { rows, cols } = checkCounts(counts);
  const rowNames = names(options.rowNames, rows, "rowNames"), colNames = names(options.columnNames, cols, "columnNames");
  const shade = options.shade ?? "row";
  if (shade !== "row" && shade !== "max") throw new VizError("confusionMatrix: shade", { expected: '"row" or "max"', found: String(shade) });
  const rowLabel = options.rowLabel ?? "true class", colLabel = options.columnLabel ?? "predicted";
  let widestCount = 0, max = 0;
  for (const row of counts) for (let j = 0; j < cols; j++) { widestCount = Math.max(widestCount, measureText(String(row[j])).width); max = Math.max(max, row[j]!); }
  const c = positiveInt(options.cellSize, Math.max(26, widestCount + 10), "confusionMatrix: cellSize");
  const P = CONFUSION_PADDING, G = CONFUSION_GAP;
  const rowNamesW = rowNames.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const colNamesW = colNames.reduce((m, s) => Math.max(m, measureText(s).width), 0);
  const turn = colNamesW > c - 2;
  const namesH = turn ? colNamesW : TEXT_HEIGHT;
  const left = P + (rowLabel ? TEXT_HEIGHT + G : 0) + rowNamesW + G;
  const top = (options.title ? TITLE_HEIGHT : 0) + P;
  const gridW = cols * c + 1, gridH = rows * c + 1;
  // the column label is centred under the grid, moved right when it would cross the left edge
  const labelW = colLabel ? measureText(colLabel).width : 0;
  const labelX = Math.max(left + Math.floor(gridW / 2), P + Math.ceil(labelW / 2));
  const width = Math.max(left + gridW + P, labelX + Math.ceil(labelW / 2) + P);
  const out = canvas(width, top + gridH + G + namesH + (colLabel ? G + TEXT_HEIGHT : 0) + P, options.background);
  rect(out, left, top, gridW, gridH, GRID);
  for (let i = 0; i < rows; i++) {
    const row = counts[i]!;
    let total = 0;
    for (let j = 0; j < cols; j++) total += row[j]!;
    const whole = shade === "row" ? total : max;
    for (let j = 0; j < cols; j++) {
      const t = whole > 0 ? row[j]! / whole : 0;
      const x = left + j * c + 1, y = top + i * c + 1;
      rect(out, x, y, c - 1, c - 1, confusionShade(t));
      drawText(out, String(row[j]), x + Math.floor((c - 1) / 2), y + Math.floor((c - 1) / 2), t > 0.5 ? WHITE : INK, { align: "center", valign: "middle" });
    }
    drawText(out, rowNames[i]!, left - G, top + i * c + 1 + Math.floor((c - 1) / 2), INK, { align: "right", valign: "middle" });
  }
  const namesTop = top + gridH + G;
  colNames.forEach((name, j) => {
    const x = left + j * c + 1 + Math.floor((c - 1) / 2);
    if (turn) drawText(out, name, x, namesTop, INK, { rotate: 90, align: "right", valign: "middle" });
    else drawText(out, name, x, namesTop, INK, { align: "center" });
  });
  if (rowLabel) drawText(out, rowLabel, P, top + Math.floor(gridH / 2), INK, { rotate: 90, align: "center" });
  if (colLabel) drawText(out, colLabel, labelX, namesTop + namesH + G, INK, { align: "center" });
  return finish(out, options.title, options.background);
}
