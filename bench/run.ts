// One command for the figures that matter: `npm run bench` (or, built, node dist/bench/run.js).
//
// - GEMM GFLOP/s (2 M N K / time) on the shapes of the 784-400-20 VAE at batch 128 and on
//   256^3 and 1024^3: the SIMD and the scalar module, and a naive JavaScript triple loop.
// - Training samples/s of that VAE (Bernoulli, Adam 1e-3, batch 128) on the embedded MNIST
//   digits, SIMD and scalar: `train.fit` (state kept inside) and folding the pure `train.step`
//   (which loads the state in and reads a fresh one out every step); the difference is the
//   copy overhead of the pure API.
// - The ceiling: the GEMM's 4 x 8 microkernel alone on L1-resident panels (bench/microkernel.ts).
// - The sizes of the wasm modules (raw and gzipped).
// - The peer, TensorFlow.js on its wasm backend with one thread (bench/tfjs.ts): tf.matMul on
//   the same GEMM shapes and the same VAE's training samples/s on the same batches, with the
//   ratios latent / TF.js (above 1: latent is faster). --no-tfjs skips it (about 20 s).
//
// Every figure is the median of several timed runs after warm-up, the best run in brackets: on
// a shared machine the best is the closer estimate of the idle figure. Benchmarks report; they
// assert nothing. About 95 s (110 s with --baseline, 75 s with --no-tfjs).
//
//   node dist/bench/run.js [--json] [--quick] [--no-tfjs] [--baseline DIR]
//
// Relaxed SIMD: the embedded relaxed-SIMD build (asconfig's target "relaxed", what init() loads
// where relaxed SIMD validates) is measured as "relaxed": its GEMM uses f32x4.relaxed_madd
// (fused multiply-adds; not bit-identical to the other builds). Node 20 needs
// --experimental-wasm-relaxed-simd for it: the script re-runs itself with that flag.
//
// --baseline DIR: also measures the modules DIR/latent.simd.wasm and DIR/latent.scalar.wasm
// (e.g. a build of an older commit) as base-simd and base-scalar, with the generic optimizer
// path (those modules may lack the fused Adam kernel), plus "simd-unfused" (this build, generic
// optimizer path), so that before and after are measured in the same run.
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import { embeddedBytes, instantiateSync, type Isa } from "../src/kernels/module.js";
import { Arena } from "../src/kernels/arena.js";
import type { KernelExports } from "../src/kernels/exports.js";
import { initSync } from "../src/backend/default.js";
import { loadEmbeddedMnist } from "../src/data/node/mnist.js";
import { splitTensor } from "../src/data/dataset.js";
import { batches } from "../src/data/batches.js";
import { vae } from "../src/models/index.js";
import { adam, optimizer, type Optimizer } from "../src/optim/index.js";
import { foldIn, key, split } from "../src/random/index.js";
import type { TensorLike } from "../src/tensor/tensor.js";
import { fit, initState, step } from "../src/train/index.js";
import { microkernelCeiling } from "./microkernel.js";
import { loadTfjs, tfjsGemm, tfjsVaeTrainer } from "./tfjs.js";

const { values: args } = parseArgs({ options: {
  json: { type: "boolean", default: false },
  quick: { type: "boolean", default: false },
  baseline: { type: "string" },
  "no-tfjs": { type: "boolean", default: false },
} });
const quick = args.quick!;

