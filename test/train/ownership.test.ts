// Whoever holds kernel memory can free it: step and valueAndGrad functions have dispose() and
// [Symbol.dispose], and the backend's finalizer frees what a dropped function held. Measured on
// the arena (bytes allocated) and on the module's memory (which never shrinks, so it must not grow).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { vae } from "../../src/models/index.js";
import { adam } from "../../src/optim/index.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { initState, step, valueAndGrad } from "../../src/train/index.js";
import { startThreads } from "../../src/parallel/start.js";
import { nodeSpawn } from "../../src/parallel/node/spawn.js";
import type { Spawn } from "../../src/parallel/pool.js";

beforeAll(() => { initSync(undefined, { isa: "simd" }); });

/** V8's gc(), exposed for this test (a flag that only adds the function). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("explicit ownership of kernel memory", () => {
  it("1,000 step functions (196-64-8, batch 8), each used and disposed, leave the arena and the memory as they were", () => {
    const model = vae.mlp({ input: 196, hidden: [64], latent: 8 });
    const opt = adam({ learningRate: 1e-3 });
    const state = initState(model.init(key(1)), opt);
    const batch = tensor(uniform(key(2), 8 * 196), [8, 196]);
    const be = defaultBackend();
    const warm = step(model, opt);
    warm(state, batch, key(3));
    warm.dispose();
    const allocated = be.arena.allocatedBytes, memory = be.module.exports.memory.buffer.byteLength;
    for (let i = 0; i < 1000; i++) {
      using fn = step(model, opt);
      fn(state, batch, key(i));
    }
    expect(be.arena.allocatedBytes).toBe(allocated);
    expect(be.module.exports.memory.buffer.byteLength).toBe(memory);
    for (let i = 0; i < 100; i++) {
      const vg = valueAndGrad(model);
      vg(state.params, batch, key(i));
      vg[Symbol.dispose]();
    }
    expect(be.arena.allocatedBytes).toBe(allocated);
    expect(be.module.exports.memory.buffer.byteLength).toBe(memory);
  }, 120_000);

  it("step and valueAndGrad functions dropped without dispose are freed by the backend's finalizer once collected", async () => {
    const gc = collector();
    const model = vae.mlp({ input: 64, hidden: [32], latent: 4 });
    const opt = adam({ learningRate: 1e-3 });
    const state = initState(model.init(key(1)), opt);
    const batch = tensor(uniform(key(2), 16 * 64), [16, 64]);
    const be = defaultBackend();
    const allocated = be.arena.allocatedBytes;
    const one = (() => { const f = step(model, opt); f(state, batch, key(0)); const b = be.arena.allocatedBytes - allocated; f.dispose(); return b; })();
    expect(one).toBeGreaterThan(0);
    const drop = (i: number) => {
      step(model, opt)(state, batch, key(i));
      valueAndGrad(model)(state.params, batch, key(i));
    };
    for (let i = 0; i < 200; i++) drop(i);
    expect(be.arena.allocatedBytes - allocated).toBeGreaterThan(100 * one); // nothing freed yet: the functions are garbage, not yet collected
    for (let round = 0; round < 20 && be.arena.allocatedBytes > allocated; round++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(be.arena.allocatedBytes).toBe(allocated);
  }, 120_000);

  it("programs and thread pools dropped without dispose or close are freed by the runtime's finalizer once collected", async () => {
    const gc = collector();
    const be = defaultBackend();
    const model = vae.mlp({ input: 64, hidden: [32], latent: 4 });
    const allocated = be.arena.allocatedBytes;
    (() => { for (let i = 0; i < 50; i++) model.program(be, 16); })();
    expect(be.arena.allocatedBytes).toBeGreaterThan(allocated);
    // A pool whose workers record their termination (the spawn holds no reference to the pool).
    let terminated = 0;
    const spawn: Spawn = (loop) => { const w = nodeSpawn(loop); return { ...w, terminate: () => { terminated++; w.terminate(); } }; };
    await (async () => { const pool = await startThreads({ threads: 2, spawn }); expect(pool.threads).toBe(2); })();
    for (let round = 0; round < 40 && (be.arena.allocatedBytes > allocated || terminated === 0); round++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(be.arena.allocatedBytes).toBe(allocated);
    expect(terminated).toBe(1); // the one worker besides the host thread
  }, 120_000);
});
