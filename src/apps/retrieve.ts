/**
 * Retrieval by nearest neighbours: precision@k and mAP@k with label relevance, and the picture
 * of queries beside their neighbours. Runtime-neutral.
 *
 * Protocol (leaveOneOut): a set of n labelled rows is both the queries and the references;
 * each query ranks the other n - 1 rows by Euclidean distance (exact in float64, ties to the
 * lower index: analysis/knn.ts), itself excluded. A reference is relevant to a query when
 * their labels are equal.
 *
 * For one query with relevance rel_1..rel_k of its ranked top k and R relevant references in all:
 *   precision@k = (1 / k) sum_i rel_i
 *   AP@k        = (1 / min(k, R)) sum_i rel_i * precision@i      (0 when R = 0)
 * so AP@k is 1 exactly when the top k are as relevant as they can be, and equals the full
 * average precision when k covers all references. precision@k and mAP@k are the means over
 * the queries.
 */
import type { Buffer } from "../backend/backend.js";
import { nearestNeighbours, type NeighbourOptions } from "../analysis/knn.js";
import { ConfigError } from "../nn/layer.js";
import { ShapeError, type TensorLike } from "../tensor/tensor.js";
import { drawText, measureText } from "../viz/font.js";
import { imageRows, imageTiles, type FourBandMode, type ImageShape } from "../viz/images.js";
import { blit, strokeRect, type Color, type Raster } from "../viz/raster.js";
import { canvas, finish, MUTED, TITLE_HEIGHT } from "../viz/figures/common.js";

/** precision@k of a ranked list given as relevance flags (its first k are used). */
export function precisionAtK(relevant: ArrayLike<boolean | number>, k: number): number {
  checkK(k, relevant.length);
  let hits = 0;
  for (let i = 0; i < k; i++) if (relevant[i]) hits++;
  return hits / k;
}

/** AP@k of a ranked list of relevance flags, with `totalRelevant` relevant references in all (see above). */
export function averagePrecisionAtK(relevant: ArrayLike<boolean | number>, k: number, totalRelevant: number): number {
  checkK(k, relevant.length);
  if (!Number.isSafeInteger(totalRelevant) || totalRelevant < 0) throw new ConfigError(`totalRelevant must be a non-negative integer, got ${totalRelevant}`);
  let hits = 0, sum = 0;
  for (let i = 0; i < k; i++) if (relevant[i]) { hits++; sum += hits / (i + 1); }
  if (hits > totalRelevant) throw new ConfigError(`the top ${k} hold ${hits} relevant references but totalRelevant is ${totalRelevant}`);
  return totalRelevant === 0 ? 0 : sum / Math.min(k, totalRelevant);
}

function checkK(k: number, n: number): void {
  if (!Number.isSafeInteger(k) || k < 1 || k > n) throw new ConfigError(`k must be an integer in 1..${n}, got ${k}`);
}

export interface Retrieval {
  readonly k: number;
  /** Mean precision@k over the queries. */
  readonly precision: number;
  /** Mean AP@k over the queries. */
  readonly map: number;
  /** [n, k]: row q lists the ranked neighbours of row q (indices into the set, q itself excluded). */
  readonly neighbours: Int32Array;
  readonly precisionPerQuery: Float64Array;
  readonly apPerQuery: Float64Array;
}

/**
 * Leave-one-out retrieval over the rows of x [n, d] with their labels: every row is a query
 * against the other n - 1 (1 <= k <= n - 1). Distances on the GEMM kernel (analysis/knn.ts).
 */
export function leaveOneOut<B extends Buffer = Buffer>(x: TensorLike, labels: ArrayLike<number>, k: number,
  options: NeighbourOptions<B> = {}): Retrieval {
  if (x.shape.length !== 2) throw new ShapeError(`leaveOneOut: x must be [n, d], got [${x.shape.join(", ")}]`);
  const n = x.shape[0]!;
  if (labels.length !== n) throw new ShapeError(`leaveOneOut: ${labels.length} labels for ${n} rows`);
  if (!Number.isSafeInteger(k) || k < 1 || k > n - 1) throw new ConfigError(`leaveOneOut: k must be an integer in 1..${n - 1} (the references of each query), got ${k}`);
  const count = new Map<number, number>();
  for (let i = 0; i < n; i++) count.set(labels[i]!, (count.get(labels[i]!) ?? 0) + 1);
  // k + 1 neighbours, then the query dropped: it is among them unless more than k rows coincide with it.
  const nb = nearestNeighbours(x, x, k + 1, options);
  const neighbours = new Int32Array(n * k), precisionPerQuery = new Float64Array(n), apPerQuery = new Float64Array(n);
  const rel = new Uint8Array(k);
  let sp = 0, sa = 0;
  for (let q = 0; q < n; q++) {
    let t = 0;
    for (let j = 0; j <= k && t < k; j++) {
      const i = nb.indices[q * (k + 1) + j]!;
      if (i !== q) neighbours[q * k + t++] = i;
    }
    for (let j = 0; j < k; j++) rel[j] = labels[neighbours[q * k + j]!] === labels[q] ? 1 : 0;
    precisionPerQuery[q] = precisionAtK(rel, k);
    apPerQuery[q] = averagePrecisionAtK(rel, k, count.get(labels[q]!)! - 1);
    sp += precisionPerQuery[q]!; sa += apPerQuery[q]!;
  }
  return { k, precision: sp / n, map: sa / n, neighbours, precisionPerQuery, apPerQuery };
}

