/**
 * latent analyze: how well a model's codes keep the classes of its data, beside the raw pixels
 * and their PCA to the code's size, in figures (analysis.json and a printed table), pictures
 * (PNG files) and one self-contained page holding them all with the model's own pictures
 * (report.html). The steps, each in its own file: the input, checked before any long
 * computation (analyze-input.ts); the figures of each representation (analyze-metrics.ts); t-SNE
 * and UMAP of the PCA and the codes (analyze-embed.ts); the k-means clusters of the codes matched
 * to the classes (analyze-clusters.ts); the pictures (analyze-pictures.ts); the table and the
 * report (analyze-report.ts). Every key is split from --seed's. Bad input (flags, a model that
 * does not take the data, k > n, a perplexity too large for n, non-finite codes) is one line and
 * exit code 2 (src/cli/errors.ts).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { init } from "../../backend/default.js";
import { project, widePca } from "../../analysis/index.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { key, split, type Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { int, num, oneOf, parse, str, UsageError } from "../args.js";
import type { Io } from "../io.js";
import { matchClusters } from "./analyze-clusters.js";
import { embed, UMAP_NEIGHBOURS, type Embeddings } from "./analyze-embed.js";
import { DEFAULT_PERPLEXITY, MIN_SAMPLES, readInput } from "./analyze-input.js";
import { figures, firstTwo, plane, TRUST_K, type Representation } from "./analyze-metrics.js";
import { analysisPictures } from "./analyze-pictures.js";
import { reportHtml, tableLines, type Figures } from "./analyze-report.js";
import { dataSpec } from "./train.js";
import { applications } from "./analyze-apps.js";

export const analyzeHelp = `latent analyze --model FILE [--data mnist|fashion-mnist|DIR] [--n 2000] [--k K] [--perplexity ${DEFAULT_PERPLEXITY}] [--out analysis] [--seed 1]
  For n random test samples (drawn by --seed; at least ${MIN_SAMPLES}, at most the test split, with a note) as raw pixels,
  as their PCA to the code's size and as the model's codes (VAE: posterior means):
    k-means and Ward clustering into k clusters (--k: 2..100 and at most n; default the number of classes),
      scored against the labels by ACC, NMI and ARI;
    kNN (k = 1, 5) and linear-probe accuracy, trained on n random training samples;
    the trustworthiness (k = ${TRUST_K}) of a 2-D PCA of each, and of t-SNE and UMAP (${UMAP_NEIGHBOURS} neighbours) of the PCA
      and the codes; t-SNE's --perplexity must be at most (n - 1) / 3 (the default is lowered to fit, with a note).
  Writes into --out:
    analysis.json       every figure, and the k-means clusters of the codes against the classes
    codes-pca.png, codes-tsne.png, codes-umap.png    the codes in two dimensions by label (...-kmeans.png: by cluster)
    pca-tsne.png, pca-umap.png                       the same of the pixels' PCA, by label
    confusion.png       classes against the k-means clusters of the codes, matched as for ACC
    prototypes.png      each cluster's centroid decoded (4 bands: also prototypes-falsecolor.png, NIR, R, G)
    dendrogram.png      Ward linkage of the codes
    retrieval.png       test samples beside their nearest by code (precision@10 and mAP@10 of codes, pixels, PCA)
    anomaly.png         a model trained with --holdout-class: its scores (-ELBO or -log p(x | x_hat), MSE), the class
                        against the rest, with AUROC and AUPRC
    denoise.png         a model trained with --corrupt: clean, corrupted and denoised, with PSNR and SSIM
    sparse-activation.png, sparse-filters.png    a model trained with --sparsity or --code sigmoid: mean activation per
                        unit, the first layer's filters, and the share of near-zero activations
    report.html         one self-contained page: the table, these pictures, and the model's training curve (from the
                        metrics.jsonl beside the model, when there is one), samples (VAE), reconstructions,
                        interpolations and decoded manifold
  and prints the table. With the default n, about a minute on MNIST.`;

/** The first k columns of t [rows, w]. */
function keep(t: Tensor, k: number): Tensor {
  const [rows, w] = t.shape as [number, number];
  if (w === k) return t;
  const o = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) o.set(t.data.subarray(i * w, i * w + k), i * k);
  return tensor(o, [rows, k]);
}

