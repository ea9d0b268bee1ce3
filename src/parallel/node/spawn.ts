/**
 * Workers on Node: worker_threads, started from the loop's source text. Unreferenced, so a pool
 * that was not closed does not keep the process alive.
 *
 * A worker that ends on its own (process.exit, an uncaught exception) says so in the control
 * block from its "exit" handler: it sets `failed` with the reason and, unless another ending
 * worker did, adds a large count to `done`, so that a round the host is waiting in ends at once (and throws WorkerError) instead of
 * after the pool's stall bound. A worker terminated from outside runs no handler; the host hears
 * of it between rounds, or after the stall bound (src/parallel/pool.ts).
 */
import { Worker } from "node:worker_threads";
import { controlLayout, type Spawn, type WorkerHandle } from "../pool.js";

/** Added once to `done` when a worker ends (not again by later ones, so the int32 cannot overflow): more than any round's calls. */
const ENDED = 1 << 24;

const onEnd = `let init = null;
parentPort.once("message", (m) => { init = m; });
process.on("exit", (code) => {
  if (!init) return;
  const i32 = new Int32Array(init.control), f64 = new Float64Array(init.control);
  if (Atomics.compareExchange(i32, ${controlLayout.FAILED}, 0, 1 + init.index) === 0) {
    const text = "ended (exit code " + code + ")";
    for (let i = 0; i < text.length; i++) f64[init.errorAt + i] = text.charCodeAt(i);
    f64[init.errorAt + text.length] = 0;
  }
  for (let d = Atomics.load(i32, ${controlLayout.DONE}); d < ${ENDED}; d = Atomics.load(i32, ${controlLayout.DONE})) {
    if (Atomics.compareExchange(i32, ${controlLayout.DONE}, d, d + ${ENDED}) === d) break;
  }
  Atomics.notify(i32, ${controlLayout.DONE});
});
`;

export const nodeSpawn: Spawn = (loop: string): WorkerHandle => {
  const source = `const { parentPort } = require("node:worker_threads");\n${onEnd}(${loop})((m) => parentPort.postMessage(m), (f) => parentPort.on("message", f));\n`;
  const worker = new Worker(source, { eval: true });
  worker.unref();
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (f) => { worker.on("message", f); },
    onError: (f) => { worker.on("error", f); },
    onExit: (f) => { worker.on("exit", f); },
    terminate: () => { void worker.terminate(); },
  };
};
