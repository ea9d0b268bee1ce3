/**
 * The applications' figures in `latent analyze`, on the same n test samples: retrieval for every
 * model (leave-one-out precision@k and mAP@k of codes, pixels and PCA); for a model trained with
 * --holdout-class, the AUROC and AUPRC of its reconstruction error at finding that class; for a
 * model trained with --corrupt, the PSNR and SSIM of corrupted and denoised images (the training
 * corruption, one key per sample). Images are scored on the model's input scale, clipped to [0, 1].
 */
import { chancePrecision, clip01, corruptionName, corruptRows, denoiseRows, denoiseScores, detection, leaveOneOut, reconstructionErrors } from "../../apps/index.js";
import type { Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { tensorRows } from "../../tensor/rows.js";
import type { ReportSection, ReportTable } from "../../viz/index.js";
import type { AnalysisInput } from "./analyze-input.js";
import { storedCorruption } from "./denoise.js";
import { storedHoldout } from "./train-apps.js";

/** Neighbours of the retrieval figures. */
export const RETRIEVAL_K = 10;

export interface Applications {
  /** k, the chance precision, and per representation its precision@k and mAP@k. */
  readonly retrieval: { readonly k: number; readonly chance: number; readonly scores: Readonly<Record<string, { precision: number; map: number }>> };
  readonly anomaly: { readonly class: number; readonly auroc: number; readonly auprc: number; readonly prevalence: number } | null;
  readonly denoise: { readonly corrupt: string; readonly corrupted: { psnr: number | null; ssim: number }; readonly denoised: { psnr: number | null; ssim: number } } | null;
}

export function applications(a: AnalysisInput, reps: Readonly<Record<string, Tensor>>, key: Key): Applications {
  const k = Math.min(RETRIEVAL_K, a.n - 1);
  const scores: Record<string, { precision: number; map: number }> = {};
  for (const [name, x] of Object.entries(reps)) { const r = leaveOneOut(x, a.testLabels, k); scores[name] = { precision: r.precision, map: r.map }; }
  const retrieval = { k, chance: chancePrecision(a.testLabels), scores };
  const training = a.file.training;
  const held = storedHoldout((training as { holdoutClass?: unknown } | undefined)?.holdoutClass);
  let anomaly: Applications["anomaly"] = null;
  if (held !== null && a.testLabels.includes(held) && a.testLabels.some((y) => y !== held)) {
    const scores = reconstructionErrors(a.file.model, a.file.params, tensorRows(a.pixels.test));
    const det = detection(scores, Array.from(a.testLabels, (y) => y === held));
    anomaly = { class: held, auroc: det.auroc, auprc: det.auprc, prevalence: det.prevalence };
  }
  const c = storedCorruption(training, a.path);
  let denoise: Applications["denoise"] = null;
  if (c !== null) {
    const clean = a.pixels.test.data;
    const ids = Uint32Array.from({ length: a.n }, (_, i) => i);
    const corrupted = corruptRows(c, key, Float32Array.from(clean), a.d, ids);
    const denoised = denoiseRows(a.file.model, a.file.params, tensor(corrupted, [a.n, a.d]));
    const s = denoiseScores(clip01(clean), { corrupted: clip01(corrupted), denoised: clip01(denoised.data) }, a.ds.imageShape);
    denoise = { corrupt: corruptionName(c), corrupted: s.corrupted, denoised: s.denoised };
  }
  return { retrieval, anomaly, denoise };
}

const f = (v: number | null): string | number => (v === null ? "inf" : v);

export function applicationsSection(apps: Applications, what: string): ReportSection {
  const r = apps.retrieval;
  const tables: ReportTable[] = [{
    caption: `Retrieval: each test sample queries the other n - 1 by Euclidean distance; a neighbour is relevant when it shares the label (chance precision ${r.chance.toFixed(3)})`,
    columns: ["representation", `precision@${r.k}`, `mAP@${r.k}`],
    rows: Object.entries(r.scores).map(([name, v]) => [name, v.precision, v.map]),
  }];
  if (apps.anomaly) {
    tables.push({ caption: `Anomaly detection: class ${apps.anomaly.class}, left out of training, against the rest by the reconstruction error (AUPRC of an uninformative score: ${apps.anomaly.prevalence.toFixed(3)})`,
      columns: ["score", "AUROC", "AUPRC"], rows: [["reconstruction error", apps.anomaly.auroc, apps.anomaly.auprc]] });
  }
  if (apps.denoise) {
    tables.push({ caption: `Denoising: the training corruption ${apps.denoise.corrupt}, PSNR (dB, peak 1, per image) and SSIM against the clean images`,
      columns: ["images", "PSNR", "SSIM"], rows: [["corrupted", f(apps.denoise.corrupted.psnr), apps.denoise.corrupted.ssim], ["denoised", f(apps.denoise.denoised.psnr), apps.denoise.denoised.ssim]] });
  }
  const text = [`The applications on the same test samples, with the ${what}.`
    + (apps.anomaly ? "" : " The model was not trained with --holdout-class, so there is no anomaly figure (latent anomaly scores one).")
    + (apps.denoise ? "" : " The model was not trained with --corrupt, so there is no denoising figure (latent denoise corrupts on request).")];
  return { heading: "Applications", text, tables };
}
