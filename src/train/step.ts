/**
 * The pure training step: `train.step(model, optimizer, { objective?, backend?, donate? })`
 * returns (state, batch, key) => { state, metrics }, which (unless it donates) never mutates its
 * arguments and returns fresh records. The key draws the VAE's noise (and any corruption or dropout); to match `fit`,
 * pass foldIn(key, state.opt.count).
 *
 * The function keeps one Trainer (src/train/trainer.ts: the objective pass valueAndGrad runs,
 * plus the optimizer) in the backend's memory, resized to each batch's rows, and loads the state
 * into it on every call. dispose() (or `using`) frees it; otherwise the backend's finalizer does,
 * once the function is collected.
 *
 * With `{ donate: true }` (JAX's donate_argnums) the caller gives up the state it passes: the new
 * state goes into that state's arrays, and the state this function returned last is not loaded
 * again (on a float32 backend the trainer holds it exactly). The arrays are filled when the
 * returned state is first read (any tensor's data or the slots: all of it is copied out then) or
 * before the function goes on with another state or is disposed, so a loop `s = fn(s, b, k).state`
 * neither allocates nor copies the state, as `fit` does not; the bits are those of the pure step.
 * An unread returned state keeps the function (and its memory) alive.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { batchRows, type Batch } from "../models/batch.js";
import type { Model } from "../models/model.js";
import type { Params } from "../nn/params.js";
import { checkObjective, type Objective } from "../objectives/objective.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { Key } from "../random/index.js";
import { Keeper } from "./keeper.js";
import { Trainer, type StepMetrics, type TrainState } from "./trainer.js";

export interface StepFn {
  (state: TrainState, batch: Batch, key: Key): { state: TrainState; metrics: StepMetrics };
  /** Frees the trainer's memory; the function may still be called (it builds a new one). */
  dispose(): void;
  [Symbol.dispose](): void;
}

export interface StepOptions {
  /** What to minimise (default: the model's likelihood plus spec.beta * KL). */
  readonly objective?: Objective;
  /** Where to compute (default: the runtime init() made the default), e.g. a pool from parallel.startThreads or the float64 ReferenceBackend. */
  readonly backend?: Backend<Buffer>;
  /**
   * Reuse the memory of the state passed in (default false: arguments are never mutated). The
   * new state goes into its arrays where they fit (a Float32Array of the right length, sharing no
   * memory with another reused one; fresh arrays elsewhere), and the state returned by the last
   * call is used without loading. After a call the state passed in must not be used again (its
   * arrays, the tensors' data and the slots, hold the new state or will), and a returned state
   * must not be changed before it is passed back. A batch that does not fit throws before anything
   * is given up; a NonFiniteError's `state` is a fresh record with the values of the state passed
   * in (the last finite one).
   */
  readonly donate?: boolean;
}

export function step(model: Model, optimizer: Optimizer, options: StepOptions = {}): StepFn {
  const objective = options.objective === undefined ? undefined : checkObjective(options.objective, model.spec.kind);
  const donate = options.donate ?? false;
  const kept = new Keeper<Trainer<Buffer>>();
  const fn = ((state: TrainState, batch: Batch, key: Key) => {
    const be = options.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
    const rows = batchRows(batch);
    const trainer = kept.value?.be === be ? kept.value : kept.keep(new Trainer(be, model, optimizer.transform, rows, objective), be, fn);
    trainer.resize(rows);
    const held = donate && trainer.holds(state);
    if (!held) trainer.load(state);
    const metrics = trainer.run(batch, key, held);
    return { state: donate ? trainer.stateInto(state, fn) : trainer.state(), metrics };
  }) as StepFn;
  fn.dispose = () => kept.dispose();
  fn[Symbol.dispose] = fn.dispose;
  return fn;
}

/** A fresh training state: the given parameters and the optimizer's initial state. */
export function initState(params: Params, optimizer: Optimizer): TrainState {
  return Object.freeze({ params, opt: optimizer.init(params) });
}
