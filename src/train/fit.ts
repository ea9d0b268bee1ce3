/**
 * The training loop. `fit` owns its state on the kernel backend and updates it in place
 * (donation, in JAX's words); step i uses the key foldIn(key, count) where count is the
 * optimizer's step count, so fit gives bit for bit what folding `step` over the same batches
 * with those keys gives. Yields to the event loop between batches so that an AbortSignal can fire.
 */
import { defaultBackend } from "../backend/default.js";
import type { Backend, Buffer } from "../backend/backend.js";
import { WorkerError, type Spawn } from "../parallel/pool.js";
import { startThreads } from "../parallel/start.js";
import type { ThreadedBackend } from "../parallel/threaded.js";
import type { LossMetrics, Model } from "../models/model.js";
import type { Optimizer } from "../optim/optimizer.js";
import { foldIn, type Key } from "../random/index.js";
import type { TensorLike } from "../tensor/tensor.js";
import { batchRows } from "../tensor/batch.js";
import type { BatchSource } from "../data/batch-source.js";
import { checkObjective, type Objective } from "../objectives/objective.js";
import { NonFiniteError, Trainer, type StepMetrics, type TrainState } from "./trainer.js";

export type { BatchSource } from "../data/batch-source.js";

export interface BatchInfo {
  readonly epoch: number;
  readonly batch: number;
  /** Optimizer steps done so far, this one included. */
  readonly count: number;
  readonly metrics: StepMetrics;
}

export interface EpochMetrics {
  /** 1-based. */
  readonly epoch: number;
  readonly steps: number;
  readonly samples: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** Per-sample means over the epoch's batches, accumulated while the parameters change. */
  readonly train: LossMetrics;
  /** On the validation set at the end of the epoch, if one was given. */
  readonly test?: LossMetrics;
}

/** What a callback may do at the end of an epoch. */
export interface EpochContext {
  /** The current state (read out of the kernels on demand; the same record until the next step). */
  readonly state: () => TrainState;
  /** Ends training after this epoch; `reason` is reported as FitResult.stopped. */
  readonly stop: (reason: string) => void;
}

/**
 * Run logic that is not the step itself (checkpoints, best model, early stopping, learning-rate
 * plateaus: src/train/callbacks.ts). Callbacks run in order after `onEpoch`, each awaited.
 */
export interface Callback {
  onEpoch?(metrics: EpochMetrics, ctx: EpochContext): void | Promise<void>;
}

export interface FitOptions {
  readonly state: TrainState;
  readonly data: BatchSource;
  /** Train until this many epochs are done (counting from 0, or from startEpoch). */
  readonly epochs: number;
  /** Epochs already done, when resuming from a checkpoint (default 0): epoch numbers, and so the data order, continue from here. */
  readonly startEpoch?: number;
  readonly key: Key;
  /** What to minimise (default: the model's likelihood plus spec.beta * KL); see src/objectives. */
  readonly objective?: Objective;
  /** Evaluated after every epoch with the key foldIn(validation.key ?? key, epoch). */
  readonly validation?: { readonly x: TensorLike; readonly key?: Key };
  readonly signal?: AbortSignal;
  readonly onBatch?: (info: BatchInfo) => void | Promise<void>;
  readonly onEpoch?: (metrics: EpochMetrics, state: () => TrainState) => void | Promise<void>;
  readonly callbacks?: readonly Callback[];
  /** Clock for samples/s, in milliseconds (default: performance.now). */
  readonly now?: () => number;
  /**
   * Threads to train on (default 1). With more, fit starts a pool (src/parallel) for the run and
   * closes it at the end; the results are the same bits for any count. Ignored when `backend` is given.
   * Where workers cannot start (no SharedArrayBuffer, no way to spawn), fit trains on one thread
   * and says why in the result's `singleThreadReason`; with `requireThreads` it throws a
   * WorkerError instead.
   */
  readonly threads?: number;
  /** Throw a WorkerError rather than train on one thread when the asked threads cannot start (default false). */
  readonly requireThreads?: boolean;
  /** How the pool starts workers (default: Web Workers where the runtime has them; Node: nodeSpawn from latent/node). */
  readonly spawn?: Spawn;
  /**
   * The backend to train on (default: the one init() set): e.g. a pool from parallel.startThreads,
   * or the float64 ReferenceBackend, which makes a whole run an oracle for the kernels'.
   */
  readonly backend?: Backend<Buffer>;
}

export interface FitResult {
  readonly state: TrainState;
  readonly history: readonly EpochMetrics[];
  readonly aborted: boolean;
  /** The reason a callback gave for stopping early, or null. */
  readonly stopped: string | null;
  /** Threads the run trained on (the backend's, when one was given). */
  readonly threads: number;
  /** Why the run trained on one thread when more were asked for, or null. */
  readonly singleThreadReason: string | null;
}

const YIELD_MS = 50;

/**
 * The run keeps neither `o` nor its state once the trainer has loaded it (fit never changes
 * them), so that a caller who does not hold them either lets the collector free those arrays
 * during the run: the state read out at an epoch's end may then take their memory.
 */
