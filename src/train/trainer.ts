/**
 * One training program: a model program plus optimizer slots on a backend, for one batch
 * size at a time. `run` does a whole step in place: forward, backward, guard, optimizer, apply.
 * `resize` changes the batch size and keeps the state where it is (the parameter, gradient
 * and slot buffers belong to the trainer; only the activations are rebuilt).
 * Both the pure `step` and `fit` use it, which is why fit equals folding step bit for bit.
 *
 * The NaN guard keeps the last finite state without copying it every step where the transform
 * has a fused path (adam, adamw): one kernel pass writes the new moments into a second set of
 * slots and stops, putting back the parameters it had updated, at the first value that would not
 * be finite; the slot sets swap after each finite step. Other transforms copy params and slots
 * before the update and restore them when the result is not finite.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { checkBatch, uploadBatch, type Batch } from "../models/batch.js";
import type { Model } from "../models/model.js";
import type { Program } from "../models/program.js";
import { forwardPass } from "../objectives/evaluate.js";
import { defaultObjective, type Objective } from "../objectives/objective.js";
import type { ParamLayout, Params } from "../nn/params.js";
import { checkOptState, zeroSlots, type OptState } from "../optim/optimizer.js";
import type { Transform } from "../optim/transform.js";
import type { Key } from "../random/index.js";
import { contiguousStride, tensor, type Tensor } from "../tensor/tensor.js";

export interface TrainState {
  readonly params: Params;
  readonly opt: OptState;
}

/** Batch means of the per-sample loss terms (nats per sample for the likelihoods). */
export interface StepMetrics {
  /** The objective's value. */
  readonly loss: number;
  readonly reconstruction: number;
  readonly kl: number;
  /** Every term of the objective, unweighted (reconstruction, kl, and l1, sparsity, iwae where present). */
  readonly terms: Readonly<Record<string, number>>;
}

/** Where in a fit a step failed: `epoch` 1-based (as in EpochMetrics), `batch` 0-based within it (as in BatchInfo). */
export interface StepPlace {
  readonly epoch: number;
  readonly batch: number;
}

/**
 * Training met a NaN or infinity. `step` is the optimizer's step count when it failed (the steps
 * done before it), `state` the last finite state (before the failing step), bit for bit; `place`
 * is set by fit. `note` is added to the message (e.g. where the caller stored the state).
 */
export class NonFiniteError extends Error {
  override readonly name = "NonFiniteError";
  constructor(readonly step: number, readonly what: string, readonly state: TrainState, readonly place?: StepPlace, readonly note?: string) {
    const at = place ? `epoch ${place.epoch} (batch ${place.batch + 1}), step ${step}` : `step ${step}`;
    super(`training stopped at ${at}: ${what} is not finite; the state before this step is kept${note ? `; ${note}` : ""}`);
  }

  /** The same error placed in a fit's epoch and batch. */
  at(place: StepPlace): NonFiniteError {
    return new NonFiniteError(this.step, this.what, this.state, place, this.note);
  }

  /** The same error with `note` added to its message. */
  noted(note: string): NonFiniteError {
    return new NonFiniteError(this.step, this.what, this.state, this.place, note);
  }
}

export class Trainer<B extends Buffer> {
  private program: Program<B>;
  private readonly params: B;
  private readonly grads: B;
  private slots: B;
  private slotViews: B[];
  /**
   * With a fused transform: a second set of slots, which the guarded update writes the new
   * state into (the two swap after a finite step). Otherwise: the copy of params and slots
   * taken before each update for the NaN guard.
   */
  private backup: B;
  private backupViews: B[];
  count = 0;
  /** The last state() read out (the same frozen record) until the next load() or run(): the end of a fit reads it several times. */
  private readOut: TrainState | null = null;
  /** The last stateInto() read out, until the next load() or run() (or forget()). */
  private lent: Lent | null = null;

  readonly objective: Objective;
  private disposed = false;
  /** The layout's shapes and strides, frozen, shared by the tensors stateInto() reads out. */
  private shapes: readonly Shaped[] | null = null;
  /** The parameters are float32 in the backend's memory, so a read-out is the state exactly. */
  private readonly exact: boolean;

  constructor(readonly be: Backend<B>, readonly model: Model, readonly transform: Transform, batch: number, objective?: Objective) {
    const n = model.layout.total;
    this.objective = objective ?? defaultObjective(model.spec);
    this.params = be.alloc(n);
    this.grads = be.alloc(n);
    this.program = model.program(be, batch, this.programOptions());
    const views = (b: B) => Array.from({ length: transform.slots }, (_, i) => be.view(b, i * n, n));
    this.slots = be.alloc(transform.slots * n);
    this.slotViews = views(this.slots);
    this.backup = be.alloc((transform.slots + (transform.applyFused ? 0 : 1)) * n);
    this.backupViews = views(this.backup);
    this.exact = be.hostView?.(this.params) instanceof Float32Array;
  }

