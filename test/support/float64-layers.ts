// Float64 oracles of a dense layer and ReLU, written out from the PyTorch layout (weight [out, in],
// y = W v + b), for tests that check a model's outputs against a forward pass of their own.
import type { Params } from "../../src/nn/params.js";

/** y = W v + b in float64 for the dense layer `name` of p. */
export function dense64(p: Params, name: string, v: ArrayLike<number>): Float64Array {
  const w = p[`${name}.weight`]!, b = p[`${name}.bias`]!;
  const [out, inp] = w.shape as [number, number];
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b.data[o]!;
    for (let i = 0; i < inp; i++) s += w.data[o * inp + i]! * v[i]!;
    y[o] = s;
  }
  return y;
}

export const relu64 = (v: Float64Array): Float64Array => v.map((t) => Math.max(t, 0));
