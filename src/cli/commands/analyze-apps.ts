/**
 * The applications' figures and pictures in `latent analyze`, on the same n test samples:
 *   retrieval, for every model: leave-one-out precision@k and mAP@k of codes, pixels and PCA, and
 *     retrieval.png (queries beside their nearest by code);
 *   anomaly, for a model trained with --holdout-class: the AUROC and AUPRC of its own score (a
 *     VAE's -ELBO, an AE's -log p(x | x_hat)) and of the reconstruction error at finding that
 *     class, and anomaly.png (their histograms);
 *   denoising, for a model trained with --corrupt: the PSNR and SSIM of corrupted and denoised
 *     images (the training corruption, one key per sample), and denoise.png;
 *   sparse coding, for a model trained with --sparsity or with a sigmoid code: the share of
 *     near-zero activations and the mean activation, sparse-activation.png, and the first
 *     layer's filters (sparse-filters.png) when that layer is dense.
 * Images are scored on the model's input scale, clipped to [0, 1]. The keys: split(key, 4) for
 * the corruption, the anomaly score, the pictured queries and the pictured denoised samples.
 */
import { chancePrecision, clip01, codeActivity, corruptionName, corruptRows, denoiseRows, denoiseScores, detection, leaveOneOut, retrievalGrid } from "../../apps/index.js";
import { pickSamples } from "../../data/dataset.js";
import { ConfigError } from "../../nn/layer.js";
import { split, type Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { gatherRows, tensorRows } from "../../tensor/rows.js";
import { interpolationStrips, type ReportSection, type ReportTable } from "../../viz/index.js";
import type { ImageShape } from "../../viz/images.js";
import { encodePng } from "../../viz/node/png.js";
import type { Raster } from "../../viz/raster.js";
import type { AnalysisInput } from "./analyze-input.js";
import type { AnalysisPicture } from "./analyze-pictures.js";
import { scoreHistograms } from "./anomaly-picture.js";
import { rawScores } from "./anomaly-score.js";
import { shown, storedCorruption } from "./denoise.js";
import { activationHistogram, filterPicture } from "./sparse-pictures.js";
import { sigmoidCode, storedHoldout, storedPenalty } from "./train-apps.js";

/** Neighbours of the retrieval figures, queries pictured, denoised images pictured, filters pictured, and the near-zero threshold. */
export const RETRIEVAL_K = 10;
const QUERIES = 6, DENOISED = 10, FILTERS = 100, EPS = 0.01;

type Pair = { auroc: number; auprc: number };
export interface Applications {
  /** k, the chance precision, and per representation its precision@k and mAP@k. */
  readonly retrieval: { readonly k: number; readonly chance: number; readonly scores: Readonly<Record<string, { precision: number; map: number }>> };
  /** Per score (the model's own, then "mse"), its AUROC and AUPRC at finding the held-out class. */
  readonly anomaly: { readonly class: number; readonly prevalence: number; readonly scores: Readonly<Record<string, Pair>> } | null;
  readonly denoise: { readonly corrupt: string; readonly corrupted: { psnr: number | null; ssim: number }; readonly denoised: { psnr: number | null; ssim: number } } | null;
  /** Shares of near-zero activations (|a| < eps; |a| < eps * the unit's max |a|) and the mean activation. */
  readonly sparse: { readonly eps: number; readonly penalty: string | null; readonly nearZeroAbsolute: number; readonly nearZeroRelative: number; readonly meanActivation: number } | null;
}

export interface ApplicationsOutput {
  readonly figures: Applications;
  readonly pictures: AnalysisPicture[];
}

export function applications(a: AnalysisInput, reps: Readonly<Record<string, Tensor>>, key: Key): ApplicationsOutput {
  const [corruptKey, anomalyKey, queryKey, denoisedKey] = split(key, 4) as [Key, Key, Key, Key];
  const pictures: AnalysisPicture[] = [];
  const add = (name: string, caption: string, r: Raster) => { pictures.push({ name, caption, section: "applications", png: encodePng(r) }); };
  const shape = a.ds.imageShape as ImageShape, d = a.d, L = a.file.spec.latent;
  const what = a.file.spec.kind === "vae" ? "posterior mean" : "code";
  const className = (y: number) => a.ds.classNames?.[y] ?? String(y);

  const k = Math.min(RETRIEVAL_K, a.n - 1);
  const scores: Record<string, { precision: number; map: number }> = {};
  let byCode: Int32Array | null = null;
  for (const [name, x] of Object.entries(reps)) {
    const r = leaveOneOut(x, a.testLabels, k);
    scores[name] = { precision: r.precision, map: r.map };
    if (name === "codes") byCode = r.neighbours;
  }
  const retrieval = { k, chance: chancePrecision(a.testLabels), scores };
  if (byCode) {
    const q = Math.min(QUERIES, a.n), queries = pickSamples(queryKey, a.n, q);
    const order = Array.from(queries).flatMap((r) => Array.from(byCode!.subarray(r * k, (r + 1) * k)));
    const pick = (rows: readonly number[]) => shown(a.norm, gatherRows(a.pixels.test.data, d, rows), d);
    add("retrieval.png", `${q} test samples (left), each beside its ${k} nearest of the other ${a.n - 1} by ${what}; a green frame marks the same class, a red one another`,
      retrievalGrid(pick(Array.from(queries)), pick(order), order.map((j, t) => a.testLabels[j] === a.testLabels[queries[Math.floor(t / k)]!]), {
        imageShape: shape, scale: 2, mode: "truecolor", labels: Array.from(queries, (r) => className(a.testLabels[r]!)),
        title: `nearest neighbours by ${what}`,
      }));
  }

  const training = a.file.training;
  const held = storedHoldout((training as { holdoutClass?: unknown } | undefined)?.holdoutClass);
  let anomaly: Applications["anomaly"] = null;
  if (held !== null && a.testLabels.includes(held) && a.testLabels.some((y) => y !== held)) {
    const positive = Uint8Array.from(a.testLabels, (y) => (y === held ? 1 : 0));
    const scored = rawScores(a.file, tensorRows(a.pixels.test), anomalyKey, null).map((s) => ({ ...s, result: detection(s.values, positive) }));
    anomaly = { class: held, prevalence: scored[0]!.result.prevalence, scores: Object.fromEntries(scored.map((s) => [s.name, { auroc: s.result.auroc, auprc: s.result.auprc }])) };
    add("anomaly.png", `the scores of the ${a.n} test samples, class ${className(held)} (left out of training) against the rest, as densities`,
      scoreHistograms(scored, positive, held, 30, `class ${className(held)} against the rest`));
  }

  const c = storedCorruption(training, a.path);
  let denoise: Applications["denoise"] = null;
  if (c !== null) {
    const clean = a.pixels.test.data;
    const ids = Uint32Array.from({ length: a.n }, (_, i) => i);
    const corrupted = corruptRows(c, corruptKey, Float32Array.from(clean), d, ids);
    const denoised = denoiseRows(a.file.model, a.file.params, tensor(corrupted, [a.n, d])).data;
    const s = denoiseScores(clip01(clean), { corrupted: clip01(corrupted), denoised: clip01(denoised) }, shape);
    denoise = { corrupt: corruptionName(c), corrupted: s.corrupted, denoised: s.denoised };
    const m = Math.min(DENOISED, a.n), picked = pickSamples(denoisedKey, a.n, m).sort();
    const at = (v: Float32Array) => shown(a.norm, clip01(gatherRows(v, d, picked)), d);
    add("denoise.png", `${m} random test samples of the n: clean, corrupted by ${denoise.corrupt} (the training corruption), and denoised by the model`,
      interpolationStrips([clean, corrupted, denoised].map(at), { imageShape: shape, scale: 2, mode: "truecolor", labels: ["clean", "corrupted", "denoised"], title: `${denoise.corrupt}, denoised` }));
  }

  const penalty = storedPenalty((training as { sparsity?: unknown } | undefined)?.sparsity);
  let sparse: Applications["sparse"] = null;
  if (penalty !== null || sigmoidCode(a.file.model)) {
    const act = codeActivity(a.codes.test.data, a.n, L, EPS);
    sparse = {
      eps: EPS, penalty: penalty === null ? null : penalty.type === "l1" ? `l1:${penalty.weight}` : `kl:${penalty.rho}:${penalty.weight}`, nearZeroAbsolute: act.nearZeroAbsolute, nearZeroRelative: act.nearZeroRelative,
      meanActivation: act.mean.reduce((s, v) => s + v, 0) / L,
    };
    add("sparse-activation.png", `each of the ${L} code units' mean activation over the ${a.n} test samples`, activationHistogram(act, a.n, what, 30));
    try {
      const f = filterPicture(a.file, shape, shape[2] === 1 ? "diverging" : "grey", FILTERS);
      add("sparse-filters.png", `the encoder's first layer, ${f.intoCode ? "the weights into each code unit" : "each first hidden unit's weights"} as an image (${f.shown} of ${f.units})`, f.raster);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
    }
  }
  return { figures: { retrieval, anomaly, denoise, sparse }, pictures };
}

const f = (v: number | null): string | number => (v === null ? "inf" : v);

export function applicationsSection(apps: Applications, pictures: readonly AnalysisPicture[], what: string): ReportSection {
  const r = apps.retrieval;
  const tables: ReportTable[] = [{
    caption: `Retrieval: each test sample queries the other n - 1 by Euclidean distance; a neighbour is relevant when it shares the label (chance precision ${r.chance.toFixed(3)})`,
    columns: ["representation", `precision@${r.k}`, `mAP@${r.k}`],
    rows: Object.entries(r.scores).map(([name, v]) => [name, v.precision, v.map]),
  }];
  if (apps.anomaly) {
    const names: Record<string, string> = { elbo: "negative ELBO", nll: "-log p(x | x_hat)", mse: "reconstruction error (MSE)" };
    tables.push({ caption: `Anomaly detection: class ${apps.anomaly.class}, left out of training, against the rest (AUPRC of an uninformative score: ${apps.anomaly.prevalence.toFixed(3)})`,
      columns: ["score", "AUROC", "AUPRC"], rows: Object.entries(apps.anomaly.scores).map(([s, v]) => [names[s] ?? s, v.auroc, v.auprc]) });
  }
  if (apps.denoise) {
    tables.push({ caption: `Denoising: the training corruption ${apps.denoise.corrupt}, PSNR (dB, peak 1, per image) and SSIM against the clean images`,
      columns: ["images", "PSNR", "SSIM"], rows: [["corrupted", f(apps.denoise.corrupted.psnr), apps.denoise.corrupted.ssim], ["denoised", f(apps.denoise.denoised.psnr), apps.denoise.denoised.ssim]] });
  }
  if (apps.sparse) {
    const s = apps.sparse;
    tables.push({ caption: `Sparse coding${s.penalty ? ` (trained with the penalty ${s.penalty})` : " (a sigmoid code, trained without a sparsity penalty)"}: shares of the ${what} activations near zero`,
      columns: [`|a| < ${s.eps}`, `|a| < ${s.eps} x the unit's max`, "mean activation"], rows: [[s.nearZeroAbsolute, s.nearZeroRelative, s.meanActivation]] });
  }
  const text = [`The applications on the same test samples, with the ${what}s.`
    + (apps.anomaly ? "" : " The model was not trained with --holdout-class, so there is no anomaly figure (latent anomaly scores one).")
    + (apps.denoise ? "" : " The model was not trained with --corrupt, so there is no denoising figure (latent denoise corrupts on request).")
    + (apps.sparse ? "" : " The model has neither a sparsity penalty nor a sigmoid code, so there is no sparse-coding figure (latent sparse measures any code).")];
  return { heading: "Applications", text, tables, images: pictures.map((p) => ({ caption: `${p.name}: ${p.caption}`, image: p.png })) };
}
