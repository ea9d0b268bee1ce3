// latent/testing's gradient checks on latent's own layers and models, and on deliberate faults:
// each fault is caught with a readable report, and fast-check shrinks it to the smallest layer.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { vae } from "../../src/models/index.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Conv2d } from "../../src/nn/conv2d.js";
import { ConvTranspose2d } from "../../src/nn/conv-transpose2d.js";
import { Dense } from "../../src/nn/dense.js";
import { Dropout } from "../../src/nn/dropout.js";
import { LayerNorm } from "../../src/nn/layer-norm.js";
import * as objectives from "../../src/objectives/objective.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { CheckError, checkGradients, checkLayer } from "../../src/testing/index.js";
import { valueAndGrad } from "../../src/train/value-and-grad.js";

beforeAll(() => { initSync(undefined, { isa: "simd" }); });

/** Dense whose bias gradient is row 0's dy instead of the sum over the batch (a missing batch sum). */
class NoBatchSumDense extends Dense {
  override backward<B extends Buffer>(be: Backend<B>, p: readonly B[], g: readonly B[], batch: number, x: B, y: B, dy: B, dx: B | null): void {
    super.backward(be, p, g, batch, x, y, dy, dx);
    if (batch > 1) be.copy(be.view(dy, 0, this.outFeatures), g[1]!);
  }
}

/** tanh whose backward has the wrong sign. */
class SignFlippedTanh extends ActivationLayer {
  constructor(n: number) { super("tanh", n); }
  override backward<B extends Buffer>(be: Backend<B>, p: readonly B[], g: readonly B[], batch: number, x: B, y: B, dy: B, dx: B | null): void {
    super.backward(be, p, g, batch, x, y, dy, dx);
    if (dx) be.scale(-1, dx, dx);
  }
}

describe("checkLayer", () => {
  it("passes latent's own layers, on the float64 backend and against the wasm kernels, over drawn batch sizes", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 1 << 20 }), (batch, seed) => {
      const kernels = defaultBackend() as unknown as Backend<Buffer>;
      for (const layer of [new Dense(5, 3), new ActivationLayer("softplus", 4), new ActivationLayer("elu", 3), new LayerNorm([2, 3]), new Dropout(6, 0.3),
        new Conv2d({ input: [5, 4, 2], outChannels: 3, kernel: 3, stride: 2, padding: "same" }),
        new ConvTranspose2d({ input: [3, 2, 2], outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1 })]) {
        checkLayer(layer, { batch, seed, kernels });
      }
    }), { numRuns: 12 });
  });

  it("catches a sign flip in a backward rule, naming the part and the figures", () => {
    let caught: unknown = null;
    try { checkLayer(new SignFlippedTanh(4)); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(CheckError);
    expect((caught as Error).message).toMatch(/^tanh \(4 -> 4 features, batch 3, seed 1\): backward disagrees with central differences of <forward\(x\), r> for x \(the input\):\n  x \(the input\) \(direction seed \d+\): central difference -?[\d.e-]+, analytic -?[\d.e-]+/);
  });

  it("catches a missing batch sum, and fast-check shrinks it to the smallest failing case (batch 2)", () => {
    const out = fc.check(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), (batch, out) => {
      checkLayer(new NoBatchSumDense(3, out), { batch });
    }), { seed: 42 });
    expect(out.failed).toBe(true);
    expect(out.counterexample).toEqual([2, 1]);
    expect(String((out.errorInstance as Error).message)).toMatch(/dense \(3 -> 1 features, batch 2, seed 1\): backward disagrees .* for bias/);
  });
});

describe("checkGradients", () => {
  const ref = new ReferenceBackend() as unknown as Backend<Buffer>;

  it("passes valueAndGrad on the float64 backend for a composed objective, and reports per tensor", () => {
    const model = vae.mlp({ input: 6, hidden: [5], latent: 2, activation: "tanh", likelihood: "laplace", obsLogvar: "learned" });
    const fn = valueAndGrad(model, objectives.elbo({ beta: objectives.linearWarmup({ steps: 5 }), penalties: [objectives.l1(0.1)] }), { backend: ref });
    const x = tensor(uniform(key(2), 4 * 6), [4, 6]);
    const report = checkGradients(fn, model.init(key(1)), x, { key: key(3), directions: 2 });
    expect(report.tensors.map((t) => t.name)).toEqual(Object.keys(model.init(key(1))));
    expect(report.worst).toBeLessThanOrEqual(1);
    fn.dispose();
  });

  it("catches a gradient scaled wrongly for one tensor, naming only that tensor", () => {
    const model = vae.mlp({ input: 5, hidden: [4], latent: 2, activation: "tanh" });
    const inner = valueAndGrad(model, undefined, { backend: ref });
    const wrong: typeof inner = Object.assign((p: Parameters<typeof inner>[0], b: Parameters<typeof inner>[1], k: Parameters<typeof inner>[2]) => {
      const r = inner(p, b, k);
      const w = r.grads["decoder.2.bias"]!;
      return { ...r, grads: { ...r.grads, "decoder.2.bias": tensor(w.data.map((v) => 2 * v), w.shape) } };
    }, { dispose: inner.dispose, [Symbol.dispose]: inner.dispose });
    const x = tensor(uniform(key(5), 3 * 5), [3, 5]);
    expect(() => checkGradients(wrong, model.init(key(4)), x, { key: key(6) })).toThrow(/gradient check failed for 1 of 10 parameter tensors:\n  decoder.2.bias \(direction seed/);
    inner.dispose();
  });
});
