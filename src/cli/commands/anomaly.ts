/**
 * latent anomaly: how well a model's scores single out a class it never saw. The class is the
 * one the model was trained without (its training record's holdoutClass, from --holdout-class)
 * or --class C. Test images (all, or n drawn by --seed) are scored, higher = more anomalous:
 *   VAE  "elbo": the negative ELBO with beta 1 (one z per image, drawn from the --seed key), or
 *        with --iwae K the negative importance-weighted bound on K samples;
 *   AE   "nll": -log p(x | x_hat), the AE's own loss (its likelihood term);
 *   both "mse": the mean squared error per value of the reconstruction at z = mean
 * (src/apps/anomaly.ts), each reported as AUROC and AUPRC (average precision) for detecting
 * the class among the others, with the mean score of each side and of every class.
 * Writes DIR/anomaly.png (a histogram per score, the class against the rest, as densities) and
 * DIR/anomaly.json, only once everything is computed.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { detection, objectiveScores, reconstructionErrors, type Detection } from "../../apps/anomaly.js";
import { pickSamples } from "../../data/dataset.js";
import { splitRows } from "../../data/rows.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { ConfigError } from "../../nn/layer.js";
import { elbo, iwae } from "../../objectives/objective.js";
import { key, split, type Key } from "../../random/index.js";
import { histogram } from "../../viz/figures/histogram.js";
import { sideBySide } from "../../viz/figures/side-by-side.js";
import { PALETTE } from "../../viz/raster.js";
import { writePng } from "../../viz/node/png.js";
import { int, parse, str, UsageError } from "../args.js";
import type { Io } from "../io.js";
import { appOptions, openModelAndData } from "./denoise.js";
import { holdoutLabel, storedHoldout } from "./train-apps.js";

type Command = (argv: string[], io: Io) => Promise<void>;

export const anomalyHelp = `latent anomaly --model FILE [--class C] [--iwae K] [--data mnist|fashion-mnist|sat6|DIR] [--n N] [--seed 1]
               [--bins 40] [--out anomaly]
  Scores test images (all, or n drawn by --seed), higher = more anomalous: a VAE by its negative ELBO (beta 1, one z
  per image) or with --iwae K the negative IWAE bound on K samples; an AE by -log p(x | x_hat), its loss; both by the
  mean squared error of the reconstruction at z = mean. Reports AUROC (Mann-Whitney, ties half) and AUPRC (average
  precision, scikit-learn's step-wise sum) for detecting class C (default: the class the model was trained without,
  latent train --holdout-class) among the others. Writes DIR/anomaly.png (score histograms, the class against the
  rest, as densities) and DIR/anomaly.json.`;

/** One line for the list of commands. */
export const anomalySummary = "anomaly       AUROC and AUPRC of a model's scores (negative ELBO or IWAE, reconstruction error) for a held-out class";

/** Scores whose share above this quantile goes into the histogram's last bin (so a long tail does not squash the rest). */
const TAIL = 0.995;

function quantile(v: Float64Array, q: number): number {
  const s = Float64Array.from(v).sort();
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
}

interface Score { readonly name: string; readonly label: string; readonly values: Float64Array; readonly result: Detection }