export function fit(model: Model, optimizer: Optimizer, o: FitOptions): Promise<FitResult> {
  try {
    return fitRun(model, optimizer, optionsBut(o), { state: o.state });
  } catch (e) {
    return Promise.reject(e);
  }
}

type FitRunOptions = { readonly [K in Exclude<keyof FitOptions, "state">]-?: FitOptions[K] };

/** Every option but the state (the type names each, so that a new option is not left out). */
function optionsBut(o: FitOptions): FitRunOptions {
  return {
    data: o.data, epochs: o.epochs, startEpoch: o.startEpoch, key: o.key, objective: o.objective, validation: o.validation,
    signal: o.signal, onBatch: o.onBatch, onEpoch: o.onEpoch, callbacks: o.callbacks, now: o.now, threads: o.threads,
    requireThreads: o.requireThreads, spawn: o.spawn, backend: o.backend,
  };
}

/** The initial state, until a trainer has loaded it (then null). */
interface Initial { state: TrainState | null }

async function fitRun(model: Model, optimizer: Optimizer, o: FitRunOptions, initial: Initial): Promise<FitResult> {
  for (const [name, v] of [["epochs", o.epochs], ["startEpoch", o.startEpoch ?? 0]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`fit: ${name} must be a non-negative integer, got ${v}`);
  }
  let pool: ThreadedBackend | null = null;
  if (!o.backend && (o.threads ?? 1) !== 1) {
    // The same kernel build as the default backend, so that the thread count changes no bit.
    pool = await startThreads({ threads: o.threads, spawn: o.spawn, isa: defaultBackend().module.isa });
    if (pool.singleThreadReason && o.requireThreads) {
      const reason = pool.singleThreadReason;
      pool.close();
      throw new WorkerError(`fit: ${o.threads} threads were asked for (requireThreads) but only one can run: ${reason}`);
    }
  }
  try {
    const be = pool ?? o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
    const result = await fitOn(be, model, optimizer, o, initial);
    const threads = (be as { threads?: unknown }).threads;
    return { ...result, threads: typeof threads === "number" ? threads : 1, singleThreadReason: pool?.singleThreadReason ?? null };
  } finally {
    pool?.close();
  }
}

async function fitOn(be: Backend<Buffer>, model: Model, optimizer: Optimizer, o: FitRunOptions, initial: Initial): Promise<Omit<FitResult, "threads" | "singleThreadReason">> {
  const objective = o.objective === undefined ? undefined : checkObjective(o.objective, model.spec.kind);
  const now = o.now ?? (() => performance.now());
  // One trainer: a batch of another size (the last, partial one) resizes its activations and
  // keeps the state in place, so memory holds one program and no state is copied out.
  let current: Trainer<Buffer> | null = null;
  const history: EpochMetrics[] = [];
  const sync = (): TrainState => (current ? current.state() : initial.state!);
  let aborted = false;
  let stopped: string | null = null;
  let lastYield = now();
  try {
    for (let epoch = o.startEpoch ?? 0; epoch < o.epochs && !aborted; epoch++) {
      const start = now();
      let samples = 0, steps = 0, recon = 0, kl = 0, loss = 0;
      let batchIndex = 0;
      for (const x of o.data(epoch)) {
        if (o.signal?.aborted) { aborted = true; break; }
        const rows = batchRows(x);
        let trainer = current as Trainer<Buffer> | null;
        if (!trainer) {
          trainer = new Trainer(be, model, optimizer.transform, rows, objective);
          trainer.load(initial.state!);
          current = trainer;
          initial.state = null;
        }
        trainer.resize(rows);
        let metrics: StepMetrics;
        try {
          metrics = trainer.run(x, foldIn(o.key, trainer.count));
        } catch (e) {
          throw e instanceof NonFiniteError && !e.place ? e.at({ epoch: epoch + 1, batch: batchIndex }) : e;
        }
        samples += rows; steps++;
        loss += metrics.loss * rows;
        recon += metrics.reconstruction * rows;
        kl += metrics.kl * rows;
        if (o.onBatch) await o.onBatch({ epoch, batch: batchIndex, count: trainer.count, metrics });
        batchIndex++;
        if (now() - lastYield > YIELD_MS) { await new Promise((r) => setTimeout(r, 0)); lastYield = now(); }
      }
      if (aborted) break;
      const seconds = (now() - start) / 1000;
      const d = Math.max(samples, 1);
      const train = { loss: loss / d, reconstruction: recon / d, kl: kl / d };
      let test: LossMetrics | undefined;
      if (o.validation) {
        test = model.loss(sync().params, o.validation.x, foldIn(o.validation.key ?? o.key, epoch), { backend: be });
      }
      const metrics: EpochMetrics = { epoch: epoch + 1, steps, samples, seconds, samplesPerSecond: seconds > 0 ? samples / seconds : 0, train, ...(test ? { test } : {}) };
      history.push(metrics);
      if (o.onEpoch) await o.onEpoch(metrics, sync);
      const ctx: EpochContext = { state: sync, stop: (reason) => { stopped ??= reason; } };
      for (const cb of o.callbacks ?? []) if (cb.onEpoch) await cb.onEpoch(metrics, ctx);
      if (stopped !== null) break;
    }
    return { state: sync(), history, aborted, stopped };
  } finally {
    current?.dispose();
  }
}