  private programOptions() {
    return { buffers: { params: this.params, grads: this.grads }, samples: this.objective.samples, separateInput: this.objective.corrupt !== null };
  }

  get prog(): Program<B> { return this.program; }
  get batch(): number { return this.program.batch; }

  /** Rebuilds the activations for `batch` rows; parameters, optimizer state and step count stay as they are. */
  resize(batch: number): void {
    if (batch === this.program.batch) return;
    const old = this.program;
    old.dispose(); // first, so the new activations can take the freed memory
    try {
      this.program = this.model.program(this.be, batch, this.programOptions());
    } catch (e) {
      this.program = this.model.program(this.be, old.batch, this.programOptions()); // stay usable (and disposable) at the old size
      throw e;
    }
  }

  load(state: TrainState): void {
    this.settle();
    const { layout } = this.model;
    checkOptState(state.opt, this.transform, layout.total);
    // Straight into the program's buffer where the backend exposes it (one copy, not two).
    const view = this.be.hostView?.(this.prog.params);
    if (view instanceof Float32Array) layout.flatten(state.params, view);
    else this.be.write(this.prog.params, layout.flatten(state.params));
    // An initial state's unread zero slots are zeroed here, never made on the host.
    if (zeroSlots(state.opt) === null) this.be.write(this.slots, state.opt.slots);
    else if (this.slots.length > 0) this.be.fill(0, this.slots);
    this.count = state.opt.count;
    this.readOut = null;
  }

  state(): TrainState {
    if (this.readOut) return this.readOut;
    const { be, prog, model } = this;
    const view = be.hostView?.(prog.params);
    let params: Params;
    if (view instanceof Float32Array) {
      // One copy per tensor out of the live buffer (unflatten would copy a copy, element by element).
      const out: Record<string, Tensor> = {};
      for (const e of model.layout.entries) out[e.name] = tensor(view.slice(e.offset, e.offset + e.size), e.shape);
      params = Object.freeze(out);
    } else {
      params = model.layout.unflatten(be.read(prog.params));
    }
    const raw = be.read(this.slots);
    const slots = raw instanceof Float32Array ? raw : Float32Array.from(raw);
    return (this.readOut = Object.freeze({ params, opt: Object.freeze({ count: this.count, slots }) }));
  }

  /**
   * Whether the trainer holds `state` exactly: the record it read out last, with no load() or run()
   * since, on a backend that computes in float32 (a float64 one holds more than a read-out keeps).
   */
  holds(state: TrainState): boolean {
    return this.exact && (state === this.readOut || (this.lent !== null && lentOf(state) === this.lent));
  }

  /**
   * The state read out lazily into the arrays of `into`, which the caller gives up (step's
   * `donate`): each tensor's data and the slots where they fit (a Float32Array of the right
   * length, sharing no memory with another one reused), fresh arrays elsewhere, in a new frozen
   * record. Its arrays are filled when first read through the record, or before the trainer
   * changes (load, run, dispose), unless forget() gives them up first. Until it is read, the
   * record keeps `owner` alive (the function whose collection would free this trainer); the
   * trainer itself holds nothing that reaches it.
   */
  stateInto(into: TrainState, owner: object): TrainState {
    const { entries } = this.model.layout;
    const reuse = reusable(into, entries, this.slots.length);
    const arrays = reuse.map((a, i) => a ?? new Float32Array(i < entries.length ? entries[i]!.size : this.slots.length));
    const lent: Lent = { trainer: this as Trainer<Buffer>, arrays };
    const pin: Pin = { owner };
    this.shapes ??= entries.map((e) => ({ shape: Object.freeze([...e.shape]), stride: Object.freeze(contiguousStride(e.shape)) }));
    const params: Record<string, Tensor> = {};
    for (let i = 0; i < entries.length; i++) params[entries[i]!.name] = lentTensor(lent, pin, arrays[i]!, this.shapes[i]!);
    const slots = arrays[entries.length]!;
    const opt: OptState = Object.freeze({ count: this.count, get slots() { fill(lent, pin); return slots; } });
    const state = Object.freeze(Object.defineProperty({ params: Object.freeze(params), opt }, LENT, { value: lent }));
    this.lent = lent;
    return state;
  }

  /** Gives up the state stateInto() read out last, unfilled: the caller donated it back. */
  private forget(): void {
    if (this.lent) this.lent.trainer = null;
    this.lent = null;
  }

  /** Fills the arrays of the state stateInto() read out last, before the trainer changes. */
  private settle(): void {
    if (this.lent) fill(this.lent);
    this.lent = null;
  }

