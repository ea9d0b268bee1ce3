// Every objective term's gradient, and composed objectives, by central differences on the
// float64 backend: the analytic gradient of the objective's value with respect to all
// parameters against Richardson-extrapolated central differences along random directions.
// The key (noise, corruption) is fixed, so the value is a smooth function of the parameters.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { ae, vae, type Model } from "../../src/models/index.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Dense } from "../../src/nn/dense.js";
import { Dropout } from "../../src/nn/dropout.js";
import { LayerNorm } from "../../src/nn/layer-norm.js";
import { forwardPass } from "../../src/objectives/evaluate.js";
import * as objectives from "../../src/objectives/objective.js";
import type { Objective } from "../../src/objectives/objective.js";
import { foldIn, key, normalF64, uniform } from "../../src/random/index.js";
import { directionalCheck } from "../../src/testing/gradients.js";

const be = new ReferenceBackend();

/** value(theta) and its gradient for a model and objective on a fixed batch, labels and key. */
function setup(model: Model, obj: Objective, batch: number, seed: number, step = 0) {
  const prog = model.program(be, batch, { samples: obj.samples, separateInput: obj.corrupt !== null });
  const D = model.spec.input;
  const u = uniform(key(seed), batch * D);
  const lik = model.spec.likelihood;
  const x = Float64Array.from(u, (v) => (lik === "bernoulli" || lik === "continuousBernoulli" ? v : 2 * v - 1));
  be.write(prog.x, x);
  if (model.arch.classes > 0) prog.setLabels(Array.from({ length: batch }, (_, i) => (i * 7 + seed) % model.arch.classes));
  const k = foldIn(key(seed), 1);
  const pass = (theta: Float64Array) => { be.write(prog.params, theta); return forwardPass(prog, obj, k, step); };
  const f = (theta: Float64Array) => pass(theta).value;
  const grad = (theta: Float64Array) => { pass(theta).backward(); return be.read(prog.grads).slice(); };
  return { f, grad, prog };
}

function theta0(model: Model, seed: number): Float64Array {
  const theta = Float64Array.from(model.layout.flatten(model.init(key(seed))));
  if (model.arch.learnedObs) theta.set(normalF64(key(seed + 1), model.spec.input).map((v) => 0.3 * v), theta.length - model.spec.input);
  return theta;
}

function check(model: Model, obj: Objective, batch: number, seed: number, step = 0): void {
  const theta = theta0(model, seed);
  const { f, grad } = setup(model, obj, batch, seed, step);
  const r = directionalCheck(f, theta, grad(theta), seed + 2);
  expect(r.ratio, JSON.stringify(r)).toBeLessThanOrEqual(1);
}

