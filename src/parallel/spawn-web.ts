/**
 * Workers where the runtime has the Web Worker API (browsers, Deno, Bun): the loop's source goes
 * into a Blob URL, run as a module worker (no file to serve, nothing for a bundler to find).
 */
import type { Spawn, WorkerHandle } from "./pool.js";

interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: string, handler: (event: { data?: unknown; message?: string }) => void): void;
  terminate(): void;
}
type WorkerConstructor = new (url: string, options?: { type?: string }) => WebWorker;

/** A Spawn over globalThis.Worker, or null where there is none (Node). */
export function webSpawn(): Spawn | null {
  const W = (globalThis as { Worker?: WorkerConstructor }).Worker;
  if (typeof W !== "function" || typeof Blob === "undefined" || typeof URL.createObjectURL !== "function") return null;
  return (loop: string): WorkerHandle => {
    const source = `(${loop})((m) => self.postMessage(m), (f) => { self.onmessage = (e) => f(e.data); });\n`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const worker = new W(url, { type: "module" });
    return {
      postMessage: (m) => worker.postMessage(m),
      onMessage: (f) => worker.addEventListener("message", (e) => f(e.data)),
      // An error inside the worker is an ErrorEvent with a message; a script that never loaded
      // (refused by the page's CSP, or missing) is a bare Event.
      onError: (f) => worker.addEventListener("error", (e) => f(e.message ?? "the worker's script did not load (refused by the page's Content-Security-Policy, or not found)")),
      terminate: () => { worker.terminate(); URL.revokeObjectURL(url); },
    };
  };
}
