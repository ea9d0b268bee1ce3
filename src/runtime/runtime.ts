/**
 * A runtime: one instance of the kernel module and the backend over its memory. `init()` makes
 * one and sets it as the default (src/backend/default.ts); `createRuntime` and
 * `createRuntimeSync` make one and set nothing, for code that keeps several runtimes (another
 * ISA, a memory of its own per model) or wants no process-wide state at all: pass
 * `runtime.backend` wherever an API takes `backend`.
 *
 * A Runtime is a KernelModule (`isa`, `exports`), so `const module = await init(); module.isa`
 * reads as before. It also keeps the compiled `WebAssembly.Module`, from which more instances
 * can be made without compiling bytes again (Cloudflare workerd and strict CSP pages allow
 * instantiating a module but not compiling one at run time).
 *
 * @example
 *   const rt = await createRuntime({ isa: "simd" });
 *   const step = train.step(model, opt, { backend: rt.backend });
 */
import * as E from "fp-ts/lib/Either.js";
import { WasmBackend } from "../backend/wasm.js";
import { chooseIsa, embeddedBytes, fromInstance, instantiateSync, KernelLoadError, type KernelModule,
  type LoadOptions } from "../kernels/module.js";

export interface Runtime extends KernelModule {
  /** The backend over this instance's memory: every allocation of this runtime goes through its arena. */
  readonly backend: WasmBackend;
  /** The compiled kernel module this instance was made from. */
  readonly wasmModule: WebAssembly.Module;
}

function runtimeOf(loaded: KernelModule, wasmModule: WebAssembly.Module): Runtime {
  return Object.freeze({ isa: loaded.isa, exports: loaded.exports, backend: new WasmBackend(loaded), wasmModule });
}

/**
 * Compiles and instantiates the embedded kernel module (relaxed SIMD, else SIMD, else scalar,
 * where the runtime validates them; `options.isa` picks one) and returns its runtime. Sets no default.
 */
export async function createRuntime(options: LoadOptions = {}): Promise<Runtime> {
  const isa = chooseIsa(options);
  if (E.isLeft(isa)) throw isa.left;
  let made: WebAssembly.WebAssemblyInstantiatedSource;
  try {
    made = await WebAssembly.instantiate(embeddedBytes(isa.right), {});
  } catch (e) {
    throw new KernelLoadError(`compiling the ${isa.right} kernel module failed: ${String(e)}`, e);
  }
  const loaded = fromInstance(isa.right, made.instance);
  if (E.isLeft(loaded)) throw loaded.left;
  return runtimeOf(loaded.right, made.module);
}

/**
 * A runtime made synchronously from a precompiled `WebAssembly.Module` (what Cloudflare workerd
 * and strict CSP pages hand you) or from bytes; with no source, from the embedded bytes of the
 * ISA `options` chooses (where the runtime allows compiling them). The ISA of a given module is
 * read from the module itself. Sets no default.
 */
export function createRuntimeSync(source?: WebAssembly.Module | BufferSource, options: LoadOptions = {}): Runtime {
  let wasmModule: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) {
    wasmModule = source;
  } else {
    let bytes: BufferSource;
    if (source === undefined) {
      const isa = chooseIsa(options);
      if (E.isLeft(isa)) throw isa.left;
      bytes = embeddedBytes(isa.right);
    } else {
      bytes = source;
    }
    try {
      wasmModule = new WebAssembly.Module(bytes);
    } catch (e) {
      throw new KernelLoadError(`instantiating the kernel module failed: ${String(e)}`, e);
    }
  }
  const loaded = instantiateSync(wasmModule);
  if (E.isLeft(loaded)) throw loaded.left;
  return runtimeOf(loaded.right, wasmModule);
}

/**
 * A fresh instance of the runtime's compiled module, with a memory of its own (nothing is
 * compiled). What the thread pool's one-thread fallback computes on.
 */
export function instantiateAgain(runtime: Runtime): KernelModule {
  const loaded = instantiateSync(runtime.wasmModule);
  if (E.isLeft(loaded)) throw loaded.left;
  return loaded.right;
}
