// train.valueAndGrad: a pure function whose gradients, fed to opt.update and applyUpdates by
// hand, give train.step and train.fit bit for bit; and, on the float64 backend, an oracle for a
// Trainer step on the kernels (step count, bias correction and schedules included).
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, defaultBackend } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { batches } from "../../src/data/batches.js";
import { ae, vae, type Model } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import * as objectives from "../../src/objectives/objective.js";
import { adam, applyUpdates, cosineDecay, momentum, sgd, type Optimizer } from "../../src/optim/index.js";
import { foldIn, key, split, uniform } from "../../src/random/index.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";
import { fit, initState, step, valueAndGrad, type TrainState } from "../../src/train/index.js";
import { Trainer } from "../../src/train/trainer.js";

beforeAll(() => { initSync(undefined, { isa: "simd" }); });

const D = 10;
const data = tensor(uniform(key(99), 29 * D), [29, D]); // batches of 8 leave a partial batch of 5
const bits = (p: Params) => Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !ArrayBuffer.isView(v)) { for (const x of Object.values(v)) deepFreeze(x); Object.freeze(v); }
  return v;
}

function handLoop(model: Model, opt: Optimizer, obj: objectives.Objective | undefined, params: Params, kFit: ReturnType<typeof key>, kData: ReturnType<typeof key>, epochs: number) {
  const vg = valueAndGrad(model, obj);
  let p = params, s = opt.init(params);
  const source = batches(data, { batchSize: 8, key: kData });
  for (let e = 0; e < epochs; e++) {
    for (const b of source(e)) {
      const { grads } = vg(p, b, foldIn(kFit, s.count), { step: s.count });
      const { updates, state } = opt.update(grads, s, p);
      p = applyUpdates(p, updates);
      s = state;
    }
  }
  vg.dispose();
  return { params: p, opt: s };
}

describe("train.valueAndGrad", () => {
  const model = vae.mlp({ input: D, hidden: [9], latent: 3 });
  const params = model.init(key(1));

  it("returns the value, named terms and a frozen gradient record with the params' names and shapes, and mutates nothing", () => {
    const batch = deepFreeze(tensor(data.data.slice(0, 8 * D), [8, D]));
    const frozenParams = deepFreeze(Object.fromEntries(Object.entries(params).map(([n, t]) => [n, tensor(t.data.slice(), t.shape)]))) as Params;
    const before = { p: bits(frozenParams), x: Array.from(batch.data) };
    const vg = valueAndGrad(model, objectives.elbo({ penalties: [objectives.l1(0.1)] }));
    const r = vg(frozenParams, batch, key(2));
    expect(bits(frozenParams)).toEqual(before.p);
    expect(Array.from(batch.data)).toEqual(before.x);
    expect(Object.isFrozen(r) && Object.isFrozen(r.grads) && Object.isFrozen(r.terms)).toBe(true);
    expect(Object.keys(r.grads)).toEqual(Object.keys(params));
    for (const [n, t] of Object.entries(params)) expect(r.grads[n]!.shape).toEqual(t.shape);
    expect(Object.keys(r.terms).sort()).toEqual(["kl", "l1", "reconstruction"]);
    expect(r.value).toBeCloseTo(r.terms.reconstruction! + r.terms.kl! + 0.1 * r.terms.l1!, 10);
    // The same call again gives the same bits (the program it keeps holds no state between calls).
    expect(bits(vg(frozenParams, batch, key(2)).grads)).toEqual(bits(r.grads));
    vg.dispose();
  });

  for (const [name, m, opt, obj] of [
    ["vae + adam (fused)", model, adam({ learningRate: 3e-3 }), undefined],
    ["vae + adam, KL warm-up and sparsity-free L1", model, adam({ learningRate: cosineDecay({ init: 3e-3, decaySteps: 7 }) }),
      objectives.elbo({ beta: objectives.linearWarmup({ steps: 6 }), penalties: [objectives.l1(0.01)] })],
    ["denoising ae + nesterov momentum", ae.mlp({ input: D, hidden: [7], latent: 2, likelihood: "mse" }), momentum({ learningRate: 1e-2, nesterov: true }),
      objectives.elbo({ beta: null, corrupt: objectives.mask(0.3) })],
    ["vae + sgd, IWAE k = 3", model, sgd({ learningRate: 1e-2 }), objectives.iwae({ samples: 3 })],
  ] as const) {
    it(`the hand-written Optax loop equals train.step and train.fit bit for bit (${name})`, async () => {
      const [kFit, kData] = split(key(7), 2) as [ReturnType<typeof key>, ReturnType<typeof key>];
      const start = m.init(key(3));
      const hand = handLoop(m, opt, obj, start, kFit, kData, 2);
      const stepFn = step(m, opt, { objective: obj });
      let s: TrainState = initState(start, opt);
      const source = batches(data, { batchSize: 8, key: kData });
      for (let e = 0; e < 2; e++) for (const b of source(e)) s = stepFn(s, b, foldIn(kFit, s.opt.count)).state;
      stepFn.dispose();
      const fitted = await fit(m, opt, { state: initState(start, opt), data: source, epochs: 2, key: kFit, objective: obj });
      expect(s.opt.count).toBe(8);
      expect(bits(hand.params)).toEqual(bits(s.params));
      expect(Array.from(hand.opt.slots)).toEqual(Array.from(s.opt.slots));
      expect(bits(fitted.state.params)).toEqual(bits(s.params));
    });
  }
});

