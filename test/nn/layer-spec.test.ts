// Layer specs (src/nn/layer-spec.ts) and the SequentialRun's calls of its layers.
// - toSpec / layerFromSpec round trip through JSON for every layer type: the same class, kind,
//   features, parameters, geometry, spec, and the same init values from the same key.
// - Bad specs (not an object, unknown type, missing or unknown field, wrong type, numbers out of
//   range, fields that do not make a layer) are ConfigErrors naming where, the field and the value.
// - A SequentialRun tells a Conv2d that its workspace holds the forward's columns only when it
//   does: the backward skips im2col then, and gives the same bits as a backward that recomputes
//   them (forward on another x buffer, a second backward, a forward of another x in between).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { Backend, Buffer, ConvGeometry } from "../../src/backend/backend.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { ActivationLayer, activationNames } from "../../src/nn/activation.js";
import { Conv2d } from "../../src/nn/conv2d.js";
import { ConvTranspose2d } from "../../src/nn/conv-transpose2d.js";
import { Dense } from "../../src/nn/dense.js";
import { Dropout } from "../../src/nn/dropout.js";
import { LayerNorm } from "../../src/nn/layer-norm.js";
import { Flatten, Reshape } from "../../src/nn/reshape.js";
import { Sequential, SequentialRun } from "../../src/nn/sequential.js";
import { ConfigError, type Layer } from "../../src/nn/layer.js";
import { layerFromSpec, sequentialFromSpec, type LayerSpec } from "../../src/nn/layer-spec.js";
import { key, normalF64 } from "../../src/random/index.js";
import { convCaseArb } from "../../src/testing/index.js";

const ref = new ReferenceBackend();
const wasm = (["simd", "scalar"] as const).map((isa) => {
  const m = instantiateSync(undefined, { isa });
  if (E.isLeft(m)) throw m.left;
  return new WasmBackend(m.right);
});

const viaJson = (s: unknown): unknown => JSON.parse(JSON.stringify(s));

function expectSame(a: Layer, b: Layer): void {
  expect(b.constructor).toBe(a.constructor);
  expect([b.kind, b.inFeatures, b.outFeatures, b.random]).toEqual([a.kind, a.inFeatures, a.outFeatures, a.random]);
  expect(b.params).toEqual(a.params);
  expect(b.toSpec!()).toEqual(a.toSpec!());
  expect(b.workspace?.(3)).toEqual(a.workspace?.(3));
  if (a instanceof Conv2d || a instanceof ConvTranspose2d) {
    const g = (l: Layer) => (l as Conv2d | ConvTranspose2d).geometry;
    expect(g(b)).toEqual(g(a));
    expect((b as Conv2d).outShape).toEqual((a as Conv2d).outShape);
  }
  const k = key(17);
  expect(b.init(k)).toEqual(a.init(k));
}

const examples: Layer[] = [
  new Dense(5, 3), new Dense(4, 7, "glorot"), new Dense(2, 2, "he"),
  new Conv2d({ input: [9, 7, 2], outChannels: 3, kernel: 3 }),
  new Conv2d({ input: [9, 7, 2], outChannels: 3, kernel: [3, 2], stride: 2, padding: "same", dilation: [1, 2], bias: false, init: "he" }),
  new Conv2d({ input: [8, 8, 1], outChannels: 4, kernel: 3, padding: { top: 1, bottom: 0, left: 2, right: 1 }, init: "glorot" }),
  new Conv2d({ input: [5, 6, 3], outChannels: 2, kernel: 1, padding: [1, 0] }),
  new ConvTranspose2d({ input: [5, 4, 3], outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: [0, 1] }),
  new ConvTranspose2d({ input: [4, 4, 2], outChannels: 3, kernel: [2, 3], stride: [2, 1], padding: "same", bias: false, init: "glorot" }),
  ...activationNames.map((n, i) => new ActivationLayer(n, 3 + i)),
  new ActivationLayer("leakyRelu", 6, 0.2), new ActivationLayer("elu", 2, 0.5),
  new Reshape([12], [2, 3, 2]), new Flatten([4, 3, 2]),
  new Dropout(10, 0.25), new Dropout(3, 0),
  new LayerNorm([6]), new LayerNorm([4, 4, 2], 1e-3),
];

