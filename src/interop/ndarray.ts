/**
 * Interop with scijs ndarray: real ndarray objects from tensors. This entry point imports
 * the `ndarray` package, whose constructor compiles code with `new Function`; the core never
 * does (it only reads the four fields, so any ndarray is accepted as input anywhere).
 */
import ndarray from "ndarray";
import type { NdArray } from "ndarray";
import type { Tensor } from "../tensor/tensor.js";

export function toNdarray(t: Tensor): NdArray<Float32Array> {
  return ndarray(t.data, [...t.shape], [...t.stride], t.offset);
}
