/**
 * Workers on Node: worker_threads, started from the loop's source text. Unreferenced, so a pool
 * that was not closed does not keep the process alive.
 */
import { Worker } from "node:worker_threads";
import type { Spawn, WorkerHandle } from "../pool.js";

export const nodeSpawn: Spawn = (loop: string): WorkerHandle => {
  const source = `const { parentPort } = require("node:worker_threads");\n(${loop})((m) => parentPort.postMessage(m), (f) => parentPort.on("message", f));\n`;
  const worker = new Worker(source, { eval: true });
  worker.unref();
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (f) => { worker.on("message", f); },
    onError: (f) => { worker.on("error", f); },
    terminate: () => { void worker.terminate(); },
  };
};
