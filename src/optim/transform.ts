/**
 * Gradient transformations in the manner of Optax: each one turns gradients into updates,
 * keeping its own state, and they compose with `chain`. Here a transformation works on the
 * flat parameter vector of a program, in place: `update` receives the gradients in `g` and
 * leaves the updates there; the caller then applies params += updates.
 * State is `slots` vectors the size of the parameters (Adam: 2, momentum: 1, SGD: 0), plus
 * the step count, which the caller keeps (0 before the first update).
 */
import type { Backend, Buffer } from "../backend/backend.js";

export interface Transform {
  readonly name: string;
  /** Parameter-sized state vectors this transformation keeps. */
  readonly slots: number;
  /** Turns g into updates in place; `state` holds `slots` buffers; `count` is the number of earlier updates. */
  update<B extends Buffer>(be: Backend<B>, g: B, state: readonly B[], params: B, count: number): void;
  /**
   * Optional fast path (present only where one exists: the Adam chains): computes the updates
   * and applies params += updates in one pass, bit-identical to `update` followed by
   * `be.axpy(1, g, params)`, and returns true.
   * - Without `next`, `state` is updated in place and g is left unchanged.
   * - With `next` (buffers like `state`), the guarded form: the new state goes to `next`, `state`
   *   is only read and g is overwritten. When some new parameter or state value would not be
   *   finite it returns false, leaving params and `state` as they were (g and `next` then
   *   hold garbage), so the caller still has the last finite state without having copied it.
   */
  applyFused?<B extends Buffer>(be: Backend<B>, g: B, state: readonly B[], params: B, count: number, next?: readonly B[]): boolean;
  /** What a fused chain needs to know about this transformation (set by the elementary ones). */
  readonly fusable?: Fusable;
}

/** The parts of an Adam chain, as `chain` recognises them to build `applyFused`. */
export type Fusable =
  | { readonly kind: "adam"; readonly b1: number; readonly b2: number; readonly eps: number }
  | { readonly kind: "decay"; readonly weightDecay: number }
  | { readonly kind: "lr"; readonly rate: (count: number) => number };

export class OptimError extends Error {
  override readonly name = "OptimError";
}

export function checkNumber(value: number, what: string, lo = -Infinity, hi = Infinity, open = false): number {
  const ok = typeof value === "number" && Number.isFinite(value) && (open ? value > lo : value >= lo) && value <= hi;
  if (!ok) throw new OptimError(`${what} must be a finite number in ${open ? "(" : "["}${lo}, ${hi}], got ${String(value)}`);
  return value;
}

/**
 * Applies transformations in order; their states are concatenated. The chains
 * scaleByAdam -> [addDecayedWeights] -> scaleByLearningRate (adam, adamw) get `applyFused`:
 * one kernel pass over g, m, v and params instead of three passes plus the apply.
 */
export function chain(...transforms: Transform[]): Transform {
  const slots = transforms.reduce((s, t) => s + t.slots, 0);
  const t: Transform = {
    name: `chain(${transforms.map((t) => t.name).join(", ")})`,
    slots,
    update(be, g, state, params, count) {
      let at = 0;
      for (const t of transforms) {
        t.update(be, g, state.slice(at, at + t.slots), params, count);
        at += t.slots;
      }
    },
  };
  const parts = transforms.map((t) => t.fusable);
  const adam = parts[0], last = parts[parts.length - 1];
  const decay = parts.length === 3 ? parts[1] : parts.length === 2 ? { kind: "decay" as const, weightDecay: 0 } : undefined;
  if (adam?.kind === "adam" && last?.kind === "lr" && decay?.kind === "decay") {
    const { b1, b2, eps } = adam, wd = decay.weightDecay, rate = last.rate;
    return {
      ...t,
      applyFused(be, g, [m, v], params, count, next) {
        const lr = rate(count);
        if (!Number.isFinite(lr)) throw new OptimError(`the learning-rate schedule gave ${lr} at step ${count}`);
        const bc1 = 1 - Math.pow(b1, count + 1), bc2 = 1 - Math.pow(b2, count + 1);
        if (!next) {
          be.adamApply(b1, b2, eps, bc1, bc2, lr, wd, g, m!, v!, params);
          return true;
        }
        const done = be.adamStep(b1, b2, eps, bc1, bc2, lr, wd, g, m!, v!, params, next[0]!, next[1]!);
        if (done === params.length) return true;
        // params[0, done) were updated and their old values saved in g[0, done): put them back.
        if (done > 0) be.copy(be.view(g, 0, done), be.view(params, 0, done));
        return false;
      },
    };
  }
  return t;
}
