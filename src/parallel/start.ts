/**
 * Starting the kernels on several threads. `startThreads({ threads })` compiles the
 * shared-memory kernel module, makes one shared WebAssembly.Memory, instantiates the module on
 * this thread and in threads - 1 workers, and returns a ThreadedBackend to train on
 * (`train.fit(..., { backend })`, or `fit(..., { threads })`, which does this itself).
 *
 * It falls back to one thread, saying why in `singleThreadReason`, where the runtime lacks
 * SharedArrayBuffer (browsers without cross-origin isolation), WebAssembly threads or SIMD, or a
 * way to start workers (pass `spawn`; Node's is `nodeSpawn` from latent/node). The results are
 * the same bits either way. The one-thread fallback instantiates the compiled module of a runtime
 * (`runtime`, else the default one init() made) when it is the build wanted, so that a runtime
 * which forbids compiling bytes (Cloudflare workerd) still gets a backend.
 */
import * as E from "fp-ts/lib/Either.js";
import { maybeDefaultRuntime } from "../backend/default.js";
import { chooseIsa, embeddedSharedBytes, fromInstance, instantiate, type Isa, type KernelModule } from "../kernels/module.js";
import { instantiateAgain, type Runtime } from "../runtime/runtime.js";
import { Pool, WorkerError, type Spawn } from "./pool.js";
import { ThreadedBackend, type CutSizes } from "./threaded.js";
import { webSpawn } from "./spawn-web.js";

export interface ThreadsOptions {
  /** Threads including this one (default: navigator.hardwareConcurrency where known, else 1). */
  readonly threads?: number;
  /** How to start a worker (default: Web Workers where globalThis.Worker exists). */
  readonly spawn?: Spawn;
  /**
   * Kernel build, as for init() (default: the runtime's, so that the thread count changes no bit;
   * without one, init()'s default: plain SIMD, the same bits in every runtime).
   */
  readonly isa?: Isa | "auto";
  /**
   * The runtime whose compiled module a one-thread fallback instantiates instead of compiling
   * bytes, and whose ISA is the default (default: the one init() made, if any).
   */
  readonly runtime?: Runtime;
  /** Largest size the shared memory may grow to, in bytes (default 4 GiB, less where refused). */
  readonly maximumBytes?: number;
  /** How long an idle worker spins before it sleeps, in milliseconds (default 0.5). */
  readonly spinMs?: number;
  /**
   * A round in which no call finishes for this many milliseconds is taken for a dead worker: the
   * pool closes and the call throws WorkerError (default 120,000; keep it above the longest kernel
   * call). Time the process spends stopped (SIGSTOP, Ctrl-Z, a paused VM) counts at most 1 s.
   */
  readonly stallMs?: number;
  /** Sizes below which calls stay on this thread (see CutSizes). */
  readonly cutSizes?: Partial<CutSizes>;
}

const PAGE = 65536;
/** The shared modules declare at least this many pages (asconfig's initialMemory). */
const INITIAL_PAGES = 16;

export function defaultThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 1;
}

export async function startThreads(options: ThreadsOptions = {}): Promise<ThreadedBackend> {
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`threads must be an integer from 1 to 256, got ${threads}`);
  }
  if (options.stallMs !== undefined && !(options.stallMs > 0)) throw new RangeError(`stallMs must be a number > 0, got ${options.stallMs}`);
  const runtime = options.runtime ?? maybeDefaultRuntime();
  const isa = chooseIsa({ isa: options.isa ?? runtime?.isa });
  if (E.isLeft(isa)) throw isa.left;
  const single = async (reason: string | null): Promise<ThreadedBackend> =>
    new ThreadedBackend(await singleThreadKernels(isa.right, runtime), null, reason, options.cutSizes);
  if (threads === 1) return single(null);
  if (typeof SharedArrayBuffer === "undefined") return single("SharedArrayBuffer is not available (a browser page needs cross-origin isolation)");
  if (isa.right === "scalar") return single("the runtime has no WebAssembly SIMD; the threaded kernels are SIMD builds");
  const spawn = options.spawn ?? webSpawn();
  if (!spawn) return single("no way to start workers here: pass `spawn` (in Node, nodeSpawn from latent/node)");
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(embeddedSharedBytes(isa.right));
  } catch (e) {
    return single(`the runtime refused the shared-memory kernel module (${String(e)})`);
  }
  const memory = sharedMemory(options.maximumBytes);
  if (!memory) return single("the runtime refused to create a shared WebAssembly.Memory");
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const host = fromInstance(isa.right, instance);
  if (E.isLeft(host)) throw host.left;
  let pool: Pool;
  try {
    pool = await Pool.start(threads, module, memory, host.right.exports, spawn, options.spinMs ?? 0.5, options.stallMs);
  } catch (e) {
    if (e instanceof WorkerError) return single(e.message);
    throw e;
  }
  const backend = new ThreadedBackend(host.right, pool, null, options.cutSizes);
  // The backstop for a pool nobody closed: the runtime's finalizer closes it once the backend is
  // collected (closing twice is harmless, so close() need not unregister).
  runtime?.backend.finalizer?.register(backend, closer(pool));
  return backend;
}

/** Made at module level, so that the finalizer's callback holds the pool and not the backend. */
function closer(pool: Pool): () => void {
  return () => pool.close();
}

/** A kernel instance of its own: from the runtime's compiled module when it is that build, else compiled from the embedded bytes. */
async function singleThreadKernels(isa: Isa, runtime: Runtime | undefined): Promise<KernelModule> {
  if (runtime?.isa === isa) return instantiateAgain(runtime);
  const loaded = await instantiate({ isa })();
  if (E.isLeft(loaded)) throw loaded.left;
  return loaded.right;
}

/** A shared memory with the largest maximum the runtime grants, from maximumBytes down to 256 MiB. */
function sharedMemory(maximumBytes = 4 * 1024 ** 3): WebAssembly.Memory | null {
  let pages = Math.min(65536, Math.max(INITIAL_PAGES, Math.floor(maximumBytes / PAGE)));
  for (;;) {
    try {
      return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: pages, shared: true });
    } catch {
      if (pages <= 4096) return null;
      pages = Math.max(4096, pages >> 1);
    }
  }
}
