/**
 * An Optimizer is a Transform with host-side, pure `init` and `update` over Params records,
 * computed on the default kernel backend. Training programs use `transform` directly on
 * their flat buffers.
 */
import { defaultBackend } from "../backend/default.js";
import { ParamLayout, type Params } from "../nn/params.js";
import { ShapeError, type TensorLike } from "../tensor/tensor.js";
import { OptimError, type Transform } from "./transform.js";

/**
 * Optimizer state: the number of updates applied so far and the transform's slots, stored
 * flat as `slots` consecutive parameter-sized vectors in the parameters' layout order.
 * The library never mutates it.
 */
export interface OptState {
  readonly count: number;
  readonly slots: Float32Array;
}

export interface Optimizer {
  readonly transform: Transform;
  init(params: Params): OptState;
  update(grads: Readonly<Record<string, TensorLike>>, state: OptState, params: Params): { updates: Params; state: OptState };
}

export function layoutOf(params: Readonly<Record<string, TensorLike>>): ParamLayout {
  return new ParamLayout(Object.entries(params).map(([name, t]) => ({ name, shape: t.shape })));
}

export function checkOptState(state: OptState, transform: Transform, paramCount: number): void {
  if (!state || !Number.isSafeInteger(state.count) || state.count < 0) throw new OptimError(`optimizer state count must be a non-negative integer, got ${state?.count}`);
  const want = transform.slots * paramCount;
  if (!(state.slots instanceof Float32Array) || state.slots.length !== want) {
    throw new OptimError(`optimizer state has ${state.slots?.length} slot values, ${transform.name} needs ${want} (${transform.slots} x ${paramCount} parameters)`);
  }
}

export function optimizer(transform: Transform): Optimizer {
  return {
    transform,
    init(params) {
      const layout = layoutOf(params);
      return Object.freeze({ count: 0, slots: new Float32Array(transform.slots * layout.total) });
    },
    update(grads, state, params) {
      const layout = layoutOf(params);
      const n = layout.total;
      checkOptState(state, transform, n);
      const be = defaultBackend();
      const g = be.alloc(n), p = be.alloc(n), s = be.alloc(transform.slots * n);
      try {
        be.write(g, layout.flatten(grads));
        be.write(p, layout.flatten(params));
        be.write(s, state.slots);
        const views = Array.from({ length: transform.slots }, (_, i) => be.view(s, i * n, n));
        transform.update(be, g, views, p, state.count);
        return { updates: layout.unflatten(be.f32(g)), state: Object.freeze({ count: state.count + 1, slots: be.read(s) }) };
      } finally {
        be.free(g); be.free(p); be.free(s);
      }
    },
  };
}

/** params + updates, as a fresh record (names and shapes must match). */
export function applyUpdates(params: Params, updates: Readonly<Record<string, TensorLike>>): Params {
  const layout = layoutOf(params);
  const p = layout.flatten(params);
  const u = layout.flatten(updates);
  if (p.length !== u.length) throw new ShapeError("updates do not match the parameters");
  for (let i = 0; i < p.length; i++) p[i] = p[i]! + u[i]!;
  return layout.unflatten(p);
}
