/** Model constructors: `ae.mlp(cfg)` and `vae.mlp(cfg)`. */
import { Model } from "./model.js";
import { convSpec, mlpSpec, validateSpec, type ConvConfig, type MlpConfig, type ModelSpec } from "./spec.js";

export const ae = {
  mlp: (cfg: MlpConfig): Model => new Model(mlpSpec("ae", cfg)),
  conv: (cfg: ConvConfig): Model => new Model(convSpec("ae", cfg)),
};
export const vae = {
  mlp: (cfg: MlpConfig): Model => new Model(mlpSpec("vae", cfg)),
  conv: (cfg: ConvConfig): Model => new Model(convSpec("vae", cfg)),
};

/** Rebuilds a model from its spec (as stored in a saved file). */
export function fromSpec(spec: ModelSpec): Model {
  return new Model(validateSpec(spec));
}

export { Model } from "./model.js";
export type { Encoding, LossMetrics } from "./model.js";
export type { ConvConfig, ConvSpec, Likelihood, MlpConfig, MlpSpec, ModelSpec } from "./spec.js";
export { specFields } from "./spec.js";
export { Program, type ProgramOptions } from "./program.js";
export { decodeRows, encodeRows, evaluateLoss, forEachReconstruction, NOISE_BLOCK, PROGRAM_BYTES, programRows, reconstructRows, sampleRows,
  type ReconstructionBatch, type ReconstructionOptions, type RunOptions } from "./batched.js";
