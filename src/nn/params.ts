/**
 * Parameters as the user sees them: a readonly record from dotted names (PyTorch's
 * state_dict names, e.g. "encoder.0.weight") to tensors. Inside a program all parameters
 * live in one flat f32 buffer in layout order, so that optimizers run one kernel call over
 * every parameter; ParamLayout maps names to offsets in it.
 */
import { size, tensor, type Tensor, type TensorLike, ShapeError, copyInto, checkTensorLike } from "../tensor/tensor.js";

export type Params = Readonly<Record<string, Tensor>>;

export interface ParamEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

export class ParamLayout {
  readonly entries: readonly ParamEntry[];
  readonly total: number;

  constructor(specs: readonly { name: string; shape: readonly number[] }[]) {
    let offset = 0;
    const seen = new Set<string>();
    this.entries = specs.map(({ name, shape }) => {
      if (seen.has(name)) throw new ShapeError(`parameter name "${name}" appears twice`);
      seen.add(name);
      const entry = Object.freeze({ name, shape: Object.freeze([...shape]), offset, size: size(shape) });
      offset += entry.size;
      return entry;
    });
    this.total = offset;
  }

  /** Copies a Params record into one flat array in layout order, checking names and shapes. */
  flatten<A extends Float32Array | Float64Array = Float32Array>(params: Readonly<Record<string, TensorLike>>, out: A = new Float32Array(this.total) as A, at = 0): A {
    const names = Object.keys(params);
    for (const entry of this.entries) {
      const t = params[entry.name];
      if (t === undefined) throw new ShapeError(`parameter "${entry.name}" is missing (have: ${names.join(", ") || "none"})`);
      checkTensorLike(t, `parameter "${entry.name}"`);
      if (t.shape.length !== entry.shape.length || t.shape.some((d, i) => d !== entry.shape[i])) {
        throw new ShapeError(`parameter "${entry.name}" has shape [${t.shape.join(", ")}], expected [${entry.shape.join(", ")}]`);
      }
      copyInto(t, out, at + entry.offset);
    }
    if (names.length !== this.entries.length) {
      const extra = names.filter((n) => !this.entries.some((e) => e.name === n));
      throw new ShapeError(`unexpected parameter(s): ${extra.join(", ")}`);
    }
    return out;
  }

  /** Fresh, frozen Params record copied out of a flat array (f32 or f64, rounded to f32). */
  unflatten(flat: ArrayLike<number>, at = 0): Params {
    const out: Record<string, Tensor> = {};
    for (const entry of this.entries) {
      const start = at + entry.offset;
      let data: Float32Array;
      if (ArrayBuffer.isView(flat)) {
        // One typed-array copy (which rounds f64 to f32), not a loop over the elements.
        data = new Float32Array(entry.size);
        data.set((flat as unknown as Float32Array | Float64Array).subarray(start, start + entry.size));
      } else {
        data = new Float32Array(entry.size);
        for (let i = 0; i < entry.size; i++) data[i] = flat[start + i]!;
      }
      out[entry.name] = tensor(data, entry.shape);
    }
    return Object.freeze(out);
  }
}
