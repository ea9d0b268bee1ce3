export { step, initState, type StepFn } from "./step.js";
export { fit, type BatchInfo, type Callback, type EpochContext, type BatchSource, type EpochMetrics, type FitOptions, type FitResult } from "./fit.js";
export { NonFiniteError, type StepMetrics, type StepPlace, type TrainState } from "./trainer.js";
export { earlyStopping, monitored, reduceLrOnPlateau, withValidation, type EarlyStopping, type EarlyStoppingOptions, type EarlyStoppingState,
  type Monitor, type PlateauOptions, type PlateauState, type ReduceLrOnPlateau } from "./callbacks.js";
export { bestModel, checkpoint, resume, type BestModel, type BestModelOptions, type CheckpointOptions, type ResumeOptions, type Save,
  type SaveInfo } from "./checkpoints.js";
export { valueAndGrad, type ValueAndGrad, type ValueAndGradFn, type BackendOption } from "./value-and-grad.js";
export type { StepOptions } from "./step.js";
