/**
 * Figures placed side by side, left to right in the order given, each under its own label (and
 * an optional smaller second line, the sublabel), with an optional title across the top: for
 * comparing two models' pictures of the same kind.
 *
 * Layout: every panel sits in a slot as wide as the widest of the panel, its label and its
 * sublabel, centred in it and top-aligned; slots are `gap` pixels apart with `padding` around
 * everything.
 *   width  = 2*padding + sum(slot widths) + (k - 1)*gap
 *   height = titleHeight + labelHeight + sublabelHeight + 2*padding + max(panel heights)
 * labelHeight is 9*s + 8 with labels (0 without), s = 2 when every label fits its panel at the
 * scale-2 font, else 1; sublabelHeight is 9 + 6 with sublabels (scale 1), else 0.
 */
import { drawText, measureText, TEXT_HEIGHT } from "../font.js";
import { blit, VizError, type Color, type Raster } from "../raster.js";
import { canvas, finish, INK, MUTED, nonNegativeInt, TITLE_HEIGHT } from "./common.js";

export interface SideBySideOptions {
  /** One label per panel, drawn above it (e.g. the model's kind and file). */
  readonly labels?: readonly string[];
  /** One smaller line per panel under its label (e.g. the model's file). */
  readonly sublabels?: readonly string[];
  readonly title?: string;
  /** Pixels between neighbouring panels (default 16). */
  readonly gap?: number;
  /** Pixels around the whole figure (default 6). */
  readonly padding?: number;
  readonly background?: Color;
}

export function sideBySide(panels: readonly Raster[], options: SideBySideOptions = {}): Raster {
  if (!Array.isArray(panels) || panels.length === 0) throw new VizError("sideBySide: panels", { expected: "at least one raster", found: String(Array.isArray(panels) ? panels.length : typeof panels) });
  const labels = options.labels, subs = options.sublabels;
  if (labels && labels.length !== panels.length) throw new VizError("sideBySide: one label per panel", { expected: `${panels.length} labels`, found: `${labels.length}` });
  if (subs && subs.length !== panels.length) throw new VizError("sideBySide: one sublabel per panel", { expected: `${panels.length} sublabels`, found: `${subs.length}` });
  const gap = nonNegativeInt(options.gap, 16, "gap"), padding = nonNegativeInt(options.padding, 6, "padding");
  const labelScale = labels && labels.every((l, i) => measureText(l, 2).width <= panels[i]!.width) ? 2 : 1;
  const labelH = labels && labels.some((l) => l.length > 0) ? TEXT_HEIGHT * labelScale + 8 : 0;
  const subH = subs && subs.some((l) => l.length > 0) ? TEXT_HEIGHT + 6 : 0;
  const slots = panels.map((p, i) => Math.max(p.width, labels ? measureText(labels[i]!, labelScale).width : 0, subs ? measureText(subs[i]!).width : 0));
  const titleH = options.title ? TITLE_HEIGHT : 0;
  const width = 2 * padding + slots.reduce((a, b) => a + b, 0) + (panels.length - 1) * gap;
  const height = titleH + labelH + subH + 2 * padding + panels.reduce((m, p) => Math.max(m, p.height), 0);
  const out = canvas(width, height, options.background);
  let x = padding;
  panels.forEach((p, i) => {
    const slot = slots[i]!;
    if (labels && labels[i]) drawText(out, labels[i]!, x + Math.floor(slot / 2), titleH + padding, INK, { scale: labelScale, align: "center" });
    if (subs && subs[i]) drawText(out, subs[i]!, x + Math.floor(slot / 2), titleH + padding + labelH, MUTED, { align: "center" });
    blit(out, p, x + Math.floor((slot - p.width) / 2), titleH + padding + labelH + subH);
    x += slot + gap;
  });
  return finish(out, options.title, options.background);
}
