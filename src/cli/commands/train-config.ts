/** The training config a run stores in its model files ("latent.training"), and the callbacks it resumes. */
import { ConfigError } from "../../nn/layer.js";
import type { Corruption, Penalty } from "../../objectives/objective.js";
import { earlyStopping, reduceLrOnPlateau, type EarlyStopping, type EarlyStoppingState, type PlateauState, type ReduceLrOnPlateau } from "../../train/index.js";
import { UsageError } from "../args.js";
import { storedHoldout, storedPenalty } from "./train-apps.js";

/** What a run stores in the file's "latent.training" metadata; enough to resume it. */
export interface TrainingConfig {
  readonly data: string;
  readonly seed: number;
  readonly epochs: number;
  readonly epochsDone: number;
  readonly batch: number;
  readonly lr: number;
  readonly limit: number | null;
  readonly optimizer: "adam";
  readonly bestTestLoss: number | null;
  /** --early-stop and its state after epochsDone epochs (absent in files written before it). */
  readonly earlyStop?: { readonly patience: number; readonly state: EarlyStoppingState } | null;
  /** --plateau, --plateau-factor and the plateau's state after epochsDone epochs. */
  readonly plateau?: { readonly patience: number; readonly factor: number; readonly state: PlateauState } | null;
  /** --corrupt: the input corruption of a denoising run (absent in files written before it). */
  readonly corrupt?: Corruption | null;
  /** --sparsity: the penalty on the code (absent in files written before it). */
  readonly sparsity?: Penalty | null;
  /** --holdout-class: the label left out of the training samples (absent in files written before it). */
  readonly holdoutClass?: number | null;
  /** The kernel build the run trained with, which --resume takes again unless --isa is given (absent in files written before it). */
  readonly isa?: "relaxed" | "simd" | "scalar";
}

export function checkTraining(t: unknown, path: string): TrainingConfig {
  const o = t as Partial<TrainingConfig> | undefined;
  const ok = o && typeof o.data === "string" && Number.isSafeInteger(o.seed) && Number.isSafeInteger(o.epochsDone)
    && Number.isSafeInteger(o.batch) && typeof o.lr === "number" && o.optimizer === "adam";
  if (!ok) throw new UsageError(`${path}: the file has no usable training config to resume from (it was not written by latent train)`);
  if (o.isa !== undefined && !["relaxed", "simd", "scalar"].includes(o.isa)) throw new UsageError(`${path}: the training config's isa ${JSON.stringify(o.isa)} is not relaxed, simd or scalar`);
  try {
    runCallbacks(o as TrainingConfig);
    storedPenalty(o.sparsity);
    storedHoldout(o.holdoutClass);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${path}: the training config's ${e.message}`);
    throw e;
  }
  return o as TrainingConfig;
}

/** The early-stopping and plateau callbacks of a run, continuing from the states its config holds; both watch the test loss. */
export function runCallbacks(config: TrainingConfig): { early: EarlyStopping | null; plateau: ReduceLrOnPlateau | null } {
  const e = config.earlyStop, p = config.plateau;
  const shaped = (v: unknown, what: string) => {
    if (v !== undefined && v !== null && (typeof v !== "object" || typeof (v as { state?: unknown }).state !== "object")) throw new ConfigError(`${what} is not a record with a state`);
  };
  shaped(e, "earlyStop"); shaped(p, "plateau");
  return {
    early: e ? earlyStopping({ monitor: "test.loss", patience: e.patience, state: e.state }) : null,
    plateau: p ? reduceLrOnPlateau({ monitor: "test.loss", patience: p.patience, factor: p.factor, state: p.state }) : null,
  };
}
