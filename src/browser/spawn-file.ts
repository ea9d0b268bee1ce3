/**
 * Kernel workers started from a script file (dist/browser/worker.js, which runs the same
 * workerLoop as the Blob workers of spawn-web.ts) rather than from a Blob URL, so that a page
 * whose Content-Security-Policy allows scripts only from 'self' can still train on threads.
 */
import type { Spawn, WorkerHandle } from "../parallel/pool.js";

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: string, handler: (event: { data?: unknown; message?: string }) => void): void;
  terminate(): void;
}
type WorkerConstructor = new (url: string | URL, options?: { type?: string }) => WebWorker;

/**
 * A Spawn that runs `url` as a module worker (default: worker.js beside the browser bundle). The
 * script is the worker loop itself, so the loop source the pool passes is not used: the file must
 * come from the same build as the page's bundle.
 */
export function fileSpawn(url: string | URL = new URL("./worker.js", import.meta.url)): Spawn {
  return (): WorkerHandle => {
    const W = (globalThis as { Worker?: WorkerConstructor }).Worker;
    if (typeof W !== "function") throw new TypeError("fileSpawn: this runtime has no Worker");
    const worker = new W(url, { type: "module" });
    return {
      postMessage: (m) => worker.postMessage(m),
      onMessage: (f) => worker.addEventListener("message", (e) => f(e.data)),
      // A script that fails to load fires a bare Event, with no message.
      onError: (f) => worker.addEventListener("error", (e) => f(e.message ?? `the worker script ${String(url)} did not load`)),
      terminate: () => worker.terminate(),
    };
  };
}