  /** Copies the parameters and slots into `arrays` (one per layout entry, then the slots). */
  copyOut(arrays: readonly Float32Array[]): void {
    const { be, prog } = this;
    const { entries } = this.model.layout;
    const flat = be.hostView?.(prog.params) ?? be.read(prog.params);
    entries.forEach((e, i) => arrays[i]!.set(flat.subarray(e.offset, e.offset + e.size)));
    arrays[entries.length]!.set(be.hostView?.(this.slots) ?? be.read(this.slots));
  }

  /**
   * One step on the batch (x [batch, input], or { x, labels } for a conditional model) with the
   * step's key: the objective's forward and backward pass (src/objectives/evaluate.ts, the path
   * valueAndGrad runs), the NaN guard, and the optimizer's update at this.count. `donated`: the
   * state it holds was given up by its caller, so a lazy read-out of it is not filled first.
   */
  run(batch: Batch, key: Key, donated = false): StepMetrics {
    const { be, prog, model } = this;
    checkBatch(batch, this.batch, model.spec.input, prog.classes); // first: a batch that does not fit changes nothing
    if (donated) this.forget();
    else this.settle();
    this.readOut = null;
    uploadBatch(prog, batch);
    if (!be.allFinite(prog.x)) throw new NonFiniteError(this.count, "the input batch", this.state());
    const pass = forwardPass(prog, this.objective, key, this.count);
    const metrics: StepMetrics = { loss: pass.value, reconstruction: pass.terms.reconstruction!, kl: pass.terms.kl!, terms: pass.terms };
    if (!Number.isFinite(metrics.loss)) throw new NonFiniteError(this.count, `the loss (${metrics.loss})`, this.state());
    pass.backward();
    const t = this.transform;
    if (t.applyFused) {
      // One pass: the new slots go to the spare set, params are updated in place (their old
      // values kept in the gradient buffer), and a value that would not be finite stops it with
      // params put back and the slots untouched: the state before the step, without a copy.
      if (!t.applyFused(be, prog.grads, this.slotViews, prog.params, this.count, this.backupViews)) {
        // The gradient buffer now holds old parameters where the update got to: those were
        // finite, and so were the gradients there, so this still tells a bad gradient apart.
        const what = be.allFinite(prog.grads) ? "the updated parameters or optimizer state" : "a gradient";
        throw new NonFiniteError(this.count, what, this.state());
      }
      [this.slots, this.backup] = [this.backup, this.slots];
      [this.slotViews, this.backupViews] = [this.backupViews, this.slotViews];
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

  /** Frees the program, parameters, gradients and optimizer slots; a second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.settle();
    this.disposed = true;
    this.program.dispose();
    this.be.free(this.params);
    this.be.free(this.grads);
    this.be.free(this.slots);
    this.be.free(this.backup);
  }

  [Symbol.dispose](): void { this.dispose(); }
}

interface Shaped { readonly shape: readonly number[]; readonly stride: readonly number[] }

/** A state read out lazily: `trainer` holds its values until fill() copies them out (then null). */
interface Lent {
  trainer: Trainer<Buffer> | null;
  readonly arrays: readonly Float32Array[];
}
/** What a lazily read-out record keeps alive until it is read. */
interface Pin { owner: object | null }

/** The key of the Lent behind a record stateInto() returned (non-enumerable: for holds() only). */
const LENT = Symbol("lent");
const lentOf = (s: TrainState): Lent | undefined => (s as { [LENT]?: Lent })[LENT];

/** An own enumerable `data` getter (so that spreading or serialising a tensor reads it). */
function lentTensor(lent: Lent, pin: Pin, data: Float32Array, { shape, stride }: Shaped): Tensor {
  return Object.freeze({ get data() { fill(lent, pin); return data; }, shape, stride, offset: 0 });
}

function fill(lent: Lent, pin?: Pin): void {
  lent.trainer?.copyOut(lent.arrays);
  lent.trainer = null;
  if (pin) pin.owner = null;
}

/**
 * The arrays of `s` a read-out may overwrite, per layout entry and then the slots: null where one
 * is not a Float32Array of the length needed or shares memory with one kept before it (a state
 * built from views of one buffer can), so that writing one never changes another.
 */
function reusable(s: TrainState, entries: ParamLayout["entries"], slotCount: number): (Float32Array | null)[] {
  const arrays = entries.map((e) => fits(s.params[e.name]?.data, e.size));
  arrays.push(fits(s.opt.slots, slotCount));
  for (let i = 1; i < arrays.length; i++) {
    for (let j = 0; j < i && arrays[i]; j++) if (arrays[j] && overlaps(arrays[i]!, arrays[j]!)) arrays[i] = null;
  }
  return arrays;
}

function fits(a: unknown, length: number): Float32Array | null {
  return a instanceof Float32Array && a.length === length ? a : null;
}

function overlaps(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
