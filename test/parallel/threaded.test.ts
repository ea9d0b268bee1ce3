// The threaded backend computes the same bits as one thread: every kernel it cuts, on shapes
// including 0, 1 and odd sizes, cut into parts of every size (the size thresholds set to 0),
// on 2 and 3 threads; training with fit on 1, 2 and 3 threads gives identical parameters, and
// every worker ran a share of the calls (the host claims calls too, so equal bits alone would not
// show that the workers ran).
// Also: a failing kernel in a worker is a WorkerError (no hang), and without a way to start
// workers the pool falls back to one thread and says why.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { initSync } from "../../src/backend/default.js";
import { REDUCE_BLOCK, WasmBackend, type WasmBuffer } from "../../src/backend/wasm.js";
import * as reference from "../../src/kernels/reference/losses.js";
import { batches } from "../../src/data/batches.js";
import { Activation, type ActivationCode } from "../../src/kernels/exports.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { ae, vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam } from "../../src/optim/index.js";
import { cut, startThreads, ThreadedBackend, WorkerError } from "../../src/parallel/index.js";
import { nodeSpawn } from "../../src/parallel/node/spawn.js";
import { foldIn, key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { fit, initState, step } from "../../src/train/index.js";
import { convCaseArb, expectSameBits, geometryOf } from "../../src/testing/index.js";

const loaded = instantiateSync(undefined, { isa: "simd" });
if (E.isLeft(loaded)) throw loaded.left;
const one = new WasmBackend(loaded.right);
const everything = { minFlops: 0, minElements: 0 };
let two: ThreadedBackend, three: ThreadedBackend;

beforeAll(async () => {
  initSync(undefined, { isa: "simd" });
  two = await startThreads({ threads: 2, spawn: nodeSpawn, isa: "simd", cutSizes: everything });
  three = await startThreads({ threads: 3, spawn: nodeSpawn, isa: "simd", cutSizes: everything });
});
afterAll(() => { two?.close(); three?.close(); });

function bits(be: WasmBackend, b: WasmBuffer): number[] {
  return Array.from(new Uint32Array(be.read(b).buffer));
}

/** Runs `body` on one thread and on 2 and 3 threads with the same inputs; the outputs' bits must agree. */
function same(inputs: number[][], body: (be: WasmBackend, bufs: WasmBuffer[]) => WasmBuffer[] | number): void {
  const on = (be: WasmBackend) => {
    const bufs = inputs.map((v) => { const b = be.alloc(v.length); be.write(b, v); return b; });
    const r = body(be, bufs);
    const out = typeof r === "number" ? [r] : r.flatMap((b) => bits(be, b));
    for (const b of bufs) be.free(b);
    return out;
  };
  const expected = on(one);
  expectSameBits(on(two), expected, { what: "2 threads" });
  expectSameBits(on(three), expected, { what: "3 threads" });
}

const values = (n: number, seed: number, scale = 1) => Array.from(uniform(key(seed), n), (u) => (2 * u - 1) * scale);

describe("cut", () => {
  it("covers [0, n) with aligned, non-empty, ordered parts", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 4, 8, 16), (n, parts, align) => {
      const r = cut(n, parts, align);
      expect(r.length).toBeLessThanOrEqual(parts);
      let at = 0;
      for (const [start, len] of r) {
        expect(start).toBe(at);
        expect(len).toBeGreaterThan(0);
        expect(start % align).toBe(0);
        at += len;
      }
      expect(at).toBe(n);
    }));
  });
});

