// Training samples/s of the 784-400-20 VAE (Bernoulli, Adam 1e-3, batch 128) on the embedded
// MNIST digits, every build: `train.fit` (state kept inside) and folding the pure `train.step`
// (which loads the state in and reads a fresh one out every step); the difference is the copy
// overhead of the pure API. Also `fit` on T threads (startThreads + fit's `backend`) for the
// simd and relaxed builds, with the ratio T threads / 1 thread, and whether the parameters after
// the timed fit are the same bits on 1 and T threads; TF.js trains the same model in the same
// rounds. With --baseline, "simd-unfused": this build on the generic optimizer path.
// Then the step-by-step comparisons of bench/sections/step-profiles.ts.
import { loadEmbeddedMnist } from "../../src/data/node/mnist.js";
import { splitTensor } from "../../src/data/dataset.js";
import { batches } from "../../src/data/batches.js";
import { vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam, optimizer, type Optimizer } from "../../src/optim/index.js";
import type { ThreadedBackend } from "../../src/parallel/index.js";
import { foldIn, key, split } from "../../src/random/index.js";
import type { TensorLike } from "../../src/tensor/tensor.js";
import { fit, initState, step } from "../../src/train/index.js";
import { tfjsVaeTrainer } from "../tfjs.js";
import { sameBits, stat, wasmBackendOf, type BenchContext, type Stat, type Variant } from "./context.js";
import { stepProfiles, type StepProfiles } from "./step-profiles.js";

export interface TrainRow {
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

export interface Training extends StepProfiles {
  rows: TrainRow[];
  tfTraining: Stat | null;
  /** Per build: are the parameters after the timed fit the same bits on 1 and T threads? */
  sameBits: Record<string, boolean>;
}

/** The optimizer without its fused path (the generic chain, then the apply). */
function unfused(opt: Optimizer): Optimizer {
  const { applyFused: _, ...t } = opt.transform;
  return optimizer(t);
}

interface TrainVariant extends Variant { label: string; backend: ThreadedBackend | null; base: string | null }

export async function trainingSection(ctx: BenchContext): Promise<Training> {
  const { quick, variants } = ctx;
  const mnist = loadEmbeddedMnist();
  const trainX = splitTensor(mnist.train, 784);
  const [kInit, kData, kFit] = split(key(1), 3);
  const model = vae.mlp({ input: 784, hidden: [400], latent: 20, likelihood: "bernoulli" });
  const allBatches: TensorLike[] = [...batches(trainX, { batchSize: 128, key: kData!, dropLast: true })(0)];

  const trainVariants: TrainVariant[] = [];
  for (const v of variants) {
    trainVariants.push({ ...v, label: v.name, backend: null, base: null });
    const pool = v.name === v.isa && v.isa !== "scalar" ? ctx.poolOf(v.isa) : null; // simd and relaxed, not the baselines
    if (pool) trainVariants.push({ ...v, label: `${v.name} ${ctx.xT}`, backend: pool, base: v.name });
  }
  if (ctx.baseline) trainVariants.splice(1, 0, { ...variants[0]!, label: "simd-unfused", fused: false, backend: null, base: null });

  ctx.begin("training");
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
  const tfTrain = ctx.tf ? tfjsVaeTrainer(ctx.tf.tf, allBatches.slice(0, quick ? 3 : 8).map((b) => Float32Array.from(b.data)), 128) : null;
  const tfFits: number[] = [];
  for (const su of setups) { await su.timeFit(); if (su.stepFn) su.timeStep(); } // warm-up
  tfTrain?.();
  for (let r = 0; r < (quick ? 2 : 4); r++) {
    ctx.log(".");
    for (const su of setups) {
      su.fits.push(await su.timeFit());
      if (su.stepFn) su.steps.push(su.timeStep());
    }
    if (tfTrain) tfFits.push(tfTrain());
  }
  const rows: TrainRow[] = setups.map((su) => {
    const f = stat(su.fits), st = su.steps.length ? stat(su.steps) : null;
    return { variant: su.v.label, threads: su.v.backend?.threads ?? 1, fit: f, step: st, stepOverheadPct: st ? 100 * (f.median / st.median - 1) : null };
  });
  for (const r of rows) {
    const base = rows.find((b) => b.variant === trainVariants.find((v) => v.label === r.variant)?.base);
    if (base) r.vsOneThread = r.fit.median / base.fit.median;
  }
  const tfTraining = tfFits.length > 0 ? stat(tfFits) : null;
  if (tfTraining) for (const r of rows) r.vsTfjs = r.fit.median / tfTraining.median;
  const same: Record<string, boolean> = {};
  for (const su of setups) {
    const one = su.v.base ? setups.find((b) => b.v.label === su.v.base) : undefined;
    if (one?.last && su.last) same[su.v.base!] = sameBits(model.layout.flatten(one.last), model.layout.flatten(su.last));
  }
  const profiles = await stepProfiles(ctx);
  ctx.end();
  return { rows, tfTraining, sameBits: same, ...profiles };
}