describe("a Trainer step on the kernels against valueAndGrad and opt.update on the float64 backend", () => {
  const ref = new ReferenceBackend() as unknown as Backend<Buffer>;
  for (const [name, opt] of [
    ["adam with a cosine schedule", adam({ learningRate: cosineDecay({ init: 1e-2, decaySteps: 5 }) })],
    ["momentum", momentum({ learningRate: 5e-2 })],
  ] as const) {
    it(`${name}: count, bias correction, learning-rate and beta schedules agree within float32 tolerance`, () => {
      const m = vae.mlp({ input: D, hidden: [6], latent: 2, activation: "tanh" });
      const obj = objectives.elbo({ beta: objectives.linearWarmup({ steps: 4, from: 0.2 }) });
      const params = m.init(key(11));
      const trainer = new Trainer(defaultBackend(), m, opt.transform, 8, obj);
      trainer.load(initState(params, opt));
      const vg = valueAndGrad(m, obj, { backend: ref });
      let p = params, s = opt.init(params);
      for (let i = 0; i < 6; i++) {
        const b = tensor(data.data.slice((i % 3) * 8 * D, ((i % 3) + 1) * 8 * D), [8, D]);
        const k = foldIn(key(5), i);
        const kernels = trainer.run(b, k);
        const oracle = vg(p, b, k, { step: s.count });
        expect(kernels.loss).toBeCloseTo(oracle.value, 4);
        const { updates, state } = opt.update(oracle.grads, s, p, { backend: ref });
        p = applyUpdates(p, updates);
        s = state;
        const got = trainer.state();
        expect(got.opt.count).toBe(s.count);
        const worst = worstRelative(got.params, p);
        expect(worst, `step ${i}`).toBeLessThan(2e-4);
      }
      trainer.dispose();
      vg.dispose();
    });
  }
});

/** Largest |a - b| / (1e-3 + |b|) over all parameters: the update moves each by ~lr, so this sees a wrong step count or schedule. */
function worstRelative(a: Params, b: Params): number {
  let worst = 0;
  for (const [n, t] of Object.entries(b)) {
    const u = (a[n] as Tensor).data;
    t.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(u[i]! - v) / (1e-3 + Math.abs(v))); });
  }
  return worst;
}

describe("a whole run on the float64 backend as an oracle", () => {
  it("fit and step accept the ReferenceBackend; the kernels' fit stays within float32 tolerance of it", async () => {
    const ref = new ReferenceBackend() as unknown as Backend<Buffer>;
    const m = vae.mlp({ input: D, hidden: [7], latent: 2, activation: "tanh" });
    const opt = adam({ learningRate: 1e-2 });
    const [kFit, kData] = split(key(21), 2) as [ReturnType<typeof key>, ReturnType<typeof key>];
    const state = initState(m.init(key(22)), opt);
    const source = batches(data, { batchSize: 8, key: kData });
    const oracle = await fit(m, opt, { state, data: source, epochs: 2, key: kFit, backend: ref, validation: { x: data } });
    const kernels = await fit(m, opt, { state, data: source, epochs: 2, key: kFit, validation: { x: data } });
    expect(oracle.state.opt.count).toBe(8);
    // The kernels follow the oracle's trajectory: the largest difference is within 1% of how far
    // the parameters moved (Adam normalises each step, so f32 rounding in a near-zero gradient can
    // change a coordinate's step by up to the learning rate; a wrong count or schedule moves all).
    let diff = 0, moved = 0;
    for (const [n, t] of Object.entries(oracle.state.params)) {
      t.data.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(kernels.state.params[n]!.data[i]! - v));
        moved = Math.max(moved, Math.abs(v - state.params[n]!.data[i]!));
      });
    }
    expect(moved).toBeGreaterThan(0.02);
    expect(diff).toBeLessThan(0.01 * moved);
    expect(kernels.history[1]!.test!.loss).toBeCloseTo(oracle.history[1]!.test!.loss, 3);
    const s = step(m, opt, { backend: ref });
    const one = s(state, tensor(data.data.slice(0, 8 * D), [8, D]), key(1));
    s.dispose();
    expect(one.state.opt.count).toBe(1);
  });
});

describe("bad batches", () => {
  it("valueAndGrad and step refuse an empty or misshapen batch with a ShapeError naming it", async () => {
    const { ShapeError } = await import("../../src/tensor/tensor.js");
    const m = vae.mlp({ input: D, hidden: [5], latent: 2 });
    const opt = adam({ learningRate: 1e-3 });
    const params = m.init(key(1));
    const vg = valueAndGrad(m);
    expect(() => vg(params, tensor(new Float32Array(0), [0, D]), key(2))).toThrow(new ShapeError("the batch has no rows: a loss over no samples is not defined"));
    expect(() => vg(params, tensor(new Float32Array(3 * 4), [3, 4]), key(2))).toThrow(/batch must have shape \[3, 10\], got \[3, 4\]/);
    expect(() => vg(params, { x: tensor(new Float32Array(3 * D), [3, D]), labels: [0, 1, 0] }, key(2))).toThrow(/not conditional/);
    vg.dispose();
    const s = step(m, opt);
    expect(() => s(initState(params, opt), tensor(new Float32Array(0), [0, D]), key(2))).toThrow(ShapeError);
    s.dispose();
  });
});
