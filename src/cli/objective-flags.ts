/**
 * The objective flags of `latent train`: `--corrupt gaussian:SIGMA | mask:RATE | saltpepper:RATE`
 * (a denoising run: the encoder sees the corrupted input, the loss the clean one) and
 * `--sparsity l1:WEIGHT | kl:RHO:WEIGHT` (a sparse code: the objective's l1 penalty on the code,
 * or its KL sparsity penalty toward a mean activation rho). A run's objective is the model's
 * default (likelihood + beta * KL) with the corruption and the penalty added.
 */
import type { ModelSpec } from "../models/spec.js";
import { ConfigError } from "../nn/layer.js";
import { checkObjective, elbo, gaussianNoise, l1, mask, saltPepper, sparsity, type Corruption, type Objective, type Penalty } from "../objectives/objective.js";
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

/** The accepted forms of --sparsity. */
export const SPARSITY_FORMS = "l1:WEIGHT or kl:RHO:WEIGHT (WEIGHT >= 0, RHO in (0, 1))";

/** Parses --sparsity; a bad value is a UsageError naming the flag and the accepted forms. */
export function sparsityFlag(value: string): Penalty {
  const m = /^(?:l1:([^:]+)|kl:([^:]+):([^:]+))$/.exec(value);
  if (!m) throw new UsageError(`--sparsity must be ${SPARSITY_FORMS}, got ${JSON.stringify(value)}`);
  const num = (s: string) => (s.trim() === "" ? NaN : Number(s));
  try {
    return m[1] !== undefined ? l1(num(m[1])) : sparsity({ rho: num(m[2]!), weight: num(m[3]!) });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`--sparsity ${value}: ${e.message}`);
    throw e;
  }
}

/** The objective of a run with these flags, or undefined for the model's default. */
export function objectiveFor(spec: ModelSpec, corrupt: Corruption | null | undefined, penalty: Penalty | null = null): Objective | undefined {
  if (!corrupt && !penalty) return undefined;
  return checkObjective(elbo({ beta: spec.kind === "vae" ? spec.beta : null, corrupt: corrupt ?? null, penalties: penalty ? [penalty] : [] }), spec.kind);
}
