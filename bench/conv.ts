// GFLOP/s of the convolution layers on the Keras MNIST VAE shapes at batch 128 (SIMD build):
// forward, backward-to-input and backward-to-filter, each 2 * rows * out * (c * kh * kw) flops
// over the time of everything that pass runs (im2col/col2im included; Conv2d's filter gradient
// reuses the forward's columns, ConvTranspose2d's input gradient includes the im2col of dy).
// Also the share of im2col/col2im in each, and the forward's GEMM alone (the ceiling on this machine now).
// One-channel layers (1 -> C, C -> 1) run the conv1 kernels, which write no column matrix: their
// passes have no data movement, and "GEMM alone" is the product the column path would run. Median of timed runs after warm-up, wall and CPU time.
// ConvTranspose2d's backward is one pass in training (layer.backward: im2col of dy and both
// products, chunk by chunk of samples), timed as such ("backward (both)", two products) and
// split: backward-input is the im2col of dy and the dx product, backward-filter the im2col of dy
// and the dW product and the bias sums, each over the same chunks (so each counts the im2col
// that the one pass shares).
// Run: npx tsc -p tsconfig.build.json && node dist/bench/conv.js [simd|scalar] [--wasm FILE]
// (--wasm: measure another build of the module, e.g. a baseline, the same way.)
// bench/sections/conv.ts measures the same passes through convPasses() (forward, backward-input,
// backward-filter and, for ConvTranspose2d, backward (both)) on 1 and several threads.
import { readFileSync } from "node:fs";
import * as E from "fp-ts/lib/Either.js";
import { instantiateSync, type Isa } from "../src/kernels/module.js";
import { WasmBackend, type WasmBuffer } from "../src/backend/wasm.js";
import { Conv2d, colsSize, convAdjoint, convApply, convFilterGrad, usesColumns } from "../src/nn/conv2d.js";
import { ConvTranspose2d } from "../src/nn/conv-transpose2d.js";
import { withBatch } from "../src/nn/conv-geometry.js";
import type { ConvGeometry } from "../src/backend/backend.js";
import { key } from "../src/random/index.js";

export type ConvLayer = Conv2d | ConvTranspose2d;
export type ConvPassName = "GEMM alone" | "forward" | "backward-input" | "backward-filter" | "backward (both)";

/** One timed pass of one layer on one backend. */
export interface ConvPass {
  /** e.g. "Conv2d 28x28x1 -> 14x14x32 (3x3 s2 same)". */
  readonly layer: string;
  /** The GEMM's M x N x K. */
  readonly gemm: string;
  readonly pass: ConvPassName;
  /** Flops of one run: 2 M N K (twice that for "backward (both)"). */
  readonly flops: number;
  readonly run: () => void;
  /** The data movement alone (im2col / col2im) of this pass, when it has some. */
  readonly move: (() => void) | null;
}

