/** Model constructors: `ae.mlp(cfg)` and `vae.mlp(cfg)`. */
import { Model } from "./model.js";
import { mlpSpec, validateSpec, type MlpConfig, type ModelSpec } from "./spec.js";

export const ae = { mlp: (cfg: MlpConfig): Model => new Model(mlpSpec("ae", cfg)) };
export const vae = { mlp: (cfg: MlpConfig): Model => new Model(mlpSpec("vae", cfg)) };

/** Rebuilds a model from its spec (as stored in a saved file). */
export function fromSpec(spec: ModelSpec): Model {
  return new Model(validateSpec(spec));
}

export { Model } from "./model.js";
export type { Encoding, LossMetrics } from "./model.js";
export type { Likelihood, MlpConfig, ModelSpec } from "./spec.js";
export { Program } from "./program.js";
