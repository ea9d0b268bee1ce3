// Conv2d, ConvTranspose2d, Reshape/Flatten and the convolution geometry.
// - Output sizes follow PyTorch (explicit padding, output_padding) and TensorFlow ("same").
// - Forward passes equal a direct float64 convolution written here with plain loops (an oracle
//   independent of im2col and the GEMM), on the float64 backend.
// - Gradients with respect to the input and every parameter pass central differences on the
//   float64 backend (src/testing/gradients.ts), including stride 2 on odd sizes.
// - The wasm backends (simd, scalar) agree with the float64 backend on the same layers.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { Conv2d } from "../../src/nn/conv2d.js";
import { ConvTranspose2d } from "../../src/nn/conv-transpose2d.js";
import { convGeometry, convTransposeGeometry, type Padding } from "../../src/nn/conv-geometry.js";
import { Flatten, Reshape } from "../../src/nn/reshape.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Sequential, SequentialRun } from "../../src/nn/sequential.js";
import { ConfigError, type Layer } from "../../src/nn/layer.js";
import { key, normalF64 } from "../../src/random/index.js";
import { directionalCheck } from "../../src/testing/gradients.js";
import { convCaseArb, expectClose, geometryOf, type ConvCase } from "../../src/testing/index.js";

const ref = new ReferenceBackend();
const wasm = (["simd", "scalar"] as const).map((isa) => {
  const m = instantiateSync(undefined, { isa });
  if (E.isLeft(m)) throw m.left;
  return new WasmBackend(m.right);
});

// ---- Direct oracles: plain loops over NHWC images and PyTorch-layout weights ----

interface Pads { top: number; left: number }

/** y[b, oy, ox, o] = bias[o] + sum x[b, oy s - pt + ky d, ox s - pl + kx d, c] W[o, c, ky, kx]. */
function directConv(x: Float64Array, batch: number, h: number, w: number, c: number, W: Float64Array, bias: Float64Array | null,
  O: number, kh: number, kw: number, s: [number, number], d: [number, number], pad: Pads, oh: number, ow: number): Float64Array {
  const y = new Float64Array(batch * oh * ow * O);
  for (let b = 0; b < batch; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < O; o++) {
    let sum = bias ? bias[o]! : 0;
    for (let ci = 0; ci < c; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * s[0] - pad.top + ky * d[0], ix = ox * s[1] - pad.left + kx * d[1];
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      sum += x[((b * h + iy) * w + ix) * c + ci]! * W[((o * c + ci) * kh + ky) * kw + kx]!;
    }
    y[((b * oh + oy) * ow + ox) * O + o] = sum;
  }
  return y;
}

/** PyTorch's ConvTranspose2d by scattering: y[b, iy s - pt + ky d, ix s - pl + kx d, co] += x[b, iy, ix, ci] W[ci, co, ky, kx]. */
function directConvT(x: Float64Array, batch: number, h: number, w: number, ci: number, W: Float64Array, bias: Float64Array | null,
  co: number, kh: number, kw: number, s: [number, number], d: [number, number], pad: Pads, oh: number, ow: number): Float64Array {
  const y = new Float64Array(batch * oh * ow * co);
  for (let b = 0; b < batch; b++) for (let p = 0; p < oh * ow; p++) for (let o = 0; o < co; o++) y[(b * oh * ow + p) * co + o] = bias ? bias[o]! : 0;
  for (let b = 0; b < batch; b++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < w; ix++) for (let i = 0; i < ci; i++) {
    const v = x[((b * h + iy) * w + ix) * ci + i]!;
    for (let o = 0; o < co; o++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const oy = iy * s[0] - pad.top + ky * d[0], ox = ix * s[1] - pad.left + kx * d[1];
      if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
      y[((b * oh + oy) * ow + ox) * co + o]! += v * W[((i * co + o) * kh + ky) * kw + kx]!;
    }
  }
  return y;
}

/** Top/left pads by the rules, computed here independently of conv-geometry.ts. */
function padsOf(padding: Padding, n: [number, number], k: [number, number], s: [number, number], d: [number, number]): Pads {
  if (padding === "valid") return { top: 0, left: 0 };
  if (padding === "same") {
    const before = (i: 0 | 1) => Math.floor(Math.max((Math.ceil(n[i] / s[i]) - 1) * s[i] + (k[i] - 1) * d[i] + 1 - n[i], 0) / 2);
    return { top: before(0), left: before(1) };
  }
  if (typeof padding === "number") return { top: padding, left: padding };
  if (Array.isArray(padding)) return { top: padding[0]!, left: padding[1]! };
  const p = padding as { top: number; left: number };
  return { top: p.top, left: p.left };
}

