/**
 * latent/testing: the property-testing toolkit latent proves itself with, for users who write
 * their own layers, loss terms and models. Runtime-neutral; works with any test runner (a failed
 * check throws a CheckError with a readable report). The arbitraries need fast-check (a peer
 * dependency of this entry only).
 */
export { CheckError } from "./check-error.js";
export * from "./arbitraries.js";
export { centralDifference, checkGradients, contiguousF64, directionalCheck, gradientTable, unitDirection,
  type CheckGradientsOptions, type GradCheck, type GradientReport, type Tolerance, type ValueAndGradLike } from "./gradients.js";
export { checkLayer, type LayerCheckOptions, type LayerReport } from "./layers.js";
export { dotBound, expectClose, expectSameBits, expectWithinBound, gamma, productBound, sumBound, ulpF32,
  type BoundOptions, type CheckLabel, type CloseTolerance, type GemmShape, type Numeric, type ProductBoundOptions, type Worst } from "./compare.js";
export { expectDistribution, expectMonteCarlo, ksStatistic, normalCdf,
  type DistributionOptions, type DistributionSummary, type KsResult, type MonteCarloOptions, type MonteCarloSummary } from "./statistics.js";
export { expectDeterministic, expectSameAcrossThreads,
  type AcrossThreadsOptions, type AcrossThreadsSummary, type DeterministicOptions, type RunOutput } from "./determinism.js";
