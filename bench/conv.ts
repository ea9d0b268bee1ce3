// GFLOP/s of the convolution layers on the Keras MNIST VAE shapes at batch 128 (SIMD build):
// forward, backward-to-input and backward-to-filter, each 2 * rows * out * (c * kh * kw) flops
// over the time of everything that pass runs (im2col/col2im included; Conv2d's filter gradient
// reuses the forward's columns, ConvTranspose2d's input gradient includes the im2col of dy).
// Also the share of im2col/col2im in each, and the forward's GEMM alone (the ceiling on this machine now). Median of timed runs after warm-up, wall and CPU time.
// ConvTranspose2d's backward is timed as one pass (layer.backward: im2col of dy and both
// products, chunk by chunk of samples), counted as two products.
// Run: npx tsc -p tsconfig.build.json && node dist/bench/conv.js [simd|scalar] [--wasm FILE]
// (--wasm: measure another build of the module, e.g. a baseline, the same way.)
import { readFileSync } from "node:fs";
import * as E from "fp-ts/lib/Either.js";
import { instantiateSync, type Isa } from "../src/kernels/module.js";
import { WasmBackend, type WasmBuffer } from "../src/backend/wasm.js";
import { Conv2d, colsSize, convAdjoint, convFilterGrad } from "../src/nn/conv2d.js";
import { ConvTranspose2d } from "../src/nn/conv-transpose2d.js";
import { withBatch } from "../src/nn/conv-geometry.js";
import type { ConvGeometry } from "../src/backend/backend.js";
import { key } from "../src/random/index.js";

const batch = 128;
const isa = (process.argv.find((a) => a === "simd" || a === "scalar") ?? "simd") as Isa;
const wasmAt = process.argv.indexOf("--wasm");
const loaded = instantiateSync(wasmAt > 0 ? readFileSync(process.argv[wasmAt + 1]!) : undefined, { isa });
if (E.isLeft(loaded)) throw loaded.left;
const be = new WasmBackend(loaded.right);

function time(run: () => void): [wall: number, cpu: number] {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  let t = performance.now();
  run();
  const reps = Math.max(1, Math.round(30 / Math.max(performance.now() - t, 1e-3)));
  for (let i = 0; i < 2 * reps; i++) run();
  const wall: number[] = [], cpus: number[] = [];
  for (let r = 0; r < 7; r++) {
    t = performance.now();
    const c0 = cpu();
    for (let i = 0; i < reps; i++) run();
    cpus.push((cpu() - c0) / reps);
    wall.push((performance.now() - t) / reps);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  return [med(wall), med(cpus)];
}

function filled(n: number): WasmBuffer {
  const b = be.alloc(n);
  be.f32(b).forEach((_, i, x) => { x[i] = Math.sin(i * 0.37); });
  return b;
}

const f = (x: number) => x.toFixed(1).padStart(6);
const ms = (x: number) => x.toFixed(2).padStart(6);
console.log(`batch ${batch}, ${be.name}; GFLOP/s wall/cpu (ms wall; share of im2col/col2im)`);

function report(name: string, flops: number, pass: () => void, move: () => void): void {
  const [wall, cpu] = time(pass);
  const [mv] = time(move);
  console.log(`  ${name.padEnd(16)} ${f(flops / (wall * 1e6))} ${f(flops / (cpu * 1e6))}   (${ms(wall)} ms; ${(100 * mv / wall).toFixed(0).padStart(3)}% data movement)`);
}

for (const layer of [
  new Conv2d({ input: [28, 28, 1], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
  new Conv2d({ input: [14, 14, 32], outChannels: 64, kernel: 3, stride: 2, padding: "same" }),
]) {
  const g: ConvGeometry = withBatch(layer.geometry, batch), O = layer.outChannels;
  const rows = batch * g.oh * g.ow, K = g.c * g.kh * g.kw, flops = 2 * rows * O * K;
  const [w, b] = layer.init(key(1)).map((v) => { const t = be.alloc(v.length); be.write(t, v); return t; });
  const gw = be.alloc(w!.length), gb = be.alloc(O);
  const x = filled(batch * layer.inFeatures), y = be.alloc(batch * layer.outFeatures), dy = filled(batch * layer.outFeatures);
  const dx = be.alloc(batch * layer.inFeatures), cols = be.alloc(colsSize(g, batch));
  console.log(`Conv2d ${g.h}x${g.w}x${g.c} -> ${g.oh}x${g.ow}x${O} (${g.kh}x${g.kw} s${g.strideH} same): GEMM ${rows} x ${O} x ${K}`);
  report("GEMM alone", flops, () => be.gemm(false, true, rows, O, K, 1, cols, K, w!, K, 0, y, O), () => {});
  report("forward", flops, () => layer.forward(be, [w!, b!], batch, x, y, cols), () => be.im2col(g, x, cols));
  be.im2col(g, x, cols);
  report("backward-filter", flops, () => { convFilterGrad(be, g, O, dy, cols, gw); be.colSum(rows, O, dy, O, 0, gb); }, () => {});
  report("backward-input", flops, () => convAdjoint(be, g, O, w!, dy, dx, cols), () => be.col2im(g, cols, dx));
}

for (const layer of [
  new ConvTranspose2d({ input: [7, 7, 64], outChannels: 64, kernel: 3, stride: 2, padding: "same" }),
  new ConvTranspose2d({ input: [14, 14, 64], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
  new ConvTranspose2d({ input: [28, 28, 32], outChannels: 1, kernel: 3, padding: "same" }),
  new ConvTranspose2d({ input: [7, 7, 64], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
  new ConvTranspose2d({ input: [14, 14, 32], outChannels: 1, kernel: 3, stride: 2, padding: "same" }),
]) {
  const g: ConvGeometry = withBatch(layer.geometry, batch), ci = layer.inChannels;
  const rows = batch * g.oh * g.ow, K = g.c * g.kh * g.kw, flops = 2 * rows * ci * K;
  const [w, b] = layer.init(key(1)).map((v) => { const t = be.alloc(v.length); be.write(t, v); return t; });
  const gw = be.alloc(w!.length), gb = be.alloc(layer.outChannels);
  const x = filled(batch * layer.inFeatures), y = be.alloc(batch * layer.outFeatures), dy = filled(batch * layer.outFeatures);
  const dx = be.alloc(batch * layer.inFeatures), cols = be.alloc(colsSize(g, batch));
  const [ih, iw] = layer.inShape, [oh, ow, co] = layer.outShape;
  console.log(`ConvTranspose2d ${ih}x${iw}x${ci} -> ${oh}x${ow}x${co} (${g.kh}x${g.kw} s${g.strideH} same): GEMM ${rows} x ${ci} x ${K}`);
  report("GEMM alone", flops, () => be.gemm(false, false, rows, K, ci, 1, x, ci, w!, K, 0, cols, K), () => {});
  report("forward", flops, () => layer.forward(be, [w!, b!], batch, x, y, cols), () => be.col2im(g, cols, y));
  report("backward (both)", 2 * flops, () => layer.backward(be, [w!, b!], [gw, gb], batch, x, y, dy, dx, cols), () => be.im2col(g, dy, cols));
}
