/**
 * A runtime: one instance of the kernel module and the backend over its memory. `init()` makes
 * one and sets it as the default (src/backend/default.ts); `createRuntime` and
 * `createRuntimeSync` make one and set nothing, for code that keeps several runtimes (another
 * ISA, a memory of its own per model) or wants no process-wide state at all: pass
 * `runtime.backend` wherever an API takes `backend`.
 *
 * A Runtime is a KernelModule (`isa`, `exports`), so `const module = await init(); module.isa`
 * reads as before. It also keeps the compiled `WebAssembly.Module`, from which more instances
 * can be made without compiling bytes again (Cloudflare workerd allows instantiating a module
 * but not compiling one at run time).
 *
 * @example
 *   const rt = await createRuntime({ isa: "simd" });
 *   const step = train.step(model, opt, { backend: rt.backend });
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { WasmBackend } from "../backend/wasm.js";
import { chooseIsa, compileEmbedded, embeddedBytes, instantiateSync, KernelLoadError, type KernelModule,
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
 * Compiles and instantiates the embedded kernel module of the build `options.isa` names (left
 * out: SIMD, else scalar; "auto": the fastest the runtime validates; see LoadOptions): the
 * runtime, or the KernelLoadError that says why not. Sets no default. The edge itself, typed with fp-ts.
 */
export function loadRuntime(options: LoadOptions = {}): TE.TaskEither<KernelLoadError, Runtime> {
  return pipe(compileEmbedded(options), TE.map((made) => runtimeOf(made.kernels, made.module)));
}

/**
 * A runtime made synchronously from a precompiled `WebAssembly.Module` (what Cloudflare workerd
 * hands you as a `.wasm` import) or from bytes; with no source, from the embedded bytes of the
 * ISA `options` chooses (where the runtime allows compiling them). The ISA of a given module is
 * read from the module itself. Sets no default.
 */
export function loadRuntimeSync(source?: WebAssembly.Module | BufferSource, options: LoadOptions = {}): E.Either<KernelLoadError, Runtime> {
  const given: unknown = source;
  if (given !== undefined && !(given instanceof WebAssembly.Module) && !ArrayBuffer.isView(given) && !(given instanceof ArrayBuffer)
    && !(typeof SharedArrayBuffer !== "undefined" && given instanceof SharedArrayBuffer)) {
    return E.left(new KernelLoadError(`the kernel source must be a WebAssembly.Module or the module's bytes, got ${given === null ? "null" : typeof given}`
      + " (options such as { isa } go second: initSync(undefined, { isa }))"));
  }
  const compiled: E.Either<KernelLoadError, WebAssembly.Module> = source instanceof WebAssembly.Module ? E.right(source) : pipe(
    source === undefined ? pipe(chooseIsa(options), E.map((isa): BufferSource => embeddedBytes(isa))) : E.right(source),
    E.chain((bytes) => E.tryCatch(() => new WebAssembly.Module(bytes), (e) => new KernelLoadError(`instantiating the kernel module failed: ${String(e)}`, e))),
  );
  return pipe(compiled, E.chain((wasmModule) => pipe(instantiateSync(wasmModule), E.map((loaded) => runtimeOf(loaded, wasmModule)))));
}

/** loadRuntime, throwing its KernelLoadError. */
export async function createRuntime(options: LoadOptions = {}): Promise<Runtime> {
  const made = await loadRuntime(options)();
  if (E.isLeft(made)) throw made.left;
  return made.right;
}

/** loadRuntimeSync, throwing its KernelLoadError. */
export function createRuntimeSync(source?: WebAssembly.Module | BufferSource, options: LoadOptions = {}): Runtime {
  const made = loadRuntimeSync(source, options);
  if (E.isLeft(made)) throw made.left;
  return made.right;
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
