/**
 * Weight initialisers for a dense layer of shape [out, in] (PyTorch's layout).
 * - "torch": PyTorch's nn.Linear default, weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
 * - "glorot": weight ~ U(-a, a), a = sqrt(6 / (in + out)); bias 0.
 * - "he": weight ~ N(0, 2 / in); bias 0.
 */
import { split, uniform, normal, type Key } from "../random/index.js";

export type InitScheme = "torch" | "glorot" | "he";
export const initSchemes: readonly InitScheme[] = ["torch", "glorot", "he"];

function uniformRange(key: Key, n: number, bound: number): Float32Array {
  const u = uniform(key, n);
  for (let i = 0; i < n; i++) u[i] = (2 * u[i]! - 1) * bound;
  return u;
}

export function denseInit(scheme: InitScheme, key: Key, inFeatures: number, outFeatures: number): [Float32Array, Float32Array] {
  const [kw, kb] = split(key, 2) as [Key, Key];
  const n = inFeatures * outFeatures;
  switch (scheme) {
    case "torch": {
      const bound = 1 / Math.sqrt(inFeatures);
      return [uniformRange(kw, n, bound), uniformRange(kb, outFeatures, bound)];
    }
    case "glorot":
      return [uniformRange(kw, n, Math.sqrt(6 / (inFeatures + outFeatures))), new Float32Array(outFeatures)];
    case "he": {
      const w = normal(kw, n);
      const sd = Math.sqrt(2 / inFeatures);
      for (let i = 0; i < n; i++) w[i] = w[i]! * sd;
      return [w, new Float32Array(outFeatures)];
    }
  }
}
