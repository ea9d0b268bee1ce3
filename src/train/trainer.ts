/**
 * One training program: a model program plus optimizer slots on a backend, for one batch
 * size. `run` does a whole step in place: forward, backward, guard, optimizer, apply.
 * Both the pure `step` and `fit` use it, which is why fit equals folding step bit for bit.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import type { Model } from "../models/model.js";
import type { Program } from "../models/program.js";
import type { Params } from "../nn/params.js";
import { checkOptState, type OptState } from "../optim/optimizer.js";
import type { Transform } from "../optim/transform.js";
import type { Key } from "../random/index.js";
import { checkTensorLike, copyInto, ShapeError, toTensor, type TensorLike } from "../tensor/tensor.js";

export interface TrainState {
  readonly params: Params;
  readonly opt: OptState;
}

/** Batch means of the per-sample loss terms (nats per sample for the likelihoods). */
export interface StepMetrics {
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number;
}

/** Training met a NaN or infinity; `state` is the last finite state (before the failing step). */
export class NonFiniteError extends Error {
  override readonly name = "NonFiniteError";
  constructor(readonly step: number, readonly what: string, readonly state: TrainState) {
    super(`training stopped at step ${step}: ${what} is not finite; the state before this step is kept`);
  }
}

export class Trainer<B extends Buffer> {
  readonly prog: Program<B>;
  private readonly slots: B;
  private readonly slotViews: B[];
  /** Copy of params and slots for the guard of transforms without a fused path (else empty). */
  private readonly backup: B;
  count = 0;

  constructor(readonly be: Backend<B>, readonly model: Model, readonly transform: Transform, readonly batch: number) {
    this.prog = model.program(be, batch);
    const n = model.layout.total;
    this.slots = be.alloc(transform.slots * n);
    this.slotViews = Array.from({ length: transform.slots }, (_, i) => be.view(this.slots, i * n, n));
    this.backup = be.alloc(transform.applyFused ? 0 : (transform.slots + 1) * n);
  }

  load(state: TrainState): void {
    const { layout } = this.model;
    checkOptState(state.opt, this.transform, layout.total);
    this.be.write(this.prog.params, layout.flatten(state.params));
    this.be.write(this.slots, state.opt.slots);
    this.count = state.opt.count;
  }

  state(): TrainState {
    const params = this.model.layout.unflatten(this.be.read(this.prog.params));
    return Object.freeze({ params, opt: Object.freeze({ count: this.count, slots: Float32Array.from(this.be.read(this.slots)) }) });
  }

  /** One step on the batch x [batch, input] with the key for the VAE's noise. */
  run(x: TensorLike, key: Key): StepMetrics {
    const { be, prog, batch, model } = this;
    checkTensorLike(x, "batch");
    if (x.shape.length !== 2 || x.shape[0] !== batch || x.shape[1] !== model.spec.input) {
      throw new ShapeError(`batch must have shape [${batch}, ${model.spec.input}], got [${x.shape.join(", ")}]`);
    }
    const xv = be.hostView?.(prog.x);
    if (xv) copyInto(x, xv);
    else be.write(prog.x, toTensor(x).data);
    if (!be.allFinite(prog.x)) throw new NonFiniteError(this.count, "the input batch", this.state());
    const sums = prog.forward(key);
    const metrics = {
      loss: (sums.reconstruction + model.spec.beta * sums.kl) / batch,
      reconstruction: sums.reconstruction / batch,
      kl: sums.kl / batch,
    };
    if (!Number.isFinite(metrics.loss)) throw new NonFiniteError(this.count, `the loss (${metrics.loss})`, this.state());
    prog.backward();
    const t = this.transform;
    if (t.applyFused) {
      // One pass checks that the update would leave everything finite (writing nothing if
      // not), one pass applies it: the state before the step survives a failing step.
      if (!t.applyFused(be, prog.grads, this.slotViews, prog.params, this.count, true)) {
        const what = be.allFinite(prog.grads) ? "the updated parameters or optimizer state" : "a gradient";
        throw new NonFiniteError(this.count, what, this.state());
      }
      this.count++;
      return metrics;
    }
    if (!be.allFinite(prog.grads)) throw new NonFiniteError(this.count, "a gradient", this.state());
    const n = model.layout.total;
    be.copy(prog.params, be.view(this.backup, 0, n));
    be.copy(this.slots, be.view(this.backup, n, this.slots.length));
    this.transform.update(be, prog.grads, this.slotViews, prog.params, this.count);
    be.axpy(1, prog.grads, prog.params);
    if (!be.allFinite(prog.params) || !be.allFinite(this.slots)) {
      be.copy(be.view(this.backup, 0, n), prog.params);
      be.copy(be.view(this.backup, n, this.slots.length), this.slots);
      throw new NonFiniteError(this.count, "the updated parameters or optimizer state", this.state());
    }
    this.count++;
    return metrics;
  }

  dispose(): void {
    this.prog.dispose();
    this.be.free(this.slots);
    this.be.free(this.backup);
  }
}
