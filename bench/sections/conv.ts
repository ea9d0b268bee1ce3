// The conv layers of the Keras MNIST VAE at batch 128 (bench/conv.ts's convPasses): forward,
// backward-input and backward-filter GFLOP/s (2 M N K per product over the whole pass,
// im2col/col2im included; the transposed layers' one backward pass too), simd on 1 and T
// threads. And the conv VAE's training samples/s (bench/convvae.ts's Trainer.run) for simd and
// relaxed on 1 and T threads, with whether the parameters end the same bits on 1 and T threads.
// latent's conv VAE trains on fixed batches of uniform noise (its speed does not depend on the
// pixels).
import type { WasmBackend } from "../../src/backend/wasm.js";
import type { ThreadedBackend } from "../../src/parallel/index.js";
import { convPasses, kerasConvLayers, repeatTimer } from "../conv.js";
import { convVaeBench } from "../convvae.js";
import { median, sameBits, stat, wasmBackendOf, type BenchContext, type Stat } from "./context.js";

/** One pass of one layer: a Stat (GFLOP/s) per backend column ("simd", "simd xT"), ofCeiling by build. */
export interface ConvRow {
  layer: string; gemm: string; pass: string; flops: number; vsOneThread?: number; ofCeiling?: Record<string, number>;
  [backend: string]: number | string | Stat | Record<string, number> | undefined;
}
export interface ConvTrainRow { variant: string; threads: number; samplesPerS: Stat; vsOneThread?: number; vsTorch?: number }

export interface ConvResult {
  columns: string[];
  layers: ConvRow[];
  training: ConvTrainRow[];
  /** Per build: the parameters after all rounds are the same bits on 1 and T threads. */
  trainingSameBits: Record<string, boolean>;
}

export function convSection(ctx: BenchContext): ConvResult {
  const { quick } = ctx;
  // The 1-thread backends: fresh instances of the simd and relaxed builds.
  const simdOne = wasmBackendOf(ctx.simdVariant);
  const relaxedOne = ctx.relaxedVariant ? wasmBackendOf(ctx.relaxedVariant) : null;
  const simdPool = ctx.poolOf("simd"), relaxedPool = ctx.poolOf("relaxed");

  const layers: ConvRow[] = [];
  const convBackends: { name: string; be: WasmBackend }[] = [{ name: "simd", be: simdOne }];
  if (simdPool) convBackends.push({ name: `simd ${ctx.xT}`, be: simdPool });
  ctx.begin("conv layers");
  // Layer by layer (its buffers allocated on each backend, then freed), pass by pass in the order
  // training runs them (the filter gradient reads the forward's columns), each pass on all
  // backends in interleaved rounds.
  for (const layer of kerasConvLayers()) {
    const benches = convBackends.map((b) => convPasses(b.be, [layer]));
    benches[0]!.passes.forEach((p, i) => {
      ctx.log(".");
      const timers = benches.map((b) => repeatTimer(b.passes[i]!.run, quick ? 8 : 25));
      const runs = timers.map(() => [] as number[]);
      for (let r = 0; r < (quick ? 3 : 7); r++) timers.forEach((t, j) => runs[j]!.push(p.flops / (t() * 1e6)));
      const row: ConvRow = { layer: p.layer, gemm: p.gemm, pass: p.pass, flops: p.flops };
      convBackends.forEach((b, j) => { row[b.name] = stat(runs[j]!); });
      if (runs.length > 1) row.vsOneThread = median(runs[1]!) / median(runs[0]!);
      layers.push(row);
    });
    for (const b of benches) b.dispose();
  }
  ctx.end();

  const training: ConvTrainRow[] = [];
  const same: Record<string, boolean> = {};
  ctx.begin("conv VAE training");
  const backends: { label: string; be: WasmBackend; base: string | null }[] = [{ label: "simd", be: simdOne, base: null }];
  if (simdPool) backends.push({ label: `simd ${ctx.xT}`, be: simdPool, base: "simd" });
  if (relaxedOne) backends.push({ label: "relaxed", be: relaxedOne, base: null });
  if (relaxedPool) backends.push({ label: `relaxed ${ctx.xT}`, be: relaxedPool, base: "relaxed" });
  // Every bench runs as many rounds over the same batches and keys, so a build's benches on 1
  // and T threads end on the same parameters (when the thread count changes no bit).
  const benches = backends.map((b) => ({ ...b, bench: convVaeBench(b.be, { batches: quick ? 4 : 8 }), rates: [] as number[] }));
  for (let w = 0; w < (quick ? 1 : 2); w++) for (const b of benches) b.bench.round(); // warm-up
  for (let r = 0; r < (quick ? 2 : 5); r++) {
    ctx.log(".");
    for (const b of benches) b.rates.push(b.bench.round());
  }
  for (const b of benches) {
    const row: ConvTrainRow = { variant: b.label, threads: (b.be as Partial<ThreadedBackend>).threads ?? 1, samplesPerS: stat(b.rates) };
    const one = b.base ? benches.find((x) => x.label === b.base) : undefined;
    if (one) {
      row.vsOneThread = median(b.rates) / median(one.rates);
      same[one.label] = sameBits(one.bench.params(), b.bench.params());
    }
    training.push(row);
  }
  for (const b of benches) b.bench.dispose();
  ctx.end();
  return { columns: convBackends.map((b) => b.name), layers, training, trainingSameBits: same };
}
