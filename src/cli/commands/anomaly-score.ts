/**
 * One model's anomaly scores for `latent anomaly`: the class to detect (the model's held-out
 * class, or --class), the test images (all, or n drawn by the seed's first key), and per score
 * (higher = more anomalous) its values and its AUROC/AUPRC against that class:
 *   VAE  "elbo": the negative ELBO with beta 1 (one z per image, from the seed's second key), or
 *        with K the negative importance-weighted bound on K samples;
 *   AE   "nll": -log p(x | x_hat), the AE's own loss (its likelihood term);
 *   both "mse": the mean squared error per value of the reconstruction at z = mean.
 */
import { detection, objectiveScores, reconstructionErrors, type Detection } from "../../apps/anomaly.js";
import { pickSamples, type Dataset } from "../../data/dataset.js";
import type { Rows } from "../../tensor/rows.js";
import type { ModelFile } from "../../io/model-file.js";
import { splitRows } from "../../data/rows.js";
import { ConfigError } from "../../nn/layer.js";
import { elbo, iwae } from "../../objectives/objective.js";
import { key, split, type Key } from "../../random/index.js";
import { UsageError } from "../args.js";
import { openModelAndData } from "./denoise.js";
import { holdoutLabel, storedHoldout } from "./train-apps.js";

/** What the scores and figures mean, written into anomaly.json. */
export const anomalyConventions = {
  scores: "higher = more anomalous; elbo: -ELBO with beta 1, one z per image (keyed per row as evaluateObjective with rows 1); iwae: -IWAE bound on K samples; nll: an AE's -log p(x | x_hat); mse: mean squared error per value at z = mean",
  auroc: "Mann-Whitney: share of (held-out, other) pairs scored higher, ties counted half",
  auprc: "average precision, scikit-learn's step-wise sum over the distinct scores (no interpolation); prevalence is its value for uninformative scores",
};

export interface Score { readonly name: string; readonly label: string; readonly values: Float64Array; readonly result: Detection }

export interface ModelScores {
  readonly path: string;
  readonly ds: Dataset;
  readonly kind: "ae" | "vae";
  readonly latent: number;
  /** The class detected, its display name ("3" or "3 (Dress)"), and where it came from. */
  readonly heldOut: number;
  readonly className: string;
  readonly source: "model" | "flag";
  /** The class the model was trained without (null: trained on every class). */
  readonly trainedWithout: number | null;
  readonly n: number;
  readonly positives: number;
  /** Labels of the scored images and whether each is of the held-out class. */
  readonly labels: Uint8Array;
  readonly positive: Uint8Array;
  readonly scores: readonly Score[];
}

export interface ScoreOptions {
  readonly seed: number;
  /** IWAE samples (null: the ELBO). */
  readonly iwae: number | null;
  /** Images to score (null: the whole test split). */
  readonly n: number | null;
  /** --class as given (undefined: the model's held-out class). */
  readonly classFlag: string | undefined;
}

/** Loads the model of values.model with its data and scores its test images. */
export async function scoreModel(values: Record<string, unknown>, o: ScoreOptions): Promise<ModelScores> {
  const { path, file, norm, ds, spec, d } = await openModelAndData(values);
  const model = file.model;
  if (o.iwae !== null && model.spec.kind !== "vae") throw new UsageError(`--iwae K needs a VAE (an AE has no posterior to sample): ${path} is an AE`);
  if (!ds.test.labels) throw new UsageError(`--data ${spec} has no test labels to tell the class from the rest`);
  let stored: number | null;
  try {
    stored = storedHoldout((file.training as { holdoutClass?: unknown } | undefined)?.holdoutClass);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${path}: the training record's ${e.message}`);
    throw e;
  }
  if (o.classFlag === undefined && stored === null) throw new UsageError(`${path} was not trained with --holdout-class: give --class C, the class to detect`);
  const C = o.classFlag === undefined ? stored! : holdoutLabel(o.classFlag, ds, "--class");
  const className = ds.classNames?.[C] && ds.classNames[C] !== String(C) ? `${C} (${ds.classNames[C]})` : String(C);

  const [pickKey, scoreKey] = split(key(o.seed), 2) as [Key, Key];
  const n = o.n === null ? ds.test.n : Math.min(o.n, ds.test.n);
  const idx = o.n === null ? Uint32Array.from({ length: n }, (_, i) => i) : pickSamples(pickKey, ds.test.n, n).sort();
  const labels = Uint8Array.from(idx, (i) => ds.test.labels![i]!);
  const positive = Uint8Array.from(labels, (l) => (l === C ? 1 : 0));
  const P = positive.reduce((a, b) => a + b, 0);
  if (P === 0 || P === n) throw new UsageError(`the ${n} test images scored hold ${P} of class ${C} and ${n - P} of the others: both are needed`);

  const raw = rawScores(file, splitRows(ds.test, d, norm, idx), scoreKey, o.iwae);
  return {
    path, ds, kind: model.spec.kind, latent: model.spec.latent, heldOut: C, className,
    source: o.classFlag === undefined ? "model" : "flag", trainedWithout: stored,
    n, positives: P, labels, positive, scores: raw.map((s) => ({ ...s, result: detection(s.values, positive) })),
  };
}

/**
 * The scores of rows x, higher = more anomalous: the model's own (a VAE's -ELBO with beta 1, or
 * with K the -IWAE bound on K samples; an AE's -log p(x | x_hat)), then the reconstruction MSE.
 */
export function rawScores(file: Pick<ModelFile, "model" | "params">, x: Rows, key: Key, K: number | null): { name: string; label: string; values: Float64Array }[] {
  const { model, params } = file;
  const first = model.spec.kind === "vae"
    ? { name: K === null ? "elbo" : "iwae", label: K === null ? "negative ELBO" : `negative IWAE bound (K = ${K})`,
        objective: K === null ? elbo({ beta: 1 }) : iwae({ samples: K }) }
    : { name: "nll", label: "-log p(x | x_hat)", objective: elbo({ beta: null }) };
  return [
    { name: first.name, label: first.label, values: objectiveScores(model, params, x, key, first.objective) },
    { name: "mse", label: "reconstruction MSE", values: reconstructionErrors(model, params, x) },
  ];
}

/** The mean score of each class among the scored images, keyed by the class as a string. */
export function meanByClass(m: ModelScores, v: Float64Array): Record<string, number> {
  const classes = [...new Set(m.labels)].sort((a, b) => a - b);
  return Object.fromEntries(classes.map((c) => {
    let sum = 0, count = 0;
    m.labels.forEach((l, i) => { if (l === c) { sum += v[i]!; count++; } });
    return [String(c), sum / count];
  }));
}
