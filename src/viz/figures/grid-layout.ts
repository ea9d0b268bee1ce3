/** The options every image grid takes, and the tile size and spacing they give. */
import { checkImageShape, type FourBandMode, type ImageShape, type TileOptions } from "../images.js";
import type { Color } from "../raster.js";
import { nonNegativeInt, positiveInt } from "./common.js";

export interface GridOptions {
  readonly imageShape: ImageShape;
  /** Nearest-neighbour magnification of every tile (integer, default 2). */
  readonly scale?: number;
  /** Pixels between neighbouring tiles (default 2). */
  readonly gap?: number;
  /** Pixels around the whole figure (default 4). */
  readonly padding?: number;
  /** Fills the padding and gaps (default white). */
  readonly background?: Color;
  /** A line of text across the top (scale-2 font). */
  readonly title?: string;
  /** How 4-band images are shown (default "truecolor"). */
  readonly mode?: FourBandMode;
  /** Min/max stretch of each band (default "none"; "batch" stretches over all images of the figure). */
  readonly stretch?: TileOptions["stretch"];
  readonly layout?: TileOptions["layout"];
  readonly nanColor?: Color;
}

export interface Layout {
  readonly scale: number;
  readonly gap: number;
  readonly padding: number;
  readonly tw: number;
  readonly th: number;
}

export function layoutOf(o: GridOptions): Layout {
  checkImageShape(o.imageShape);
  const scale = positiveInt(o.scale, 2, "scale");
  return {
    scale,
    gap: nonNegativeInt(o.gap, 2, "gap"),
    padding: nonNegativeInt(o.padding, 4, "padding"),
    tw: o.imageShape[1] * scale,
    th: o.imageShape[0] * scale,
  };
}

export function tileOptions(o: GridOptions): TileOptions {
  return { imageShape: o.imageShape, mode: o.mode, stretch: o.stretch, layout: o.layout, nanColor: o.nanColor };
}
