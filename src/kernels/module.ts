/**
 * Loading the kernel module. Three builds of one source: SIMD, the bit-exact reference; scalar,
 * for runtimes without WebAssembly SIMD; relaxed SIMD (f32x4.relaxed_madd: fused multiply-adds in
 * the GEMM, faster, but not bit-identical to the others, and its rounding is the runtime's to
 * choose). With no `isa`, loading picks the SIMD build (scalar where SIMD is missing), so that a
 * seed trains to the same bits in every runtime; `isa: "auto"` picks the fastest the runtime
 * validates (relaxed, else SIMD, else scalar), and `isa: "relaxed"` asks for relaxed SIMD.
 * `init()` compiles the embedded bytes; `initSync(module)` takes a precompiled
 * `WebAssembly.Module` (Cloudflare workerd forbids compiling bytes at run time; a strict CSP needs
 * 'wasm-unsafe-eval' for any compiling, a precompiled module's included) or
 * bytes. Loading is an edge, so everything here returns Either / TaskEither;
 * src/runtime/runtime.ts builds runtimes on it (loadRuntime, loadRuntimeSync), and init,
 * initSync, createRuntime and createRuntimeSync are the conveniences that throw the KernelLoadError.
 */
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { KernelExports } from "./exports.js";
import { relaxedBase64, relaxedSharedBase64, scalarBase64, simdBase64, simdSharedBase64 } from "./generated/wasm-modules.js";

export type Isa = "relaxed" | "simd" | "scalar";

export interface KernelModule {
  readonly isa: Isa;
  readonly exports: KernelExports;
}

export class KernelLoadError extends Error {
  override readonly name = "KernelLoadError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Smallest module using a v128 instruction: validates only where SIMD is supported. */
const simdProbe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, // code: v128.const
  ...new Array<number>(16).fill(0), 0x0b, // 16 zero bytes, end
]);

/**
 * Smallest module using a relaxed-SIMD instruction, f32x4.relaxed_madd (opcode 0xfd 0x105,
 * LEB128 0x85 0x02) on three zero vectors: validates only where relaxed SIMD is supported
 * (Node 20 only with --experimental-wasm-relaxed-simd).
 */
const zeroV128 = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
const relaxedProbe = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: one body of 59 bytes, no locals
  ...zeroV128, ...zeroV128, ...zeroV128, 0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd, end
]);

/** True when this runtime accepts 128-bit WebAssembly SIMD. */
export function simdSupported(): boolean {
  return WebAssembly.validate(simdProbe);
}

/** True when this runtime accepts WebAssembly relaxed SIMD. */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(relaxedProbe);
}

const base64: Record<Isa, string> = { relaxed: relaxedBase64, simd: simdBase64, scalar: scalarBase64 };

export function embeddedBytes(isa: Isa): Uint8Array<ArrayBuffer> {
  return decode(base64[isa]);
}

/**
 * The shared-memory builds (asconfig targets "simd-shared", "relaxed-shared"): the same kernels,
 * importing their memory as env.memory, shared, so that several instances (one per thread)
 * compute on one memory. Used by the thread pool (src/parallel).
 */
export function embeddedSharedBytes(isa: "simd" | "relaxed"): Uint8Array<ArrayBuffer> {
  return decode(isa === "simd" ? simdSharedBase64 : relaxedSharedBase64);
}

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

export interface LoadOptions {
  /**
   * Which build to use. Left out: SIMD, else scalar (the same bits in every runtime that has
   * SIMD). "auto": the fastest the runtime validates, relaxed SIMD, else SIMD, else scalar (its
   * bits depend on the runtime). "relaxed", "simd", "scalar": that build, or a KernelLoadError.
   */
  readonly isa?: Isa | "auto";
}

