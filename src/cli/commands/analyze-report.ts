/**
 * The figures table of `latent analyze` (printed, and in the report) and report.html: one
 * self-contained page (viz.renderReport) with the table, the analysis's pictures, and the
 * model's own pictures (pictures.ts's runPictures: the training curve from the metrics.jsonl
 * beside the model file when there is one, samples for a VAE, reconstructions, interpolations,
 * the decoded manifold), drawn from the key it is given.
 */
import { access } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Key } from "../../random/index.js";
import type { EpochMetrics } from "../../train/fit.js";
import { renderReport, type ReportImage, type ReportSection } from "../../viz/index.js";
import { readHistory } from "../metrics-file.js";
import { runPictures } from "../pictures.js";
import type { EmbeddingFigures } from "./analyze-embed.js";
import { applicationsSection, type Applications } from "./analyze-apps.js";
import type { AnalysisInput } from "./analyze-input.js";
import { TRUST_K, type RepresentationFigures } from "./analyze-metrics.js";
import type { AnalysisPicture, PictureSection } from "./analyze-pictures.js";

export type Figures = RepresentationFigures & Partial<EmbeddingFigures>;

/** Columns of the table: the printed header's and the report's. */
const COLUMNS: readonly (readonly [string, string])[] = [
  ["representation", "representation"], ["dim", "dim"],
  ["km acc", "k-means ACC"], ["km nmi", "NMI"], ["km ari", "ARI"], ["ward acc", "Ward ACC"], ["ward nmi", "NMI"], ["ward ari", "ARI"],
  ["knn1", "kNN k=1"], ["knn5", "kNN k=5"], ["probe", "linear probe"], ["trust", "trust. 2-D PCA"], ["tsne", "trust. t-SNE"], ["umap", "trust. UMAP"],
];

/** One row per representation; NaN where a figure was not computed (no t-SNE or UMAP of the pixels). */
function rows(reps: Readonly<Record<string, Figures>>): (string | number)[][] {
  return Object.entries(reps).map(([name, r]) => [name, r.dim, r.kmeans.acc, r.kmeans.nmi, r.kmeans.ari, r.ward.acc, r.ward.nmi, r.ward.ari,
    r.knn.k1, r.knn.k5, r.probe, r.trustworthiness, r.tsne?.trustworthiness ?? NaN, r.umap?.trustworthiness ?? NaN]);
}

const TABLE_NOTE = `ACC: accuracy under the best matching of clusters to classes; trust: trustworthiness (k = ${TRUST_K}) of the 2-D embedding named`;

/** The printed table: columns as wide as their widest cell, "-" where a figure was not computed. */
export function tableLines(reps: Readonly<Record<string, Figures>>): string[] {
  const text = rows(reps).map((r) => r.map((v, j) => (typeof v === "string" ? v : j === 1 ? String(v) : Number.isFinite(v) ? v.toFixed(3) : "-")));
  const head = COLUMNS.map(([h]) => h);
  const w = head.map((h, j) => Math.max(h.length, ...text.map((r) => r[j]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join("  ");
  return [line(head), ...text.map(line), TABLE_NOTE];
}

/** The training history of the model at path: the metrics.jsonl beside it, up to its epochs. */
async function history(a: AnalysisInput): Promise<{ file: string; epochs: EpochMetrics[]; note: string | null }> {
  const file = join(dirname(a.path), "metrics.jsonl");
  if (!(await access(file).then(() => true, () => false))) return { file, epochs: [], note: `There is no metrics.jsonl beside the model (${file}), so there is no training curve.` };
  const done = (a.file.training as { epochsDone?: unknown } | undefined)?.epochsDone;
  const epochs = await readHistory(file, Number.isSafeInteger(done) ? (done as number) : Number.MAX_SAFE_INTEGER);
  return { file, epochs, note: epochs.length > 0 ? null : `${file} holds no epochs of this model, so there is no training curve.` };
}

/** The model's own pictures, in the report's order: the training curve first. */
async function modelSection(a: AnalysisInput, key: Key): Promise<ReportSection> {
  const h = await history(a);
  const order = ["loss.png", "samples.png", "reconstructions.png", "reconstructions-falsecolor.png", "reconstructions-nir.png", "interpolation.png", "manifold.png"];
  const pictures = runPictures(a.file.model, a.file.params, a.ds, h.epochs, key, a.norm)
    .filter((p) => order.includes(p.name)).sort((x, y) => order.indexOf(x.name) - order.indexOf(y.name));
  const images: ReportImage[] = pictures.map((p) => ({ caption: p.name === "loss.png" ? `${p.caption} (${h.file})` : p.caption, image: p.make() }));
  const text = [`Drawn from the model, on test samples picked at random from the whole test split of ${a.ds.name} (not only the n analysed).`];
  if (h.note) text.push(h.note);
  return { heading: "The model", text, images };
}

export interface ReportInput {
  readonly input: AnalysisInput;
  readonly seed: number;
  readonly umapNeighbours: number;
  readonly representations: Readonly<Record<string, Figures>>;
  readonly pictures: readonly AnalysisPicture[];
  /** The key of the model's pictures. */
  readonly key: Key;
  readonly applications: Applications;
}

export async function reportHtml(r: ReportInput): Promise<string> {
  const a = r.input, spec = a.file.spec;
  const what = spec.kind === "vae" ? "posterior means" : "codes";
  const imagesOf = (s: PictureSection): ReportImage[] => r.pictures.filter((p) => p.section === s).map((p) => ({ caption: `${p.name}: ${p.caption}`, image: p.png }));
  const sections: ReportSection[] = [
    {
      heading: "Figures",
      text: [`Each representation of the ${a.n} test samples: the raw pixels, their PCA to the code's ${spec.latent} dimensions, and the model's ${what}.`
        + ` k-means and Ward clustering into k = ${a.k} clusters, scored against the labels by ACC, NMI and ARI; kNN and linear-probe accuracy`
        + ` trained on ${a.m} training samples; the trustworthiness (k = ${TRUST_K}) of 2-D embeddings of each (t-SNE and UMAP of the PCA and the ${what} only).`],
      tables: [{ columns: COLUMNS.map(([, c]) => c), rows: rows(r.representations) }],
    },
    { heading: `The ${what} in two dimensions`, images: imagesOf("plane") },
    { heading: `Clusters of the ${what}`, images: imagesOf("clusters") },
    applicationsSection(r.applications, r.pictures.filter((p) => p.section === "applications"), what === "codes" ? "code" : "posterior mean"),
    await modelSection(a, r.key),
  ];
  return renderReport({
    title: `latent analyze: ${a.path}`,
    subtitle: [
      `A ${spec.kind.toUpperCase()} with a ${spec.latent}-dimensional latent, on ${a.ds.name}: ${a.n} test samples, ${a.m} training samples, ${a.classes} classes.`,
      `Seed ${r.seed}; k-means and Ward with k = ${a.k}; t-SNE perplexity ${+a.perplexity.toFixed(3)}; UMAP with ${r.umapNeighbours} neighbours.`,
    ],
    sections,
  });
}
