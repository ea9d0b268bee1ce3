/**
 * Run logic beside the step, as fit callbacks: early stopping, reducing the learning rate on a
 * plateau (Keras's EarlyStopping and ReduceLROnPlateau, minimising), and test metrics computed by
 * the caller (e.g. over a uint8 split read in bounded batches). Checkpoints, the best model and
 * resuming are in ./checkpoints.ts.
 *
 * Every callback that keeps something between epochs exposes it as a plain JSON record (`state`)
 * and takes it back as an option, so that a run saved after epoch e and resumed with the record
 * continues exactly as the uninterrupted run: same decisions, same learning rates, same bits.
 * A best value is null before the first epoch (JSON has no Infinity).
 */
import type { LossMetrics } from "../models/model.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { asSchedule, type ScalarOrSchedule, type Schedule } from "../optim/schedules.js";
import type { Callback, EpochContext, EpochMetrics } from "./fit.js";

/** A value of an epoch's metrics to watch; lower is better. `test.*` needs test metrics (fit's validation, or withValidation). */
export type Monitor = `${"train" | "test"}.${"loss" | "reconstruction" | "kl"}`;

const monitors: readonly Monitor[] = ["test.loss", "train.loss", "test.reconstruction", "train.reconstruction", "test.kl", "train.kl"];

export function checkMonitor(monitor: unknown, who: string): Monitor {
  if (!monitors.includes(monitor as Monitor)) throw new ConfigError(`${who}: monitor must be one of ${monitors.join(", ")}, got ${String(monitor)}`);
  return monitor as Monitor;
}

/** The monitored value of an epoch's metrics. */
export function monitored(m: EpochMetrics, monitor: Monitor, who = "a callback"): number {
  const [split, term] = monitor.split(".") as ["train" | "test", keyof LossMetrics];
  const metrics = split === "test" ? m.test : m.train;
  if (!metrics) throw new ConfigError(`${who} monitors ${monitor}, but epoch ${m.epoch} has no test metrics: give fit a validation set, wrap the callback in withValidation, or monitor train.loss`);
  return metrics[term];
}

/** Whether `value` improves on `best` by more than minDelta (Keras: value < best - minDelta); any number improves on null, NaN never does. */
export function improves(value: number, best: number | null, minDelta: number): boolean {
  return best === null ? !Number.isNaN(value) : value < best - minDelta;
}

function checkInt(value: unknown, what: string, min: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) throw new ConfigError(`${what} must be an integer >= ${min}, got ${String(value)}`);
  return value as number;
}

function checkReal(value: unknown, what: string, lo: number, hi: number, openLo = false, openHi = false): number {
  const v = value as number;
  const ok = typeof value === "number" && Number.isFinite(v) && (openLo ? v > lo : v >= lo) && (openHi ? v < hi : v <= hi);
  if (!ok) throw new ConfigError(`${what} must be a number in ${openLo ? "(" : "["}${lo}, ${hi}${openHi ? ")" : "]"}, got ${String(value)}`);
  return v;
}

export function checkBest(value: unknown, what: string): number | null {
  if (value !== null && (typeof value !== "number" || Number.isNaN(value))) throw new ConfigError(`${what} must be a number or null, got ${String(value)}`);
  return value as number | null;
}

/** What early stopping keeps between epochs. */
export interface EarlyStoppingState {
  /** The best monitored value so far (null before the first epoch). */
  readonly best: number | null;
  /** Epochs since the last improvement. */
  readonly wait: number;
}

export interface EarlyStoppingOptions {
  /** Default "test.loss". */
  readonly monitor?: Monitor;
  /** Epochs without improvement after which the run stops (>= 1). */
  readonly patience: number;
  /** An improvement must lower the best value by more than this (default 0). */
  readonly minDelta?: number;
  /** The state to continue from (a resumed run: the record `state` held when the run was saved). */
  readonly state?: EarlyStoppingState;
}

export interface EarlyStopping extends Callback {
  /** The current state, a fresh frozen record: store it with a checkpoint to resume. */
  readonly state: EarlyStoppingState;
  onEpoch(metrics: EpochMetrics, ctx: EpochContext): void;
}

/** Stops the run after `patience` epochs in a row that do not improve the monitored value by more than minDelta. */
export function earlyStopping(o: EarlyStoppingOptions): EarlyStopping {
  const who = "earlyStopping";
  const monitor = checkMonitor(o.monitor ?? "test.loss", who);
  const patience = checkInt(o.patience, `${who} patience`, 1);
  const minDelta = checkReal(o.minDelta ?? 0, `${who} minDelta`, 0, Infinity);
  let best = checkBest(o.state?.best ?? null, `${who} state.best`);
  let wait = checkInt(o.state?.wait ?? 0, `${who} state.wait`, 0);
  return {
    get state() { return Object.freeze({ best, wait }); },
    onEpoch(m, ctx) {
      const value = monitored(m, monitor, who);
      if (improves(value, best, minDelta)) { best = value; wait = 0; return; }
      wait++;
      if (wait >= patience) {
        const since = best === null ? "" : ` (best ${+best.toPrecision(6)} after epoch ${m.epoch - wait})`;
        ctx.stop(`${monitor} did not improve${minDelta > 0 ? ` by more than ${minDelta}` : ""} for ${wait} epoch${wait === 1 ? "" : "s"}${since}`);
      }
    },
  };
}

