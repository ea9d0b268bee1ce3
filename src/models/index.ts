/**
 * Model constructors. `ae({ encoder, decoder })` and `vae({ encoder, decoder, latent })` compose any
 * nn layers (./compose.ts); the presets `ae.mlp`, `ae.conv`, `vae.mlp`, `vae.conv` are layers
 * assembled the same way (./architecture.ts).
 */
import { Model } from "./model.js";
import { composedSpec, type ComposedConfig } from "./compose.js";
import { convSpec, mlpSpec, validateSpec, type ConvConfig, type MlpConfig, type ModelSpec } from "./spec.js";

export const ae = Object.assign((cfg: ComposedConfig): Model => new Model(composedSpec("ae", cfg)), {
  mlp: (cfg: MlpConfig): Model => new Model(mlpSpec("ae", cfg)),
  conv: (cfg: ConvConfig): Model => new Model(convSpec("ae", cfg)),
});
export const vae = Object.assign((cfg: ComposedConfig): Model => new Model(composedSpec("vae", cfg)), {
  mlp: (cfg: MlpConfig): Model => new Model(mlpSpec("vae", cfg)),
  conv: (cfg: ConvConfig): Model => new Model(convSpec("vae", cfg)),
});

/** Rebuilds a model from its spec (as stored in a saved file): a preset's or a composed model's. */
export function fromSpec(spec: ModelSpec): Model {
  // A composed spec is validated when its layers are built (Model's constructor).
  return new Model(spec.arch === "composed" ? spec : validateSpec(spec));
}

export { Model } from "./model.js";
export type { Encoding, LossMetrics } from "./model.js";
export type { ComposedSpec, ConvConfig, ConvSpec, Likelihood, MlpConfig, MlpSpec, ModelSpec, PresetSpec } from "./spec.js";
export { specFields, likelihoods } from "./spec.js";
export type { ComposedConfig } from "./compose.js";
export { Program, type ProgramOptions } from "./program.js";
export { decodeRows, encodeRows, evaluateLoss, forEachReconstruction, NOISE_BLOCK, PROGRAM_BYTES, programRows, reconstructRows, sampleRows,
  type ReconstructionBatch, type ReconstructionOptions, type RunOptions } from "./batched.js";
export { ACTIVE_UNIT_THRESHOLD, activeUnits, evaluateModel, latentVariances, reconstructionError, type ActiveUnitOptions, type ModelReport } from "./metrics.js";
