// One command for the figures that matter: `npm run bench` (or, built, node dist/bench/run.js).
// The sections, in the order they run (each file says what it measures and how):
// - the ceiling: the GEMM's 4 x 8 microkernel alone on L1-resident panels, and on T workers at
//   once (bench/sections/ceiling.ts), first, so that every share of it comes from the same run;
// - GEMM GFLOP/s on the 784-400-20 VAE's shapes at batch 128 and on squares, every build, a naive
//   JavaScript loop, the simd build on T threads, TF.js (bench/sections/gemm.ts);
// - training samples/s of that VAE: fit and the pure step, every build, on 1 and T threads, and
//   the step-by-step comparisons (bench/sections/training.ts, step-profiles.ts);
// - the Keras MNIST VAE's conv layers, pass by pass, and its training (bench/sections/conv.ts);
// - PyTorch CPU beside latent, with --torch (bench/sections/torch.ts): one pass before the MLP
//   rounds and one after the conv rounds (with --quick, one pass between the two);
// - cost as work grows: the MLP VAE's samples/s by batch size and hidden width (bench/cost-table.ts;
//   not with --quick);
// - the peak RSS of `latent train --data fashion-mnist --epochs 1` in a child process
//   (bench/cli-rss.ts), the sizes of the wasm modules, this process's peak RSS by section;
// - then the report: the tables, a summary and the targets with "met" / "not met"
//   (bench/sections/report.ts, summary.ts, targets.ts), or with --json all of it as JSON.
//
// T is os.availableParallelism(), at least 2 (--threads N sets it). Every figure is the median
// of several timed runs after warm-up, the best run in brackets: on a shared machine the best is
// the closer estimate of the idle figure. Benchmarks report; they assert nothing.
// Time on an idle 2-core machine (estimated from the work done; the progress on stderr gives
// each section's seconds and the peak RSS so far): about 2.5 min (--no-tfjs 20 s less,
// --baseline 15 s more; the cost table about 30 s of it), --quick about 30 s; --torch adds
// PyTorch's runs, about 1 min (eight runs) or 30 s (--quick: four).
//
//   node dist/bench/run.js [--json] [--quick] [--no-tfjs] [--baseline DIR] [--threads N]
//                          [--torch DIR [--python PATH]]
//
// Builds: "simd", "scalar" and "relaxed", the embedded relaxed-SIMD build (what
// init({ isa: "auto" }) and the CLI's --isa auto load where relaxed SIMD validates; its GEMM uses
// f32x4.relaxed_madd, fused multiply-adds, not bit-identical to the other builds). Node 20 needs
// --experimental-wasm-relaxed-simd for it: the script re-runs itself with that flag.
// --baseline DIR: also the modules DIR/latent.simd.wasm and DIR/latent.scalar.wasm (e.g. a build
// of an older commit) as base-simd and base-scalar, on the generic optimizer path (they may lack
// the fused Adam kernel), plus "simd-unfused" (this build, generic path): before and after in one run.
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { embeddedBytes, type Isa } from "../src/kernels/module.js";
import { startThreads } from "../src/parallel/index.js";
import { nodeSpawn } from "../src/parallel/node/spawn.js";
import { cliTrainRss } from "./cli-rss.js";
import { costTable } from "./cost-table.js";
import { loadTfjs } from "./tfjs.js";
import { ceilingGflops, ceilingSection } from "./sections/ceiling.js";
import { convSection } from "./sections/conv.js";
import { progress, wasmBackendOf, type BenchContext, type Pool, type Variant } from "./sections/context.js";
import { gemmSection } from "./sections/gemm.js";
import { tablesReport } from "./sections/report.js";
import { moduleSizes, torchMissing, torchRatios, type BenchResults } from "./sections/results.js";
import { summaryReport } from "./sections/summary.js";
import { addCeilingShares, mlpShares, targets } from "./sections/targets.js";
import { torchPeer } from "./sections/torch.js";
import { trainingSection } from "./sections/training.js";

const { values: args } = parseArgs({ options: {
  json: { type: "boolean", default: false },
  quick: { type: "boolean", default: false },
  baseline: { type: "string" },
  "no-tfjs": { type: "boolean", default: false },
  threads: { type: "string" },
  torch: { type: "string" },
  python: { type: "string", default: "python3" },
} });
const threads = args.threads !== undefined ? Number(args.threads) : Math.max(2, availableParallelism());
if (!Number.isInteger(threads) || threads < 2 || threads > 256) {
  process.stderr.write(`--threads must be an integer from 2 to 256, got ${args.threads}\n`);
  process.exit(2);
}

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
const relaxedVariant = variants.find((v) => v.name === "relaxed") ?? null;