/** The precision of a random ranking: the chance that a random other row shares the query's label, averaged over the rows. */
export function chancePrecision(labels: ArrayLike<number>): number {
  const n = labels.length;
  if (n < 2) throw new ConfigError(`chancePrecision: needs at least 2 rows, got ${n}`);
  const count = new Map<number, number>();
  for (let i = 0; i < n; i++) count.set(labels[i]!, (count.get(labels[i]!) ?? 0) + 1);
  let s = 0;
  for (const c of count.values()) s += (c * (c - 1)) / (n - 1);
  return s / n;
}

export interface RetrievalGridOptions {
  readonly imageShape: ImageShape;
  /** How 4-band images are shown (default "truecolor"). */
  readonly mode?: FourBandMode;
  readonly scale?: number;
  readonly title?: string;
  /** A label left of each query's row (e.g. its class). */
  readonly labels?: readonly string[];
}

const RELEVANT: Color = [30, 150, 60];
const IRRELEVANT: Color = [210, 40, 40];
const FRAME = 2, GAP = 2, QUERY_GAP = 12, PAD = 4, LABEL_GAP = 6;

/**
 * One row per query: the query, then its k neighbours nearest first, each neighbour framed green
 * when relevant and red when not (relevant null: no frames). queries [q, h*w*c], neighbours
 * [q * k, h*w*c] (query r's at rows r*k .. r*k + k - 1), values in [0, 1].
 */
export function retrievalGrid(queries: TensorLike, neighbours: TensorLike, relevant: ArrayLike<boolean | number> | null,
  options: RetrievalGridOptions): Raster {
  const tileOptions = { imageShape: options.imageShape, ...(options.mode ? { mode: options.mode } : {}) };
  const q = imageRows(queries, options.imageShape, "queries"), nb = imageRows(neighbours, options.imageShape, "neighbours");
  if (q.n === 0 ? nb.n !== 0 : nb.n % q.n !== 0) throw new ShapeError(`retrievalGrid: ${nb.n} neighbours are not k for each of ${q.n} queries`);
  const k = q.n === 0 ? 0 : nb.n / q.n;
  if (relevant && relevant.length !== nb.n) throw new ShapeError(`retrievalGrid: ${relevant.length} relevance flags for ${nb.n} neighbours`);
  const scale = options.scale ?? 2;
  const tw = options.imageShape[1] * scale, th = options.imageShape[0] * scale;
  const cellW = tw + 2 * FRAME, cellH = th + 2 * FRAME;
  let labelW = 0;
  for (const l of options.labels ?? []) labelW = Math.max(labelW, measureText(l).width);
  if (labelW > 0) labelW += LABEL_GAP;
  const titleH = options.title ? TITLE_HEIGHT : 0;
  const width = 2 * PAD + labelW + cellW + QUERY_GAP + k * cellW + Math.max(0, k - 1) * GAP;
  const height = titleH + 2 * PAD + q.n * cellH + Math.max(0, q.n - 1) * GAP;
  const out = canvas(width, height, undefined);
  const qt = imageTiles(q, tileOptions), nt = imageTiles(nb, tileOptions);
  for (let r = 0; r < q.n; r++) {
    const y = titleH + PAD + r * (cellH + GAP);
    const label = options.labels?.[r];
    if (label) drawText(out, label, PAD, y + Math.floor(cellH / 2), MUTED, { valign: "middle" });
    const x0 = PAD + labelW;
    blit(out, qt[r]!, x0 + FRAME, y + FRAME, scale);
    for (let j = 0; j < k; j++) {
      const x = x0 + cellW + QUERY_GAP + j * (cellW + GAP);
      if (relevant) strokeRect(out, x, y, cellW, cellH, relevant[r * k + j] ? RELEVANT : IRRELEVANT, FRAME);
      blit(out, nt[r * k + j]!, x + FRAME, y + FRAME, scale);
    }
  }
  return finish(out, options.title, undefined);
}
