// Cost as work grows: training samples/s of the MLP VAE 784-h-20 (Bernoulli, Adam 1e-3, the
// embedded MNIST digits; Trainer.run, the in-place path fit runs) on 1 thread, against batch
// size (32 ... 1024) and hidden width h (100 ... 1600), each cell also as a share of the
// ceiling: the build's microkernel GFLOP/s (bench/microkernel.ts; "plain" for simd, "relaxed"
// for relaxed) over the GEMM FLOPs of a sample (bench/sections/flops.ts). A cell: the median
// of 3 timed runs of ~250 ms (at least one step), each after one warm-up step, in 3 rounds over
// the table. About 30 s on an idle 2-core machine per build: bench/run.ts runs it for the simd
// build only (not with --quick).
//
//   npx tsc -p tsconfig.build.json && node dist/bench/cost-table.js [--isa simd|relaxed|both] [--ms 250] [--json]
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import * as E from "fp-ts/lib/Either.js";
import type { WasmBackend, WasmBuffer } from "../src/backend/wasm.js";
import { WasmBackend as Wasm } from "../src/backend/wasm.js";
import { batches } from "../src/data/batches.js";
import { splitTensor } from "../src/data/dataset.js";
import { loadEmbeddedMnist } from "../src/data/node/mnist.js";
import { embeddedBytes, instantiateSync } from "../src/kernels/module.js";
import { vae } from "../src/models/index.js";
import { adam } from "../src/optim/index.js";
import { foldIn, key } from "../src/random/index.js";
import type { TensorLike } from "../src/tensor/tensor.js";
import { initState } from "../src/train/step.js";
import { Trainer } from "../src/train/trainer.js";
import { microkernelCeiling } from "./microkernel.js";
import { ceilingGflops } from "./sections/ceiling.js";
import { ceilingSamplesPerS, flopsPerSample } from "./sections/flops.js";
import { int } from "./sections/format.js";

export const costBatches = [32, 64, 128, 256, 512, 1024] as const;
export const costHiddens = [100, 200, 400, 800, 1600] as const;

export interface CostCell {
  batch: number;
  hidden: number;
  /** GEMM FLOPs of one sample's step (flopsPerSample(784, [hidden], 20)). */
  flopsPerSample: number;
  /** Median of 3 timed runs. */
  samplesPerS: number;
  /** samplesPerS over the ceiling's samples/s (0..1), or null without a ceiling. */
  ofCeiling: number | null;
}

export interface CostTable { build: string; ceilingGflops: number | null; targetMs: number; seconds: number; cells: CostCell[] }

/**
 * The table on one backend. Three rounds, each over every cell (so that a slow spell of a shared
 * machine hits one round, not one row); in each, a fresh trainer from the same initial state,
 * one warm-up step, then one timed run of about targetMs (its step count set in the first round
 * from one timed step). A cell's figure is the median of its three runs. `onRound` is called
 * before each round (progress).
 */