describe("the threaded kernels equal one thread bit for bit", () => {
  it("gemm, every transpose, cut by columns and by rows", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 41 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 33 }),
      fc.boolean(), fc.boolean(), fc.constantFrom(0, 1, -0.5), fc.integer({ min: 0, max: 1000 }),
      (M, N, K, tA, tB, beta, seed) => {
        const lda = (tA ? M : K) + 1, ldb = (tB ? K : N) + 2, ldc = N + 3;
        same([values((tA ? K : M) * lda, seed), values((tB ? N : K) * ldb, seed + 1), values(M * ldc, seed + 2)], (be, [a, b, c]) => {
          be.gemm(tA, tB, M, N, K, 1.25, a!, lda, b!, ldb, beta, c!, ldc);
          return [c!];
        });
      }), { numRuns: 150 });
  });

  it("gemm on the shapes of a 784-400-20 layer", () => {
    for (const [tA, tB, M, N, K] of [[false, true, 64, 400, 784], [true, false, 400, 784, 64], [false, false, 64, 784, 400]] as const) {
      const lda = tA ? M : K, ldb = tB ? K : N;
      same([values(M * K, 1), values(K * N, 2), values(M * N, 3)], (be, [a, b, c]) => {
        be.gemm(tA, tB, M, N, K, 1, a!, lda, b!, ldb, 0, c!, N);
        return [c!];
      });
    }
  });

  it("elementwise kernels, bias add and column sums", () => {
    const acts = Object.values(Activation) as ActivationCode[];
    fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1000 }), (n, cols, seed) => {
      const x = values(n, seed, 4), y = values(n, seed + 1, 4), t = values(n, seed + 2).map(Math.abs);
      same([x, y], (be, [a, b]) => { be.add(a!, b!, b!); return [b!]; });
      same([x, y], (be, [a, b]) => { be.scale(-0.75, a!, b!); return [b!]; });
      same([x, y], (be, [a, b]) => { be.axpy(0.5, a!, b!); return [b!]; });
      same([x], (be, [a]) => { be.fill(0.25, a!); return [a!]; });
      for (const kind of acts) {
        same([x, y, y, y], (be, [a, out, dy, dx]) => {
          be.actForward(kind, 0.1, a!, out!);
          be.actBackward(kind, 0.1, a!, out!, dy!, dx!);
          return [out!, dx!];
        });
      }
      same([x, t, y], (be, [l, tt, d]) => { be.bceLogitsBackward(1 / 7, l!, tt!, d!); return [d!]; });
      same([x, t, y], (be, [l, tt, d]) => { be.sqErrBackward(1 / 7, l!, tt!, d!); return [d!]; });
      same([x, y, t], (be, [g, m, v]) => { be.scaleByAdam(0.9, 0.999, 1e-8, 0.1, 0.001, g!, m!, v!); return [g!, m!, v!]; });
      same([x, y], (be, [g, tr]) => { be.trace(0.9, true, g!, tr!); return [g!, tr!]; });
      same([x, y, t, values(n, seed + 3)], (be, [g, m, v, p]) => { be.adamApply(0.9, 0.999, 1e-8, 0.1, 0.001, 1e-3, 0.01, g!, m!, v!, p!); return [m!, v!, p!]; });
      const rows = Math.floor(n / cols);
      same([values(cols, seed + 4), x], (be, [bias, c]) => { be.biasAdd(rows, cols, bias!, c!, cols); return [c!]; });
      same([x, values(cols, seed + 5)], (be, [m, out]) => { be.colSum(rows, cols, m!, cols, 0.5, out!); return [out!]; });
      same([x, values(n, seed + 5)], (be, [m, out]) => { be.colSum(1, n, m!, n, 0, out!); return [out!]; });
    }), { numRuns: 25 });
  });

  it("the BCE and squared-error sums, by blocks of REDUCE_BLOCK in block order, and right against float64", () => {
    const B = REDUCE_BLOCK;
    for (const n of [0, 1, 17, B - 1, B, B + 1, 3 * B + 17, 65 * B + 5]) { // the last: more blocks than a round's 64 slots
      const x = values(n, n + 1, 6), t = values(n, n + 2).map(Math.abs), y = values(n, n + 3);
      same([x, t], (be, [l, tt]) => be.bceLogitsForward(l!, tt!));
      same([x, y], (be, [p, q]) => be.sqErrForward(p!, q!));
      const bce = (() => { const l = one.alloc(n), tt = one.alloc(n); one.write(l, x); one.write(tt, t); const r = one.bceLogitsForward(l, tt); one.free(l); one.free(tt); return r; })();
      const want = reference.bceLogitsForward(n, Float64Array.from(Float32Array.from(x)), Float64Array.from(Float32Array.from(t)));
      expect(Math.abs(bce - want)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
    }
  });

  it("guarded Adam: the same index and, after the caller's restore, the same state", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.integer({ min: 0, max: 1000 }), (n, badAt, seed) => {
      const g = values(n, seed), bad = badAt % (n + 1);
      if (bad < n) g[bad] = Infinity; // bad === n: every value finite
      same([g, values(n, seed + 1), values(n, seed + 2).map(Math.abs), values(n, seed + 3), new Array(n).fill(0), new Array(n).fill(0)],
        (be, [gb, m, v, p, mOut, vOut]) => {
          const i = be.adamStep(0.9, 0.999, 1e-8, 0.1, 0.001, 1e-3, 0, gb!, m!, v!, p!, mOut!, vOut!);
          if (i < n) be.copy(be.view(gb!, 0, i), be.view(p!, 0, i)); // what the trainer does
          return [p!, m!, v!, be.alloc(1)].map((b, k) => (k === 3 ? (be.write(b, [i]), b) : b));
        });
    }), { numRuns: 60 });
  });

  it("im2col and col2im (accumulating or not), cut by image", () => {
    fc.assert(fc.property(convCaseArb({ maxChannels: 4, maxBatch: 5, maxSize: 8 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (c, seed, acc) => {
      const g = geometryOf(c)!;
      const image = g.batch * g.h * g.w * g.c, cols = g.batch * g.oh * g.ow * g.c * g.kh * g.kw;
      same([values(image, seed), values(cols, seed + 1)], (be, [x, col]) => { be.im2col(g, x!, col!); return [col!]; });
      same([values(cols, seed + 2), values(image, seed + 3)], (be, [col, x]) => { be.col2im(g, col!, x!, acc); return [x!]; });
    }), { numRuns: 60 });
  });

  it("conv1 apply and adjoint cut by image, filter gradient cut by channels", () => {
    fc.assert(fc.property(convCaseArb({ maxChannels: 1, maxBatch: 5, maxSize: 8 }), fc.integer({ min: 1, max: 21 }), fc.integer({ min: 0, max: 1000 }),
      (c, C, seed) => {
        const g = geometryOf({ ...c, input: [c.input[0], c.input[1], 1] })!;
        const image = g.batch * g.h * g.w, z = g.batch * g.oh * g.ow * C, K = g.kh * g.kw;
        same([values(C * K, seed), values(image, seed + 1), values(z, seed + 2), values(C, seed + 8)],
          (be, [w, img, zb, bias]) => { be.conv1Apply(g, C, w!, img!, zb!, seed % 2 ? bias! : null); return [zb!]; });
        same([values(C * K, seed), values(z, seed + 3), values(image, seed + 4)], (be, [w, zb, img]) => { be.conv1Adjoint(g, C, w!, zb!, img!); return [img!]; });
        same([values(z, seed + 5), values(image, seed + 6), values(C * K, seed + 7), values(C, seed + 9)],
          (be, [zb, img, gw, gb]) => { be.conv1FilterGrad(g, C, zb!, img!, gw!, gb!); return [gw!, gb!]; });
      }), { numRuns: 60 });
  });
});