describe("toSpec / layerFromSpec", () => {
  it("round trips every layer type through JSON to an equal layer", () => {
    for (const layer of examples) {
      const spec = layer.toSpec!();
      const again = layerFromSpec(viaJson(spec));
      expectSame(layer, again);
      expect(viaJson(spec)).toEqual(spec); // plain JSON: nothing lost
    }
  });

  it("fills in the constructor's defaults", () => {
    expect(new Dense(3, 2).toSpec()).toEqual({ type: "dense", in: 3, out: 2, init: "torch" });
    expect(new Conv2d({ input: [5, 5, 1], outChannels: 2, kernel: 3 }).toSpec()).toEqual({ type: "conv2d", input: [5, 5, 1],
      outChannels: 2, kernel: 3, stride: 1, padding: "valid", dilation: 1, bias: true, init: "torch" });
    expect(new ConvTranspose2d({ input: [5, 5, 1], outChannels: 2, kernel: 3 }).toSpec()).toEqual({ type: "convTranspose2d",
      input: [5, 5, 1], outChannels: 2, kernel: 3, stride: 1, padding: "valid", dilation: 1, outputPadding: 0, bias: true, init: "torch" });
    expect(new ActivationLayer("leakyRelu", 4).toSpec()).toEqual({ type: "activation", name: "leakyRelu", features: 4, alpha: 0.01 });
    expect(new ActivationLayer("relu", 4).toSpec()).toEqual({ type: "activation", name: "relu", features: 4, alpha: 0 });
    expect(new Flatten([2, 3]).toSpec()).toEqual({ type: "flatten", from: [2, 3] });
    expect(new LayerNorm([2, 3]).toSpec()).toEqual({ type: "layerNorm", shape: [2, 3], eps: 1e-5 });
    expect(new Dropout(4, 0.5).toSpec()).toEqual({ type: "dropout", features: 4, rate: 0.5 });
  });

  it("a spec does not share arrays with the layer or the caller's config", () => {
    const kernel: [number, number] = [3, 3];
    const conv = new Conv2d({ input: [6, 6, 1], outChannels: 1, kernel });
    kernel[0] = 1;
    const spec = conv.toSpec() as Extract<LayerSpec, { type: "conv2d" }>;
    expect(spec.kernel).toEqual([3, 3]);
    (spec.input as unknown as number[])[0] = 99;
    expect(conv.toSpec()).toEqual({ ...spec, input: [6, 6, 1] });
  });

  it("round trips random convolution configurations", () => {
    fc.assert(fc.property(convCaseArb({ maxChannels: 4, maxBatch: 1, maxSize: 9 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.constantFrom("torch", "glorot", "he" as const),
      (c, outChannels, bias, init) => {
        const conv = new Conv2d({ input: c.input, outChannels, kernel: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation, bias, init });
        expectSame(conv, layerFromSpec(viaJson(conv.toSpec())));
      }), { numRuns: 100 });
  });

  it("Sequential.toSpec and sequentialFromSpec round trip a model", () => {
    const conv = new Conv2d({ input: [8, 8, 2], outChannels: 4, kernel: 3, stride: 2, padding: 1 });
    const seq = new Sequential("encoder", [conv, new LayerNorm([...conv.outShape]), new ActivationLayer("relu", conv.outFeatures),
      new Dropout(conv.outFeatures, 0.1), new Flatten([...conv.outShape]), new Dense(conv.outFeatures, 5)]);
    const again = sequentialFromSpec("encoder", viaJson(seq.toSpec()));
    expect(again.paramSpecs()).toEqual(seq.paramSpecs());
    expect(again.init(key(3))).toEqual(seq.init(key(3)));
    again.layers.forEach((l, i) => expectSame(seq.layers[i]!, l));
  });
});

describe("bad specs are ConfigErrors naming where, the field and the value", () => {
  const dense = { type: "dense", in: 4, out: 3, init: "torch" };
  const conv = { type: "conv2d", input: [8, 8, 1], outChannels: 2, kernel: 3, stride: 1, padding: "valid", dilation: 1, bias: true, init: "torch" };
  const cases: [string, unknown, RegExp][] = [
    ["null", null, /must be an object, got null/],
    ["an array", [dense], /must be an object/],
    ["a string", "dense", /must be an object, got "dense"/],
    ["no type", { in: 4, out: 3, init: "torch" }, /field "type" must be one of dense, .*got undefined/],
    ["an unknown type", { ...dense, type: "linear" }, /field "type" .*got "linear"/],
    ["an inherited type name", { ...dense, type: "toString" }, /field "type" .*got "toString"/],
    ["a missing field", { type: "dense", in: 4, out: 3 }, /\(dense\): missing field "init"/],
    ["an undefined field", { ...dense, init: undefined }, /missing field "init"/],
    ["an unknown field", { ...dense, bias: true }, /unknown field "bias" \(value true\)/],
    ["a string number", { ...dense, in: "4" }, /field "in" must be an integer >= 1, got "4"/],
    ["zero features", { ...dense, out: 0 }, /field "out" must be an integer >= 1, got 0/],
    ["a fraction", { ...dense, out: 2.5 }, /field "out" .*got 2.5/],
    ["an unknown init", { ...dense, init: "xavier" }, /field "init" must be one of torch, glorot, he, got "xavier"/],
    ["a short input", { ...conv, input: [8, 8] }, /field "input" must be an array of 3 positive integers, got \[8,8\]/],
    ["a zero in input", { ...conv, input: [8, 0, 1] }, /field "input\[1\]" .*got 0/],
    ["a kernel of 3 numbers", { ...conv, kernel: [3, 3, 3] }, /field "kernel" .*got \[3,3,3\]/],
    ["stride 0", { ...conv, stride: [1, 0] }, /field "stride\[1\]" must be an integer >= 1, got 0/],
    ["negative padding", { ...conv, padding: -1 }, /field "padding" must be an integer >= 0, got -1/],
    ["a padding word", { ...conv, padding: "full" }, /field "padding" must be "same", "valid".*got "full"/],
    ["a padding side missing", { ...conv, padding: { top: 1, bottom: 1, left: 1 } }, /field "padding.right" .*got undefined/],
    ["an unknown padding side", { ...conv, padding: { top: 1, bottom: 1, left: 1, right: 1, front: 2 } }, /unknown field "padding.front" \(value 2\)/],
    ["a bias that is not a boolean", { ...conv, bias: 1 }, /field "bias" must be true or false, got 1/],
    ["a kernel larger than the image", { ...conv, kernel: 9 }, /\(conv2d\): a 9x9 kernel .* does not fit/],
    ["output padding too large", { ...conv, type: "convTranspose2d", stride: 2, outputPadding: 2 }, /\(convTranspose2d\): output padding 2x2 must be smaller/],
    ["an unknown activation", { type: "activation", name: "gelu", features: 3, alpha: 0 }, /field "name" must be one of .*got "gelu"/],
    ["a NaN alpha", { type: "activation", name: "elu", features: 3, alpha: NaN }, /field "alpha" must be a finite number, got NaN/],
    ["a reshape of another size", { type: "reshape", from: [2, 3], to: [5] }, /\(reshape\): cannot reshape/],
    ["an empty shape", { type: "flatten", from: [] }, /field "from" must be a non-empty array of positive integers, got \[\]/],
    ["rate 1", { type: "dropout", features: 3, rate: 1 }, /field "rate" must be a number in \[0, 1\), got 1/],
    ["a negative rate", { type: "dropout", features: 3, rate: -0.5 }, /field "rate" .*got -0.5/],
    ["eps 0", { type: "layerNorm", shape: [3], eps: 0 }, /field "eps" must be a finite number > 0, got 0/],
    ["a shape of strings", { type: "layerNorm", shape: ["3"], eps: 1e-5 }, /field "shape\[0\]" .*got "3"/],
  ];
  for (const [what, spec, message] of cases) {
    it(what, () => {
      let error: unknown;
      try { layerFromSpec(spec, "encoder[2]"); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^encoder\[2\]/);
      expect((error as Error).message).toMatch(message);
    });
  }

  it("sequentialFromSpec names the layer's position and refuses layers that do not chain", () => {
    expect(() => sequentialFromSpec("decoder", [dense, { ...dense, in: 3, out: 0 }])).toThrow(/^decoder\.1 \(dense\): field "out"/);
    expect(() => sequentialFromSpec("decoder", [dense, dense])).toThrow(ConfigError);
    expect(() => sequentialFromSpec("decoder", [])).toThrow(ConfigError);
    expect(() => sequentialFromSpec("decoder", { 0: dense })).toThrow(ConfigError);
    expect(() => layerFromSpec({ ...dense, out: 0 })).toThrow(/^layer \(dense\): field "out"/);
  });
});

// ---- SequentialRun: which backward may reuse the forward's columns ----

/** A backend whose im2col calls are counted. */
function counting<B extends Buffer>(be: Backend<B>): { be: Backend<B>; count: () => number } {
  let n = 0;
  const wrapped = Object.create(be) as Backend<B>;
  wrapped.im2col = (g: ConvGeometry, x: B, cols: B) => { n++; be.im2col(g, x, cols); };
  return { be: wrapped, count: () => n };
}

describe("SequentialRun and Conv2d's columns", () => {
  const c1 = new Conv2d({ input: [9, 8, 3], outChannels: 4, kernel: 3, stride: 2, padding: "same" });
  const c2 = new Conv2d({ input: [...c1.outShape], outChannels: 5, kernel: [2, 3], padding: 1 });
  const c3 = new Conv2d({ input: [...c2.outShape], outChannels: 2, kernel: 1 }); // pointwise: no workspace
  const seq = new Sequential("net", [c1, new ActivationLayer("tanh", c1.outFeatures), c2, c3]);
  const batch = 3;

  for (const base of [ref, ...wasm] as Backend<Buffer>[]) {
    it(`${base.name}: the backward with and without the reused columns gives the same bits`, () => {
      const { be, count } = counting(base);
      const put = (v: ArrayLike<number>) => { const t = be.alloc(v.length); be.write(t, v); return t; };
      const theta = seq.init(key(1)).map((p) => put(p));
      const xs = normalF64(key(2), batch * seq.inFeatures), dys = normalF64(key(3), batch * seq.outFeatures);
      const x = put(xs), xCopy = put(xs), other = put(normalF64(key(4), batch * seq.inFeatures)), dy = put(dys);
      const runOf = () => {
        const grads = seq.paramSpecs().map((s) => be.alloc(s.shape.reduce((a, b) => a * b, 1)));
        return { run: new SequentialRun(be, seq, batch, theta, grads), grads };
      };
      const result = (r: { grads: Buffer[] }, dx: Buffer) => [...r.grads, dx].map((g) => Float64Array.from(be.read(g)));

      // Reused: forward and backward on the same x buffer; the backward runs no im2col.
      const a = runOf(), dxa = be.alloc(batch * seq.inFeatures);
      a.run.forward(x);
      const before = count();
      a.run.backward(x, dy, dxa);
      expect(count() - before).toBe(0);
      const reused = result(a, dxa);

      // Recomputed: the forward was on another buffer holding the same values.
      const b = runOf(), dxb = be.alloc(batch * seq.inFeatures);
      b.run.forward(xCopy);
      const mid = count();
      b.run.backward(x, dy, dxb);
      expect(count() - mid).toBe(2); // c1 and c2; the pointwise c3 has none
      expect(result(b, dxb)).toEqual(reused);

      // A second backward: each layer's own backward (with dx) overwrote its columns.
      const again = count();
      a.run.backward(x, dy, dxa);
      expect(count() - again).toBe(2);
      expect(result(a, dxa)).toEqual(reused);

      // After a forward of another x, a backward on x is not told the columns are its own.
      a.run.forward(other);
      const stale = count();
      a.run.backward(x, dy, dxa);
      expect(count() - stale).toBe(2);
      // The forward of x again: reused, the same bits.
      a.run.forward(x);
      const last = count();
      a.run.backward(x, dy, dxa);
      expect(count() - last).toBe(0);
      expect(result(a, dxa)).toEqual(reused);
    });
  }
});
