/**
 * The kernel worker as a script file (bundled into dist/browser/worker.js): the pool's
 * workerLoop, wired to the worker's own postMessage and onmessage. Started by fileSpawn.
 */
import { workerLoop } from "../parallel/worker-loop.js";

const scope = globalThis as unknown as { postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null };
workerLoop((m) => scope.postMessage(m), (f) => { scope.onmessage = (e) => f(e.data); });
