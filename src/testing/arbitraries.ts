/**
 * fast-check arbitraries for latent's values, each shrinking towards small shapes and simple
 * values: sizes and shapes that matter for SIMD code, f32 values from named distributions,
 * tensors, random keys, convolution geometries, and parameters and batches for any model.
 */
export { sizeArb, shapeArb, type SizeArbOptions, type ShapeArbOptions } from "./arbitraries-shapes.js";
export { distributions, keyArb, tensorArb, valuesArb, type Distribution, type KeyArbOptions, type TensorArbOptions } from "./arbitraries-values.js";
export { convCaseArb, geometryOf, paddingArb, type ConvCase, type ConvCaseArbOptions, type PaddingArbOptions } from "./arbitraries-conv.js";
export { batchArb, paramsArb, type BatchArbOptions, type LabelledBatch, type ParamsArbOptions } from "./arbitraries-models.js";
