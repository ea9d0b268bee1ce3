/** The legend box of a plot: a swatch (marker or line) and a name per entry. */
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { line, marker, rect, strokeRect, type Color, type Raster } from "../raster.js";
import { INK } from "./common.js";

export interface LegendEntry {
  readonly name: string;
  readonly color: Color;
  readonly kind: "marker" | "line";
}

const LEGEND_ROW = 12;
const LEGEND_SWATCH = 14;

export function legendSize(entries: readonly LegendEntry[]): { width: number; height: number } {
  const nameW = entries.reduce((m, e) => Math.max(m, measureText(e.name).width), 0);
  return { width: 6 + LEGEND_SWATCH + 5 + nameW + 6, height: 4 + entries.length * LEGEND_ROW + 2 };
}

export function drawLegend(r: Raster, entries: readonly LegendEntry[], x: number, y: number, markerSize: number): void {
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