// ---- Helpers ----

function layerParams(layer: Layer, seed: number): Float64Array[] {
  return layer.init(key(seed)).map((p, i) => {
    // Random biases too (the "torch" init draws them; "glorot"/"he" give zeros).
    if (layer.params[i]!.name === "bias") return normalF64(key(seed + 100), p.length).map((v) => 0.5 * v);
    return Float64Array.from(p);
  });
}

function runLayer<B extends Buffer>(be: Backend<B>, layer: Layer, batch: number, params: Float64Array[], x: ArrayLike<number>,
  dy: ArrayLike<number>, useWs = true) {
  const p = params.map((v) => { const b = be.alloc(v.length); be.write(b, v); return b; });
  const g = params.map((v) => be.alloc(v.length));
  const bx = be.alloc(batch * layer.inFeatures); be.write(bx, x);
  const by = be.alloc(batch * layer.outFeatures);
  const bdy = be.alloc(batch * layer.outFeatures); be.write(bdy, dy);
  const bdx = be.alloc(batch * layer.inFeatures);
  const need = layer.workspace?.(batch) ?? 0;
  const ws = useWs && need > 0 ? be.alloc(need) : undefined;
  layer.forward(be, p, batch, bx, by, ws);
  const y = Float64Array.from(be.read(by));
  layer.backward(be, p, g, batch, bx, by, bdy, bdx, ws);
  const out = { y, dx: Float64Array.from(be.read(bdx)), grads: g.map((b) => Float64Array.from(be.read(b))) };
  for (const b of [...p, ...g, bx, by, bdy, bdx, ...(ws ? [ws] : [])]) be.free(b);
  return out;
}

const conv2dArb = fc.record({
  c: convCaseArb({ maxChannels: 5, minBatch: 1, maxBatch: 3, maxSize: 9 }),
  outChannels: fc.integer({ min: 1, max: 5 }),
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

function makeConv(c: ConvCase, outChannels: number, bias: boolean): Conv2d {
  return new Conv2d({ input: c.input, outChannels, kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation, bias });
}

const outputPaddingArb = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }));
const convTArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  input: fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })),
  outChannels: fc.integer({ min: 1, max: 5 }),
  kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  padding: fc.oneof(fc.constant("same" as const), fc.constant("valid" as const), fc.integer({ min: 0, max: 2 })),
  outputPadding: outputPaddingArb,
  bias: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
}).map((c) => ({ ...c, outputPadding: (c.padding === "same" ? [0, 0] : [c.outputPadding[0] % Math.max(c.stride[0], c.dilation[0]),
  c.outputPadding[1] % Math.max(c.stride[1], c.dilation[1])]) as [number, number] }))
  .filter((c) => { try { makeConvT(c); return true; } catch { return false; } });

type ConvTCase = {
  batch: number; input: [number, number, number]; outChannels: number; kernel: [number, number]; stride: [number, number];
  dilation: [number, number]; padding: "same" | "valid" | number; outputPadding: [number, number]; bias: boolean; seed: number;
};
function makeConvT(c: ConvTCase): ConvTranspose2d {
  return new ConvTranspose2d({ input: c.input, outChannels: c.outChannels, kernel: c.kernel, stride: c.stride, padding: c.padding,
    outputPadding: c.outputPadding, dilation: c.dilation, bias: c.bias });
}

// ---- Tests ----