// The thread pools (T threads: this one and T - 1 workers on one shared memory), one per SIMD
// build, started before any timing. Idle workers sleep (Atomics.wait), so they cost the
// single-thread figures nothing.
const pools: Pool[] = [];
for (const isa of relaxedVariant ? (["simd", "relaxed"] as const) : (["simd"] as const)) {
  const be = await startThreads({ threads, spawn: nodeSpawn, isa });
  if (be.threads !== threads) process.stderr.write(`${isa} on ${threads} threads: the pool did not start (${be.singleThreadReason}); its figures are on ${be.threads} thread\n`);
  pools.push({ isa, be });
}

// The peer, loaded before any timing so that its start-up is not measured.
const peer = args["no-tfjs"] ? null : await loadTfjs();
if (peer && "error" in peer) process.stderr.write(`TF.js not measured: ${peer.error}\n`);

const ctx: BenchContext = {
  ...progress(args.json!),
  json: args.json!, quick: args.quick!, baseline: args.baseline, threads,
  xT: `x${threads}`, perOne: `${threads} threads / 1 thread`,
  variants, simdVariant: variants.find((v) => v.name === "simd")!, relaxedVariant,
  pools, poolOf: (isa: Isa) => pools.find((p) => p.isa === isa)?.be ?? null,
  tf: peer && !("error" in peer) ? peer : null,
};
// python, torch, the scripts and the data sets are checked before any timing.
const torch = torchPeer(ctx, args.torch, args.python!);

const ceilings = await ceilingSection(ctx);
const gemm = gemmSection(ctx);
if (!ctx.quick) torch.pass("before");
const training = await trainingSection(ctx);
if (ctx.quick) torch.pass("between latent's MLP and conv rounds");
const conv = convSection(ctx);
if (!ctx.quick) torch.pass("after");
for (const p of pools) p.be.close();

let cost = null;
if (!ctx.quick) {
  ctx.begin("cost table");
  cost = costTable(wasmBackendOf(ctx.simdVariant), "simd", ceilingGflops(ceilings.microkernel, "simd"), { onRound: () => ctx.log(".") });
  ctx.end();
}

ctx.begin("cli memory");
const cliRss = cliTrainRss();
ctx.end();

addCeilingShares([...gemm.rows, ...conv.layers], ceilings.microkernel);
const ratios = torchRatios(torch, threads, training, conv);
const shares = mlpShares(training.rows, ceilings.microkernel);
const res: BenchResults = {
  ceilings, gemm, training, conv, torch, torchBest: ratios.best, vsTorch: ratios.vsTorch, mlpShares: shares,
  costTable: cost, cliRss, sizes: moduleSizes(variants),
  peakRssMB: { end: process.resourceUsage().maxRSS / 1024, bySection: ctx.rssBySection },
  targets: targets({
    threads, mlp: shares, training: training.rows, trainingSameBits: training.sameBits, profiles: training,
    gemm: gemm.rows, conv: conv.layers, convTraining: conv.training, convSameBits: conv.trainingSameBits, cliRss,
    torchMissing: torchMissing(torch), torchBest: ratios.best,
  }),
};

if (args.json) {
  const tf = ctx.tf;
  const torchJson = !torch.setup ? null : torch.ok
    ? { python: torch.ok.python, dir: torch.ok.dir, version: torch.ok.version, skippedConv: torch.ok.skipConv, runs: torch.runs, best: res.torchBest, vsTorch: res.vsTorch }
    : { error: (torch.setup as { error: string }).error };
  console.log(JSON.stringify({
    node: process.version, threads, gemm: gemm.rows, training: training.rows, trainingSameBits: training.sameBits,
    conv: { layers: conv.layers, training: conv.training, trainingSameBits: conv.trainingSameBits },
    tfjs: tf ? { version: tf.version, backend: tf.backend, threads: tf.threads, training: training.tfTraining } : null,
    torch: torchJson, microkernel: ceilings.microkernel, parallelCeiling: ceilings.parallel, interleavedThreads: training.interleaved,
    stepOverheadInterleaved: training.overheads, handLoop: training.handLoops, wasmBytes: res.sizes, peakRssMB: res.peakRssMB, cliRss,
    mlpCeilingShares: shares, costTable: cost, targets: res.targets,
  }, null, 2));
} else {
  console.log([...tablesReport(ctx, res), ...summaryReport(ctx, res)].join("\n"));
}