const anomaly: Command = async (argv, io) => {
  const { values } = parse(argv, {
    ...appOptions, class: { type: "string" }, iwae: { type: "string" }, n: { type: "string" }, bins: { type: "string", default: "40" },
    out: { type: "string", default: "anomaly" },
  });
  if (values.help) { io.out(anomalyHelp); return; }
  const seed = int(values, "seed", 0);
  const bins = int(values, "bins", 1, 1000);
  const K = values.iwae === undefined ? null : int(values, "iwae", 1, 100_000);
  const asked = values.n === undefined ? null : int(values, "n", 1);
  const out = str(values, "out")!;
  const { path, file, norm, ds, spec, d } = await openModelAndData(values);
  const model = file.model;
  if (K !== null && model.spec.kind !== "vae") throw new UsageError("--iwae K needs a VAE (an AE has no posterior to sample)");
  if (!ds.test.labels) throw new UsageError(`--data ${spec} has no test labels to tell the class from the rest`);
  let stored: number | null;
  try {
    stored = storedHoldout((file.training as { holdoutClass?: unknown } | undefined)?.holdoutClass);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${path}: the training record's ${e.message}`);
    throw e;
  }
  if (values.class === undefined && stored === null) throw new UsageError(`${path} was not trained with --holdout-class: give --class C, the class to detect`);
  const C = values.class === undefined ? stored! : holdoutLabel(String(values.class), ds, "--class");
  const className = ds.classNames?.[C] && ds.classNames[C] !== String(C) ? `${C} (${ds.classNames[C]})` : String(C);

  const [pickKey, scoreKey] = split(key(seed), 2) as [Key, Key];
  const n = asked === null ? ds.test.n : Math.min(asked, ds.test.n);
  const idx = asked === null ? Uint32Array.from({ length: n }, (_, i) => i) : pickSamples(pickKey, ds.test.n, n).sort();
  const labels = Uint8Array.from(idx, (i) => ds.test.labels![i]!);
  const positive = Uint8Array.from(labels, (l) => (l === C ? 1 : 0));
  const P = positive.reduce((a, b) => a + b, 0);
  if (P === 0 || P === n) throw new UsageError(`the ${n} test images scored hold ${P} of class ${C} and ${n - P} of the others: both are needed`);

  const rows = splitRows(ds.test, d, norm, idx);
  const vae = model.spec.kind === "vae";
  const first = vae
    ? { name: K === null ? "elbo" : "iwae", label: K === null ? "negative ELBO" : `negative IWAE bound (K = ${K})`,
        objective: K === null ? elbo({ beta: 1 }) : iwae({ samples: K }) }
    : { name: "nll", label: "-log p(x | x_hat)", objective: elbo({ beta: null }) };
  const raw = [
    { name: first.name, label: first.label, values: objectiveScores(model, file.params, rows, scoreKey, first.objective) },
    { name: "mse", label: "reconstruction MSE", values: reconstructionErrors(model, file.params, rows) },
  ];
  const scores: Score[] = raw.map((s) => ({ ...s, result: detection(s.values, positive) }));

  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const byClass = (v: Float64Array) => Object.fromEntries(classes.map((c) => {
    let sum = 0, count = 0;
    labels.forEach((l, i) => { if (l === c) { sum += v[i]!; count++; } });
    return [String(c), sum / count];
  }));
  const panels = scores.map((s) => {
    const lo = s.values.reduce((m, v) => Math.min(m, v), Infinity);
    const hi = Math.max(quantile(s.values, TAIL), lo + 1e-12);
    const held = s.values.filter((_, i) => positive[i]), rest = s.values.filter((_, i) => !positive[i]);
    return histogram([
      { name: `class ${C} (held out)`, values: held, color: PALETTE[3] },
      { name: "the other classes", values: rest, color: PALETTE[0] },
    ], { bins, range: [lo, hi], overflow: "clamp", density: true, xLabel: `${s.label} (above the ${TAIL * 100}% quantile: last bin)`, width: 520 });
  });
  const picture = sideBySide(panels, {
    labels: scores.map((s) => `${s.name}: AUROC ${s.result.auroc.toFixed(3)}, AUPRC ${s.result.auprc.toFixed(3)}`),
    title: `${ds.name}: class ${className} against the rest, ${n} test images`,
  });
  const json = {
    model: path, data: ds.name, kind: model.spec.kind, latent: model.spec.latent,
    heldOut: { class: C, name: ds.classNames?.[C] ?? null, source: values.class === undefined ? "model" : "flag", trainedWithout: stored },
    n, positives: P, negatives: n - P, seed, iwae: K,
    conventions: {
      scores: "higher = more anomalous; elbo: -ELBO with beta 1, one z per image (keyed per row as evaluateObjective with rows 1); iwae: -IWAE bound on K samples; nll: an AE's -log p(x | x_hat); mse: mean squared error per value at z = mean",
      auroc: "Mann-Whitney: share of (held-out, other) pairs scored higher, ties counted half",
      auprc: "average precision, scikit-learn's step-wise sum over the distinct scores (no interpolation); prevalence is its value for uninformative scores",
    },
    scores: Object.fromEntries(scores.map((s) => [s.name, { description: s.label, ...s.result, meanByClass: byClass(s.values) }])),
  };

  await mkdir(out, { recursive: true });
  await writePng(join(out, "anomaly.png"), picture);
  await writeFileAtomic(join(out, "anomaly.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  io.out(`class ${className} against the rest: ${P} and ${n - P} test images of ${ds.name}`);
  io.out("score                                AUROC    AUPRC   (prevalence)");
  for (const s of scores) io.out(`${s.label.padEnd(36)} ${s.result.auroc.toFixed(4)}   ${s.result.auprc.toFixed(4)}   (${s.result.prevalence.toFixed(4)})`);
  io.out(`wrote ${join(out, "anomaly.json")}, ${join(out, "anomaly.png")}`);
};

export const commands: Record<string, Command> = { anomaly };
