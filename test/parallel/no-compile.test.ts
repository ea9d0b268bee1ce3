// A runtime that may instantiate WebAssembly but not compile it (Cloudflare workerd, strict CSP):
// `new WebAssembly.Module(bytes)`, `WebAssembly.compile` and `WebAssembly.instantiate(bytes)` throw
// here, as they do there, and only precompiled modules load. The kernels come in as a precompiled
// module (initSync(module)); parallel.startThreads and fit({ threads }) then fall back to one
// thread by instantiating that module again, and compute what the default backend computes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { batches } from "../../src/data/batches.js";
import { embeddedBytes, KernelLoadError } from "../../src/kernels/module.js";
import { vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam } from "../../src/optim/index.js";
import { startThreads, WorkerError } from "../../src/parallel/index.js";
import { nodeSpawn } from "../../src/parallel/node/spawn.js";
import { key, uniform } from "../../src/random/index.js";
import { createRuntime, createRuntimeSync } from "../../src/runtime/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { fit, initState } from "../../src/train/index.js";
import type { WasmBackend } from "../../src/backend/wasm.js";

const wasm = WebAssembly as { Module: typeof WebAssembly.Module; compile: typeof WebAssembly.compile; instantiate: typeof WebAssembly.instantiate };
const real = { Module: wasm.Module, compile: wasm.compile, instantiate: wasm.instantiate };
const refused = () => new WebAssembly.CompileError("WebAssembly.Module(): Wasm code generation disallowed by embedder");

/** What the host hands in: the SIMD build, compiled before the runtime forbids compiling. */
const precompiled = new real.Module(embeddedBytes("simd"));

beforeAll(() => {
  // A constructor that refuses to compile; instanceof and the static functions still work.
  wasm.Module = new Proxy(real.Module, { construct() { throw refused(); } });
  wasm.compile = () => Promise.reject(refused());
  wasm.instantiate = ((source: unknown, imports?: WebAssembly.Imports) => source instanceof real.Module
    ? real.instantiate(source, imports) : Promise.reject(refused())) as typeof WebAssembly.instantiate;
  initSync(precompiled);
});
afterAll(() => { Object.assign(wasm, real); });

function paramBits(p: Params): number[] {
  return Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
}

describe("where compiling WebAssembly is forbidden", () => {
  it("compiling the embedded bytes fails (the stand-in works)", async () => {
    expect(() => new WebAssembly.Module(embeddedBytes("simd"))).toThrow(/disallowed/);
    expect(() => createRuntimeSync(undefined, { isa: "simd" })).toThrow(KernelLoadError);
    await expect(createRuntime({ isa: "simd" })).rejects.toThrow(KernelLoadError);
    expect(defaultBackend().module.isa).toBe("simd");
  });

  it("startThreads falls back to one thread on the default runtime's module", async () => {
    for (const spawn of [nodeSpawn, undefined]) { // the shared module refused; no way to start workers
      const be = await startThreads({ threads: 2, spawn });
      expect(be.threads).toBe(1);
      expect(be.singleThreadReason).toMatch(spawn ? /refused the shared-memory kernel module/ : /spawn/);
      expect(be.module.isa).toBe("simd");
      expect(be.arena).not.toBe(defaultBackend().arena); // an instance of its own
      const a = be.alloc(5);
      be.write(a, [1, -2, 3, -4, 5]);
      be.scale(0.5, a, a);
      expect(Array.from(be.read(a))).toEqual([0.5, -1, 1.5, -2, 2.5]);
      be.close();
    }
    const one = await startThreads({ threads: 1 });
    expect(one.threads).toBe(1);
    expect(one.singleThreadReason).toBe(null);
  });

  it("startThreads falls back on a runtime it is given, which need not be the default", async () => {
    const runtime = createRuntimeSync(precompiled);
    const be = await startThreads({ threads: 2, spawn: nodeSpawn, runtime });
    expect(be.threads).toBe(1);
    expect(be.module.isa).toBe(runtime.isa);
  });

  it("another build than the runtime's still has to be compiled, and says so", async () => {
    await expect(startThreads({ threads: 2, isa: "scalar" })).rejects.toThrow(KernelLoadError);
  });

  it("fit({ threads: 2 }) trains on one thread, to the bits of the default backend", async () => {
    const model = vae.mlp({ input: 30, hidden: [20], latent: 3 });
    const data = tensor(uniform(key(4), 40 * 30), [40, 30]);
    const opt = adam({ learningRate: 1e-2 });
    const run = async (o: { threads?: number; spawn?: typeof nodeSpawn; backend?: WasmBackend }) => paramBits((await fit(model, opt, {
      state: initState(model.init(key(1)), opt), data: batches(data, { batchSize: 16, key: key(2) }), epochs: 2, key: key(3), ...o,
    })).state.params);
    const expected = await run({ backend: defaultBackend() });
    expect(await run({ threads: 2, spawn: nodeSpawn })).toEqual(expected);
    expect(await run({ threads: 2 })).toEqual(expected);
  });

  it("fit says when it fell back to one thread, and with requireThreads refuses to", async () => {
    const model = vae.mlp({ input: 30, hidden: [20], latent: 3 });
    const data = tensor(uniform(key(4), 40 * 30), [40, 30]);
    const opt = adam({ learningRate: 1e-2 });
    const options = { state: initState(model.init(key(1)), opt), data: batches(data, { batchSize: 16, key: key(2) }), epochs: 1, key: key(3) };
    const fell = await fit(model, opt, { ...options, threads: 2, spawn: nodeSpawn });
    expect(fell.threads).toBe(1);
    expect(fell.singleThreadReason).toMatch(/refused the shared-memory kernel module/);
    const one = await fit(model, opt, options);
    expect([one.threads, one.singleThreadReason]).toEqual([1, null]);
    await expect(fit(model, opt, { ...options, threads: 2, spawn: nodeSpawn, requireThreads: true }))
      .rejects.toThrow(/2 threads were asked for \(requireThreads\) but only one can run: .*refused the shared-memory kernel module/);
    await expect(fit(model, opt, { ...options, threads: 2, spawn: nodeSpawn, requireThreads: true })).rejects.toBeInstanceOf(WorkerError);
  });
});
