/**
 * The k-means clusters of the codes against the classes: the Hungarian matching of clusters to
 * classes that clusteringAccuracy scores (most samples on the matched pairs), the confusion
 * matrix with its columns in that order (for k >= classes the matched pairs lie on its diagonal,
 * which sums to ACC * n; for k < classes the classes left without a cluster break the diagonal),
 * and each cluster's centroid decoded to an image, its prototype.
 */
import { linearAssignment, type KMeansResult } from "../../analysis/index.js";
import type { Dataset } from "../../data/dataset.js";
import type { Normalization } from "../../data/normalize.js";
import type { ModelFile } from "../../io/model-file.js";
import { decodeRows } from "../../models/batched.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { blit, confusionMatrix, drawText, imageSheet, LINE_HEIGHT, measureText, TITLE_HEIGHT, type Raster } from "../../viz/index.js";
import { canvas, finish, INK, MUTED } from "../../viz/figures/common.js";
import type { FourBandMode, ImageShape } from "../../viz/images.js";
import { fourBandModes, shown } from "../pictures.js";

export interface ClusterMatch {
  /** counts[c][j]: test samples of class c in cluster order[j]. */
  readonly counts: number[][];
  /** The clusters in column order: those matched to class 0, 1, ... in turn, then the unmatched ones by index. */
  readonly order: number[];
  /** The class each cluster is matched to, or -1 (when k > classes). */
  readonly classOf: Int32Array;
  /** Samples in each cluster. */
  readonly sizes: Int32Array;
}

/** The matching of clusters 0..k-1 to classes 0..classes-1 that puts the most samples on matched pairs. */
export function matchClusters(labels: ArrayLike<number>, clusters: ArrayLike<number>, classes: number, k: number): ClusterMatch {
  const table = new Float64Array(classes * k), sizes = new Int32Array(k);
  for (let i = 0; i < labels.length; i++) {
    const cell = labels[i]! * k + clusters[i]!;
    table[cell] = table[cell]! + 1;
    sizes[clusters[i]!] = sizes[clusters[i]!]! + 1;
  }
  const assign = linearAssignment(table.map((v) => -v), classes, k);
  const classOf = new Int32Array(k).fill(-1);
  const order: number[] = [];
  for (let c = 0; c < classes; c++) if (assign[c]! >= 0) { classOf[assign[c]!] = c; order.push(assign[c]!); }
  for (let j = 0; j < k; j++) if (classOf[j] === -1) order.push(j);
  const counts = Array.from({ length: classes }, (_, c) => order.map((j) => table[c * k + j]!));
  return { counts, order, classOf, sizes };
}

const className = (ds: Dataset, c: number): string => ds.classNames?.[c] ?? String(c);

/**
 * Colours of the clusters for a scatter plot: a cluster matched to class c takes c's colour
 * (as in the plot by label), the unmatched ones the colours after the classes'. Returns the
 * colour index of each sample and the legend's names by colour index ("class (cluster j)").
 */
export function clusterColours(match: ClusterMatch, labels: ArrayLike<number>, ds: Dataset, classes: number): { colour: Uint8Array; names: string[] } {
  const of = new Int32Array(match.classOf.length);
  const names: string[] = [];
  let next = classes;
  match.order.forEach((j) => {
    of[j] = match.classOf[j]! >= 0 ? match.classOf[j]! : next++;
    names[of[j]!] = match.classOf[j]! >= 0 ? `${className(ds, match.classOf[j]!)} (cluster ${j})` : `cluster ${j}`;
  });
  return { colour: Uint8Array.from(labels, (j) => of[j]!), names: Array.from(names, (s, i) => s ?? String(i)) };
}

export function confusionPicture(match: ClusterMatch, ds: Dataset, classes: number, title: string): Raster {
  return confusionMatrix(match.counts, {
    title, rowNames: Array.from({ length: classes }, (_, c) => className(ds, c)), columnNames: match.order.map(String),
    rowLabel: "class", columnLabel: "k-means cluster",
  });
}

/** Tiles of about this many pixels on their longer side. */
const PROTOTYPE_TILE = 96;

/**
 * The decoded centroids in the order of `match`, in rows of at most 10, each labelled under its
 * tile with its matched class (or "none") and its size; imageSheet's documented layout places
 * the labels in the gaps between rows.
 */
function labelledSheet(images: Tensor, match: ClusterMatch, ds: Dataset, mode: FourBandMode, title: string): Raster {
  const shape = ds.imageShape as ImageShape;
  const scale = Math.max(1, Math.floor(PROTOTYPE_TILE / Math.max(shape[0], shape[1])));
  const gap = 2 * LINE_HEIGHT + 6, columns = Math.min(10, match.order.length);
  const sheet = imageSheet(images, { imageShape: shape, scale, gap, padding: gap, columns, mode });
  const out = canvas(sheet.width, sheet.height + TITLE_HEIGHT, undefined);
  blit(out, sheet, 0, TITLE_HEIGHT);
  const tw = shape[1] * scale, th = shape[0] * scale;
  match.order.forEach((j, p) => {
    const x = gap + (p % columns) * (tw + gap) + Math.floor(tw / 2);
    const y = TITLE_HEIGHT + gap + Math.floor(p / columns) * (th + gap) + th + 3;
    let name = match.classOf[j]! >= 0 ? className(ds, match.classOf[j]!) : "none";
    while (name.length > 1 && measureText(name).width > tw + gap - 4) name = name.slice(0, -1);
    drawText(out, name, x, y, INK, { align: "center" });
    drawText(out, `n=${match.sizes[j]}`, x, y + LINE_HEIGHT, MUTED, { align: "center" });
  });
  return finish(out, title, undefined);
}

/** The prototypes sheet (4-band data: in true colour and in false colour), with file-name suffixes. */
export function prototypePictures(file: ModelFile, norm: Normalization, ds: Dataset, km: KMeansResult, match: ClusterMatch, what: string)
  : { suffix: string; how: string; raster: Raster }[] {
  const decoded = shown(norm, decodeRows(file.model, file.params, km.centroids));
  const D = decoded.shape[1]!;
  const ordered = new Float32Array(match.order.length * D);
  match.order.forEach((j, p) => ordered.set(decoded.data.subarray(j * D, (j + 1) * D), p * D));
  const images = tensor(ordered, [match.order.length, D]);
  const title = `decoded k-means centroids of the ${what}`;
  if (ds.imageShape[2] !== 4) return [{ suffix: "", how: "", raster: labelledSheet(images, match, ds, "truecolor", title) }];
  return fourBandModes.slice(0, 2).map(([mode, how], i) => ({
    suffix: i === 0 ? "" : `-${mode}`, how, raster: labelledSheet(images, match, ds, mode, `${title}, ${how}`),
  }));
}
