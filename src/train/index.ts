export { step, initState, type StepFn } from "./step.js";
export { fit, type BatchInfo, type Callback, type EpochContext, type BatchSource, type EpochMetrics, type FitOptions, type FitResult } from "./fit.js";
export { NonFiniteError, type StepMetrics, type TrainState } from "./trainer.js";