describe("convolution geometry", () => {
  it("matches PyTorch's and TensorFlow's output sizes", () => {
    // The Keras MNIST VAE encoder: 28x28x1 -> 3x3 s2 same -> 14x14 -> 3x3 s2 same -> 7x7.
    const g1 = convGeometry([28, 28, 1], 3, { stride: 2, padding: "same" });
    expect([g1.oh, g1.ow, g1.padTop, g1.padBottom, g1.padLeft, g1.padRight]).toEqual([14, 14, 0, 1, 0, 1]);
    const g2 = convGeometry([14, 14, 32], 3, { stride: 2, padding: "same" });
    expect([g2.oh, g2.ow, g2.padTop, g2.padBottom]).toEqual([7, 7, 0, 1]);
    // PyTorch: Conv2d(k=3, s=2, p=1) on 28 -> 14; on 7 -> 4; k=5 d=2 on 13 -> 5; k=4 s=1 same -> pads 1, 2.
    expect(convGeometry([28, 28, 1], 3, { stride: 2, padding: 1 }).oh).toBe(14);
    expect(convGeometry([7, 7, 1], 3, { stride: 2, padding: 1 }).oh).toBe(4);
    expect(convGeometry([13, 13, 1], 5, { dilation: 2 }).oh).toBe(5);
    const g4 = convGeometry([9, 10, 2], [4, 1], { padding: "same" });
    expect([g4.oh, g4.ow, g4.padTop, g4.padBottom, g4.padLeft, g4.padRight]).toEqual([9, 10, 1, 2, 0, 0]);
    expect(convGeometry([9, 9, 1], 3, { stride: 2, padding: "same" }).oh).toBe(5);
    expect(convGeometry([8, 5, 1], [3, 2], { stride: [3, 2], padding: { top: 1, bottom: 0, left: 2, right: 1 } })).toMatchObject({ oh: 3, ow: 4 });
  });

  it("matches PyTorch's ConvTranspose2d and Keras's Conv2DTranspose output sizes", () => {
    // The Keras MNIST VAE decoder: 7x7 -> 3x3 s2 same -> 14x14 -> 28x28; PyTorch p=1, op=1 likewise.
    expect(convTransposeGeometry([7, 7, 64], 64, 3, { stride: 2, padding: "same" }).output).toEqual([14, 14, 64]);
    expect(convTransposeGeometry([14, 14, 64], 32, 3, { stride: 2, padding: "same" }).output).toEqual([28, 28, 32]);
    expect(convTransposeGeometry([7, 7, 64], 32, 3, { stride: 2, padding: 1, outputPadding: 1 }).output).toEqual([14, 14, 32]);
    expect(convTransposeGeometry([7, 7, 1], 1, 3, { stride: 2 }).output).toEqual([15, 15, 1]);
    expect(convTransposeGeometry([5, 4, 1], 2, [4, 3], { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2], dilation: [1, 2] }).output)
      .toEqual([(5 - 1) * 2 - 2 + 3 + 1 + 1, (4 - 1) * 3 + 2 * 2 + 2 + 1, 2]);
    expect(convTransposeGeometry([3, 3, 1], 1, 4, { stride: 2, padding: 1 }).output).toEqual([6, 6, 1]);
  });

  it("rejects what does not fit with a ConfigError", () => {
    expect(() => convGeometry([2, 2, 1], 3)).toThrow(ConfigError);
    expect(() => convGeometry([5, 5, 1], 3, { dilation: 3 })).toThrow(ConfigError);
    expect(() => convGeometry([5, 5, 1], 3, { stride: 0 })).toThrow(ConfigError);
    expect(() => convGeometry([5, 5, 1], 3, { padding: -1 })).toThrow(ConfigError);
    expect(() => convTransposeGeometry([5, 5, 1], 1, 3, { stride: 2, outputPadding: 2 })).toThrow(ConfigError);
    expect(() => convTransposeGeometry([5, 5, 1], 1, 3, { stride: 2, padding: "same", outputPadding: 1 })).toThrow(ConfigError);
    expect(() => convTransposeGeometry([1, 1, 1], 1, 1, { padding: 1 })).toThrow(ConfigError);
    expect(() => new Conv2d({ input: [5, 5, 1], outChannels: 0, kernel: 3 })).toThrow(ConfigError);
  });
});

