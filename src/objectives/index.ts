/** Objectives composed from named terms: `objectives.elbo({...})`, `objectives.iwae({...})` (see ./objective.ts). */
export {
  elbo, iwae, defaultObjective, checkObjective, constant, linearWarmup, cyclical, betaAt, l1, sparsity, gaussianNoise, mask, saltPepper,
  type Objective, type BetaSchedule, type Penalty, type Corruption, type ElboConfig,
} from "./objective.js";
export { forwardPass, CORRUPT } from "./evaluate.js";
export type { Evaluation, Pass } from "./pass.js";
export { corruptInto } from "./corrupt.js";
export { evaluateObjective, type EvaluateOptions } from "./evaluate-rows.js";
export { evaluateIwae, iwaePlan, MAX_IWAE_SAMPLES, type IwaeEvaluation, type IwaeOptions, type IwaePlan } from "./evaluate-iwae.js";
