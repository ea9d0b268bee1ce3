export { sgd, momentum, adam, adamw, withClipping } from "./alias.js";
export { applyUpdates, optimizer, type OptState, type Optimizer } from "./optimizer.js";
export { chain, OptimError, type Transform } from "./transform.js";
export { addDecayedWeights, clipByGlobalNorm, scaleByAdam, scaleByLearningRate, trace } from "./transforms.js";
export { constant, cosineDecay, exponentialDecay, type Schedule, type ScalarOrSchedule } from "./schedules.js";
