// What two cores of this machine give to compute that shares nothing: the plain 4x8
// microkernel of bench/microkernel.ts (panels in L1, no memory traffic) on 1 thread, then on
// N threads at once, each its own worker with its own module instance and memory. The ratio
// of the N-thread total to the 1-thread rate is the machine's own ceiling for any N-thread
// speed-up of the kernels (a VM whose vCPUs share physical cores, or are not all scheduled,
// shows it here). Rounds alternate 1 and N threads; medians of the per-round rates.
import { Worker } from "node:worker_threads";
import asc from "assemblyscript/asc";
import { kernelSource, plainMadd } from "./microkernel.js";

export interface ParallelCeiling {
  threads: number;
  /** GFLOP/s of one thread alone, median over rounds. */
  one: number;
  /** GFLOP/s summed over the threads running at once, median over rounds. */
  all: number;
  /** all / one. */
  speedup: number;
}

/** Runs inside each worker: instantiates the kernel, then on each start signal runs for `ms` and posts its flops. */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { binary, ctl } = workerData;
const flag = new Int32Array(ctl);
WebAssembly.instantiate(binary, {}).then(({ instance }) => {
  const k = instance.exports;
  const f = new Float32Array(k.memory.buffer);
  for (let i = 16384; i < 32768; i++) f[i] = Math.sin(i) * 1e-3;
  for (let w = 0; w < 500; w++) k.kernel(200, 256, 65536, 81920, 98304);
  parentPort.postMessage({ ready: true });
  parentPort.on("message", ({ ms }) => {
    Atomics.wait(flag, 0, 0); // all threads start together
    const t0 = performance.now();
    let reps = 0;
    while (performance.now() - t0 < ms) { k.kernel(200, 256, 65536, 81920, 98304); reps += 200; }
    parentPort.postMessage({ flops: reps * 2 * 4 * 8 * 256, seconds: (performance.now() - t0) / 1000 });
  });
});`;

export async function parallelCeiling(threads: number, rounds = 7, ms = 150): Promise<ParallelCeiling> {
  const out = await asc.compileString(kernelSource(plainMadd, true), { optimizeLevel: 3, runtime: "stub", noAssert: true, initialMemory: 2, enable: ["simd"] });
  if (out.error || !out.binary) throw new Error(`asc: ${out.error?.message ?? "no binary"}`);
  const ctl = new SharedArrayBuffer(4);
  const flag = new Int32Array(ctl);
  const workers = Array.from({ length: threads }, () => new Worker(workerSource, { eval: true, workerData: { binary: out.binary, ctl } }));
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
    return { threads, one, all, speedup: all / one };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 2);
  const c = await parallelCeiling(n);
  console.log(`microkernel: 1 thread ${c.one.toFixed(1)} GFLOP/s, ${c.threads} threads at once ${c.all.toFixed(1)} GFLOP/s in all: ${c.speedup.toFixed(2)}x`);
}
