/**
 * latent: autoencoders and variational autoencoders on the CPU, in any JavaScript runtime.
 *
 *   import { init, random, models, optim, train } from "latent";
 *   await init();
 *   const [kInit, kFit] = random.split(random.key(1));
 *   const vae = models.vae.mlp({ input: 784, hidden: [400], latent: 20 });
 *   const params = vae.init(kInit);
 *   const opt = optim.adam({ learningRate: 1e-3 });
 *   const step = train.step(vae, opt);
 */
export { init, initSync, defaultBackend, NotInitialisedError } from "./backend/default.js";
export { defaultRuntime } from "./backend/default.js";
export { createRuntime, createRuntimeSync, loadRuntime, loadRuntimeSync, type Runtime } from "./runtime/index.js";
export { simdSupported, relaxedSimdSupported, KernelLoadError, type Isa, type KernelModule } from "./kernels/module.js";
export * as random from "./random/index.js";
export * as models from "./models/index.js";
export * as optim from "./optim/index.js";
export * as train from "./train/index.js";
export * as objectives from "./objectives/index.js";
export * as data from "./data/index.js";
export * as nn from "./nn/index.js";
export * as io from "./io/index.js";
export * as analysis from "./analysis/index.js";
export * as apps from "./apps/index.js";
export * as viz from "./viz/index.js";
export * as parallel from "./parallel/index.js";
export { tensor, zeros, toTensor, ShapeError, type Tensor, type TensorLike } from "./tensor/tensor.js";
export { tensorRows, type Rows } from "./tensor/rows.js";
export type { Params } from "./nn/params.js";
export type { Backend, Buffer } from "./backend/backend.js";
export { ReferenceBackend } from "./backend/reference.js";
export { WasmBackend } from "./backend/wasm.js";
export { ConfigError } from "./nn/layer.js";
export { ArenaError } from "./kernels/arena.js";