/** The build `options.isa` names, as the runtime supports it (see LoadOptions). */
export function chooseIsa(options: LoadOptions): E.Either<KernelLoadError, Isa> {
  const wanted = options.isa;
  if (wanted === undefined) return E.right(simdSupported() ? "simd" : "scalar");
  if (wanted === "auto") return E.right(relaxedSimdSupported() ? "relaxed" : simdSupported() ? "simd" : "scalar");
  if (wanted === "relaxed" && !relaxedSimdSupported()) {
    return E.left(new KernelLoadError("isa 'relaxed' requested but this runtime does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)"));
  }
  if (wanted === "simd" && !simdSupported()) return E.left(new KernelLoadError("isa 'simd' requested but this runtime does not support WebAssembly SIMD"));
  if (wanted !== "relaxed" && wanted !== "simd" && wanted !== "scalar") {
    return E.left(new KernelLoadError(`isa must be "auto", "relaxed", "simd" or "scalar", got ${String(wanted)}`));
  }
  return E.right(wanted);
}

export function fromInstance(isa: Isa, instance: WebAssembly.Instance): E.Either<KernelLoadError, KernelModule> {
  const exports = instance.exports as unknown as KernelExports;
  if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.gemm_f32 !== "function") {
    return E.left(new KernelLoadError("the WebAssembly module is not a latent kernel module (missing memory or gemm_f32)"));
  }
  exports._start();
  const reported = isaOf(exports);
  if (reported !== isa) {
    return E.left(new KernelLoadError(`the module reports itself as the ${reported} build but was loaded as ${isa}`));
  }
  return E.right({ isa, exports });
}

/** The build a module reports itself to be (modules older than has_relaxed_simd are not relaxed). */
function isaOf(exports: KernelExports): Isa {
  const relaxed = typeof exports.has_relaxed_simd === "function" && exports.has_relaxed_simd() === 1;
  return relaxed ? "relaxed" : exports.has_simd() === 1 ? "simd" : "scalar";
}

/** Compiles and instantiates the embedded module of the chosen ISA: the instance's kernels and the compiled module. */
export function compileEmbedded(options: LoadOptions = {}): TE.TaskEither<KernelLoadError, { readonly kernels: KernelModule; readonly module: WebAssembly.Module }> {
  return pipe(
    TE.fromEither(chooseIsa(options)),
    TE.chain((isa) => pipe(
      TE.tryCatch(
        () => WebAssembly.instantiate(embeddedBytes(isa), {}),
        (e) => new KernelLoadError(`compiling the ${isa} kernel module failed: ${String(e)}`, e),
      ),
      TE.chainEitherK((r) => pipe(fromInstance(isa, r.instance), E.map((kernels) => ({ kernels, module: r.module })))),
    )),
  );
}

/** Compiles and instantiates the embedded module of the chosen ISA. */
export function instantiate(options: LoadOptions = {}): TE.TaskEither<KernelLoadError, KernelModule> {
  return pipe(compileEmbedded(options), TE.map((made) => made.kernels));
}

/**
 * Instantiates synchronously from a precompiled module or from bytes; without a source, from
 * the embedded bytes (where the runtime allows compiling them). The ISA of a given module is
 * read from the module itself.
 */
export function instantiateSync(source?: WebAssembly.Module | BufferSource, options: LoadOptions = {}): E.Either<KernelLoadError, KernelModule> {
  return pipe(
    source === undefined ? chooseIsa(options) : E.right<KernelLoadError, Isa | undefined>(undefined),
    E.chain((isa) => E.tryCatch(
      () => {
        const module = source instanceof WebAssembly.Module ? source
          : new WebAssembly.Module(source ?? embeddedBytes(isa as Isa));
        return new WebAssembly.Instance(module, {});
      },
      (e) => new KernelLoadError(`instantiating the kernel module failed: ${String(e)}`, e),
    )),
    E.chain((instance) => {
      const exports = instance.exports as unknown as KernelExports;
      if (typeof exports.has_simd !== "function") return E.left(new KernelLoadError("the WebAssembly module is not a latent kernel module (missing has_simd)"));
      return fromInstance(isaOf(exports), instance);
    }),
  );
}
