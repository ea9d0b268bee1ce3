// latent/testing's reproducibility checks: expectDeterministic passes pure computations and
// catches hidden state (also behind a live view of WebAssembly memory that the next run
// overwrites); expectSameAcrossThreads passes latent's threaded kernels on 1, 2 and 3 threads,
// catches a reduction whose order depends on the thread count, closes every pool, and refuses a
// pool that fell back to one thread unless told otherwise.
import { describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { cut, type ThreadedBackend } from "../../src/parallel/index.js";
import { nodeSpawn } from "../../src/parallel/node/spawn.js";
import { foldIn, key, normal, uniform } from "../../src/random/index.js";
import { CheckError, expectDeterministic, expectSameAcrossThreads } from "../../src/testing/index.js";
import { thrown } from "../support/thrown.js";

async function rejection(p: Promise<unknown>): Promise<CheckError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CheckError);
    return e as CheckError;
  }
  throw new Error("expected a CheckError, the promise resolved");
}


const rt = initSync(undefined, { isa: "simd" });

describe("expectDeterministic", () => {
  it("passes a pure function of a key: a number, an array, a list of arrays; any number of runs", () => {
    expectDeterministic(() => normal(key(1), 1000));
    expectDeterministic(() => normal(key(1), 3).reduce((s, x) => s + x, 0), { runs: 5 });
    expectDeterministic(() => [normal(key(2), 10), uniform(key(3), 7), [0.5, -0]]);
  });

  it("catches hidden state, naming the run, the index and the bits", () => {
    let calls = 0;
    const err = thrown(() => expectDeterministic(() => normal(foldIn(key(1), calls++), 100), { what: "noise" }));
    expect(err.message).toMatch(/^noise: run 2 of 2 against run 1: expectSameBits: \d+ of 100 elements differ \(float32 bit patterns\)\n  first at index 0: actual \S+ \(bits 0x[0-9a-f]{8}\), expected \S+ \(bits 0x[0-9a-f]{8}\)$/);
  });

  it("copies each result, so a live view of wasm memory that the next run overwrites is compared honestly", () => {
    const be = rt.backend;
    const buf = be.alloc(64);
    let calls = 0;
    expectDeterministic(() => { be.normal(key(4), buf); return be.f32(buf); });
    const err = thrown(() => expectDeterministic(() => { be.normal(foldIn(key(4), calls++), buf); return be.f32(buf); }));
    expect(err.message).toMatch(/run 2 of 2 against run 1: expectSameBits: \d+ of 64 elements differ/);
    be.free(buf);
  });

  it("catches -0 against 0, which an equality check would pass", () => {
    let flip = false;
    const err = thrown(() => expectDeterministic(() => Float32Array.of(1, (flip = !flip) ? 0 : -0)));
    expect(err.message).toMatch(/first at index 1: actual -0 \(bits 0x80000000\), expected 0 \(bits 0x00000000\)/);
  });

  it("awaits an async function and rejects with the CheckError", async () => {
    await expectDeterministic(async () => normal(key(5), 10));
    let calls = 0;
    const err = await rejection(expectDeterministic(async () => [normal(key(5), 10), normal(foldIn(key(5), calls++), 3)]));
    expect(err.message).toMatch(/run 2 of 2 against run 1, output 1: expectSameBits/);
  });

  it("refuses fewer than 2 runs", () => {
    expect(() => expectDeterministic(() => 1, { runs: 1 })).toThrow(RangeError);
  });
});

describe("expectSameAcrossThreads", () => {
  /** A layer's worth of work: GEMM, bias, activation, column sums, all cut across threads. */
  function layer(be: WasmBackend): Float32Array[] {
    const M = 37, N = 45, K = 29;
    const x = be.alloc(M * K), w = be.alloc(N * K), y = be.alloc(M * N), b = be.alloc(N), s = be.alloc(N);
    be.write(x, uniform(key(1), M * K));
    be.write(w, uniform(key(2), N * K).map((u) => 2 * u - 1));
    be.write(b, uniform(key(3), N));
    be.gemm(false, true, M, N, K, 1, x, K, w, K, 0, y, N);
    be.biasAdd(M, N, b, y, N);
    be.colSum(M, N, y, N, 0, s);
    const out = [be.read(y), be.read(s)];
    for (const buf of [x, w, y, b, s]) be.free(buf);
    return out;
  }

  it("passes latent's threaded kernels on 1, 2 and 3 threads and closes every pool", async () => {
    const seen: ThreadedBackend[] = [];
    const summary = await expectSameAcrossThreads((be) => { seen.push(be); return layer(be); }, { spawn: nodeSpawn, isa: "simd" });
    expect(summary.threads).toEqual([1, 2, 3]);
    expect(summary.callsPerThread.map((c) => c.length)).toEqual([1, 2, 3]);
    expect(summary.callsPerThread[2]!.reduce((s, n) => s + n, 0)).toBeGreaterThan(0); // calls were cut
    expect(seen.map((be) => be.threads)).toEqual([1, 1, 1]); // closed: a closed backend runs on this thread
  });

  it("awaits an async run (a training step's worth of work)", async () => {
    await expectSameAcrossThreads(async (be) => layer(be)[0]!, { spawn: nodeSpawn, isa: "simd", threads: [2, 3] });
  });

  it("catches a reduction whose order follows the thread count (per-thread float32 partial sums)", async () => {
    const values = uniform(key(6), 10_000).map((u) => 2 * u - 1);
    const perThreadSum = (be: ThreadedBackend) => {
      let total = 0;
      for (const [at, len] of cut(values.length, be.threads, 16)) {
        let part = 0;
        for (let i = at; i < at + len; i++) part = Math.fround(part + values[i]!);
        total = Math.fround(total + part);
      }
      return Float32Array.of(total);
    };
    const err = await rejection(expectSameAcrossThreads(perThreadSum, { spawn: nodeSpawn, isa: "simd", what: "my sum" }));
    expect(err.message).toMatch(/^my sum: 2 threads against 1: expectSameBits: 1 of 1 elements differ \(float32 bit patterns\)\n  first at index 0: /);
  });

  it("closes the pool when run throws", async () => {
    const seen: ThreadedBackend[] = [];
    await expect(expectSameAcrossThreads((be) => { seen.push(be); throw new Error("boom"); }, { spawn: nodeSpawn, isa: "simd", threads: [2, 1] }))
      .rejects.toThrow("boom");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.threads).toBe(1);
  });

  it("refuses a pool that fell back to one thread, giving the reason, unless allowFallback", async () => {
    const err = await rejection(expectSameAcrossThreads((be) => layer(be), { isa: "simd", threads: [1, 2] })); // Node has no global Worker
    expect(err.message).toMatch(/^expectSameAcrossThreads: 2 threads were asked for but the pool runs on 1: no way to start workers here: pass `spawn`/);
    const summary = await expectSameAcrossThreads((be) => layer(be), { isa: "simd", threads: [1, 2], allowFallback: true });
    expect(summary.threads).toEqual([1, 1]);
    await expect(expectSameAcrossThreads(() => 1, { threads: [2] })).rejects.toThrow(RangeError);
  });
});
