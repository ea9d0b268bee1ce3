/**
 * The pictures of `latent compare`: each a side-by-side figure, the models in the order given
 * (left, right), each panel labelled by the model's kind, latent size and file. 4-band images
 * (R, G, B, NIR) are drawn twice: true colour (R, G, B) in NAME.png and false colour
 * (NIR, R, G) in NAME-falsecolor.png; other data once, in NAME.png.
 */
import type { Raster } from "../../viz/raster.js";
import type { FourBandMode, ImageShape } from "../../viz/images.js";
import { imageSheet, interpolationStrips } from "../../viz/figures/image-grids.js";
import { scatterPlot } from "../../viz/figures/scatter.js";
import { gridManifold } from "../../viz/figures/grid-manifold.js";
import { drawDataRect, drawGaussianContours } from "../../viz/figures/plot-overlays.js";
import { sideBySide } from "../../viz/figures/side-by-side.js";
import { GRID, GRID_PERCENTILES, rowSlice, SHOWN_DRAWS, STEPS, type ModelStudy, type Samples } from "./compare-model.js";

export type PictureKind = "codes" | "grid" | "draws" | "interpolation";

export interface Picture {
  /** File name inside the output folder. */
  readonly file: string;
  readonly kind: PictureKind;
  /** What the picture shows, for the report. */
  readonly caption: string;
  readonly raster: Raster;
}

const CONTOUR: readonly [number, number, number] = [20, 20, 20];
const GRID_BOX: readonly [number, number, number] = [150, 150, 150];

/** "AE", "VAE" */
export function kindName(s: ModelStudy): string {
  return s.file.spec.kind.toUpperCase();
}

/** The last two parts of a path ("run/model.safetensors"): enough to tell two run folders apart. */
export function shortPath(path: string): string {
  return path.split(/[\\/]+/).filter((p) => p !== "").slice(-2).join("/") || path;
}

export function panelLabel(s: ModelStudy): string {
  return `${kindName(s)} (latent ${s.file.spec.latent}): ${shortPath(s.path)}`;
}

/** The headline and the smaller second line over a model's panel. */
function panelLabels(studies: readonly ModelStudy[]): { labels: string[]; sublabels: string[] } {
  return { labels: studies.map((s) => `${kindName(s)}, latent ${s.file.spec.latent}`), sublabels: studies.map((s) => shortPath(s.path)) };
}

const modes = (channels: number): readonly (readonly [FourBandMode, string, string])[] =>
  channels === 4 ? [["truecolor", "", "true colour (R, G, B)"], ["falsecolor", "-falsecolor", "false colour (NIR, R, G)"]] : [["truecolor", "", ""]];

function codesPanel(st: ModelStudy, s: Samples): Raster {
  const labels = s.ds.test.labels ? Uint8Array.from(s.idx, (i) => s.ds.test.labels![i]!) : null;
  const what = st.file.spec.kind === "vae" ? "posterior means" : "codes";
  const plot = scatterPlot(st.plane, labels, {
    title: `${s.idx.length} test ${what}`, xLabel: st.axisLabels[0], yLabel: st.axisLabels[1],
    ...(s.ds.classNames ? { classNames: s.ds.classNames } : {}), width: 580, height: 460,
  });
  const { xValues: xs, yValues: ys } = st.grid;
  if (ys) drawDataRect(plot, xs[0]!, xs[xs.length - 1]!, ys[0]!, ys[ys.length - 1]!, GRID_BOX);
  if (st.planeGaussian) drawGaussianContours(plot, st.planeGaussian.mean, st.planeGaussian.covariance, [1, 2], CONTOUR);
  return plot;
}

/** Every picture, in the order the report shows them. */
export function comparePictures(studies: readonly ModelStudy[], s: Samples): Picture[] {
  const imageShape = s.ds.imageShape as ImageShape;
  const heads = panelLabels(studies);
  const out: Picture[] = [];
  const [p0, p1] = GRID_PERCENTILES;
  out.push({
    file: "codes.png", kind: "codes",
    caption: `Test codes (VAE: posterior means) coloured by label; a 2-D latent is drawn as is, a wider one in its first two principal components. `
      + `Black: the 1 and 2 sd contours (39% and 86% of the mass) of the Gaussian fitted to the codes. Grey box: the span of the decoded grid (${p0}th to ${p1}th percentile).`,
    raster: sideBySide(studies.map((st) => codesPanel(st, s)), { ...heads, title: "code spaces" }),
  });
  const pairLabel = ([a, b]: readonly [number, number]): string => {
    const la = s.ds.test.labels?.[s.idx[a]!], lb = s.ds.test.labels?.[s.idx[b]!];
    const name = (l: number | undefined, pos: number): string => l === undefined ? `#${s.idx[pos]}` : s.ds.classNames?.[l] ?? String(l);
    return `${name(la, a)} > ${name(lb, b)}`;
  };
  for (const [mode, suffix, colour] of modes(imageShape[2])) {
    const inColour = colour ? `, ${colour}` : "";
    out.push({
      file: `grid${suffix}.png`, kind: "grid",
      caption: `Decodes over a ${GRID} x ${GRID} grid (a 1-D latent: a row of ${GRID}) spanning the ${p0}th to ${p1}th percentile of each plotted coordinate `
        + `(a wider latent: along its first two principal directions, the other coordinates at the mean)${inColour}.`,
      raster: sideBySide(studies.map((st) => gridManifold(st.grid.decoded, {
        imageShape, xValues: st.grid.xValues, ...(st.grid.yValues ? { yValues: st.grid.yValues } : {}),
        axisLabels: st.basis === "pca" ? ["pc1", "pc2"] : ["z1", "z2"],
        scale: 1, mode,
      })), { ...heads, title: `decoded over each code space's range${inColour}` }),
    });
    out.push({
      file: `draws${suffix}.png`, kind: "draws",
      caption: `Decodes of ${SHOWN_DRAWS} draws from a Gaussian (full covariance) fitted to each model's test codes; the same standard normal draws feed both models where their latents match in size${inColour}.`,
      raster: sideBySide(studies.map((st) => imageSheet(rowSlice(st.draws, 0, Math.min(SHOWN_DRAWS, st.draws.shape[0]!)), { imageShape, scale: 2, columns: 8, mode })),
        { ...heads, title: `draws from a Gaussian fitted to the codes${inColour}` }),
    });
    out.push({
      file: `interpolation${suffix}.png`, kind: "interpolation",
      caption: `Decodes along the straight line between the codes of the same ${s.pairs.length} pairs of test images for both models, ${STEPS} steps, ends included${inColour}.`,
      raster: sideBySide(studies.map((st) => interpolationStrips(st.interpolations, { imageShape, scale: 2, labels: s.pairs.map(pairLabel), mode })),
        { ...heads, title: `interpolation between the same test images${inColour}` }),
    });
  }
  return out;
}
