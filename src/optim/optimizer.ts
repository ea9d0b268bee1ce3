/**
 * An Optimizer is a Transform with host-side, pure `init` and `update` over Params records.
 * `update` computes on the backend it is given (default: the default runtime's), so on the
 * float64 ReferenceBackend it is the oracle of the f32 kernels. Training programs use
 * `transform` directly on their flat buffers.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ParamLayout, type Params } from "../nn/params.js";
import { checkTensorLike, copyInto, isContiguous, ShapeError, size, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
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

export interface UpdateOptions<B extends Buffer = Buffer> {
  /** Where to compute (default: the backend init() set), e.g. a ReferenceBackend for float64. */
  readonly backend?: Backend<B>;
}

export interface Optimizer {
  readonly transform: Transform;
  init(params: Params): OptState;
  /**
   * The updates for `grads` at `params` and the next state, as fresh frozen records that share
   * no memory with the arguments (the values are f32: a float64 backend's results are rounded once,
   * at the end of the step).
   */
  update<B extends Buffer = Buffer>(grads: Readonly<Record<string, TensorLike>>, state: OptState, params: Params,
    options?: UpdateOptions<B>): { readonly updates: Params; readonly state: OptState };
}

export function layoutOf(params: Readonly<Record<string, TensorLike>>): ParamLayout {
  return new ParamLayout(Object.entries(params).map(([name, t]) => ({ name, shape: t.shape })));
}

export function checkOptState(state: OptState, transform: Transform, paramCount: number): void {
  if (!state || !Number.isSafeInteger(state.count) || state.count < 0) throw new OptimError(`optimizer state count must be a non-negative integer, got ${state?.count}`);
  const want = transform.slots * paramCount;
  const zeros = zeroSlots(state);
  if (zeros !== null ? zeros !== want : !(state.slots instanceof Float32Array) || state.slots.length !== want) {
    const have = zeros ?? state.slots?.length;
    throw new OptimError(`optimizer state has ${have} slot values, ${transform.name} needs ${want} (${transform.slots} x ${paramCount} parameters)`);
  }
}

/** The key of an initial state's unread zero slots (non-enumerable; see zeroSlots). */
const ZEROS = Symbol("zero slots");

/**
 * The state before any update: count 0 and `length` zero slots, whose Float32Array is made when
 * `slots` is first read (a trainer zeroes its own memory instead: no host array at all).
 */
export function initialOptState(length: number): OptState {
  let slots: Float32Array | null = null;
  const unread = { get length() { return slots === null ? length : null; } };
  return Object.freeze(Object.defineProperty({ count: 0, get slots() { return (slots ??= new Float32Array(length)); } }, ZEROS, { value: unread }));
}

/** The slot count of a state from initialOptState whose slots were never read (so they are zeros), else null. */
export function zeroSlots(state: OptState): number | null {
  return (state as { [ZEROS]?: { readonly length: number | null } })[ZEROS]?.length ?? null;
}

export function optimizer(transform: Transform): Optimizer {
  return {
    transform,
    init(params) {
      return initialOptState(transform.slots * layoutOf(params).total);
    },
    update(grads, state, params, options = {}) {
      const layout = layoutOf(params);
      checkOptState(state, transform, layout.total);
      return updateOn(options.backend ?? (defaultBackend() as unknown as Backend<Buffer>), transform, layout, grads, state, params);
    },
  };
}

function updateOn<B extends Buffer>(be: Backend<B>, transform: Transform, layout: ParamLayout,
  grads: Readonly<Record<string, TensorLike>>, state: OptState, params: Params): { readonly updates: Params; readonly state: OptState } {
  const n = layout.total;
  const g = be.alloc(n), p = be.alloc(n), s = be.alloc(transform.slots * n);
  try {
    // Straight into the backend's memory where it gives a live f32 view (one copy, not two).
    const put = (b: B, values: Readonly<Record<string, TensorLike>>) => {
      const view = be.hostView?.(b);
      if (view instanceof Float32Array) layout.flatten(values, view);
      else be.write(b, layout.flatten(values));
    };
    put(g, grads);
    put(p, params);
    if (zeroSlots(state) === null) be.write(s, state.slots); // alloc gives zeros
    const views = Array.from({ length: transform.slots }, (_, i) => be.view(s, i * n, n));
    transform.update(be, g, views, p, state.count);
    // unflatten copies (rounding a float64 backend's values to f32); read copies too.
    const updates = layout.unflatten(be.hostView?.(g) ?? be.read(g));
    const read = be.read(s);
    const slots = read instanceof Float32Array ? read : Float32Array.from(read);
    return Object.freeze({ updates, state: Object.freeze({ count: state.count + 1, slots }) });
  } finally {
    be.free(g); be.free(p); be.free(s);
  }
}

/**
 * params + updates, as a fresh record (names and shapes must match), each sum rounded to f32
 * once (the f64 sum of two f32 values is exact, so this is the f32 addition the kernels do).
 */
export function applyUpdates(params: Params, updates: Readonly<Record<string, TensorLike>>): Params {
  const names = Object.keys(params);
  const extra = Object.keys(updates).filter((n) => !Object.hasOwn(params, n));
  if (extra.length > 0) throw new ShapeError(`updates for unknown parameter(s): ${extra.join(", ")}`);
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    const p = params[name]!, u = updates[name];
    if (u === undefined) throw new ShapeError(`updates lack parameter "${name}"`);
    checkTensorLike(u, `update "${name}"`);
    if (u.shape.length !== p.shape.length || u.shape.some((d, i) => d !== p.shape[i])) {
      throw new ShapeError(`update "${name}" has shape [${u.shape.join(", ")}], the parameter [${p.shape.join(", ")}]`);
    }
    out[name] = tensor(addF32(contiguous(p), contiguous(u)), p.shape);
  }
  return Object.freeze(out);
}

/** a + b elementwise into a fresh f32 array (one monomorphic loop over two f32 arrays). */
function addF32(a: Float32Array, b: Float32Array): Float32Array {
  const sum = new Float32Array(a.length);
  for (let i = 0; i < sum.length; i++) sum[i] = a[i]! + b[i]!;
  return sum;
}

/** The values of t in row-major order as f32: a view of its own data where it is contiguous f32, else a copy. */
function contiguous(t: TensorLike): Float32Array {
  const n = size(t.shape);
  if (t.data instanceof Float32Array && isContiguous(t)) return t.data.subarray(t.offset, t.offset + n);
  const out = new Float32Array(n);
  copyInto(t, out);
  return out;
}
