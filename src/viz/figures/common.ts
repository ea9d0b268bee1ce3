/**
 * What every figure shares: its ink colours, the title band at the top, the checks of integer
 * options, and the blank canvas a figure is drawn on.
 */
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { blit, raster, VizError, WHITE, type Color, type Raster } from "../raster.js";

export const INK: Color = [33, 33, 33];
export const AXIS: Color = [80, 80, 80];
export const GRID: Color = [232, 232, 232];
export const MUTED: Color = [96, 96, 96];
export const TITLE_SCALE = 2;
/** Height of the band a title takes at the top of a figure. */
export const TITLE_HEIGHT = TEXT_HEIGHT * TITLE_SCALE + 8;

export function nonNegativeInt(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 0) throw new VizError(`${what} must be a non-negative integer`, { expected: "an integer >= 0", found: String(v) });
  return v;
}

export function positiveInt(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new VizError(`${what} must be a positive integer`, { expected: "an integer >= 1", found: String(v) });
  return v;
}

export function canvas(width: number, height: number, background: Color | undefined): Raster {
  return raster(Math.max(1, width), Math.max(1, height), background ?? WHITE);
}

function drawTitle(r: Raster, title: string | undefined, top = 4): void {
  if (title) drawText(r, title, Math.floor(r.width / 2), top, INK, { scale: TITLE_SCALE, align: "center" });
}

/** Draws the title; a title wider than the figure widens it, the figure centred below. */
export function finish(out: Raster, title: string | undefined, background: Color | undefined): Raster {
  if (!title) return out;
  const need = measureText(title, TITLE_SCALE).width + 16;
  let r = out;
  if (need > out.width) {
    r = canvas(need, out.height, background);
    blit(r, out, Math.floor((need - out.width) / 2), 0);
  }
  drawTitle(r, title);
  return r;
}
