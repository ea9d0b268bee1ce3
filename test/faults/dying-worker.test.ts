// Kernel workers that die (src/parallel/pool.ts, node/spawn.ts): a training run on a pool whose
// worker throws, ends or hangs gives the caller a WorkerError in bounded time, not a hang; the pool
// then closes, and a new pool trains to the same bits as one thread (the oracle: the
// single-thread WasmBackend).
// The faults come through `spawn`, the pool's own way to start workers: the test's spawner keeps
// the handles (to terminate a worker), or edits the worker loop's source text to throw or exit
// after a number of calls (the edit is checked to have taken place).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import { initSync } from "../../src/backend/default.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { batches } from "../../src/data/batches.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { vae } from "../../src/models/index.js";
import { adam } from "../../src/optim/index.js";
import { startThreads, WorkerError, type ThreadedBackend } from "../../src/parallel/index.js";
import { nodeSpawn } from "../../src/parallel/node/spawn.js";
import type { Spawn, WorkerHandle } from "../../src/parallel/pool.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { fit, initState, type BatchInfo } from "../../src/train/index.js";

initSync(undefined, { isa: "simd" });
const loaded = instantiateSync(undefined, { isa: "simd" });
if (E.isLeft(loaded)) throw loaded.left;
const one = new WasmBackend(loaded.right);

const model = vae.mlp({ input: 64, hidden: [48], latent: 4 });
const data = tensor(uniform(key(9), 256 * 64), [256, 64]);
const opt = adam({ learningRate: 1e-3 });
const everything = { minFlops: 0, minElements: 0 };
const train = (backend: WasmBackend, epochs: number, onBatch?: (info: BatchInfo) => void) => fit(model, opt, {
  state: initState(model.init(key(1)), opt), data: batches(data, { batchSize: 64, key: key(2) }), epochs, key: key(3), backend, ...(onBatch ? { onBatch } : {}),
});
const bits = (p: Record<string, { data: Float32Array }>) => Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));

let pools: ThreadedBackend[] = [];
afterEach(() => { for (const p of pools) p.close(); pools = []; });
async function pool(spawn: Spawn, stallMs?: number): Promise<ThreadedBackend> {
  const be = await startThreads({ threads: 2, spawn, isa: "simd", cutSizes: everything, ...(stallMs ? { stallMs } : {}) });
  pools.push(be);
  expect(be.threads).toBe(2);
  return be;
}

/** The worker loop's source with `code` run in worker 1 after its `n`-th call, before the call is counted done. */
function faulty(code: string, n: number): Spawn {
  return (source) => {
    const anchor = "Atomics.add(i32, DONE, 1);";
    expect(source.split(anchor)).toHaveLength(2); // the edit lands exactly once
    return nodeSpawn(source.replace(anchor, `if (init.index === 1 && (globalThis.__calls = (globalThis.__calls ?? 0) + 1) === ${n}) { ${code} }\n${anchor}`));
  };
}

let expected: number[] = [];
beforeAll(async () => { expected = bits((await train(one, 1)).state.params); });

/** A new pool after the failure trains to the single-thread bits. */
async function freshPoolWorks(): Promise<void> {
  const again = await pool(nodeSpawn);
  expect(bits((await train(again, 1)).state.params)).toEqual(expected);
}

describe("a worker that dies", () => {
  it("terminated between rounds of a fit: WorkerError at a later round, within a bounded time", async () => {
    const handles: WorkerHandle[] = [];
    const be = await pool((source) => { const h = nodeSpawn(source); handles.push(h); return h; });
    let killedAt = 0;
    const error = await train(be, 50, (info) => {
      if (info.count === 2) { killedAt = performance.now(); handles[0]!.terminate(); }
    }).then(() => null, (e: unknown) => e);
    const ms = performance.now() - killedAt;
    expect(killedAt).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/^kernel worker 1 ended \(exit code 1\); the thread pool is closed$/);
    expect(ms).toBeLessThan(5_000);
    console.log(`a worker terminated between rounds surfaced as WorkerError after ${ms.toFixed(0)} ms`);
    expect(() => be.add(be.alloc(4096), be.alloc(4096), be.alloc(4096))).toThrow(/the thread pool is closed: kernel worker 1 ended/);
    be.close();
    await freshPoolWorks();
  });

  it("ending in the middle of a call (process.exit): WorkerError at once, from the worker's exit handler", async () => {
    const be = await pool(faulty("process.exit(7);", 20));
    const t = performance.now();
    const error = await train(be, 50).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toBe("kernel worker 1 failed: ended (exit code 7); the thread pool is closed");
    console.log(`a worker that ended mid-call surfaced as WorkerError after ${(performance.now() - t).toFixed(0)} ms of training`);
    be.close();
    await freshPoolWorks();
  });

  it("throwing outside a call (an uncaught exception ends the worker mid-round): WorkerError at once", async () => {
    const be = await pool(faulty(`throw new Error("injected fault");`, 20));
    const error = await train(be, 50).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toBe("kernel worker 1 failed: ended (exit code 1); the thread pool is closed");
    be.close();
    await freshPoolWorks();
  });

  it("hanging in the middle of a call: WorkerError after the stall bound, and close() ends the worker", async () => {
    const handles: WorkerHandle[] = [];
    const hang = faulty("for (;;) {}", 20);
    const be = await pool((source) => { const h = hang(source); handles.push(h); return h; }, 1_500);
    const ended = new Promise<number>((resolve) => handles[0]!.onExit!(resolve));
    const t = performance.now();
    const error = await train(be, 50).then(() => null, (e: unknown) => e);
    const ms = performance.now() - t;
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/^kernel workers made no progress in a round for 1.5 s \(a worker ended or hangs\); the thread pool is closed$/);
    expect(ms).toBeGreaterThanOrEqual(1_500);
    expect(ms).toBeLessThan(1_500 + 5_000);
    console.log(`a worker that hung mid-call surfaced as WorkerError after ${ms.toFixed(0)} ms (stallMs 1500)`);
    be.close();
    expect(await ended).toBe(1); // terminated by the pool's failure, not left spinning
    await freshPoolWorks();
  });

  it("a call that throws inside the worker: WorkerError at once, naming the worker and the error", async () => {
    const be = await pool((source) => {
      const anchor = /const r = (fns\[[^;]+\]\(\.\.\.args\));/;
      expect(source).toMatch(anchor);
      return nodeSpawn(source.replace(anchor, `if (init.index === 1 && (globalThis.__calls = (globalThis.__calls ?? 0) + 1) === 20) throw new Error("injected fault"); const r = $1;`));
    });
    const t = performance.now();
    const error = await train(be, 50).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/^kernel worker 1 failed: Error: injected fault; the thread pool is closed$/);
    console.log(`a call that threw in a worker surfaced as WorkerError after ${(performance.now() - t).toFixed(0)} ms of training`);
    be.close();
    await freshPoolWorks();
  });
});
