// Active units as Burda, Grosse & Salakhutdinov define them (2016, section 5.2): unit u is active
// when A_u = Cov_x(E_q(z|x)[z_u]) > 0.01. A hand case: models whose posterior means are known
// multiples of the inputs (an identity encoder, a diagonal mu head), on rows with known
// variances, so each unit's variance and the count are known before anything runs. Also: the
// threshold is strict, an AE's code stands in for the mean, and a conditional model's labels
// reach the encoder (a unit that only sees the label is active exactly when the labels vary).
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { activeUnits, ae, evaluateModel, latentVariances, vae, type Model } from "../../src/models/index.js";
import { ACTIVE_UNIT_DEFINITION } from "../../src/models/metrics.js";
import { Dense } from "../../src/nn/dense.js";
import type { Params } from "../../src/nn/params.js";
import { key } from "../../src/random/index.js";
import { tensorRows } from "../../src/tensor/rows.js";
import { tensor } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

const U = 5, N = 1000;
/** The scale of each unit's posterior mean: variances a^2 * Var(x) = 1.001, 0.2503, 0.01211, 0.008108, 0. */
const a = [1, 0.5, 0.11, 0.09, 0];
/** Rows of +1, -1, +1, ...: mean 0, unbiased variance N / (N - 1) in every column. */
const xs = Float32Array.from({ length: N * U }, (_, k) => (Math.floor(k / U) % 2 === 0 ? 1 : -1));
const x = tensorRows(tensor(xs, [N, U]));

/** Parameters by name: matrices [out, in] given as functions of (row, column), everything else zero. */
function paramsOf(model: Model, entries: Record<string, (o: number, i: number) => number>): Params {
  const flat = new Float32Array(model.layout.total);
  for (const e of model.layout.entries) {
    const f = entries[e.name];
    if (!f) continue;
    const [out, inp] = e.shape as [number, number];
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) flat[e.offset + o * inp + i] = f(o, i);
  }
  return model.layout.unflatten(flat);
}
const eye = (scale: readonly number[]) => (o: number, i: number) => (o === i ? scale[o]! : 0);
const ones = Array.from({ length: U }, () => 1);

/** The unbiased variance of each column of the f32 codes fround(a_u x_u), two-pass, in float64. */
function expectedVariances(scale: readonly number[], labelsOffset?: (i: number) => number): number[] {
  return scale.map((s, u) => {
    const v = Array.from({ length: N }, (_, i) => Math.fround(s * xs[i * U + u]!) + (u === U - 1 && labelsOffset ? labelsOffset(i) : 0));
    const m = v.reduce((t, w) => t + w, 0) / N;
    return v.reduce((t, w) => t + (w - m) ** 2, 0) / (N - 1);
  });
}

describe("active units (Burda et al.): Var_x of the posterior mean > 0.01", () => {
  const model = vae({ encoder: [new Dense(U, U)], decoder: [new Dense(U, U)], latent: U });
  const params = paramsOf(model, { "encoder.0.weight": eye(ones), "mu.0.weight": eye(a), "decoder.0.weight": eye(ones) });

  it("the variances are the known ones and three units are active", () => {
    const want = expectedVariances(a);
    // by hand: a^2 * N / (N - 1)
    a.forEach((s, u) => expect(want[u]!).toBeCloseTo(Math.fround(s) ** 2 * N / (N - 1), 9));
    const got = latentVariances(model, params, x);
    want.forEach((w, u) => expect(Math.abs(got[u]! - w)).toBeLessThanOrEqual(1e-12 * Math.max(w, 1)));
    expect(activeUnits(model, params, x)).toBe(3);
    const report = evaluateModel(model, params, x, key(1));
    expect([report.activeUnits, report.latent]).toEqual([3, U]);
    expect(Array.from(report.latentVariances)).toEqual(Array.from(got));
  });

  it("is strict: a unit whose variance equals the threshold is not active", () => {
    const v = latentVariances(model, params, x);
    expect(activeUnits(model, params, x, { threshold: v[2]! })).toBe(2);
    expect(activeUnits(model, params, x, { threshold: v[3]! })).toBe(3);
    expect(activeUnits(model, params, x, { threshold: 0 })).toBe(4);
  });

  it("runs in programs of any size with the same count (Welford across batches)", () => {
    expect(activeUnits(model, params, x, { rows: 7 })).toBe(3);
    const v7 = latentVariances(model, params, x, { rows: 7 });
    expectedVariances(a).forEach((w, u) => expect(Math.abs(v7[u]! - w)).toBeLessThanOrEqual(1e-12 * Math.max(w, 1)));
  });

  it("an autoencoder's code stands in for the mean", () => {
    const m = ae({ encoder: [new Dense(U, U)], decoder: [new Dense(U, U)] });
    const p = paramsOf(m, { "encoder.0.weight": eye(a), "decoder.0.weight": eye(ones) });
    expect(activeUnits(m, p, x)).toBe(3);
  });

  it("a conditional model's labels reach the encoder", () => {
    // Unit 4 sees no pixel, only 0.3 * [label is 1]: active when the labels vary, not when all are 0.
    const m = vae({ encoder: [new Dense(U + 2, U)], decoder: [new Dense(U + 2, U)], latent: U, classes: 2 });
    const scale = [1, 0.5, 0.11, 0.09, 1];
    const p = paramsOf(m, {
      "encoder.0.weight": (o, i) => (o === i && o < U - 1 ? 1 : o === U - 1 && i === U + 1 ? 0.3 : 0),
      "mu.0.weight": eye(scale), "decoder.0.weight": eye(ones),
    });
    const halves = Int32Array.from({ length: N }, (_, i) => (i < N / 2 ? 0 : 1));
    const v = latentVariances(m, p, x, { labels: halves });
    const want = 0.09 * 0.25 * N / (N - 1); // 0 or 0.3 in equal halves
    expect(Math.abs(v[4]! - want)).toBeLessThan(1e-7);
    expect(evaluateModel(m, p, x, key(1), { labels: halves }).activeUnits).toBe(4);
    expect(activeUnits(m, p, x, { labels: new Int32Array(N) })).toBe(3);
    expect(() => activeUnits(m, p, x)).toThrow(/conditional/);
  });

  it("states the definition it counts", () => {
    expect(ACTIVE_UNIT_DEFINITION).toMatch(/Cov_x\(E_q\(z\|x\)\[z_u\]\) > 0\.01/);
  });
});
