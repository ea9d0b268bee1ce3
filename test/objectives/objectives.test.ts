// Objectives' values against independent computations: beta schedules by hand, the IWAE bound
// (k = 1 is the one-sample ELBO estimate; the bound does not fall as k grows, on average),
// corruption statistics, and typed errors for bad objectives.
import { describe, expect, it } from "vitest";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { vae, ae } from "../../src/models/index.js";
import { ConfigError } from "../../src/nn/layer.js";
import { corruptInto } from "../../src/objectives/corrupt.js";
import { forwardPass } from "../../src/objectives/evaluate.js";
import * as objectives from "../../src/objectives/objective.js";
import { foldIn, key, uniform } from "../../src/random/index.js";

const be = new ReferenceBackend();

describe("beta schedules", () => {
  it("give the hand-computed values", () => {
    const w = objectives.linearWarmup({ steps: 10, from: 0.5, to: 2 });
    expect([0, 5, 10, 30].map((s) => objectives.betaAt(w, s))).toEqual([0.5, 1.25, 2, 2]);
    const c = objectives.cyclical({ period: 8, ramp: 0.5, to: 1 });
    expect([0, 1, 2, 4, 7, 8, 10].map((s) => objectives.betaAt(c, s))).toEqual([0, 0.25, 0.5, 1, 1, 0, 0.5]);
    expect(objectives.betaAt(objectives.constant(3), 99)).toBe(3);
  });

  it("refuse bad values with ConfigError naming them", () => {
    expect(() => objectives.linearWarmup({ steps: 0 })).toThrow(/linearWarmup steps must be a positive integer, got 0/);
    expect(() => objectives.cyclical({ period: 4, ramp: 0 })).toThrow(/cyclical ramp/);
    expect(() => objectives.elbo({ beta: -1 })).toThrow(ConfigError);
    expect(() => objectives.sparsity({ rho: 1, weight: 1 })).toThrow(/sparsity rho/);
    expect(() => objectives.mask(1)).toThrow(/below 1/);
    expect(() => objectives.iwae({ samples: 0 })).toThrow(/iwae samples/);
    expect(() => objectives.checkObjective(objectives.iwae({ samples: 2 }), "ae")).toThrow(/autoencoder/);
    expect(() => objectives.checkObjective({ bound: "elbo", beta: null, penalties: [{ type: "l2", weight: 1 }], corrupt: null, samples: 1 }, "vae")).toThrow(/penalty type/);
  });
});

describe("the IWAE bound", () => {
  const model = vae.mlp({ input: 6, hidden: [5], latent: 3, activation: "tanh", likelihood: "bernoulli" });
  const theta = Float64Array.from(model.layout.flatten(model.init(key(4))));
  const batch = 4;
  const x = Float64Array.from(uniform(key(5), batch * 6));

  function value(samples: number, k: number): number {
    const prog = model.program(be, batch, { samples });
    be.write(prog.params, theta);
    be.write(prog.x, x);
    return forwardPass(prog, objectives.iwae({ samples }), key(k), 0, false).value;
  }

  it("with k = 1 equals the one-sample ELBO estimate, computed here from the program's z and eps", () => {
    for (const k of [1, 2, 3]) {
      const prog = model.program(be, batch, { samples: 1 });
      be.write(prog.params, theta);
      be.write(prog.x, x);
      const v = forwardPass(prog, objectives.iwae({ samples: 1 }), key(k), 0, false).value;
      // -log p(x|z) - log p(z) + log q(z|x), averaged, with the log densities written out in full.
      const z = be.read(prog.z), eps = be.read(prog.eps), lv = be.read(prog.logvar!);
      const logits = be.read(prog.out);
      let total = 0;
      for (let i = 0; i < batch; i++) {
        let nll = 0;
        for (let j = 0; j < 6; j++) {
          const l = logits[i * 6 + j]!, t = x[i * 6 + j]!;
          nll += -(t * Math.log(1 / (1 + Math.exp(-l))) + (1 - t) * Math.log(1 - 1 / (1 + Math.exp(-l))));
        }
        let logp = 0, logq = 0;
        for (let j = 0; j < 3; j++) {
          const a = i * 3 + j;
          logp += -0.5 * (Math.log(2 * Math.PI) + z[a]! ** 2);
          logq += -0.5 * (Math.log(2 * Math.PI) + lv[a]! + eps[a]! ** 2);
        }
        total += nll - logp + logq;
      }
      expect(v).toBeCloseTo(total / batch, 10);
    }
  });

  it("does not decrease in k on average (the loss, its negative, does not increase), within standard errors", () => {
    const draws = 200;
    const stats = [1, 2, 8].map((k) => {
      const vs = Array.from({ length: draws }, (_, d) => value(k, 1000 + d));
      const mean = vs.reduce((a, b) => a + b, 0) / draws;
      const sd = Math.sqrt(vs.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1));
      return { mean, se: sd / Math.sqrt(draws) };
    });
    for (let i = 1; i < stats.length; i++) {
      expect(stats[i]!.mean).toBeLessThanOrEqual(stats[i - 1]!.mean + 3 * Math.hypot(stats[i]!.se, stats[i - 1]!.se));
    }
    // And it does fall measurably from k = 1 to k = 8 for this untrained model.
    expect(stats[2]!.mean).toBeLessThan(stats[0]!.mean);
  });
});

