/**
 * The pure training step: `train.step(model, optimizer)` returns
 * (state, batch, key) => { state, metrics }, which never mutates its arguments and returns
 * fresh records. The key draws the VAE's noise; to match `fit`, pass foldIn(key, state.opt.count).
 */
import { defaultBackend } from "../backend/default.js";
import type { WasmBackend, WasmBuffer } from "../backend/wasm.js";
import type { Model } from "../models/model.js";
import type { Params } from "../nn/params.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { Key } from "../random/index.js";
import type { TensorLike } from "../tensor/tensor.js";
import { Trainer, type StepMetrics, type TrainState } from "./trainer.js";

export type StepFn = (state: TrainState, batch: TensorLike, key: Key) => { state: TrainState; metrics: StepMetrics };

/** `backend`: where to compute (default: the one init() set), e.g. a pool from parallel.startThreads. */
export function step(model: Model, optimizer: Optimizer, options: { readonly backend?: WasmBackend } = {}): StepFn {
  // One trainer, resized to each batch's rows: the state is loaded into it on every call.
  let trainer: Trainer<WasmBuffer> | null = null;
  return (state, batch, key) => {
    const be = options.backend ?? defaultBackend();
    const rows = batch?.shape?.[0] ?? 0;
    if (!trainer || trainer.be !== be) {
      trainer?.dispose();
      trainer = new Trainer(be, model, optimizer.transform, rows);
    }
    trainer.resize(rows);
    trainer.load(state);
    const metrics = trainer.run(batch, key);
    return { state: trainer.state(), metrics };
  };
}

/** A fresh training state: the given parameters and the optimizer's initial state. */
export function initState(params: Params, optimizer: Optimizer): TrainState {
  return Object.freeze({ params, opt: optimizer.init(params) });
}
