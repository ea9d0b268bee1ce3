/**
 * The objective flags of `latent train`: `--corrupt gaussian:SIGMA | mask:RATE | saltpepper:RATE`
 * (a denoising run: the encoder sees the corrupted input, the loss the clean one). A run's
 * objective is the model's default (likelihood + beta * KL) with the corruption added.
 */
import type { ModelSpec } from "../models/spec.js";
import { ConfigError } from "../nn/layer.js";
import { checkObjective, elbo, gaussianNoise, mask, saltPepper, type Corruption, type Objective } from "../objectives/objective.js";
import { UsageError } from "./args.js";

/** Parses --corrupt; a bad value is a UsageError naming the flag and the accepted forms. */
export function corruptionFlag(value: string): Corruption {
  const m = /^(gaussian|mask|saltpepper):(.+)$/.exec(value);
  const forms = "gaussian:SIGMA (>= 0), mask:RATE or saltpepper:RATE (RATE in [0, 1))";
  if (!m) throw new UsageError(`--corrupt must be ${forms}, got ${JSON.stringify(value)}`);
  const v = Number(m[2]);
  try {
    return m[1] === "gaussian" ? gaussianNoise(v) : m[1] === "mask" ? mask(v) : saltPepper(v);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`--corrupt ${value}: ${e.message}`);
    throw e;
  }
}

/** The objective of a run with these flags, or undefined for the model's default. */
export function objectiveFor(spec: ModelSpec, corrupt: Corruption | null | undefined): Objective | undefined {
  if (!corrupt) return undefined;
  return checkObjective(elbo({ beta: spec.kind === "vae" ? spec.beta : null, corrupt }), spec.kind);
}