describe("Conv2d and ConvTranspose2d forward against direct float64 convolutions", () => {
  it("Conv2d equals the direct convolution (PyTorch weight layout, NHWC activations)", () => {
    fc.assert(fc.property(conv2dArb, ({ c, outChannels, bias, seed }) => {
      const layer = makeConv(c, outChannels, bias);
      const g = layer.geometry;
      const params = layerParams(layer, seed);
      const x = normalF64(key(seed + 1), c.batch * layer.inFeatures);
      const { y } = runLayer(ref, layer, c.batch, params, x, new Float64Array(c.batch * layer.outFeatures));
      const pads = padsOf(c.padding, [c.input[0], c.input[1]], [...c.kernel], [...c.stride], [...c.dilation]);
      const want = directConv(x, c.batch, g.h, g.w, g.c, params[0]!, bias ? params[1]! : null, outChannels, g.kh, g.kw,
        [...c.stride], [...c.dilation], pads, g.oh, g.ow);
      expectClose(y, want, { rtol: 1e-12, atol: 1e-12 });
    }), { numRuns: 150 });
  });

  it("ConvTranspose2d equals PyTorch's scatter definition (weight [in, out, kh, kw])", () => {
    fc.assert(fc.property(convTArb, (c) => {
      const layer = makeConvT(c);
      const [oh, ow] = layer.outShape;
      const params = layerParams(layer, c.seed);
      const x = normalF64(key(c.seed + 1), c.batch * layer.inFeatures);
      const { y } = runLayer(ref, layer, c.batch, params, x, new Float64Array(c.batch * layer.outFeatures));
      let pads: Pads;
      if (c.padding === "same") {
        // TensorFlow: the adjoint of the "same" convolution over the output (in * s).
        pads = padsOf("same", [oh, ow], c.kernel, c.stride, c.dilation);
        expect([oh, ow]).toEqual([c.input[0] * c.stride[0], c.input[1] * c.stride[1]]);
      } else {
        const p = c.padding === "valid" ? 0 : c.padding;
        pads = { top: p, left: p };
        expect(oh).toBe((c.input[0] - 1) * c.stride[0] - 2 * p + c.dilation[0] * (c.kernel[0] - 1) + c.outputPadding[0] + 1);
        expect(ow).toBe((c.input[1] - 1) * c.stride[1] - 2 * p + c.dilation[1] * (c.kernel[1] - 1) + c.outputPadding[1] + 1);
      }
      const want = directConvT(x, c.batch, c.input[0], c.input[1], c.input[2], params[0]!, c.bias ? params[1]! : null, c.outChannels,
        c.kernel[0], c.kernel[1], c.stride, c.dilation, pads, oh, ow);
      expectClose(y, want, { rtol: 1e-12, atol: 1e-12 });
    }), { numRuns: 150 });
  });

  it("ConvTranspose2d by hand: 2x2 ones, 3x3 ones kernel, stride 2 -> 5x5 with overlaps summed", () => {
    const layer = new ConvTranspose2d({ input: [2, 2, 1], outChannels: 1, kernel: 3, stride: 2, bias: false });
    const { y } = runLayer(ref, layer, 1, [new Float64Array(9).fill(1)], [1, 1, 1, 1], new Float64Array(25));
    expect(Array.from(y)).toEqual([1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 2, 2, 4, 2, 2, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1]);
  });

  it("initialises as PyTorch: U(+-1/sqrt(fan_in)), with ConvTranspose2d's fan_in from weight.size(1)", () => {
    const conv = new Conv2d({ input: [6, 6, 3], outChannels: 40, kernel: 3 });
    const [w, b] = conv.init(key(1));
    const bound = 1 / Math.sqrt(3 * 9);
    expect(Math.max(...w!.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w!.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Math.max(...b!.map(Math.abs))).toBeLessThanOrEqual(bound);
    const convT = new ConvTranspose2d({ input: [6, 6, 40], outChannels: 3, kernel: 3 });
    const [wt] = convT.init(key(2));
    expect(wt!.length).toBe(40 * 3 * 9);
    expect(Math.max(...wt!.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(3 * 9));
    expect(Math.max(...wt!.map(Math.abs))).toBeGreaterThan(0.95 / Math.sqrt(3 * 9));
    const glorot = new Conv2d({ input: [6, 6, 3], outChannels: 40, kernel: 3, init: "glorot" }).init(key(3));
    expect(Math.max(...glorot[0]!.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (27 + 360)));
    expect(glorot[1]!.every((v) => v === 0)).toBe(true);
    const he = new Conv2d({ input: [6, 6, 3], outChannels: 400, kernel: 3, init: "he" }).init(key(4))[0]!;
    const sd = Math.sqrt(he.reduce((s, v) => s + v * v, 0) / he.length);
    expect(Math.abs(sd / Math.sqrt(2 / 27) - 1)).toBeLessThan(0.03);
    expect(conv.params.map((p) => p.shape)).toEqual([[40, 3, 3, 3], [40]]);
    expect(convT.params.map((p) => p.shape)).toEqual([[40, 3, 3, 3], [3]]);
  });
});

/** Gradient checks of a layer on the float64 backend: loss = sum(r * y) + 0.5 sum(y^2). */
function gradChecks(layer: Layer, batch: number, params: Float64Array[], seed: number): void {
  const x0 = normalF64(key(seed + 1), batch * layer.inFeatures);
  const r = normalF64(key(seed + 2), batch * layer.outFeatures);
  const loss = (x: Float64Array, ps: Float64Array[]) => {
    const { y } = runLayer(ref, layer, batch, ps, x, new Float64Array(y0len));
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i]! * y[i]! + 0.5 * y[i]! * y[i]!;
    return s;
  };
  const y0len = batch * layer.outFeatures;
  const { y } = runLayer(ref, layer, batch, params, x0, new Float64Array(y0len));
  const dy = y.map((v, i) => r[i]! + v);
  const { dx, grads } = runLayer(ref, layer, batch, params, x0, dy);
  const checks = [directionalCheck((x) => loss(x, params), x0, dx, seed + 3)];
  params.forEach((p, i) => {
    checks.push(directionalCheck((v) => loss(x0, params.map((q, j) => (j === i ? v : q))), p, grads[i]!, seed + 4 + i));
  });
  for (const check of checks) expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
}

describe("gradients by central differences (float64 backend)", () => {
  it("Conv2d: input, weight and bias", () => {
    fc.assert(fc.property(conv2dArb, ({ c, outChannels, bias, seed }) => {
      const layer = makeConv(c, outChannels, bias);
      gradChecks(layer, c.batch, layerParams(layer, seed), seed);
    }), { numRuns: 40 });
  });

  it("ConvTranspose2d: input, weight and bias", () => {
    fc.assert(fc.property(convTArb, (c) => {
      const layer = makeConvT(c);
      gradChecks(layer, c.batch, layerParams(layer, c.seed), c.seed);
    }), { numRuns: 40 });
  });

  it("stride 2 on odd sizes, 'same' and explicit padding, both layers", () => {
    for (const [i, padding] of (["same", 1, { top: 0, bottom: 2, left: 1, right: 0 }] as Padding[]).entries()) {
      const conv = new Conv2d({ input: [7, 5, 3], outChannels: 4, kernel: 3, stride: 2, padding });
      gradChecks(conv, 2, layerParams(conv, 10 + i), 10 + i);
    }
    for (const [i, cfg] of [{ padding: "same" as const }, { padding: 1, outputPadding: 1 }].entries()) {
      const convT = new ConvTranspose2d({ input: [5, 3, 3], outChannels: 2, kernel: 3, stride: 2, ...cfg });
      gradChecks(convT, 2, layerParams(convT, 20 + i), 20 + i);
    }
  });

  it("a Sequential conv -> tanh -> flatten -> reshape -> convT through SequentialRun (workspaces)", () => {
    const conv = new Conv2d({ input: [9, 7, 2], outChannels: 3, kernel: 3, stride: 2, padding: "same" });
    const convT = new ConvTranspose2d({ input: [5, 4, 3], outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: [0, 1] });
    expect(convT.outShape).toEqual([9, 8, 2]);
    const seq = new Sequential("net", [conv, new ActivationLayer("tanh", conv.outFeatures), new Flatten(conv.outShape),
      new Reshape([conv.outFeatures], convT.inShape), convT]);
    expect(seq.paramSpecs().map((p) => p.name)).toEqual(["net.0.weight", "net.0.bias", "net.4.weight", "net.4.bias"]);
    const batch = 3, seed = 5;
    const theta = Float64Array.from(seq.init(key(seed)).flatMap((p) => Array.from(p)));
    const x = normalF64(key(seed + 1), batch * seq.inFeatures);
    const r = normalF64(key(seed + 2), batch * seq.outFeatures);
    const make = (t: Float64Array) => {
      const specs = seq.paramSpecs();
      const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
      const params: Float64Array[] = [], grads: Float64Array[] = [];
      let at = 0;
      const gradAll = new Float64Array(t.length);
      for (const n of sizes) { params.push(t.subarray(at, at + n)); grads.push(gradAll.subarray(at, at + n)); at += n; }
      return { run: new SequentialRun(ref, seq, batch, params, grads), gradAll };
    };
    const f = (t: Float64Array) => {
      const { run } = make(t);
      const y = run.forward(x);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
      return s;
    };
    const { run, gradAll } = make(theta);
    run.forward(x);
    run.backward(x, r, null);
    const check = directionalCheck(f, theta, gradAll, seed + 3);
    expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
  });
});

describe("workspaces", () => {
  it("backward gives the same with the forward's workspace, without one, and with one shared by two layers", () => {
    const a = new Conv2d({ input: [8, 7, 3], outChannels: 5, kernel: 3, stride: 2, padding: "same" });
    const b = new Conv2d({ input: [8, 7, 3], outChannels: 5, kernel: [2, 3], padding: 1 });
    for (const be of [ref, ...wasm] as Backend<Buffer>[]) {
      const params = layerParams(a, 1);
      const x = normalF64(key(2), 2 * a.inFeatures);
      const dy = normalF64(key(3), 2 * a.outFeatures);
      const withWs = runLayer(be, a, 2, params, x, dy, true);
      const without = runLayer(be, a, 2, params, x, dy, false);
      expect(withWs).toEqual(without);
      // Shared workspace: a.forward, b.forward, a.backward must not reuse b's columns.
      const size = Math.max(a.workspace(2), b.workspace(2));
      const ws = be.alloc(size);
      const put = (v: ArrayLike<number>) => { const t = be.alloc(v.length); be.write(t, v); return t; };
      const pa = params.map(put), pb = layerParams(b, 4).map(put), ga = params.map((p) => be.alloc(p.length));
      const bx = put(x), ya = be.alloc(2 * a.outFeatures), yb = be.alloc(2 * b.outFeatures), bdy = put(dy), bdx = be.alloc(2 * a.inFeatures);
      a.forward(be, pa, 2, bx, ya, ws);
      b.forward(be, pb, 2, bx, yb, ws);
      a.backward(be, pa, ga, 2, bx, ya, bdy, bdx, ws);
      expect(ga.map((g) => Float64Array.from(be.read(g)))).toEqual(without.grads);
      expect(Float64Array.from(be.read(bdx))).toEqual(without.dx);
    }
  });

  it("batch 0 computes nothing and writes zero gradients, on every backend", () => {
    const layers: Layer[] = [new Conv2d({ input: [5, 4, 3], outChannels: 2, kernel: 3, stride: 2, padding: "same" }),
      new ConvTranspose2d({ input: [3, 2, 2], outChannels: 3, kernel: 3, stride: 2, padding: 1, outputPadding: 1 })];
    for (const be of [ref, ...wasm] as Backend<Buffer>[]) for (const layer of layers) {
      const out = runLayer(be, layer, 0, layerParams(layer, 1), [], [], false);
      expect(out.y.length + out.dx.length).toBe(0);
      for (const g of out.grads) expect(g.every((v) => v === 0)).toBe(true);
    }
  });

  it("Reshape and Flatten copy values and gradients unchanged", () => {
    const flat = new Flatten([3, 2, 4]);
    expect([flat.inFeatures, flat.outFeatures, flat.kind]).toEqual([24, 24, "flatten"]);
    expect(() => new Reshape([3, 2], [7])).toThrow(ConfigError);
    const x = Float64Array.from({ length: 48 }, (_, i) => i * 0.5 - 3);
    const dy = x.map((v) => -2 * v);
    const out = runLayer(ref, new Reshape([24], [2, 3, 4]), 2, [], x, dy);
    expect(out.y).toEqual(x);
    expect(out.dx).toEqual(dy);
  });
});

describe("wasm backends agree with the float64 backend on the conv layers", () => {
  function compare(be: WasmBackend, layer: Layer, batch: number, seed: number): void {
    const params = layerParams(layer, seed).map((p) => Float64Array.from(Float32Array.from(p)));
    const x = Float64Array.from(Float32Array.from(normalF64(key(seed + 1), batch * layer.inFeatures)));
    const dy = Float64Array.from(Float32Array.from(normalF64(key(seed + 2), batch * layer.outFeatures)));
    const w = runLayer(be, layer, batch, params, x, dy);
    const r = runLayer(ref, layer, batch, params, x, dy);
    const scale = (v: Float64Array) => v.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
    // f32 products summed over at most a few thousand terms of O(1): 1e-5 of the largest value.
    expectClose(w.y, r.y, { rtol: 1e-4, atol: 1e-5 * scale(r.y) + 1e-6 });
    expectClose(w.dx, r.dx, { rtol: 1e-4, atol: 1e-5 * scale(r.dx) + 1e-6 });
    w.grads.forEach((g, i) => expectClose(g, r.grads[i]!, { rtol: 1e-4, atol: 1e-5 * scale(r.grads[i]!) + 1e-6 }));
  }

  for (const be of wasm) {
    it(`${be.name}: Conv2d and ConvTranspose2d on random geometries`, () => {
      fc.assert(fc.property(conv2dArb, ({ c, outChannels, bias, seed }) => compare(be, makeConv(c, outChannels, bias), c.batch, seed)),
        { numRuns: 60 });
      fc.assert(fc.property(convTArb, (c) => compare(be, makeConvT(c), c.batch, c.seed)), { numRuns: 60 });
    });

    it(`${be.name}: the Keras MNIST VAE shapes (batch 2), incl. a pointwise convolution`, () => {
      const layers: Layer[] = [
        new Conv2d({ input: [28, 28, 1], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
        new Conv2d({ input: [14, 14, 32], outChannels: 64, kernel: 3, stride: 2, padding: "same" }),
        new ConvTranspose2d({ input: [7, 7, 64], outChannels: 64, kernel: 3, stride: 2, padding: "same" }),
        new ConvTranspose2d({ input: [14, 14, 64], outChannels: 32, kernel: 3, stride: 2, padding: "same" }),
        new ConvTranspose2d({ input: [28, 28, 32], outChannels: 1, kernel: 3, padding: "same" }),
        new Conv2d({ input: [5, 5, 6], outChannels: 7, kernel: 1 }),
        new ConvTranspose2d({ input: [5, 5, 6], outChannels: 7, kernel: 1 }),
      ];
      layers.forEach((layer, i) => compare(be, layer, 2, 40 + i));
    });

    it(`${be.name}: ConvTranspose2d over several sample chunks (columns of 225 KB a sample: chunks of 2)`, () => {
      compare(be, new ConvTranspose2d({ input: [14, 14, 64], outChannels: 32, kernel: 3, stride: 2, padding: "same" }), 5, 60);
      compare(be, new ConvTranspose2d({ input: [9, 9, 40], outChannels: 200, kernel: [3, 2], stride: 1, padding: 1 }), 3, 61);
    });
  }
});

describe("ConvTranspose2d in sample chunks", () => {
  it("equals the layer run sample by sample (outputs, input gradients; weight gradients summed), float64", () => {
    // Columns of 56,448 and 97,200 floats a sample: chunks of 2 samples and of 1 (2^17 floats each at most).
    for (const [layer, batch] of [
      [new ConvTranspose2d({ input: [14, 14, 64], outChannels: 32, kernel: 3, stride: 2, padding: "same" }), 5],
      [new ConvTranspose2d({ input: [9, 9, 40], outChannels: 200, kernel: [3, 2], stride: 1, padding: 1 }), 3],
    ] as const) {
      const params = layerParams(layer, 70);
      const x = normalF64(key(71), batch * layer.inFeatures), dy = normalF64(key(72), batch * layer.outFeatures);
      const whole = runLayer(ref, layer, batch, params, x, dy);
      const nIn = layer.inFeatures, nOut = layer.outFeatures;
      const grads = params.map((p) => new Float64Array(p.length));
      for (let b = 0; b < batch; b++) {
        const one = runLayer(ref, layer, 1, params, x.subarray(b * nIn, (b + 1) * nIn), dy.subarray(b * nOut, (b + 1) * nOut));
        expectClose(whole.y.subarray(b * nOut, (b + 1) * nOut), one.y, { rtol: 1e-12, atol: 1e-12 });
        expectClose(whole.dx.subarray(b * nIn, (b + 1) * nIn), one.dx, { rtol: 1e-12, atol: 1e-12 });
        one.grads.forEach((g, i) => g.forEach((v, j) => { grads[i]![j]! += v; }));
      }
      grads.forEach((g, i) => expectClose(whole.grads[i]!, g, { rtol: 1e-9, atol: 1e-9 }));
    }
  });
});
