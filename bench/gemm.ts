// GFLOP/s of gemm_f32 on both builds: 2 * M * N * K / time, the median of timed runs after
// warm-up, by wall-clock time and by this process's CPU time (steadier on a busy machine). Shapes are those of a 784-400-20 VAE at batch 128 (weights W stored [out, in]),
// plus square sizes. Run: npx tsc -p tsconfig.build.json && node dist/bench/gemm.js
import * as E from "fp-ts/lib/Either.js";
import { instantiateSync, type Isa } from "../src/kernels/module.js";
import { Arena } from "../src/kernels/arena.js";

interface Shape { name: string; tA: number; tB: number; M: number; N: number; K: number }

const shapes: Shape[] = [
  { name: "enc fwd  X[128,784] W1^T", tA: 0, tB: 1, M: 128, N: 400, K: 784 },
  { name: "enc dW1  dY^T X", tA: 1, tB: 0, M: 400, N: 784, K: 128 },
  { name: "enc dX   dY W1", tA: 0, tB: 0, M: 128, N: 784, K: 400 },
  { name: "mu fwd   H[128,400] W2^T", tA: 0, tB: 1, M: 128, N: 20, K: 400 },
  { name: "mu dW2   dY^T H", tA: 1, tB: 0, M: 20, N: 400, K: 128 },
  { name: "mu dH    dY W2", tA: 0, tB: 0, M: 128, N: 400, K: 20 },
  { name: "dec fwd  Z[128,20] W3^T", tA: 0, tB: 1, M: 128, N: 400, K: 20 },
  { name: "dec fwd  H[128,400] W4^T", tA: 0, tB: 1, M: 128, N: 784, K: 400 },
  { name: "dec dW4  dY^T H", tA: 1, tB: 0, M: 784, N: 400, K: 128 },
  { name: "A^T B^T 128x400x784", tA: 1, tB: 1, M: 128, N: 400, K: 784 },
  ...[0, 1].flatMap((tA) => [0, 1].map((tB) => ({ name: `square 256`, tA, tB, M: 256, N: 256, K: 256 }))),
  { name: "square 1024", tA: 0, tB: 0, M: 1024, N: 1024, K: 1024 },
  { name: "square 1024", tA: 1, tB: 1, M: 1024, N: 1024, K: 1024 },
];

function bench(isa: Isa, s: Shape): [wall: number, cpu: number] {
  const loaded = instantiateSync(undefined, { isa });
  if (E.isLeft(loaded)) throw loaded.left;
  const k = loaded.right.exports;
  const arena = new Arena(k);
  const lda = s.tA ? s.M : s.K, ldb = s.tB ? s.K : s.N;
  const a = arena.alloc(s.M * s.K), b = arena.alloc(s.K * s.N), c = arena.alloc(s.M * s.N);
  const work = arena.allocBytes(k.gemm_f32_work_size(s.M, s.N, s.K));
  arena.f32(a, s.M * s.K).forEach((_, i, x) => { x[i] = Math.sin(i) });
  arena.f32(b, s.K * s.N).forEach((_, i, x) => { x[i] = Math.cos(i) });
  const flops = 2 * s.M * s.N * s.K;
  const run = () => k.gemm_f32(s.tA, s.tB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N, work);
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  // Warm up for 150 ms first: V8 runs a fresh module's functions in its baseline compiler
  // (Liftoff) until they have used their budget, and a call already running never switches to
  // the optimised code, so a short warm-up measured the first shapes up to 40% slow.
  let t = performance.now();
  while (performance.now() - t < 150) run();
  // Repeat so that one timed run lasts about 20 ms.
  t = performance.now();
  run();
  const reps = Math.max(1, Math.round(20 / Math.max(performance.now() - t, 1e-3)));
  const wall: number[] = [], cpus: number[] = [];
  for (let r = 0; r < 7; r++) {
    t = performance.now();
    const c0 = cpu();
    for (let i = 0; i < reps; i++) run();
    cpus.push(flops * reps / ((cpu() - c0) * 1e6));
    wall.push(flops * reps / ((performance.now() - t) * 1e6));
  }
  return [median(wall), median(cpus)];
}

function median(xs: number[]): number {
  return [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
}

const f = (x: number) => x.toFixed(1).padStart(7);
console.log(`${"shape".padEnd(26)}tA tB     M     N     K  simd wall/cpu GFLOP/s  scalar wall/cpu`);
for (const s of shapes) {
  const simd = bench("simd", s), scalar = bench("scalar", s);
  const dims = [s.M, s.N, s.K].map((d) => String(d).padStart(5)).join(" ");
  console.log(`${s.name.padEnd(26)}${s.tA}  ${s.tB} ${dims}  ${f(simd[0])}${f(simd[1])}        ${f(scalar[0])}${f(scalar[1])}`);
}