describe("the calls each thread claimed", () => {
  it("add up to the calls of the rounds, and reset to zeros", () => {
    for (const pool of [two, three]) {
      pool.resetCallsPerThread();
      expect(pool.callsPerThread()).toEqual(new Array(pool.threads).fill(0));
      const a = pool.alloc(1000), b = pool.alloc(1000);
      const rounds = 40;
      for (let i = 0; i < rounds; i++) pool.add(a, b, b); // one call per thread each: 1000 elements cut at multiples of 16
      const calls = pool.callsPerThread();
      expect(calls.reduce((s, n) => s + n, 0)).toBe(rounds * cut(1000, pool.threads, 16).length);
      pool.free(a); pool.free(b);
      pool.resetCallsPerThread();
      expect(pool.callsPerThread()).toEqual(new Array(pool.threads).fill(0));
    }
  });

  it("is [0] without a pool, and Symbol.dispose closes the pool", async () => {
    const be = await startThreads({ threads: 2, spawn: nodeSpawn, isa: "simd", cutSizes: everything });
    expect(be.threads).toBe(2);
    expect(be.callsPerThread()).toEqual([0, 0]);
    be[Symbol.dispose]();
    expect(be.threads).toBe(1);
    expect(be.callsPerThread()).toEqual([0]);
    const a = be.alloc(100);
    be.fill(2, a); // runs on this thread
    expect(Array.from(be.read(a))).toEqual(new Array(100).fill(2));
    const single = await startThreads({ threads: 1, isa: "simd" });
    expect(single.callsPerThread()).toEqual([0]);
  });
});

