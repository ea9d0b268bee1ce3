// The rules of every layer and of the whole AE and VAE loss, proven on the float64 backend:
// the analytic gradient of the batch-mean loss with respect to all parameters against central
// differences along random directions. Sizes are small and odd; the VAE noise is fixed by its key.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { ae, vae } from "../../src/models/index.js";
import type { Model } from "../../src/models/model.js";
import { activationNames, type ActivationName } from "../../src/nn/activation.js";
import { key, foldIn, uniform, normalF64 } from "../../src/random/index.js";
import { directionalCheck } from "../../src/testing/gradients.js";
import { forwardPass } from "../../src/objectives/evaluate.js";
import { defaultObjective } from "../../src/objectives/objective.js";

const be = new ReferenceBackend();

/** loss(theta) and its gradient for a model on a fixed batch and noise key. */
function objective(model: Model, batch: number, seed: number) {
  const prog = model.program(be, batch);
  const D = model.spec.input;
  const u = uniform(key(seed), batch * D);
  // Targets in [0, 1] for bernoulli; spread values for the others.
  const x = Float64Array.from(u, (v) => (model.spec.likelihood === "bernoulli" ? v : 2 * v - 1));
  be.write(prog.x, x);
  const noise = foldIn(key(seed), 1);
  const obj = defaultObjective(model.spec);
  const pass = (theta: Float64Array) => {
    be.write(prog.params, theta);
    return forwardPass(prog, obj, noise, 0, false);
  };
  const f = (theta: Float64Array): number => pass(theta).value;
  const grad = (theta: Float64Array): Float64Array => {
    pass(theta).backward();
    return be.read(prog.grads);
  };
  return { f, grad, prog };
}

/** Smallest |pre-activation| over the hidden layers at theta (relu-like kinks sit at 0). */
function kinkDistance(model: Model, prog: ReturnType<typeof objective>["prog"]): number {
  let min = Infinity;
  for (const run of [prog.enc, prog.dec]) {
    run.seq.layers.forEach((layer, i) => {
      if (layer.kind === "dense") for (const v of be.read(run.outputs[i]!)) min = Math.min(min, Math.abs(v));
    });
  }
  return model.spec.arch !== "composed" && (model.spec.activation === "relu" || model.spec.activation === "leakyRelu") ? min : Infinity;
}

const smooth: ActivationName[] = ["tanh", "sigmoid", "softplus", "elu"];

describe("whole-model gradients by central differences (float64 backend)", () => {
  it("VAE, every likelihood and activation, random sizes and beta", () => {
    fc.assert(fc.property(
      fc.record({
        input: fc.integer({ min: 1, max: 9 }),
        hidden: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
        latent: fc.integer({ min: 1, max: 4 }),
        batch: fc.integer({ min: 1, max: 5 }),
        activation: fc.constantFrom(...smooth, "identity" as ActivationName),
        likelihood: fc.constantFrom("bernoulli" as const, "gaussian" as const, "mse" as const),
        obsLogvar: fc.constantFrom<number | "learned">(0, -1.3, "learned"),
        beta: fc.constantFrom(1, 0.5, 4),
        seed: fc.integer({ min: 0, max: 1 << 30 }),
      }),
      (c) => {
        const model = vae.mlp({ input: c.input, hidden: c.hidden, latent: c.latent, activation: c.activation,
          likelihood: c.likelihood, obsLogvar: c.obsLogvar, beta: c.beta, init: "glorot" });
        const theta = Float64Array.from(model.layout.flatten(model.init(key(c.seed))));
        if (model.arch.learnedObs) theta.set(normalF64(key(c.seed + 1), c.input).map((v) => 0.3 * v), theta.length - c.input);
        const { f, grad } = objective(model, c.batch, c.seed);
        const check = directionalCheck(f, theta, grad(theta), c.seed + 2);
        expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
      },
    ), { numRuns: 60 });
  });

  it("AE, every likelihood, including zero hidden layers", () => {
    fc.assert(fc.property(
      fc.record({
        input: fc.integer({ min: 1, max: 9 }),
        hidden: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 2 }),
        latent: fc.integer({ min: 1, max: 4 }),
        batch: fc.integer({ min: 1, max: 5 }),
        activation: fc.constantFrom(...smooth),
        likelihood: fc.constantFrom("bernoulli" as const, "gaussian" as const, "mse" as const),
        seed: fc.integer({ min: 0, max: 1 << 30 }),
      }),
      (c) => {
        const model = ae.mlp({ ...c, init: "he", obsLogvar: "learned" });
        const theta = Float64Array.from(model.layout.flatten(model.init(key(c.seed))));
        const { f, grad } = objective(model, c.batch, c.seed);
        const check = directionalCheck(f, theta, grad(theta), c.seed + 2);
        expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
      },
    ), { numRuns: 40 });
  });

  it("relu and leaky relu networks, away from the kinks", () => {
    let checked = 0;
    for (let seed = 0; checked < 12 && seed < 200; seed++) {
      const activation = (seed % 2 === 0 ? "relu" : "leakyRelu") as ActivationName;
      const model = vae.mlp({ input: 7, hidden: [6, 5], latent: 3, activation });
      const theta = Float64Array.from(model.layout.flatten(model.init(key(seed))));
      const obj = objective(model, 3, seed);
      const g = obj.grad(theta);
      if (kinkDistance(model, obj.prog) < 1e-2) continue;
      const check = directionalCheck(obj.f, theta, g, seed + 7);
      expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
      checked++;
    }
    expect(checked).toBe(12);
  });

  it("every activation appears in the tests above or here", () => {
    expect(new Set([...smooth, "identity", "relu", "leakyRelu"])).toEqual(new Set(activationNames));
  });
});
