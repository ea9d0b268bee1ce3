/**
 * Saving a run as it goes, and resuming it. The callbacks hand states to a caller's async
 * `save(name, state, info)`, so the library writes no file itself (runtime-neutral); the
 * `latent` command passes one that writes `${name}.safetensors` atomically.
 *
 * Resuming: fit's step i draws its noise from foldIn(key, count), count being the optimizer's
 * step count, which the saved state carries, and epoch e's data order from the epoch number. So
 * a state saved after `epochsDone` epochs continues bit-identically with the run's own keys and
 * startEpoch = epochsDone (`resume`), and callbacks given back the records they held when the
 * state was saved (their `state` or `best`) continue their decisions as well.
 */
import type { Key } from "../random/index.js";
import { ConfigError } from "../nn/layer.js";
import { checkBest, checkMonitor, improves, monitored, type Monitor } from "./callbacks.js";
import type { Callback, EpochContext, EpochMetrics, FitOptions } from "./fit.js";
import type { TrainState } from "./trainer.js";

export interface SaveInfo {
  /** Epochs done (1-based: the epoch just finished). */
  readonly epoch: number;
  readonly metrics: EpochMetrics;
}

/** Stores a state under a name ("checkpoint", "best"); awaited before the run goes on. */
export type Save = (name: string, state: TrainState, info: SaveInfo) => void | Promise<void>;

export interface CheckpointOptions {
  readonly save: Save;
  /** Save after every this many epochs (default 1). */
  readonly every?: number;
  /** The run's epoch count: its last epoch is saved whatever `every` is. */
  readonly epochs?: number;
  /** Default "checkpoint". */
  readonly name?: string;
}

/** Saves the state after every `every` epochs (epochs counted from the start of the run, so a resumed run saves at the same epochs). */
export function checkpoint(o: CheckpointOptions): Callback {
  const every = o.every ?? 1;
  if (!Number.isSafeInteger(every) || every < 1) throw new ConfigError(`checkpoint: every must be a positive integer, got ${String(every)}`);
  const name = o.name ?? "checkpoint";
  return {
    async onEpoch(m: EpochMetrics, ctx: EpochContext) {
      if (m.epoch % every === 0 || m.epoch === o.epochs) await o.save(name, ctx.state(), { epoch: m.epoch, metrics: m });
    },
  };
}

export interface BestModelOptions {
  readonly save: Save;
  /** Default "test.loss". */
  readonly monitor?: Monitor;
  /** A new best must be lower by more than this (default 0: any lower value). */
  readonly minDelta?: number;
  /** Default "best". */
  readonly name?: string;
  /** The best value so far, for a resumed run (default null: the first epoch is saved). */
  readonly best?: number | null;
}

export interface BestModel extends Callback {
  /** The lowest monitored value so far (null before the first epoch): store it to resume. */
  readonly best: number | null;
}

/** Saves the state whenever the monitored value is a new best; `best` is updated before save is called. */
export function bestModel(o: BestModelOptions): BestModel {
  const who = "bestModel";
  const monitor = checkMonitor(o.monitor ?? "test.loss", who);
  const minDelta = o.minDelta ?? 0;
  if (typeof minDelta !== "number" || !(minDelta >= 0) || !Number.isFinite(minDelta)) throw new ConfigError(`${who}: minDelta must be a finite number >= 0, got ${String(minDelta)}`);
  const name = o.name ?? "best";
  let best = checkBest(o.best ?? null, `${who} best`);
  return {
    get best() { return best; },
    async onEpoch(m, ctx) {
      const value = monitored(m, monitor, who);
      if (!improves(value, best, minDelta)) return;
      best = value;
      await o.save(name, ctx.state(), { epoch: m.epoch, metrics: m });
    },
  };
}

export interface ResumeOptions {
  /** The saved state (parameters and optimizer state with its step count). */
  readonly state: TrainState;
  /** The run's fit key: unchanged on resume (the step count in the state carries the position). */
  readonly key: Key;
  /** Epochs done when the state was saved. */
  readonly epochsDone: number;
  /** Train until this many epochs are done. */
  readonly epochs: number;
  /** Optimizer steps per epoch: when given, the state's step count must be epochsDone * stepsPerEpoch. */
  readonly stepsPerEpoch?: number;
}

/**
 * The fit options that continue a run saved after `epochsDone` epochs: the same key and data
 * (whose order is keyed by epoch), startEpoch = epochsDone. Spread them into fit's options
 * beside the data, the callbacks (restored from their saved records) and the rest.
 */
export function resume(o: ResumeOptions): Pick<FitOptions, "state" | "key" | "startEpoch" | "epochs"> {
  const { epochsDone, epochs, stepsPerEpoch } = o;
  for (const [name, v] of [["epochsDone", epochsDone], ["epochs", epochs]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new ConfigError(`resume: ${name} must be a non-negative integer, got ${String(v)}`);
  }
  if (epochsDone > epochs) throw new ConfigError(`resume: the run has done ${epochsDone} epochs, more than the ${epochs} asked for`);
  if (stepsPerEpoch !== undefined) {
    if (!Number.isSafeInteger(stepsPerEpoch) || stepsPerEpoch < 1) throw new ConfigError(`resume: stepsPerEpoch must be a positive integer, got ${String(stepsPerEpoch)}`);
    const count = o.state.opt.count;
    if (count !== epochsDone * stepsPerEpoch) {
      throw new ConfigError(`resume: the state has taken ${count} optimizer steps, but ${epochsDone} epochs of ${stepsPerEpoch} steps are ${epochsDone * stepsPerEpoch}: it was not saved at the end of epoch ${epochsDone} of this run`);
    }
  }
  return { state: o.state, key: o.key, startEpoch: epochsDone, epochs };
}