describe("training on several threads", () => {
  function paramBits(p: Params): number[] {
    return Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
  }
  const cases = [
    ["MLP VAE", vae.mlp({ input: 40, hidden: [33, 17], latent: 3 }), 40],
    ["conv AE", ae.conv({ imageShape: [9, 7, 2], channels: [4, 5], latent: 3, hidden: [6] }), 9 * 7 * 2],
  ] as const;
  for (const [name, model, D] of cases) {
    it(`gives identical parameters on 1, 2 and 3 threads (${name})`, async () => {
      const data = tensor(uniform(key(5), 53 * D), [53, D]); // batches of 16 and a partial one of 5
      const opt = adam({ learningRate: 1e-2 });
      const run = async (backend: WasmBackend) => paramBits((await fit(model, opt, {
        state: initState(model.init(key(1)), opt), data: batches(data, { batchSize: 16, key: key(2) }), epochs: 3, key: key(3), backend,
      })).state.params);
      const expected = await run(one);
      for (const pool of [two, three]) {
        pool.resetCallsPerThread();
        expectSameBits(await run(pool), expected, { what: `${name}, ${pool.threads} threads` });
        // The calls of these small models take microseconds, so the host may well claim nearly all
        // of them (a worker's share is checked on a larger model below); rounds did run.
        expect(pool.callsPerThread().reduce((s, n) => s + n, 0)).toBeGreaterThan(0);
      }
    });
  }

  it("every worker runs a share of the calls of a training run (784-400-20 VAE, 4 steps) on 2 and 3 threads", async () => {
    // Default cut sizes: the calls handed out are GEMM and elementwise parts of a millisecond or
    // so, long enough for a worker that is awake at all to claim some before the host has taken them.
    const model = vae.mlp({ input: 784, hidden: [400], latent: 20 });
    const data = tensor(uniform(key(9), 256 * 784), [256, 784]);
    const opt = adam({ learningRate: 1e-3 });
    const run = async (backend: WasmBackend) => paramBits((await fit(model, opt, {
      state: initState(model.init(key(1)), opt), data: batches(data, { batchSize: 64, key: key(2) }), epochs: 1, key: key(3), backend,
    })).state.params);
    const expected = await run(one);
    for (const threads of [2, 3]) {
      const pool = await startThreads({ threads, spawn: nodeSpawn, isa: "simd" });
      try {
        expect(pool.threads).toBe(threads);
        expectSameBits(await run(pool), expected, { what: `${threads} threads` });
        const calls = pool.callsPerThread();
        expect(calls).toHaveLength(threads);
        for (const [t, n] of calls.entries()) {
          expect(n, `thread ${t} of ${threads} ran ${n} of the ${calls.join(" + ")} calls`).toBeGreaterThan(0);
        }
      } finally {
        pool.close();
      }
    }
  });

  it("the pure step on a pool equals the step on one thread", () => {
    const model = vae.mlp({ input: 50, hidden: [40], latent: 3 });
    const opt = adam({ learningRate: 1e-2 });
    const x = tensor(uniform(key(6), 16 * 50), [16, 50]);
    const run = (backend: WasmBackend) => {
      const stepFn = step(model, opt, { backend });
      let state = initState(model.init(key(1)), opt);
      for (let i = 0; i < 3; i++) ({ state } = stepFn(state, x, foldIn(key(2), i)));
      return paramBits(state.params);
    };
    expectSameBits(run(two), run(one));
  });

  it("fit({ threads: 2, spawn }) equals one thread with the default sizes", async () => {
    const model = vae.mlp({ input: 300, hidden: [200], latent: 4 });
    const data = tensor(uniform(key(8), 200 * 300), [200, 300]);
    const opt = adam({ learningRate: 1e-3 });
    const run = async (threads: number) => {
      const r = await fit(model, opt, {
        state: initState(model.init(key(1)), opt), data: batches(data, { batchSize: 100, key: key(2) }), epochs: 2, key: key(3), threads, spawn: nodeSpawn,
      });
      expect([r.threads, r.singleThreadReason]).toEqual([threads, null]); // the result says what it ran on
      return paramBits(r.state.params);
    };
    expectSameBits(await run(2), await run(1));
  });
});

describe("failures", () => {
  it("a kernel that traps is an error, not a hang", async () => {
    const be = await startThreads({ threads: 2, spawn: nodeSpawn, isa: "simd", cutSizes: everything });
    const huge = { ptr: 0x7ffffff0, length: 4096 } as WasmBuffer; // past the end of memory: the worker's part traps
    const ok = be.alloc(4096);
    expect(() => be.add(ok, huge, huge)).toThrow(/out of bounds|failed/); // a WorkerError, or the trap itself where the host took that part
    be.close();
  });

  it("falls back to one thread, saying why, where workers cannot start", async () => {
    const be = await startThreads({ threads: 2, isa: "simd" }); // Node has no global Worker and no spawn was given
    expect(be.threads).toBe(1);
    expect(be.singleThreadReason).toMatch(/spawn/);
    const a = be.alloc(3);
    be.write(a, [1, 2, 3]);
    be.scale(2, a, a);
    expect(Array.from(be.read(a))).toEqual([2, 4, 6]);
  });

  it("refuses a thread count that is not a positive integer", async () => {
    await expect(startThreads({ threads: 0, spawn: nodeSpawn })).rejects.toThrow(RangeError);
    await expect(startThreads({ threads: 1.5, spawn: nodeSpawn })).rejects.toThrow(RangeError);
  });
});
