// Whole-step training speed of the Keras-example conv VAE (conv 32, 64 s2; dense 16; latent 2;
// convT 64, 32 s2; convT 1), Bernoulli likelihood, Adam 1e-3, batch 128, 28x28x1 inputs:
// samples/s of Trainer.run (forward, backward, guarded Adam), median and best of timed rounds
// after warm-up. With --profile: also the time of each layer's forward and backward and of each
// GEMM shape / im2col / col2im call in one step (timed from JS, so a few us of overhead each).
// Comparable with ../shared/peers/torch_convvae.py (PyTorch CPU, one thread: ~1,400 samples/s).
//   npx tsc -p tsconfig.build.json && node dist/bench/convvae.js [simd|scalar] [--profile] [--wasm FILE]
// bench/sections/conv.ts (npm run bench) measures the same through convVaeBench() on 1 and several threads.
import { readFileSync } from "node:fs";
import * as E from "fp-ts/lib/Either.js";
import { instantiateSync, type Isa } from "../src/kernels/module.js";
import { WasmBackend, type WasmBuffer } from "../src/backend/wasm.js";
import { vae } from "../src/models/index.js";
import { adam } from "../src/optim/index.js";
import { foldIn, key, uniform } from "../src/random/index.js";
import { Trainer } from "../src/train/trainer.js";
import { tensor } from "../src/tensor/tensor.js";
import type { Layer } from "../src/nn/layer.js";

export interface ConvVaeBench {
  readonly trainer: Trainer<WasmBuffer>;
  /** Trains one pass over the batches; returns samples/s. */
  round(): number;
  /** The parameters now (a copy of the trainer's flat buffer). */
  params(): Float32Array;
  dispose(): void;
}

/**
 * Trainer.run of the conv VAE on a backend (any WasmBackend, a ThreadedBackend too), from the
 * parameters of key(1), over `batches` fixed batches of uniform noise (the speed does not depend
 * on the pixels), step i with the key foldIn(key(7), i): two benches that ran as many rounds hold
 * the same parameters whatever their backend's thread count.
 */
export function convVaeBench(be: WasmBackend, o: { batches?: number; batch?: number } = {}): ConvVaeBench {
  const batch = o.batch ?? 128, nb = o.batches ?? 8;
  const model = vae.conv({ imageShape: [28, 28, 1] });
  const opt = adam({ learningRate: 1e-3 });
  const trainer = new Trainer(be, model, opt.transform, batch);
  trainer.load({ params: model.init(key(1)), opt: opt.init(model.init(key(1))) });
  const xs = Array.from({ length: nb }, (_, i) => tensor(uniform(key(100 + i), batch * 784), [batch, 784]));
  const kFit = key(7);
  return {
    trainer,
    round: () => {
      const t = performance.now();
      for (const x of xs) trainer.run(x, foldIn(kFit, trainer.count));
      return (nb * batch) / ((performance.now() - t) / 1000);
    },
    params: () => be.read(trainer.prog.params),
    dispose: () => trainer.dispose(),
  };
}

function main(): void {
  const isa = (process.argv.find((a) => a === "simd" || a === "scalar") ?? "simd") as Isa;
  const profile = process.argv.includes("--profile");
  const batch = 128;
  // --wasm FILE measures another build of the module (e.g. a baseline) in the same way.
  const wasmAt = process.argv.indexOf("--wasm");
  const loaded = instantiateSync(wasmAt > 0 ? readFileSync(process.argv[wasmAt + 1]!) : undefined, { isa });
  if (E.isLeft(loaded)) throw loaded.left;
  const be = new WasmBackend(loaded.right);
  const nb = 8;
  const bench = convVaeBench(be, { batches: nb, batch });
  const { trainer } = bench;
  const model = trainer.model;
  const xs = Array.from({ length: nb }, (_, i) => tensor(uniform(key(100 + i), batch * 784), [batch, 784]));
  const kFit = key(7);
  const round = bench.round;
  round(); round(); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < 7; r++) rates.push(round());
  rates.sort((a, b) => a - b);
  console.log(`conv VAE, batch ${batch}, ${be.name}: ${Math.round(rates[3]!)} samples/s (best ${Math.round(rates[6]!)}; ${(1000 * batch / rates[3]!).toFixed(1)} ms/step)`);

  if (profile) {
    const acc = new Map<string, number>();
    const add = (k: string, ms: number) => acc.set(k, (acc.get(k) ?? 0) + ms);
    const wrap = (obj: any, name: string, label: (...a: any[]) => string) => {
      const f = obj[name].bind(obj);
      obj[name] = (...a: any[]) => { const t = performance.now(); const r = f(...a); add(label(...a), performance.now() - t); return r; };
    };
    wrap(be, "gemm", (tA, tB, M, N, K) => `  gemm ${tA ? "T" : "N"}${tB ? "T" : "N"} ${M}x${N}x${K}`);
    wrap(be, "im2col", (g) => `  im2col c=${g.c} ${g.h}x${g.w}->${g.oh}x${g.ow}`);
    wrap(be, "col2im", (g) => `  col2im c=${g.c} ${g.oh}x${g.ow}->${g.h}x${g.w}`);
    for (const n of ["biasAdd", "colSum", "copy", "actForward", "actBackward", "adamStep", "allFinite"]) wrap(be, n, () => `  ${n}`);
    const { encoder, mu, logvar, decoder } = model.arch;
    for (const s of [encoder, mu!, logvar!, decoder]) {
      s.layers.forEach((l: Layer, i: number) => {
        const name = `${s.prefix}.${i} ${l.kind}`;
        wrap(l, "forward", () => `${name} fwd`);
        wrap(l, "backward", () => `${name} bwd`);
      });
    }
    const steps = 8;
    for (let i = 0; i < steps; i++) trainer.run(xs[i % nb]!, foldIn(kFit, trainer.count));
    const t = performance.now();
    acc.clear();
    for (let i = 0; i < steps; i++) trainer.run(xs[i % nb]!, foldIn(kFit, trainer.count));
    const total = (performance.now() - t) / steps;
    console.log(`per step: ${total.toFixed(2)} ms (profiled)`);
    const rows = [...acc].sort((a, b) => b[1] - a[1]);
    for (const [k, v] of rows) console.log(`${(v / steps).toFixed(3).padStart(8)} ms  ${(100 * v / steps / total).toFixed(1).padStart(5)}%  ${k}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