export async function analyze(argv: string[], io: Io): Promise<void> {
  const { values } = parse(argv, {
    model: { type: "string" }, data: { type: "string" }, sat6: { type: "string" }, seed: { type: "string", default: "1" },
    isa: { type: "string", default: "auto" }, n: { type: "string", default: "2000" }, out: { type: "string", default: "analysis" },
    k: { type: "string" }, perplexity: { type: "string" },
  });
  if (values.help) { io.out(analyzeHelp); return; }
  const path = str(values, "model");
  if (!path) throw new UsageError("--model FILE is required (a model.safetensors written by latent train)");
  const request = {
    model: path, data: values.data !== undefined ? dataSpec(values) : null, n: int(values, "n", MIN_SAMPLES),
    k: values.k === undefined ? null : int(values, "k", 2, 100),
    perplexity: values.perplexity === undefined ? null : num(values, "perplexity", 0, Infinity, true),
  };
  const out = str(values, "out")!;
  const seed = int(values, "seed", 0);
  await init({ isa: oneOf(values, "isa", ["auto", "relaxed", "simd", "scalar"] as const) });
  // The first four keys are those of the command's first version, so its figures stay as they were.
  const [kmKey, probeKey, testKey, trainKey, tsneKey, umapKey, picturesKey, appsKey] = split(key(seed), 8) as [Key, Key, Key, Key, Key, Key, Key, Key];
  const a = await readInput(request, { test: testKey, train: trainKey }, io);
  const L = a.file.spec.latent;

  // PCA of the pixels, fit on the n analysed samples; its first two columns are the pixels' 2-D PCA.
  const fit = widePca(a.pixels.test, Math.min(Math.max(L, 2), a.d));
  const pcaTest = project(fit, a.pixels.test), pcaTrain = project(fit, a.pixels.train);
  const codesPlane = plane(a.codes.test);
  const reps: Record<"pixels" | "pca" | "codes", Representation> = {
    pixels: { ...a.pixels, plane: firstTwo(pcaTest) },
    pca: { test: keep(pcaTest, L), train: keep(pcaTrain, L), plane: firstTwo(pcaTest) },
    codes: { ...a.codes, plane: codesPlane },
  };
  const labelled = { testLabels: a.testLabels, trainLabels: a.trainLabels, classes: a.classes, clusters: a.k };
  const measured = {
    pixels: figures(reps.pixels, labelled, { kmeans: kmKey, probe: probeKey }),
    pca: figures(reps.pca, labelled, { kmeans: kmKey, probe: probeKey }),
    codes: figures(reps.codes, labelled, { kmeans: kmKey, probe: probeKey }),
  };
  const [tsneKeys, umapKeys] = [split(tsneKey, 2), split(umapKey, 2)] as [[Key, Key], [Key, Key]];
  const embeddings: Record<"pca" | "codes", Embeddings> = {
    pca: embed(reps.pca.test, a.perplexity, { tsne: tsneKeys[0], umap: umapKeys[0] }),
    codes: embed(reps.codes.test, a.perplexity, { tsne: tsneKeys[1], umap: umapKeys[1] }),
  };
  const results: Record<"pixels" | "pca" | "codes", Figures> = {
    pixels: measured.pixels.figures,
    pca: { ...measured.pca.figures, ...embeddings.pca.figures },
    codes: { ...measured.codes.figures, ...embeddings.codes.figures },
  };
  const km = measured.codes.kmeans;
  const match = matchClusters(a.testLabels, km.labels, a.classes, a.k);
  const pictures = analysisPictures(a, { codesPlane, kmeans: km, match, ward: measured.codes.ward, embeddings });
  const apps = applications(a, { pixels: reps.pixels.test, pca: reps.pca.test, codes: reps.codes.test }, appsKey);
  pictures.push(...apps.pictures);

  await mkdir(out, { recursive: true });
  const json = {
    model: path, data: a.ds.name, n: a.n, train: a.m, classes: a.classes, k: a.k, latent: L, kind: a.file.spec.kind, seed,
    perplexity: a.perplexity, umapNeighbours: UMAP_NEIGHBOURS, representations: results, applications: apps.figures,
    confusion: {
      of: "k-means clusters of the codes", rows: Array.from({ length: a.classes }, (_, c) => a.ds.classNames?.[c] ?? String(c)),
      clusters: match.order, matched: match.order.map((j) => (match.classOf[j]! >= 0 ? match.classOf[j] : null)), counts: match.counts,
    },
  };
  await writeFileAtomic(join(out, "analysis.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  for (const p of pictures) await writeFileAtomic(join(out, p.name), p.png);
  const html = await reportHtml({ input: a, seed, umapNeighbours: UMAP_NEIGHBOURS, representations: results, pictures, key: picturesKey, applications: apps.figures });
  await writeFileAtomic(join(out, "report.html"), new TextEncoder().encode(html));
  for (const line of tableLines(results)) io.out(line);
  io.out(`wrote ${join(out, "analysis.json")}, ${pictures.map((p) => p.name).join(", ")}, report.html`);
}
