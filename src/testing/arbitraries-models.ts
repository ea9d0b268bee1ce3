/**
 * Parameters and batches for any latent Model (presets and composed models alike), read from
 * the model itself: its layout (parameter names and shapes), input width, likelihood and classes.
 */
import fc from "fast-check";
import type { Model } from "../models/model.js";
import type { Params } from "../nn/params.js";
import { foldIn, normal } from "../random/key.js";
import { tensor, type Tensor } from "../tensor/tensor.js";
import { sizeArb } from "./arbitraries-shapes.js";
import { keyArb, valuesArb, type Distribution } from "./arbitraries-values.js";

export interface ParamsArbOptions {
  /** Standard deviation of the Gaussian noise added to every value of a perturbed draw (default 0.1). */
  readonly scale?: number;
}

/**
 * Params records with the model's names and shapes (model.layout): the model's own init from a
 * drawn key, either as it is or perturbed by `scale` * N(0, 1) on every value (the noise keyed by
 * foldIn(key, 1)). The init is what a model meets first; the perturbed draw gives generic values
 * where the init has special ones (zero biases under the glorot and he schemes, unit
 * LayerNorm weights, a zero learned observation scale), which can hide a wrong gradient. Shrinks to the unperturbed init of key(0).
 */
export function paramsArb(model: Model, o: ParamsArbOptions = {}): fc.Arbitrary<Params> {
  const scale = o.scale ?? 0.1;
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`paramsArb: scale must be a finite number >= 0, got ${scale}`);
  return fc.tuple(keyArb(), fc.boolean()).map(([k, perturbed]) => {
    const params = model.init(k);
    if (!perturbed || scale === 0) return params;
    const flat = model.layout.flatten(params);
    const noise = normal(foldIn(k, 1), flat.length);
    for (let i = 0; i < flat.length; i++) flat[i] = flat[i]! + scale * noise[i]!;
    return model.layout.unflatten(flat);
  });
}

/** The batch of a conditional model: inputs and one class index per row. */
export interface LabelledBatch {
  readonly x: Tensor;
  readonly labels: Int32Array;
}

export interface BatchArbOptions {
  /** Rows in [min, max], drawn by sizeArb (default [1, 9]: an empty batch is an error for training). */
  readonly rows?: { readonly min?: number; readonly max?: number };
  /** Default: uniform in [0, 1] for the bernoulli and continuousBernoulli likelihoods, else "normal". */
  readonly distribution?: Distribution;
}

/**
 * Batches for a model: x [rows, model.spec.input], or `{ x, labels }` with labels in
 * [0, classes) for a conditional model (model.arch.classes > 0). Shrinks towards few rows, simple
 * values and label 0.
 */
export function batchArb(model: Model, o: BatchArbOptions = {}): fc.Arbitrary<Tensor | LabelledBatch> {
  const input = model.spec.input;
  const classes = model.arch.classes;
  const likelihood = model.spec.likelihood;
  const distribution = o.distribution
    ?? (likelihood === "bernoulli" || likelihood === "continuousBernoulli" ? { kind: "uniform", lo: 0, hi: 1 } : "normal");
  const rows = sizeArb({ min: o.rows?.min ?? 1, max: o.rows?.max ?? Math.max(9, o.rows?.min ?? 1) });
  return rows.chain((n): fc.Arbitrary<Tensor | LabelledBatch> => {
    const x = valuesArb(n * input, distribution).map((data) => tensor(data, [n, input]));
    if (classes === 0) return x;
    const labels = fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: n, maxLength: n }).map((l) => Int32Array.from(l));
    return fc.record({ x, labels });
  });
}
