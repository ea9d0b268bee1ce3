/**
 * The default runtime: the one `init()` (async) or `initSync(module)` made last. Calling either
 * again replaces it (the old runtime's backend stays usable by whoever holds it). Runtimes made
 * with `createRuntime` / `createRuntimeSync` (src/runtime) never become the default.
 *
 * These read the default backend, and only when no `backend` is passed to them:
 * - `optim` optimizers' host-side `update(grads, state, params, { backend })`;
 * - `train.step(model, opt, { backend })`;
 * - `train.fit(model, opt, { backend })`; with `threads` (and no backend) it reads the default's
 *   ISA to start the pool on the same kernel build;
 * - a model's `encode`, `decode`, `reconstruct`, `sample` and `loss` (`{ backend }` as their last
 *   argument), and the row functions under them in `models`: `encodeRows`, `decodeRows`,
 *   `reconstructRows`, `sampleRows`, `evaluateLoss`, `forEachReconstruction`.
 * `parallel.startThreads` reads the default runtime, when there is one and no `runtime` is passed,
 * only in its one-thread fallback: it instantiates the default's compiled module again instead of
 * compiling bytes.
 * Everything else takes its backend (or runtime) as an argument.
 */
import type { LoadOptions } from "../kernels/module.js";
import { createRuntime, createRuntimeSync, type Runtime } from "../runtime/runtime.js";
import type { WasmBackend } from "./wasm.js";

let current: Runtime | undefined;

export class NotInitialisedError extends Error {
  override readonly name = "NotInitialisedError";
  constructor() { super("latent is not initialised: call `await init()` (or `initSync(module)`) first, or pass a backend"); }
}

/**
 * Loads the kernel module and makes its runtime the default. With no `isa`, the SIMD build (scalar
 * where SIMD is missing): a seed trains to the same bits in every runtime. `isa: "auto"` takes
 * the fastest build the runtime validates (relaxed SIMD where it has it: faster, other bits).
 * The Runtime is a KernelModule (`isa`, `exports`) with its `backend`.
 */
export async function init(options: LoadOptions = {}): Promise<Runtime> {
  current = await createRuntime(options);
  return current;
}

/**
 * Synchronous init from a precompiled `WebAssembly.Module` (what Cloudflare workerd hands
 * you as a `.wasm` import) or bytes; with no argument, from the embedded bytes. Makes the runtime the default.
 */
export function initSync(source?: WebAssembly.Module | BufferSource, options: LoadOptions = {}): Runtime {
  current = createRuntimeSync(source, options);
  return current;
}

/** The default runtime's backend; throws NotInitialisedError before `init()`. */
export function defaultBackend(): WasmBackend {
  if (!current) throw new NotInitialisedError();
  return current.backend;
}

/** The default runtime; throws NotInitialisedError before `init()`. */
export function defaultRuntime(): Runtime {
  if (!current) throw new NotInitialisedError();
  return current;
}

/** The default runtime, or undefined before `init()` (for code that has a way without it). */
export function maybeDefaultRuntime(): Runtime | undefined {
  return current;
}
