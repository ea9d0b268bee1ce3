// GEMM GFLOP/s (2 M N K / time) on the shapes of the 784-400-20 VAE at batch 128 and on 256^3
// and 1024^3 (--quick: the small ones and the encoder's forward): every module build, a naive
// JavaScript triple loop, the simd build on T threads ("simd xT": ThreadedBackend.gemm on
// buffers it allocates; a GEMM is cut into column or row blocks only above 2^19 flops, smaller
// ones run on the host thread), and TF.js's tf.matMul when loaded. The builds run interleaved,
// round by round; each figure is the median [best] of the rounds.
import { Arena } from "../../src/kernels/arena.js";
import type { KernelExports } from "../../src/kernels/exports.js";
import type { WasmBackend } from "../../src/backend/wasm.js";
import { repeatTimer } from "../conv.js";
import { tfjsGemm } from "../tfjs.js";
import { best, loadModule, median, stat, type BenchContext, type Stat } from "./context.js";

interface Shape { name: string; tA: number; tB: number; M: number; N: number; K: number }
const shapes: readonly Shape[] = [
  { name: "enc fwd  X W1^T", tA: 0, tB: 1, M: 128, N: 400, K: 784 },
  { name: "enc dW1  dY^T X", tA: 1, tB: 0, M: 400, N: 784, K: 128 },
  { name: "enc dX   dY W1", tA: 0, tB: 0, M: 128, N: 784, K: 400 },
  { name: "mu fwd   H W2^T", tA: 0, tB: 1, M: 128, N: 20, K: 400 },
  { name: "mu dW2   dY^T H", tA: 1, tB: 0, M: 20, N: 400, K: 128 },
  { name: "mu dH    dY W2", tA: 0, tB: 0, M: 128, N: 400, K: 20 },
  { name: "dec fwd  Z W3^T", tA: 0, tB: 1, M: 128, N: 400, K: 20 },
  { name: "dec fwd  H W4^T", tA: 0, tB: 1, M: 128, N: 784, K: 400 },
  { name: "dec dW4  dY^T H", tA: 1, tB: 0, M: 784, N: 400, K: 128 },
  { name: "square 256", tA: 0, tB: 0, M: 256, N: 256, K: 256 },
  { name: "square 256 A^T B^T", tA: 1, tB: 1, M: 256, N: 256, K: 256 },
  { name: "square 1024", tA: 0, tB: 0, M: 1024, N: 1024, K: 1024 },
];

/** A timer for one shape on one module: returns GFLOP/s of one timed run (~target ms). */
function wasmGemm(k: KernelExports, s: Shape, targetMs: number): () => number {
  const arena = new Arena(k);
  const lda = s.tA ? s.M : s.K, ldb = s.tB ? s.K : s.N;
  const a = arena.alloc(s.M * s.K), b = arena.alloc(s.K * s.N), c = arena.alloc(s.M * s.N);
  const work = arena.allocBytes(k.gemm_f32_work_size(s.M, s.N, s.K));
  arena.f32(a, s.M * s.K).forEach((_, i, x) => { x[i] = Math.sin(i); });
  arena.f32(b, s.K * s.N).forEach((_, i, x) => { x[i] = Math.cos(i); });
  const run = () => k.gemm_f32(s.tA, s.tB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N, work);
  let t = performance.now();
  run();
  const reps = Math.max(1, Math.round(targetMs / Math.max(performance.now() - t, 1e-3)));
  for (let i = 0; i < 3 * reps; i++) run(); // warm-up (V8 tiers the kernels up)
  const flops = 2 * s.M * s.N * s.K * reps;
  return () => {
    t = performance.now();
    for (let i = 0; i < reps; i++) run();
    return flops / ((performance.now() - t) * 1e6);
  };
}

/**
 * The naive triple loop in JavaScript (i, k, j order over Float32Arrays; no blocking). On the
 * 1024^3 product it computes the first 128 rows only (same loops, an eighth of the time).
 */
function jsGemm(s: Shape): () => number {
  const { N, K } = s;
  const M = Math.min(s.M, s.M * s.N * s.K > 1e8 ? 128 : s.M);
  const a = Float32Array.from({ length: s.M * K }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
  const c = new Float32Array(M * N);
  const run = () => {
    c.fill(0);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const x = s.tA ? a[k * s.M + i]! : a[i * K + k]!;
        const ci = i * N;
        if (s.tB) for (let j = 0; j < N; j++) c[ci + j] = c[ci + j]! + x * b[j * K + k]!;
        else { const bk = k * N; for (let j = 0; j < N; j++) c[ci + j] = c[ci + j]! + x * b[bk + j]!; }
      }
    }
  };
  run();
  return () => { const t = performance.now(); run(); return 2 * M * N * K / ((performance.now() - t) * 1e6); };
}