const sizes = fc.record({
  input: fc.integer({ min: 1, max: 8 }),
  hidden: fc.integer({ min: 1, max: 6 }),
  latent: fc.integer({ min: 1, max: 4 }),
  batch: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

describe("objective terms: gradients by central differences (float64)", () => {
  it("every likelihood, the new ones with fixed and learned scale", () => {
    fc.assert(fc.property(sizes, fc.constantFrom("continuousBernoulli" as const, "laplace" as const, "gaussian" as const, "bernoulli" as const),
      fc.constantFrom<number | "learned">(0, -0.7, "learned"), (c, likelihood, obsLogvar) => {
        const model = vae.mlp({ input: c.input, hidden: [c.hidden], latent: c.latent, activation: "tanh", likelihood, obsLogvar, init: "glorot" });
        check(model, objectives.elbo(), c.batch, c.seed);
      }), { numRuns: 40 });
  });

  it("KL with a warm-up and a cyclical beta, at several steps", () => {
    fc.assert(fc.property(sizes, fc.integer({ min: 0, max: 40 }), fc.boolean(), (c, step, warm) => {
      const model = vae.mlp({ input: c.input, hidden: [c.hidden], latent: c.latent, activation: "softplus" });
      const beta = warm ? objectives.linearWarmup({ steps: 20, from: 0.1, to: 2 }) : objectives.cyclical({ period: 9, ramp: 0.4, to: 1.5 });
      check(model, objectives.elbo({ beta }), c.batch, c.seed, step);
    }), { numRuns: 25 });
  });

  it("L1 and KL-sparsity penalties on the code (AE with a sigmoid code, VAE on its mean)", () => {
    fc.assert(fc.property(sizes, fc.boolean(), (c, isVae) => {
      const penalties = [objectives.l1(0.3), objectives.sparsity({ rho: 0.2, weight: 0.7 })];
      const model = isVae
        ? vae.mlp({ input: c.input, hidden: [c.hidden], latent: c.latent, activation: "tanh", likelihood: "mse" })
        : ae({ encoder: [new Dense(c.input, c.hidden), new ActivationLayer("tanh", c.hidden), new Dense(c.hidden, c.latent), new ActivationLayer("sigmoid", c.latent)],
          decoder: [new Dense(c.latent, c.input)], likelihood: "mse" });
      // A VAE's posterior mean is not in (0, 1): the sparsity term is clamped there, so check only L1 for it.
      check(model, objectives.elbo({ beta: isVae ? 1 : null, penalties: isVae ? [penalties[0]!] : penalties }), c.batch, c.seed);
    }), { numRuns: 25 });
  });

  it("input corruption (gaussian, mask, salt-and-pepper) with the loss against the clean input", () => {
    fc.assert(fc.property(sizes, fc.constantFrom(objectives.gaussianNoise(0.3), objectives.mask(0.3), objectives.saltPepper(0.2)), (c, corrupt) => {
      const model = ae.mlp({ input: c.input, hidden: [c.hidden], latent: c.latent, activation: "tanh", likelihood: "bernoulli" });
      check(model, objectives.elbo({ beta: null, corrupt }), c.batch, c.seed);
    }), { numRuns: 25 });
  });

  it("the IWAE bound for k = 1..4, with a penalty", () => {
    fc.assert(fc.property(sizes, fc.integer({ min: 1, max: 4 }), fc.constantFrom("bernoulli" as const, "gaussian" as const), (c, k, likelihood) => {
      const model = vae.mlp({ input: c.input, hidden: [c.hidden], latent: c.latent, activation: "tanh", likelihood, obsLogvar: "learned" });
      check(model, objectives.iwae({ samples: k, penalties: [objectives.l1(0.1)] }), c.batch, c.seed);
    }), { numRuns: 30 });
  });

  it("a conditional VAE (one-hot label on the encoder's input and on the code), ELBO and IWAE", () => {
    fc.assert(fc.property(sizes, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (c, classes, k) => {
      const model = vae({
        encoder: [new Dense(c.input + classes, c.hidden), new ActivationLayer("tanh", c.hidden)],
        decoder: [new Dense(c.latent + classes, c.hidden), new ActivationLayer("elu", c.hidden), new Dense(c.hidden, c.input)],
        latent: c.latent, classes,
      });
      check(model, k === 1 ? objectives.elbo({ beta: 0.5 }) : objectives.iwae({ samples: k }), c.batch, c.seed);
    }), { numRuns: 25 });
  });

  it("a composed model with LayerNorm and Dropout (drawing its mask from the step's key) under a composed objective", () => {
    fc.assert(fc.property(sizes, (c) => {
      const model = vae({
        encoder: [new Dense(c.input, c.hidden + 1), new LayerNorm([c.hidden + 1]), new ActivationLayer("tanh", c.hidden + 1), new Dropout(c.hidden + 1, 0.4)],
        decoder: [new Dense(c.latent, c.hidden), new Dropout(c.hidden, 0.25), new ActivationLayer("softplus", c.hidden), new Dense(c.hidden, c.input)],
        latent: c.latent, likelihood: "laplace", obsLogvar: "learned",
      });
      check(model, objectives.elbo({ beta: objectives.cyclical({ period: 5 }), penalties: [objectives.l1(0.05)], corrupt: objectives.gaussianNoise(0.2) }), c.batch, c.seed, 3);
    }), { numRuns: 25 });
  });

  it("a composed objective on a conv model: warm-up, L1, masking", () => {
    const model = vae.conv({ imageShape: [6, 5, 2], channels: [3], hidden: [4], latent: 2, activation: "tanh" });
    for (const seed of [1, 2, 3]) {
      check(model, objectives.elbo({ beta: objectives.linearWarmup({ steps: 10 }), penalties: [objectives.l1(0.05)], corrupt: objectives.mask(0.25) }), 3, seed, 4);
    }
  });
});
