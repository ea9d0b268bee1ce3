export { Dense } from "./dense.js";
export { ActivationLayer, activationNames, type ActivationName } from "./activation.js";
export { Sequential, SequentialRun } from "./sequential.js";
export { ParamLayout, type Params, type ParamEntry } from "./params.js";
export { ConfigError, type Layer, type LayerContext, type ParamSpec } from "./layer.js";
export { denseInit, initSchemes, type InitScheme } from "./init.js";
export { Conv2d, type Conv2dConfig } from "./conv2d.js";
export { ConvTranspose2d, type ConvTranspose2dConfig } from "./conv-transpose2d.js";
export { convGeometry, convTransposeGeometry, withBatch, type ConvGeometry, type ConvOptions, type ConvTransposeOptions,
  type ConvTransposeShape, type ImageShape, type Padding, type Pair } from "./conv-geometry.js";
export { Reshape, Flatten } from "./reshape.js";
export { Dropout } from "./dropout.js";
export { LayerNorm } from "./layer-norm.js";
export { layerFromSpec, sequentialFromSpec, layerTypes, type LayerSpec, type LayerType } from "./layer-spec.js";
