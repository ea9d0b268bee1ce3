export { Dense } from "./dense.js";
export { ActivationLayer, activationNames, type ActivationName } from "./activation.js";
export { Sequential, SequentialRun } from "./sequential.js";
export { ParamLayout, type Params, type ParamEntry } from "./params.js";
export { ConfigError, type Layer, type ParamSpec } from "./layer.js";
export { denseInit, initSchemes, type InitScheme } from "./init.js";
