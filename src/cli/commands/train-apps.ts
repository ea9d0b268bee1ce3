/**
 * The flags of `latent train` for the autoencoder applications, and their checks:
 *   --code linear|sigmoid   an AE's code as the preset gives it (a linear layer), or squashed
 *                           into (0, 1) by a sigmoid after it (the model is then stored as a
 *                           composed model: the preset's layers plus the sigmoid);
 *   --sparsity l1:W|kl:RHO:W  the objective's l1 penalty on the code (an AE's code, a VAE's
 *                           posterior mean) or its KL sparsity penalty, which needs a code in
 *                           (0, 1): an AE whose encoder ends in a sigmoid;
 *   --holdout-class C       class C (a label or a class name) left out of the training samples
 *                           the run uses (after --limit); the test split keeps it.
 * Both --sparsity and --holdout-class are stored in the training record, and a resumed run
 * checks them again (a record whose values are not valid is one line, exit 2).
 */
import type { Dataset, Split } from "../../data/dataset.js";
import { ae, type Model } from "../../models/index.js";
import { presetLayers } from "../../models/architecture.js";
import type { PresetSpec } from "../../models/spec.js";
import { ActivationLayer } from "../../nn/activation.js";
import { ConfigError } from "../../nn/layer.js";
import { l1, sparsity, type Penalty } from "../../objectives/objective.js";
import { UsageError } from "../args.js";

/** The label --holdout-class (or `flag`) names: a label number, or a class name of the data set (any case). */
export function holdoutLabel(raw: string, ds: Dataset, flag = "--holdout-class"): number {
  if (!ds.train.labels || !ds.test.labels) throw new UsageError(`${flag} needs labelled data; ${ds.name} has no labels`);
  const present = classesOf(ds);
  const byName = ds.classNames?.findIndex((n) => n.toLowerCase() === raw.trim().toLowerCase()) ?? -1;
  const label = byName >= 0 ? byName : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!present.includes(label)) {
    const names = present.map((c) => (ds.classNames?.[c] && ds.classNames[c] !== String(c) ? `${c} (${ds.classNames[c]})` : String(c)));
    throw new UsageError(`${flag} ${raw}: ${ds.name} has no such class; its classes are ${names.join(", ")}`);
  }
  return label;
}

/** The labels that occur in either split, ascending. */
export function classesOf(ds: Dataset): number[] {
  const seen = new Set<number>();
  for (const s of [ds.train, ds.test]) if (s.labels) for (const l of s.labels) seen.add(l);
  return [...seen].sort((a, b) => a - b);
}

/** The split without the samples of class `label`; refuses one that would leave no training sample (no other class). */
export function withoutClass(split: Split, d: number, label: number, what: string): Split {
  if (!split.labels) throw new UsageError(`--holdout-class needs labelled data; ${what} has no labels`);
  let keep = 0;
  for (const l of split.labels) if (l !== label) keep++;
  if (keep === 0) throw new UsageError(`--holdout-class ${label} leaves no class to train on: every training sample of ${what} is of class ${label}`);
  const pixels = split.pixels instanceof Uint8Array ? new Uint8Array(keep * d) : new Float32Array(keep * d);
  const labels = new Uint8Array(keep);
  for (let i = 0, k = 0; i < split.n; i++) {
    if (split.labels[i] === label) continue;
    pixels.set(split.pixels.subarray(i * d, (i + 1) * d), k * d);
    labels[k++] = split.labels[i]!;
  }
  return { n: keep, pixels, labels };
}

/** A stored holdout class: null, or a label 0..255. */
export function storedHoldout(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > 255) throw new ConfigError(`holdoutClass ${JSON.stringify(v)} is not a label 0..255`);
  return v;
}

/** A stored sparsity penalty, validated as the objective validates one. */
export function storedPenalty(v: unknown): Penalty | null {
  if (v === undefined || v === null) return null;
  const p = v as { type?: unknown; weight?: unknown; rho?: unknown };
  if (p.type === "l1") return l1(p.weight as number);
  if (p.type === "sparsity") return sparsity({ rho: p.rho as number, weight: p.weight as number });
  throw new ConfigError(`sparsity ${JSON.stringify(v)} is not an l1 or sparsity penalty`);
}

/** Whether the model's code lies in (0, 1): an AE whose encoder ends in a sigmoid. */
export function sigmoidCode(model: Model): boolean {
  const last = model.arch.encoder.layers.at(-1)?.toSpec?.();
  return model.spec.kind === "ae" && last?.type === "activation" && last.name === "sigmoid";
}

/** Refuses a penalty the model's code cannot take (one line). */
export function checkPenaltyFits(model: Model, penalty: Penalty | null): void {
  if (penalty?.type !== "sparsity" || sigmoidCode(model)) return;
  throw new UsageError(model.spec.kind === "vae"
    ? "--sparsity kl:RHO:WEIGHT needs a code in (0, 1), but a VAE's code (its posterior mean) is unbounded: use --model ae --code sigmoid, or --sparsity l1:WEIGHT"
    : "--sparsity kl:RHO:WEIGHT needs a code in (0, 1): add --code sigmoid (the encoder then ends in a sigmoid), or use --sparsity l1:WEIGHT");
}

/** The AE of a preset spec with a sigmoid after its code layer, as a composed model. */
export function sigmoidCodeModel(spec: PresetSpec, imageShape: readonly [number, number, number]): Model {
  if (spec.kind !== "ae") throw new UsageError("--code sigmoid is for --model ae (a VAE's code is a Gaussian sample)");
  const { encoder, decoder } = presetLayers(spec);
  return ae({
    encoder: [...encoder, new ActivationLayer("sigmoid", spec.latent)], decoder,
    likelihood: spec.likelihood, obsLogvar: spec.obsLogvar, beta: spec.beta, headInit: spec.init,
    imageShape: [imageShape[0], imageShape[1], imageShape[2]],
  });
}