export function costTable(be: WasmBackend, build: string, ceiling: number | null,
  o: { targetMs?: number; batches?: readonly number[]; hiddens?: readonly number[]; onRound?: () => void } = {}): CostTable {
  const targetMs = o.targetMs ?? 250;
  const bs = o.batches ?? costBatches, hs = o.hiddens ?? costHiddens;
  const t0 = performance.now();
  const trainX = splitTensor(loadEmbeddedMnist().train, 784);
  const opt = adam({ learningRate: 1e-3 });
  const models = new Map(hs.map((h) => [h, vae.mlp({ input: 784, hidden: [h], latent: 20, likelihood: "bernoulli" })]));
  const states = new Map([...models].map(([h, m]) => [h, initState(m.init(key(1)), opt)]));
  const data = new Map(bs.map((b) => [b, [...batches(trainX, { batchSize: b, dropLast: true })(0)].slice(0, 4)]));
  /** ms per step of `steps` steps of a trainer from step `from`, cycling over the batches. */
  const timeSteps = (trainer: Trainer<WasmBuffer>, xs: TensorLike[], from: number, steps: number) => {
    const t = performance.now();
    for (let i = from; i < from + steps; i++) trainer.run(xs[i % xs.length]!, foldIn(key(3), i));
    return (performance.now() - t) / steps;
  };
  /** One round of a cell: samples/s of its timed run; steps (0: set it from one timed step first). */
  const run = (batch: number, h: number, steps: number): { rate: number; steps: number } => {
    const trainer = new Trainer(be, models.get(h)!, opt.transform, batch);
    try {
      const xs = data.get(batch)!;
      trainer.load(states.get(h)!);
      timeSteps(trainer, xs, 0, 1); // warm-up
      const n = steps || Math.max(1, Math.round(targetMs / timeSteps(trainer, xs, 1, 1)));
      return { rate: batch / (timeSteps(trainer, xs, 2, n) / 1000), steps: n };
    } finally {
      trainer.dispose();
    }
  };
  // V8 runs a fresh module's functions in its baseline compiler until they have used their
  // budget: ~0.5 s of steps first, so that the first cells are not measured slow.
  for (let until = performance.now() + 500; performance.now() < until;) run(128, hs.includes(400) ? 400 : hs[0]!, 4);
  const cells = bs.flatMap((batch) => hs.map((hidden) => ({ batch, hidden, steps: 0, rates: [] as number[] })));
  for (let r = 0; r < 3; r++) {
    o.onRound?.();
    for (const c of cells) {
      const got = run(c.batch, c.hidden, c.steps);
      c.steps = got.steps;
      c.rates.push(got.rate);
    }
  }
  return {
    build, ceilingGflops: ceiling, targetMs, seconds: (performance.now() - t0) / 1000,
    cells: cells.map(({ batch, hidden, rates }) => {
      const flops = flopsPerSample(784, [hidden], 20), samplesPerS = rates.sort((a, b) => a - b)[1]!;
      return { batch, hidden, flopsPerSample: flops, samplesPerS, ofCeiling: ceiling ? samplesPerS / ceilingSamplesPerS(ceiling, flops) : null };
    }),
  };
}

/** The table as text: rows batch size, columns hidden width; "samples/s (share of the ceiling)". */
export function formatCostTable(t: CostTable): string[] {
  const hs = [...new Set(t.cells.map((c) => c.hidden))], bs = [...new Set(t.cells.map((c) => c.batch))];
  const w = 17;
  const lines = [`Cost as work grows: training the MLP VAE 784-h-20 (Bernoulli, Adam 1e-3), Trainer.run on 1 thread, the ${t.build} build: samples/s, median of 3 runs of ~${t.targetMs} ms in rounds over the table`
    + (t.ceilingGflops ? ` (share of the ceiling: ${t.ceilingGflops.toFixed(1)} GFLOP/s of the microkernel / GEMM FLOPs per sample)` : "")
    + `; ${t.seconds.toFixed(0)} s`];
  lines.push(`${"batch \\ hidden".padEnd(15)}${hs.map((h) => String(h).padStart(w)).join("")}`);
  lines.push(`${"MFLOP/sample".padEnd(15)}${hs.map((h) => (t.cells.find((c) => c.hidden === h)!.flopsPerSample / 1e6).toFixed(2).padStart(w)).join("")}`);
  for (const b of bs) {
    lines.push(`${String(b).padEnd(15)}${hs.map((h) => {
      const c = t.cells.find((x) => x.batch === b && x.hidden === h)!;
      return `${int(c.samplesPerS)}${c.ofCeiling === null ? "" : ` (${(100 * c.ofCeiling).toFixed(0)}%)`}`.padStart(w);
    }).join("")}`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { isa: { type: "string", default: "simd" }, ms: { type: "string", default: "250" }, json: { type: "boolean", default: false } } });
  const builds = args.isa === "both" ? ["simd", "relaxed"] as const : [args.isa as "simd" | "relaxed"];
  if (builds.some((b) => b !== "simd" && b !== "relaxed")) throw new Error(`--isa: simd, relaxed or both, got ${args.isa}`);
  if (builds.includes("relaxed") && !WebAssembly.validate(embeddedBytes("relaxed")) && !process.execArgv.includes("--experimental-wasm-relaxed-simd")) {
    const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
  const microkernel = await microkernelCeiling();
  const tables: CostTable[] = [];
  for (const build of builds) {
    const loaded = instantiateSync(undefined, { isa: build });
    if (E.isLeft(loaded)) throw loaded.left;
    const t = costTable(new Wasm(loaded.right), build, ceilingGflops(microkernel, build), { targetMs: Number(args.ms), onRound: () => process.stderr.write(".") });
    process.stderr.write("\n");
    tables.push(t);
    if (!args.json) console.log(formatCostTable(t).join("\n"));
  }
  if (args.json) console.log(JSON.stringify({ microkernel, tables }, null, 2));
}
