// The README's "Proving your own code" section, run as written: a user-written activation proven
// with checkLayer (and the same layer with a wrong derivative, shown failing with a shrunk
// counterexample), and a user-written loss term proven with checkGradients.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { init, models, random, tensor, ReferenceBackend, train, type Backend, type Buffer, type Params, type TensorLike } from "../src/index.js";
import { checkGradients, checkLayer } from "../src/testing/index.js";

// ---- README begins ----
/** swish(x) = x * sigmoid(x), with its own backward rule; computes on the host over live views of the buffers. */
class Swish {
  readonly kind = "swish";
  readonly params = [];
  readonly outFeatures: number;
  constructor(readonly inFeatures: number, readonly wrong = false) { this.outFeatures = inFeatures; }
  init(): Float32Array[] { return []; }
  forward<B extends Buffer>(be: Backend<B>, _p: readonly B[], _batch: number, x: B, y: B): void {
    const xs = be.hostView!(x), ys = be.hostView!(y);
    for (let i = 0; i < xs.length; i++) ys[i] = xs[i]! / (1 + Math.exp(-xs[i]!));
  }
  backward<B extends Buffer>(be: Backend<B>, _p: readonly B[], _g: readonly B[], _batch: number, x: B, _y: B, dy: B, dx: B | null): void {
    if (!dx) return;
    const xs = be.hostView!(x), dys = be.hostView!(dy), dxs = be.hostView!(dx);
    for (let i = 0; i < xs.length; i++) {
      const s = 1 / (1 + Math.exp(-xs[i]!));
      dxs[i] = dys[i]! * (this.wrong ? s : s + xs[i]! * s * (1 - s)); // the wrong one forgets x s (1 - s)
    }
  }
}
// ---- README ends ----

describe("the README's latent/testing example", () => {
  it("runs as written", async () => {
    // ---- README begins ----
    const runtime = await init();
    // The rule against central differences in float64, and the f32 kernels' run against float64, over drawn sizes.
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 9 }), (features, batch) => {
      checkLayer(new Swish(features), { batch, kernels: runtime.backend });
    }));

    // The wrong derivative fails, shrunk to the smallest case, with the figures in the report.
    let message = "";
    try {
      fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 9 }), (features, batch) => {
        checkLayer(new Swish(features, true), { batch });
      }));
    } catch (e) {
      // fast-check's report (the shrunk counterexample), then the check's own (its cause)
      message = `${(e as Error).message}\n${((e as Error).cause as Error).message}`;
    }

    // A loss term of your own: the model's loss plus 0.5 * lambda * (sum of squared weights),
    // gradient lambda * w, proven through valueAndGrad on the float64 backend.
    const model = models.vae.mlp({ input: 8, hidden: [6], latent: 2, activation: "tanh" });
    const vg = train.valueAndGrad(model, undefined, { backend: new ReferenceBackend() });
    const lambda = 0.01;
    const withDecay = (params: Params, batch: TensorLike, key: random.Key) => {
      const r = vg(params, batch, key);
      let value = r.value;
      const grads: Record<string, TensorLike> = {};
      for (const [name, w] of Object.entries(params)) {
        const g = Float64Array.from(r.grads[name]!.data);
        if (name.endsWith(".weight")) {
          for (let i = 0; i < g.length; i++) { value += 0.5 * lambda * w.data[i]! ** 2; g[i] = g[i]! + lambda * w.data[i]!; }
        }
        grads[name] = { data: g, shape: w.shape, stride: w.stride, offset: 0 };
      }
      return { value, grads };
    };
    const x = tensor(random.uniform(random.key(1), 5 * 8), [5, 8]);
    const report = checkGradients(withDecay, model.init(random.key(2)), x, { key: random.key(3) });
    // report.tensors: each parameter's worst direction, e.g. { name: "encoder.0.weight", check: { numeric, analytic, ratio } }
    vg.dispose();
    // ---- README ends ----

    expect(message).toMatch(/Counterexample: \[1,1\][\s\S]*swish \(1 -> 1 features, batch 1, seed 1\): backward disagrees with central differences/);
    console.log(message);
    expect(report.tensors.length).toBe(10);
    expect(report.worst).toBeLessThanOrEqual(1);
    // Leaving out the decay's gradient is caught, naming only the weights.
    const noGrad = (params: Params, batch: TensorLike, key: random.Key) => ({ ...withDecay(params, batch, key), grads: vg(params, batch, key).grads });
    expect(() => checkGradients(noGrad, model.init(random.key(2)), x, { key: random.key(3) })).toThrow(/gradient check failed for 5 of 10 parameter tensors/);
    vg.dispose();
  });
});