/** What reduce-on-plateau keeps between epochs. */
export interface PlateauState {
  /** The factor on the base learning rate (1 at the start). */
  readonly scale: number;
  readonly best: number | null;
  /** Epochs without improvement, counted outside cooldowns. */
  readonly wait: number;
  /** Epochs of cooldown left after the last reduction. */
  readonly cooldownLeft: number;
}

export interface PlateauOptions {
  /** Default "test.loss". */
  readonly monitor?: Monitor;
  /** The scale is multiplied by this on a plateau, in (0, 1) (default 0.1). */
  readonly factor?: number;
  /** Epochs without improvement that make a plateau (>= 1, default 10). */
  readonly patience?: number;
  /** An improvement must lower the best value by more than this (default 0). */
  readonly minDelta?: number;
  /** Epochs after a reduction in which no plateau is counted (default 0). */
  readonly cooldown?: number;
  /** The scale never goes below this (default 0). */
  readonly minScale?: number;
  /** The state to continue from (a resumed run). */
  readonly state?: PlateauState;
}

export interface ReduceLrOnPlateau extends Callback {
  readonly state: PlateauState;
  /** The current factor on the base learning rate. */
  readonly scale: number;
  /**
   * An optax-style schedule: base(count) * scale, the scale read at every call. Pass it as an
   * optimizer's learning rate (adam({ learningRate: plateau.schedule(1e-3) })); optimizers read
   * the rate at every step (Adam's fused pass too), so a reduction after epoch e applies from the
   * first step of epoch e + 1. While the scale is 1 the rates are base's, bit for bit.
   */
  schedule(base: ScalarOrSchedule): Schedule;
  onEpoch(metrics: EpochMetrics, ctx: EpochContext): void;
}

/**
 * Keras's ReduceLROnPlateau on a scale: at the end of each epoch, a cooldown in progress counts
 * down (and clears the wait); an improvement sets the best value and clears the wait; otherwise,
 * outside a cooldown, the wait grows, and when it reaches `patience` while scale > minScale the
 * scale becomes max(scale * factor, minScale), the cooldown starts and the wait is cleared.
 */
export function reduceLrOnPlateau(o: PlateauOptions = {}): ReduceLrOnPlateau {
  const who = "reduceLrOnPlateau";
  const monitor = checkMonitor(o.monitor ?? "test.loss", who);
  const factor = checkReal(o.factor ?? 0.1, `${who} factor`, 0, 1, true, true);
  const patience = checkInt(o.patience ?? 10, `${who} patience`, 1);
  const minDelta = checkReal(o.minDelta ?? 0, `${who} minDelta`, 0, Infinity);
  const cooldown = checkInt(o.cooldown ?? 0, `${who} cooldown`, 0);
  const minScale = checkReal(o.minScale ?? 0, `${who} minScale`, 0, 1);
  let scale = checkReal(o.state?.scale ?? 1, `${who} state.scale`, 0, Infinity, true);
  let best = checkBest(o.state?.best ?? null, `${who} state.best`);
  let wait = checkInt(o.state?.wait ?? 0, `${who} state.wait`, 0);
  let cooldownLeft = checkInt(o.state?.cooldownLeft ?? 0, `${who} state.cooldownLeft`, 0);
  return {
    get state() { return Object.freeze({ scale, best, wait, cooldownLeft }); },
    get scale() { return scale; },
    schedule(base) {
      const rate = asSchedule(base, `${who} base learning rate`);
      return (count) => rate(count) * scale;
    },
    onEpoch(m) {
      const value = monitored(m, monitor, who);
      if (cooldownLeft > 0) { cooldownLeft--; wait = 0; }
      if (improves(value, best, minDelta)) { best = value; wait = 0; return; }
      if (cooldownLeft > 0) return;
      wait++;
      if (wait >= patience && scale > minScale) {
        scale = Math.max(scale * factor, minScale);
        cooldownLeft = cooldown;
        wait = 0;
      }
    },
  };
}

/**
 * Callbacks that see test metrics fit did not compute: after each epoch, `evaluate(params, epoch)`
 * (epoch 0-based: fit keys its own validation with foldIn(key, epoch)) gives the test metrics, and
 * each callback, in order, gets the epoch's metrics with `test` set to them. For validation data
 * that is not one tensor, e.g. a uint8 split read as Rows:
 *   withValidation((p, e) => models.evaluateLoss(model, p, rows, foldIn(kTest, e)), [earlyStopping({ patience: 5 })])
 */
export function withValidation(evaluate: (params: Params, epoch: number) => LossMetrics | Promise<LossMetrics>,
  callbacks: readonly Callback[]): Callback {
  return {
    async onEpoch(trained, ctx) {
      const test = await evaluate(ctx.state().params, trained.epoch - 1);
      const m: EpochMetrics = { ...trained, test };
      for (const cb of callbacks) if (cb.onEpoch) await cb.onEpoch(m, ctx);
    },
  };
}