/** The conv layers of the Keras MNIST VAE (encoder conv 32, 64 s2; decoder convT 64, 32 s2, convT 1). */
export function kerasConvLayers(): ConvLayer[] {
  return [
    new Conv2d({ input: [28, 28, 1], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
    new Conv2d({ input: [14, 14, 32], outChannels: 64, kernel: 3, stride: 2, padding: "same" }),
    new ConvTranspose2d({ input: [7, 7, 64], outChannels: 64, kernel: 3, stride: 2, padding: "same" }),
    new ConvTranspose2d({ input: [14, 14, 64], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
    new ConvTranspose2d({ input: [28, 28, 32], outChannels: 1, kernel: 3, padding: "same" }),
  ];
}

/** Two more transposed shapes (a decoder with 64 -> 32 -> 1 channels), measured by this script alone. */
function extraConvLayers(): ConvLayer[] {
  return [
    new ConvTranspose2d({ input: [7, 7, 64], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
    new ConvTranspose2d({ input: [14, 14, 32], outChannels: 1, kernel: 3, stride: 2, padding: "same" }),
  ];
}

/**
 * The passes of the layers on a backend (any WasmBackend, a ThreadedBackend too), on buffers
 * allocated there (dispose() frees them). `gemmAlone`: also the forward's GEMM by itself.
 */
export function convPasses(be: WasmBackend, layers: readonly ConvLayer[] = kerasConvLayers(),
  o: { batch?: number; gemmAlone?: boolean } = {}): { passes: ConvPass[]; dispose: () => void } {
  const batch = o.batch ?? 128;
  const held: WasmBuffer[] = [];
  const alloc = (n: number) => { const b = be.alloc(n); held.push(b); return b; };
  const filled = (n: number) => { const b = alloc(n); be.f32(b).forEach((_, i, x) => { x[i] = Math.sin(i * 0.37); }); return b; };
  const passes: ConvPass[] = [];
  for (const layer of layers) {
    const g: ConvGeometry = withBatch(layer.geometry, batch);
    const [w, b] = layer.init(key(1)).map((v) => { const t = alloc(v.length); be.write(t, v); return t; });
    const x = filled(batch * layer.inFeatures), y = alloc(batch * layer.outFeatures), dy = filled(batch * layer.outFeatures);
    const dx = alloc(batch * layer.inFeatures), cols = alloc(colsSize(g, batch));
    const rows = batch * g.oh * g.ow, K = g.c * g.kh * g.kw;
    // One-channel layers run the conv1 kernels: no column matrix, no data movement to time apart.
    const columns = usesColumns(g);
    const add = (name: string, gemm: string, pass: ConvPassName, flops: number, run: () => void, move: (() => void) | null) => {
      if (pass !== "GEMM alone" || o.gemmAlone) passes.push({ layer: name, gemm, pass, flops, run, move: columns ? move : null });
    };
    if (layer instanceof Conv2d) {
      const O = layer.outChannels, flops = 2 * rows * O * K;
      const gw = alloc(w!.length), gb = alloc(O);
      const name = `Conv2d ${g.h}x${g.w}x${g.c} -> ${g.oh}x${g.ow}x${O} (${g.kh}x${g.kw} s${g.strideH} same)`, gemm = `${rows} x ${O} x ${K}`;
      add(name, gemm, "GEMM alone", flops, () => be.gemm(false, true, rows, O, K, 1, cols, K, w!, K, 0, y, O), null);
      add(name, gemm, "forward", flops, () => layer.forward(be, [w!, b!], batch, x, y, cols), () => be.im2col(g, x, cols));
      // The filter gradient reads the columns the forward left (as in training).
      add(name, gemm, "backward-filter", flops, () => {
        if (!columns) { be.conv1FilterGrad(g, O, dy, x, gw, gb); return; } // with the bias gradient, as Conv2d.backward
        convFilterGrad(be, g, O, dy, cols, gw);
        be.colSum(rows, O, dy, O, 0, gb);
      }, null);
      add(name, gemm, "backward-input", flops, () => convAdjoint(be, g, O, w!, dy, dx, cols), () => be.col2im(g, cols, dx));
      be.im2col(g, x, cols);
    } else {
      const ci = layer.inChannels, flops = 2 * rows * ci * K;
      const gw = alloc(w!.length), gb = alloc(layer.outChannels);
      const [ih, iw] = layer.inShape, [oh, ow, co] = layer.outShape;
      const name = `ConvTranspose2d ${ih}x${iw}x${ci} -> ${oh}x${ow}x${co} (${g.kh}x${g.kw} s${g.strideH} same)`, gemm = `${rows} x ${ci} x ${K}`;
      // The layer's chunks of samples (their columns fit in cache), as its backward runs them.
      const step = columns ? Math.max(1, Math.floor(layer.workspace(batch) / colsSize(g, 1))) : batch, nIn = layer.inFeatures, nOut = layer.outFeatures;
      const chunks = (f: (b0: number, nb: number, gc: ConvGeometry) => void) => {
        for (let b0 = 0; b0 < batch; b0 += step) { const nb = Math.min(step, batch - b0); f(b0, nb, withBatch(layer.geometry, nb)); }
      };
      add(name, gemm, "GEMM alone", flops, () => be.gemm(false, false, rows, K, ci, 1, x, ci, w!, K, 0, cols, K), null);
      add(name, gemm, "forward", flops, () => layer.forward(be, [w!, b!], batch, x, y, cols), () => be.col2im(g, cols, y));
      add(name, gemm, "backward-input", flops, () => chunks((b0, nb, gc) => {
        convApply(be, gc, ci, w!, be.view(dy, b0 * nOut, nb * nOut), be.view(dx, b0 * nIn, nb * nIn), be.view(cols, 0, colsSize(gc, nb)));
      }), () => be.im2col(g, dy, cols));
      add(name, gemm, "backward-filter", flops, () => layer.backward(be, [w!, b!], [gw, gb], batch, x, y, dy, null, cols), () => be.im2col(g, dy, cols));
      add(name, gemm, "backward (both)", 2 * flops, () => layer.backward(be, [w!, b!], [gw, gb], batch, x, y, dy, dx, cols), () => be.im2col(g, dy, cols));
    }
  }
  return { passes, dispose: () => { for (const b of held.splice(0)) be.free(b); } };
}

/**
 * A timer for `run`: calibrates a repeat count of about targetMs, warms up (2 x that), then each
 * call runs the repeats and returns milliseconds per run.
 */
export function repeatTimer(run: () => void, targetMs: number): () => number {
  let t = performance.now();
  run();
  const reps = Math.max(1, Math.round(targetMs / Math.max(performance.now() - t, 1e-3)));
  for (let i = 0; i < 2 * reps; i++) run();
  return () => {
    t = performance.now();
    for (let i = 0; i < reps; i++) run();
    return (performance.now() - t) / reps;
  };
}

function main(): void {
  const batch = 128;
  const isa = (process.argv.find((a) => a === "simd" || a === "scalar") ?? "simd") as Isa;
  const wasmAt = process.argv.indexOf("--wasm");
  const loaded = instantiateSync(wasmAt > 0 ? readFileSync(process.argv[wasmAt + 1]!) : undefined, { isa });
  if (E.isLeft(loaded)) throw loaded.left;
  const be = new WasmBackend(loaded.right);

  /** Median wall and CPU milliseconds per run over 7 timed runs of ~30 ms. */
  function time(run: () => void): [wall: number, cpu: number] {
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const timer = repeatTimer(run, 30);
    const wall: number[] = [], cpus: number[] = [];
    for (let r = 0; r < 7; r++) {
      const c0 = cpu(), t0 = performance.now();
      const ms = timer();
      cpus.push((cpu() - c0) * ms / (performance.now() - t0)); // CPU ms per run: the CPU time over the repeats
      wall.push(ms);
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    return [med(wall), med(cpus)];
  }

  const f = (x: number) => x.toFixed(1).padStart(6);
  const ms = (x: number) => x.toFixed(2).padStart(6);
  console.log(`batch ${batch}, ${be.name}; GFLOP/s wall/cpu (ms wall; share of im2col/col2im)`);
  const { passes } = convPasses(be, [...kerasConvLayers(), ...extraConvLayers()], { batch, gemmAlone: true });
  let last = "";
  for (const p of passes) {
    if (p.layer !== last) { console.log(`${p.layer}: GEMM ${p.gemm}`); last = p.layer; }
    const [wall, cpu] = time(p.run);
    const [mv] = p.move ? time(p.move) : [0];
    console.log(`  ${p.pass.padEnd(16)} ${f(p.flops / (wall * 1e6))} ${f(p.flops / (cpu * 1e6))}   (${ms(wall)} ms; ${(100 * mv / wall).toFixed(0).padStart(3)}% data movement)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
