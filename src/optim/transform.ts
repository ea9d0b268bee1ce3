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
}

export class OptimError extends Error {
  override readonly name = "OptimError";
}

export function checkNumber(value: number, what: string, lo = -Infinity, hi = Infinity, open = false): number {
  const ok = typeof value === "number" && Number.isFinite(value) && (open ? value > lo : value >= lo) && value <= hi;
  if (!ok) throw new OptimError(`${what} must be a finite number in ${open ? "(" : "["}${lo}, ${hi}], got ${String(value)}`);
  return value;
}

/** Applies transformations in order; their states are concatenated. */
export function chain(...transforms: Transform[]): Transform {
  const slots = transforms.reduce((s, t) => s + t.slots, 0);
  return {
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
}