/**
 * A timer for one shape on a backend (the threaded one), on buffers it allocates: returns
 * GFLOP/s of one timed run (~target ms); free() returns the buffers.
 */
function backendGemm(be: WasmBackend, s: Shape, targetMs: number): { time: () => number; free: () => void } {
  const lda = s.tA ? s.M : s.K, ldb = s.tB ? s.K : s.N;
  const a = be.alloc(s.M * s.K), b = be.alloc(s.K * s.N), c = be.alloc(s.M * s.N);
  be.f32(a).forEach((_, i, x) => { x[i] = Math.sin(i); });
  be.f32(b).forEach((_, i, x) => { x[i] = Math.cos(i); });
  const timer = repeatTimer(() => be.gemm(s.tA === 1, s.tB === 1, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N), targetMs);
  const flops = 2 * s.M * s.N * s.K;
  return { time: () => flops / (timer() * 1e6), free: () => { be.free(a); be.free(b); be.free(c); } };
}

/**
 * One shape: a Stat (GFLOP/s) per build ("simd", "relaxed", ..., "simd xT", "js", "tfjs"), vsTfjs
 * by build, and ofCeiling by build (bench/sections/targets.ts).
 */
export interface GemmRow {
  shape: string; tA: number; tB: number; M: number; N: number; K: number; ofCeiling?: Record<string, number>;
  [variant: string]: number | string | Stat | Record<string, number> | undefined;
}

export interface GemmResult {
  rows: GemmRow[];
  /** The column of the simd build on T threads ("simd xT"), or null without its pool. */
  poolColumn: string | null;
}

export function gemmSection(ctx: BenchContext): GemmResult {
  const { variants, quick, tf } = ctx;
  const rows: GemmRow[] = [];
  const modules = variants.map(loadModule);
  const pool = ctx.poolOf("simd");
  const poolColumn = pool ? `simd ${ctx.xT}` : null;
  ctx.begin("GEMM");
  // Warm-up: V8 runs a wasm function in its baseline compiler (Liftoff) until the function has
  // used its budget, then switches to TurboFan code, compiled in the background; a call already
  // running stays in Liftoff. Without this, the first shapes measured are up to 40% slow.
  for (const k of modules) {
    const warm = shapes.slice(0, 4).map((s) => wasmGemm(k, s, 5));
    const until = performance.now() + (quick ? 150 : 400);
    while (performance.now() < until) for (const w of warm) w();
  }
  if (pool) { // the host's and the workers' instances of the shared build
    const warm = shapes.slice(0, 4).map((s) => backendGemm(pool, s, 5));
    const until = performance.now() + (quick ? 150 : 400);
    while (performance.now() < until) for (const w of warm) w.time();
    for (const w of warm) w.free();
  }
  for (const s of quick ? shapes.filter((x) => x.M * x.N * x.K <= 256 ** 3 || x.name === "enc fwd  X W1^T") : shapes) {
    ctx.log(".");
    const big = s.M * s.N * s.K > 1e8;
    const timers = modules.map((k) => wasmGemm(k, s, big ? 40 : 15));
    const threaded = pool ? backendGemm(pool, s, big ? 40 : 15) : null;
    if (threaded) timers.push(threaded.time);
    const runs = timers.map(() => [] as number[]);
    for (let r = 0; r < (big ? 5 : 9); r++) timers.forEach((t, i) => runs[i]!.push(t()));
    threaded?.free();
    const row: GemmRow = { shape: s.name, tA: s.tA, tB: s.tB, M: s.M, N: s.N, K: s.K };
    variants.forEach((v, i) => { row[v.name] = stat(runs[i]!); });
    if (threaded) row[poolColumn!] = stat(runs[variants.length]!);
    const js = jsGemm(s);
    row.js = stat(Array.from({ length: 3 }, js));
    if (tf) {
      const timer = tfjsGemm(tf.tf, s, big ? 40 : 15);
      const tfRuns = Array.from({ length: big ? 5 : 7 }, timer);
      const t = { median: median(tfRuns), best: best(tfRuns) };
      row.tfjs = t;
      row.vsTfjs = Object.fromEntries(variants.map((v) => [v.name, (row[v.name] as Stat).median / t.median]));
    }
    rows.push(row);
  }
  ctx.end();
  return { rows, poolColumn };
}
