/**
 * `valueAndGrad(model, objective?)`: the gradient as a parameter record, JAX's value_and_grad
 * with the named terms as its aux output. The returned function
 *   (params, batch, key, { step }?) => { value, terms, grads }
 * never mutates its arguments; `grads` is a frozen Params record with the names and shapes of
 * params (f32). `step` is the optimizer step count that schedules in the objective read
 * (KL warm-up; default 0). With opt.update and optim.applyUpdates it is the Optax loop:
 *
 *   const vg = train.valueAndGrad(model, objectives.elbo({ beta: objectives.linearWarmup({ steps: 500 }) }));
 *   for (const batch of batches) {
 *     const { value, grads } = vg(params, batch, random.foldIn(key, opt.count), { step: opt.count });
 *     const { updates, state } = optimizer.update(grads, opt, params);
 *     params = optim.applyUpdates(params, updates); opt = state;
 *   }
 *   vg.dispose();
 *
 * It runs the same objective pass as the Trainer (train.step, train.fit), on a training program
 * it keeps between calls (rebuilt when the batch size changes) in the backend's memory: that
 * memory is released by dispose() (or `using`), else by the backend's finalizer once the
 * function is collected.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { batchRows, checkBatch, uploadBatch, type Batch } from "../models/batch.js";
import type { Model } from "../models/model.js";
import type { Program } from "../models/program.js";
import type { Params } from "../nn/params.js";
import { forwardPass } from "../objectives/evaluate.js";
import { Keeper } from "./keeper.js";
import { checkObjective, defaultObjective, type Objective } from "../objectives/objective.js";
import type { Key } from "../random/index.js";

export interface ValueAndGrad {
  readonly value: number;
  readonly terms: Readonly<Record<string, number>>;
  readonly grads: Params;
}

export interface ValueAndGradFn {
  (params: Params, batch: Batch, key: Key, options?: { readonly step?: number }): ValueAndGrad;
  /** Frees the program's memory; the function may still be called (it builds a new one). */
  dispose(): void;
  [Symbol.dispose](): void;
}

export interface BackendOption {
  /** Where to compute (default: the runtime init() made the default); the float64 ReferenceBackend makes it an oracle. */
  readonly backend?: Backend<Buffer>;
}

export function valueAndGrad(model: Model, objective?: Objective, o: BackendOption = {}): ValueAndGradFn {
  const obj = objective === undefined ? defaultObjective(model.spec) : checkObjective(objective, model.spec.kind);
  const kept = new Keeper<Program<Buffer>>();
  const fn = ((params: Params, batch: Batch, key: Key, options: { readonly step?: number } = {}): ValueAndGrad => {
    const step = options.step ?? 0;
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`step must be a non-negative integer, got ${step}`);
    const be = o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
    const rows = batchRows(batch);
    let prog = kept.value;
    if (!prog || prog.be !== be || prog.batch !== rows) {
      kept.dispose();
      checkBatch(batch, rows, model.spec.input, model.arch.classes);
      prog = kept.keep(model.program(be, rows, { samples: obj.samples, separateInput: obj.corrupt !== null }), be, fn);
    }
    checkBatch(batch, rows, model.spec.input, prog.classes);
    const { layout } = model;
    // Straight into the backend's memory where it gives a live view: f32 kernels round there, and
    // the float64 backend keeps float64 parameters exact (what latent/testing's checkGradients perturbs).
    const view = be.hostView?.(prog.params);
    if (view) layout.flatten(params, view);
    else be.write(prog.params, layout.flatten(params));
    uploadBatch(prog, batch);
    const pass = forwardPass(prog, obj, key, step);
    pass.backward();
    // One copy per tensor out of the backend's memory where it gives a live view (rounded to f32).
    const grads = layout.unflatten(be.hostView?.(prog.grads) ?? be.read(prog.grads));
    return Object.freeze({ value: pass.value, terms: pass.terms, grads });
  }) as ValueAndGradFn;
  fn.dispose = () => kept.dispose();
  fn[Symbol.dispose] = fn.dispose;
  return fn;
}
