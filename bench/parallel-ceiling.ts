// What two cores of this machine give to compute that shares nothing, on 1 thread and then on
// N threads at once, each its own worker with its own module instance and memory:
//   microkernel  the plain 4x8 microkernel of bench/microkernel.ts (panels in L1, no memory traffic);
//   gemm         latent's own GEMM (the embedded simd build) on the VAE's 128 x 400 x 784 product,
//                each worker on its own matrices: what a threaded GEMM could at best get.
// The ratio of the N-thread total to the 1-thread rate is the machine's own ceiling for any
// N-thread speed-up of the kernels (a VM whose vCPUs share physical cores or caches, or are not
// all scheduled, shows it here). Rounds alternate 1 and N threads; medians of the per-round rates.
import { Worker } from "node:worker_threads";
import asc from "assemblyscript/asc";
import { kernelSource, plainMadd } from "./microkernel.js";
import { embeddedBytes } from "../src/kernels/module.js";

export interface ParallelCeiling {
  kernel: "microkernel" | "gemm";
  threads: number;
  /** GFLOP/s of one thread alone, median over rounds. */
  one: number;
  /** GFLOP/s summed over the threads running at once, median over rounds. */
  all: number;
  /** all / one. */
  speedup: number;
}

/**
 * Runs inside each worker: instantiates the kernel, then on each start signal runs it for `ms`
 * and posts its flops. `kernel` is "microkernel" (export kernel) or "gemm" (export gemm_f32).
 */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { binary, ctl, kernel } = workerData;
const flag = new Int32Array(ctl);
WebAssembly.instantiate(binary, {}).then(({ instance }) => {
  const k = instance.exports;
  let once, flopsPerCall;
  if (kernel === "microkernel") {
    const f = new Float32Array(k.memory.buffer);
    for (let i = 16384; i < 32768; i++) f[i] = Math.sin(i) * 1e-3;
    once = () => k.kernel(200, 256, 65536, 81920, 98304);
    flopsPerCall = 200 * 2 * 4 * 8 * 256;
  } else {
    const M = 128, N = 400, K = 784;
    const base = (k.heap_base() + 63) & ~63;
    const a = base, b = a + 4 * M * K, c = b + 4 * N * K, work = c + 4 * M * N;
    const end = work + k.gemm_f32_work_size(M, N, K);
    const have = k.memory.buffer.byteLength;
    if (end > have) k.memory.grow(Math.ceil((end - have) / 65536));
    const f = new Float32Array(k.memory.buffer);
    for (let i = a / 4; i < c / 4; i++) f[i] = Math.sin(i) * 1e-2;
    once = () => k.gemm_f32(0, 1, M, N, K, 1, a, K, b, K, 0, c, N, work);
    flopsPerCall = 2 * M * N * K;
  }
  for (let w = 0; w < 200; w++) once();
  parentPort.postMessage({ ready: true });
  parentPort.on("message", ({ ms }) => {
    Atomics.wait(flag, 0, 0); // all threads start together
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < ms) { once(); calls++; }
    parentPort.postMessage({ flops: calls * flopsPerCall, seconds: (performance.now() - t0) / 1000 });
  });
});`;

export async function parallelCeiling(threads: number, kernel: "microkernel" | "gemm" = "microkernel", rounds = 7, ms = 150): Promise<ParallelCeiling> {
  let binary: Uint8Array;
  if (kernel === "microkernel") {
    const out = await asc.compileString(kernelSource(plainMadd, true), { optimizeLevel: 3, runtime: "stub", noAssert: true, initialMemory: 2, enable: ["simd"] });
    if (out.error || !out.binary) throw new Error(`asc: ${out.error?.message ?? "no binary"}`);
    binary = out.binary;
  } else {
    binary = embeddedBytes("simd");
  }
  const ctl = new SharedArrayBuffer(4);
  const flag = new Int32Array(ctl);
  const workers = Array.from({ length: threads }, () => new Worker(workerSource, { eval: true, workerData: { binary, ctl, kernel } }));
  const next = (w: Worker) => new Promise<{ flops: number; seconds: number; ready?: boolean }>((resolve, reject) => {
    const fail = (e: Error) => { w.off("message", done); reject(e); };
    const done = (m: { flops: number; seconds: number }) => { w.off("error", fail); resolve(m); };
    w.once("message", done);
    w.once("error", fail);
  });
  try {
    await Promise.all(workers.map(next)); // ready
    const run = async (n: number): Promise<number> => {
      Atomics.store(flag, 0, 0);
      const results = workers.slice(0, n).map(next);
      for (const w of workers.slice(0, n)) w.postMessage({ ms });
      await new Promise((r) => setTimeout(r, 20)); // let them reach the wait
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const rs = await Promise.all(results);
      return rs.reduce((a, r) => a + r.flops / r.seconds, 0) / 1e9;
    };
    const ones: number[] = [], alls: number[] = [];
    for (let r = 0; r < rounds; r++) { ones.push(await run(1)); alls.push(await run(threads)); }
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
    const one = med(ones), all = med(alls);
    return { kernel, threads, one, all, speedup: all / one };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 2);
  for (const kernel of ["microkernel", "gemm"] as const) {
    const c = await parallelCeiling(n, kernel);
    console.log(`${kernel}: 1 thread ${c.one.toFixed(1)} GFLOP/s, ${c.threads} threads at once ${c.all.toFixed(1)} GFLOP/s in all: ${c.speedup.toFixed(2)}x`);
  }
}
