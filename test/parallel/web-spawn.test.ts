// The Web Worker spawner (browsers, Deno, Bun) run under Node: a stand-in for the global
// Worker class that reads the Blob URL back (node:buffer's resolveObjectURL) and runs its module
// source in a worker thread with `self` bound to the thread's port, as a Web Worker would. It
// checks the source glue, the Blob URL and the message flow of webSpawn; the pool on top of it
// must then compute what one thread computes.
import { afterAll, describe, expect, it } from "vitest";
import { resolveObjectURL } from "node:buffer";
import { Worker as NodeWorker } from "node:worker_threads";
import * as E from "fp-ts/lib/Either.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { startThreads, webSpawn } from "../../src/parallel/index.js";

type Listener = (event: { data?: unknown; message?: string }) => void;

/** Just enough of the Web Worker API over worker_threads. */
class WebWorkerStandIn {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly ready: Promise<NodeWorker>;
  constructor(url: string, options?: { type?: string }) {
    if (options?.type !== "module") throw new Error("expected a module worker");
    const blob = resolveObjectURL(url);
    if (!blob) throw new Error(`not a live Blob URL: ${url}`);
    this.ready = blob.text().then((source) => {
      const prelude = `const { parentPort } = require("node:worker_threads");
const self = { postMessage: (m) => parentPort.postMessage(m), set onmessage(f) { parentPort.on("message", (data) => f({ data })); } };\n`;
      const w = new NodeWorker(prelude + source, { eval: true });
      w.unref();
      w.on("message", (data) => this.emit("message", { data }));
      w.on("error", (e) => this.emit("error", { message: String(e) }));
      return w;
    });
  }
  private emit(type: string, event: { data?: unknown; message?: string }): void {
    for (const f of this.listeners.get(type) ?? []) f(event);
  }
  addEventListener(type: string, f: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), f]);
  }
  postMessage(m: unknown): void { void this.ready.then((w) => w.postMessage(m)); }
  terminate(): void { void this.ready.then((w) => w.terminate()); }
}

const g = globalThis as { Worker?: unknown };
const saved = g.Worker;
afterAll(() => { g.Worker = saved; });

describe("webSpawn", () => {
  it("is null where the runtime has no Worker (Node)", () => {
    g.Worker = undefined;
    expect(webSpawn()).toBe(null);
  });

  it("starts workers from a Blob URL that compute with the pool", async () => {
    g.Worker = WebWorkerStandIn;
    const spawn = webSpawn();
    expect(spawn).not.toBe(null);
    const be = await startThreads({ threads: 2, spawn: spawn!, isa: "simd", cutSizes: { minFlops: 0, minElements: 0 } });
    expect(be.singleThreadReason).toBe(null);
    expect(be.threads).toBe(2);
    const loaded = instantiateSync(undefined, { isa: "simd" });
    if (E.isLeft(loaded)) throw loaded.left;
    const one = new WasmBackend(loaded.right);
    const M = 9, N = 37, K = 11;
    const a = Array.from({ length: M * K }, (_, i) => Math.sin(i)), b = Array.from({ length: K * N }, (_, i) => Math.cos(i));
    const product = (w: WasmBackend) => {
      const [A, B, C] = [w.alloc(M * K), w.alloc(K * N), w.alloc(M * N)];
      w.write(A, a); w.write(B, b);
      w.gemm(false, false, M, N, K, 1, A, K, B, N, 0, C, N);
      return Array.from(w.read(C));
    };
    expect(product(be)).toEqual(product(one));
    be.close();
  });
});