describe("corruption", () => {
  const n = 20000;
  const x = be.alloc(n);
  be.write(x, Float64Array.from({ length: n }, (_, i) => 0.25 + 0.5 * ((i * 0.618) % 1)));

  it("mask zeroes a share within a binomial bound of the rate, and leaves the rest", () => {
    const out = be.alloc(n);
    corruptInto(be, objectives.mask(0.3), key(1), x, out);
    const xs = be.read(x), os = be.read(out);
    let zeros = 0;
    for (let i = 0; i < n; i++) { if (os[i] === 0) zeros++; else expect(os[i]).toBe(xs[i]); }
    expect(Math.abs(zeros / n - 0.3)).toBeLessThan(4 * Math.sqrt(0.3 * 0.7 / n));
  });

  it("salt-and-pepper sets rate/2 to 0 and rate/2 to 1", () => {
    const out = be.alloc(n);
    corruptInto(be, objectives.saltPepper(0.2), key(2), x, out);
    const os = be.read(out);
    const zeros = os.filter((v) => v === 0).length / n, ones = os.filter((v) => v === 1).length / n;
    for (const share of [zeros, ones]) expect(Math.abs(share - 0.1)).toBeLessThan(4 * Math.sqrt(0.1 * 0.9 / n));
  });

  it("gaussian adds sigma * N(0, 1): mean and variance of the difference", () => {
    const out = be.alloc(n);
    corruptInto(be, objectives.gaussianNoise(0.5), key(3), x, out);
    const xs = be.read(x), os = be.read(out);
    let s = 0, ss = 0;
    for (let i = 0; i < n; i++) { const d = os[i]! - xs[i]!; s += d; ss += d * d; }
    expect(Math.abs(s / n)).toBeLessThan(4 * 0.5 / Math.sqrt(n));
    expect(Math.abs(ss / n - 0.25)).toBeLessThan(4 * 0.25 * Math.sqrt(2 / n));
  });

  it("in an objective, the encoder sees the corrupted input and the loss the clean one", () => {
    const model = ae.mlp({ input: 5, hidden: [4], latent: 2, likelihood: "mse" });
    const prog = model.program(be, 3, { separateInput: true });
    const xv = Float64Array.from(uniform(key(9), 15));
    be.write(prog.params, model.layout.flatten(model.init(key(1))));
    be.write(prog.x, xv);
    const k = key(7);
    const corrupted = forwardPass(prog, objectives.elbo({ beta: null, corrupt: objectives.mask(0.5) }), k, 0);
    expect(Array.from(be.read(prog.x))).toEqual(Array.from(xv));
    const expected = be.alloc(15);
    corruptInto(be, objectives.mask(0.5), foldIn(k, 0x636f7272), prog.x, expected);
    expect(Array.from(be.read(prog.corrupted!))).toEqual(Array.from(be.read(expected)));
    // Reconstruction error against the clean x, recomputed here.
    const out = be.read(prog.out);
    let sq = 0;
    for (let i = 0; i < 15; i++) sq += (out[i]! - xv[i]!) ** 2;
    expect(corrupted.terms.reconstruction).toBeCloseTo(sq / 3, 12);
  });
});

describe("evaluateObjective over many rows", () => {
  it("equals one forward pass per batch, weighted by rows, and the IWAE bound with many samples is below the ELBO", async () => {
    const { evaluateObjective } = await import("../../src/objectives/evaluate-rows.js");
    const { tensorRows } = await import("../../src/tensor/rows.js");
    const { tensor } = await import("../../src/tensor/tensor.js");
    const model = vae.mlp({ input: 6, hidden: [5], latent: 2, activation: "tanh" });
    const params = model.init(key(3));
    const n = 700; // two noise blocks: 512 + 188
    const x = tensor(uniform(key(4), n * 6), [n, 6]);
    const elbo = objectives.elbo();
    const got = evaluateObjective(model, params, tensorRows(x), key(5), elbo, { backend: be, rows: 200 });
    // Independently: the same batches (200, 200, 112 | 188 rows), keys as documented, one program each.
    const theta = model.layout.flatten(params);
    let total = 0;
    for (const [start, count, k] of [[0, 200, foldIn(key(5), 0)], [200, 200, foldIn(foldIn(key(5), 0), 200)],
      [400, 112, foldIn(foldIn(key(5), 0), 400)], [512, 188, foldIn(key(5), 1)]] as const) {
      const prog = model.program(be, count);
      be.write(prog.params, theta);
      be.write(prog.x, x.data.subarray(start * 6, (start + count) * 6));
      total += forwardPass(prog, elbo, k, 0, false).value * count;
    }
    expect(got.value).toBeCloseTo(total / n, 10);
    const iw = evaluateObjective(model, params, tensorRows(x), key(5), objectives.iwae({ samples: 16 }), { backend: be });
    expect(iw.value).toBeLessThan(got.value);
    expect(iw.terms.kl).toBeCloseTo(got.terms.kl!, 10);
  });
});