interface Variant { name: string; isa: Isa; bytes: Uint8Array; fused: boolean }
const variants: Variant[] = [
  { name: "simd", isa: "simd", bytes: embeddedBytes("simd"), fused: true },
  { name: "scalar", isa: "scalar", bytes: embeddedBytes("scalar"), fused: true },
];
const relaxedBytes = embeddedBytes("relaxed");
if (WebAssembly.validate(relaxedBytes)) {
  variants.splice(1, 0, { name: "relaxed", isa: "relaxed", bytes: relaxedBytes, fused: true });
} else if (!process.execArgv.includes("--experimental-wasm-relaxed-simd")) {
  const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
if (args.baseline) {
  for (const isa of ["simd", "scalar"] as const) {
    variants.push({ name: `base-${isa}`, isa, bytes: new Uint8Array(readFileSync(join(args.baseline, `latent.${isa}.wasm`))), fused: false });
  }
}

// The peer, loaded before any timing so that its start-up is not measured.
const peer = args["no-tfjs"] ? null : await loadTfjs();
if (peer && "error" in peer) process.stderr.write(`TF.js not measured: ${peer.error}\n`);
const tf = peer && !("error" in peer) ? peer : null;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const best = (xs: number[]) => Math.max(...xs);
const log = (s: string) => { if (!args.json) process.stderr.write(s); };

// ---------------------------------------------------------------- GEMM

interface Shape { name: string; tA: number; tB: number; M: number; N: number; K: number }
const shapes: Shape[] = [
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

function load(v: Variant): KernelExports {
  const loaded = instantiateSync(v.bytes, { isa: v.isa });
  if (E.isLeft(loaded)) throw loaded.left;
  return loaded.right.exports;
}

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

type Stat = { median: number; best: number };
interface GemmRow { shape: string; tA: number; tB: number; M: number; N: number; K: number; [variant: string]: number | string | Stat | Record<string, number> }
const gemmRows: GemmRow[] = [];
const modules = variants.map(load);
log("GEMM ");
// Warm-up: V8 runs a wasm function in its baseline compiler (Liftoff) until the function has
// used its budget, then switches to TurboFan code, compiled in the background; a call already
// running stays in Liftoff. Without this, the first shapes measured are up to 40% slow.
for (const k of modules) {
  const warm = [shapes[0]!, shapes[1]!, shapes[2]!, shapes[3]!].map((s) => wasmGemm(k, s, 5));
  const until = performance.now() + (quick ? 150 : 400);
  while (performance.now() < until) for (const w of warm) w();
}
for (const s of quick ? shapes.filter((x) => x.M * x.N * x.K <= 256 ** 3 || x.name === "enc fwd  X W1^T") : shapes) {
  log(".");
  const big = s.M * s.N * s.K > 1e8;
  const timers = modules.map((k) => wasmGemm(k, s, big ? 40 : 15));
  const runs = modules.map(() => [] as number[]);
  for (let r = 0; r < (big ? 5 : 9); r++) timers.forEach((t, i) => runs[i]!.push(t()));
  const row: GemmRow = { shape: s.name, tA: s.tA, tB: s.tB, M: s.M, N: s.N, K: s.K };
  variants.forEach((v, i) => { row[v.name] = { median: median(runs[i]!), best: best(runs[i]!) }; });
  const js = jsGemm(s);
  const jsRuns = Array.from({ length: 3 }, js);
  row.js = { median: median(jsRuns), best: best(jsRuns) };
  if (tf) {
    const timer = tfjsGemm(tf.tf, s, big ? 40 : 15);
    const tfRuns = Array.from({ length: big ? 5 : 7 }, timer);
    const t = { median: median(tfRuns), best: best(tfRuns) };
    row.tfjs = t;
    row.vsTfjs = Object.fromEntries(variants.map((v) => [v.name, (row[v.name] as { median: number }).median / t.median]));
  }
  gemmRows.push(row);
}
log("\n");

// ---------------------------------------------------------------- training

const mnist = loadEmbeddedMnist();
const trainX = splitTensor(mnist.train, 784);
const [kInit, kData, kFit] = split(key(1), 3);
const model = vae.mlp({ input: 784, hidden: [400], latent: 20, likelihood: "bernoulli" });
const allBatches: TensorLike[] = [...batches(trainX, { batchSize: 128, key: kData!, dropLast: true })(0)];

/** The optimizer without its fused path (the generic chain, then the apply). */
function unfused(opt: Optimizer): Optimizer {
  const { applyFused: _, ...t } = opt.transform;
  return optimizer(t);
}

interface TrainRow { variant: string; fit: Stat; step: Stat; stepOverheadPct: number; vsTfjs?: number }
const trainRows: TrainRow[] = [];
const trainVariants: (Variant & { label: string })[] = variants.map((v) => ({ ...v, label: v.name }));
if (args.baseline) trainVariants.splice(1, 0, { ...variants[0]!, label: "simd-unfused", fused: false });
log("training ");
// The variants run interleaved, round by round, so that a slow spell of the machine hits them
// all alike. Each module is compiled once: re-instantiating a compiled WebAssembly.Module
// (initSync) reuses its optimised code, so switching modules costs no new warm-up.
const setups = trainVariants.map((v) => {
  const module = new WebAssembly.Module(v.bytes as Uint8Array<ArrayBuffer>);
  const opt = v.fused ? adam({ learningRate: 1e-3 }) : unfused(adam({ learningRate: 1e-3 }));
  const nb = v.isa !== "scalar" ? (quick ? 8 : 20) : (quick ? 2 : 4);
  const xs = allBatches.slice(0, nb);
  const samples = nb * 128;
  const state0 = initState(model.init(kInit!), opt);
  const stepFn = step(model, opt);
  const timeFit = async () => {
    const t = performance.now();
    await fit(model, opt, { state: state0, data: () => xs, epochs: 1, key: kFit! });
    return samples / ((performance.now() - t) / 1000);
  };
  const timeStep = () => {
    const t = performance.now();
    let state = state0;
    for (const x of xs) ({ state } = stepFn(state, x, foldIn(kFit!, state.opt.count)));
    return samples / ((performance.now() - t) / 1000);
  };
  return { v, module, stepFn, state0, xs, timeFit, timeStep, fits: [] as number[], steps: [] as number[] };
});
const select = (su: (typeof setups)[number]) => {
  initSync(su.module);
  su.stepFn(su.state0, su.xs[0]!, kFit!); // builds the step's program on this backend (not timed)
};
// TF.js trains the same model on the first batches (fewer: it is slower), in the same rounds.
const tfTrain = tf ? tfjsVaeTrainer(tf.tf, allBatches.slice(0, quick ? 3 : 8).map((b) => Float32Array.from(b.data)), 128) : null;
const tfFits: number[] = [];
for (const su of setups) { select(su); await su.timeFit(); su.timeStep(); } // warm-up
tfTrain?.();
for (let r = 0; r < (quick ? 2 : 4); r++) {
  log(".");
  for (const su of setups) {
    select(su);
    su.fits.push(await su.timeFit());
    su.steps.push(su.timeStep());
  }
  if (tfTrain) tfFits.push(tfTrain());
}
for (const su of setups) {
  const f = { median: median(su.fits), best: best(su.fits) }, st = { median: median(su.steps), best: best(su.steps) };
  trainRows.push({ variant: su.v.label, fit: f, step: st, stepOverheadPct: 100 * (f.median / st.median - 1) });
}
const tfTraining = tfFits.length > 0 ? { median: median(tfFits), best: best(tfFits) } : null;
if (tfTraining) for (const r of trainRows) r.vsTfjs = r.fit.median / tfTraining.median;
log("\n");

// ---------------------------------------------------------------- microkernel ceiling

log("microkernel ");
const ceiling = await microkernelCeiling();
log("\n");

// ---------------------------------------------------------------- sizes and output

const sizes = Object.fromEntries(variants.map((v) => [v.name, { bytes: v.bytes.length, gzip: gzipSync(v.bytes).length }]));

if (args.json) {
  const tfjs = tf ? { version: tf.version, backend: tf.backend, threads: tf.threads, training: tfTraining } : null;
  console.log(JSON.stringify({ node: process.version, gemm: gemmRows, training: trainRows, tfjs, microkernel: ceiling, wasmBytes: sizes }, null, 2));
} else {
  const cell = (x: Stat, w = 15) => `${x.median.toFixed(1)} [${x.best.toFixed(1)}]`.padStart(w);
  const ratio = (x: number | undefined, w = 11) => (x === undefined ? "" : `${x.toFixed(2)}x`).padStart(w);
  const tfHead = tf ? `${"tfjs wasm".padStart(15)}${variants.map((v) => `${v.name}/tf`.padStart(11)).join("")}` : "";
  console.log(`GEMM GFLOP/s, median [best] (node ${process.version}${tf ? `; TF.js ${tf.version} ${tf.backend}, ${tf.threads} thread; x/tf: ratio of medians` : ""})`);
  console.log(`${"shape".padEnd(20)}tA tB     M     N     K${variants.map((v) => v.name.padStart(15)).join("")}${"naive js".padStart(15)}${tfHead}`);
  for (const r of gemmRows) {
    const dims = [r.M, r.N, r.K].map((d) => String(d).padStart(5)).join(" ");
    const vs = r.vsTfjs as Record<string, number> | undefined;
    const tfCells = r.tfjs ? `${cell(r.tfjs as Stat)}${variants.map((v) => ratio(vs?.[v.name])).join("")}` : "";
    console.log(`${r.shape.padEnd(20)}${r.tA}  ${r.tB} ${dims}${variants.map((v) => cell(r[v.name] as Stat)).join("")}${cell(r.js as Stat)}${tfCells}`);
  }
  console.log(`\nTraining the 784-400-20 VAE, batch 128, embedded MNIST: samples/s, median [best]${tfTraining ? "; fit/tf: ratio of medians" : ""}`);
  console.log(`${"module".padEnd(14)}${"fit".padStart(17)}${"step (pure)".padStart(17)}   step overhead${tfTraining ? "fit/tf".padStart(11) : ""}`);
  for (const r of trainRows) console.log(`${r.variant.padEnd(14)}${cell(r.fit, 17)}${cell(r.step, 17)}   ${`${r.stepOverheadPct.toFixed(1)}%`.padEnd(13)}${ratio(r.vsTfjs)}`);
  if (tfTraining) console.log(`${"tfjs wasm".padEnd(14)}${cell(tfTraining, 17)}`);
  console.log(`\nThe 4x8 microkernel alone, panels in L1 (GFLOP/s, median [best]): ${ceiling.map((c) => `${c.variant} ${cell(c, 0).trim()}`).join(", ")}`);
  console.log(`\nwasm modules: ${variants.map((v) => `${v.name} ${sizes[v.name]!.bytes} B (gzip ${sizes[v.name]!.gzip} B)`).join(", ")}`);
}
