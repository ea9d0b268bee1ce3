/**
 * The process-wide kernel backend that the pure API computes on. `init()` (async) or
 * `initSync(module)` sets it once; calling it again replaces it.
 */
import * as E from "fp-ts/lib/Either.js";
import { instantiate, instantiateSync, type KernelModule, type LoadOptions } from "../kernels/module.js";
import { WasmBackend } from "./wasm.js";

let current: WasmBackend | undefined;

export class NotInitialisedError extends Error {
  override readonly name = "NotInitialisedError";
  constructor() { super("latent is not initialised: call `await init()` (or `initSync(module)`) first"); }
}

/** Loads the kernel module (SIMD where supported, else scalar) and makes it the default backend. */
export async function init(options: LoadOptions = {}): Promise<KernelModule> {
  const loaded = await instantiate(options)();
  if (E.isLeft(loaded)) throw loaded.left;
  current = new WasmBackend(loaded.right);
  return loaded.right;
}

/**
 * Synchronous init from a precompiled `WebAssembly.Module` (what Cloudflare workerd and strict
 * CSP pages hand you) or bytes; with no argument, from the embedded bytes.
 */
export function initSync(source?: WebAssembly.Module | BufferSource, options: LoadOptions = {}): KernelModule {
  const loaded = instantiateSync(source, options);
  if (E.isLeft(loaded)) throw loaded.left;
  current = new WasmBackend(loaded.right);
  return loaded.right;
}

export function defaultBackend(): WasmBackend {
  if (!current) throw new NotInitialisedError();
  return current;
}
