// train.step is pure and deterministic; train.fit equals folding step bit for bit; the NaN
// guard stops with the last finite state; an AbortSignal stops between batches.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { batches } from "../../src/data/batches.js";
import { ae, vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam, sgd, momentum } from "../../src/optim/index.js";
import { key, foldIn, split, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { fit, initState, NonFiniteError, step, type TrainState } from "../../src/train/index.js";

beforeAll(() => { initSync(); });

const D = 12;
const data = tensor(uniform(key(99), 37 * D), [37, D]); // 37 rows: batches of 8 leave a partial batch of 5
const model = vae.mlp({ input: D, hidden: [9], latent: 3 });

function bitsOf(p: Params): number[] {
  return Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
}
function snapshot(s: TrainState) {
  return { params: bitsOf(s.params), slots: Array.from(new Uint32Array(s.opt.slots.buffer.slice(0))), count: s.opt.count };
}

describe("train.step", () => {
  it("does not mutate its arguments and returns fresh frozen records", () => {
    const opt = adam({ learningRate: 1e-2 });
    const state = initState(model.init(key(1)), opt);
    const before = snapshot(state);
    const batch = tensor(data.data.slice(0, 8 * D), [8, D]);
    const batchCopy = Array.from(batch.data);
    const { state: next, metrics } = step(model, opt)(state, batch, key(2));
    expect(snapshot(state)).toEqual(before);
    expect(Array.from(batch.data)).toEqual(batchCopy);
    expect(next).not.toBe(state);
    expect(next.params["encoder.0.weight"]!.data).not.toBe(state.params["encoder.0.weight"]!.data);
    expect(Object.isFrozen(next) && Object.isFrozen(next.params) && Object.isFrozen(next.opt)).toBe(true);
    expect(next.opt.count).toBe(1);
    expect(snapshot(next).params).not.toEqual(before.params);
    expect(Number.isFinite(metrics.loss) && metrics.loss === metrics.reconstruction + metrics.kl).toBe(true);
  });

  it("is deterministic: same state, batch and key give identical bits", () => {
    const opt = adam({ learningRate: 1e-2 });
    const state = initState(model.init(key(1)), opt);
    const batch = tensor(data.data.slice(0, 8 * D), [8, D]);
    const a = step(model, opt)(state, batch, key(5));
    const b = step(model, opt)(state, batch, key(5));
    expect(snapshot(a.state)).toEqual(snapshot(b.state));
    const c = step(model, opt)(state, batch, key(6));
    expect(snapshot(c.state).params).not.toEqual(snapshot(a.state).params);
  });
});

describe("train.fit", () => {
  for (const [name, m, opt] of [
    ["vae + adam", model, adam({ learningRate: 3e-3 })],
    ["ae + nesterov momentum", ae.mlp({ input: D, hidden: [7, 5], latent: 2, likelihood: "mse" }), momentum({ learningRate: 1e-2, nesterov: true })],
  ] as const) {
    it(`equals folding step over the same batches, bit for bit (${name})`, async () => {
      const [kInit, kFit, kData] = split(key(7), 3);
      const state0 = initState(m.init(kInit!), opt);
      const source = batches(data, { batchSize: 8, key: kData! });
      const result = await fit(m, opt, { state: state0, data: source, epochs: 3, key: kFit! });
      const stepFn = step(m, opt);
      let s = state0;
      for (let epoch = 0; epoch < 3; epoch++) {
        for (const b of source(epoch)) s = stepFn(s, b, foldIn(kFit!, s.opt.count)).state;
      }
      expect(result.state.opt.count).toBe(3 * 5);
      expect(snapshot(result.state)).toEqual(snapshot(s));
      expect(result.history.map((h) => h.samples)).toEqual([37, 37, 37]);
    });
  }

  it("gives identical parameters on two runs with the same seed", async () => {
    const opt = adam({ learningRate: 1e-3 });
    const once = async () => (await fit(model, opt, {
      state: initState(model.init(key(3)), opt), data: batches(data, { batchSize: 16, key: key(4) }), epochs: 2, key: key(5),
    })).state;
    expect(snapshot(await once())).toEqual(snapshot(await once()));
  });

  it("stops on an AbortSignal between batches and returns the state so far", async () => {
    const opt = sgd({ learningRate: 1e-2 });
    const controller = new AbortController();
    const result = await fit(model, opt, {
      state: initState(model.init(key(3)), opt), data: batches(data, { batchSize: 4 }), epochs: 5, key: key(5),
      signal: controller.signal,
      onBatch: ({ count }) => { if (count === 3) controller.abort(); },
    });
    expect(result.aborted).toBe(true);
    expect(result.state.opt.count).toBe(3);
    expect(result.history).toEqual([]);
  });

  it("reports epochs with validation metrics through onEpoch", async () => {
    const opt = adam({ learningRate: 1e-2 });
    const seen: number[] = [];
    const result = await fit(model, opt, {
      state: initState(model.init(key(3)), opt), data: batches(data, { batchSize: 10, key: key(1) }), epochs: 4, key: key(5),
      validation: { x: data }, onEpoch: (m, state) => { seen.push(m.epoch); expect(state().opt.count).toBe(m.epoch * 4); },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
    const h = result.history;
    expect(h[3]!.test!.loss).toBeLessThan(h[0]!.test!.loss);
    expect(h.every((e) => e.steps === 4 && e.samples === 37 && e.seconds >= 0)).toBe(true);
  });
});

describe("the NaN guard", () => {
  it("names the step and keeps the state before it when the input holds a NaN", async () => {
    const opt = adam({ learningRate: 1e-2 });
    const bad = data.data.slice();
    bad[20 * D + 3] = NaN; // row 20: third batch of 8 in order
    const state0 = initState(model.init(key(1)), opt);
    const error = await fit(model, opt, { state: state0, data: batches(tensor(bad, [37, D]), { batchSize: 8 }), epochs: 1, key: key(2) })
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect(e.step).toBe(2);
    expect(e.message).toMatch(/step 2: the input batch is not finite/);
    expect(e.state.opt.count).toBe(2);
    expect(bitsOf(e.state.params).length).toBeGreaterThan(0);
    expect(Object.values(e.state.params).every((t) => t.data.every(Number.isFinite))).toBe(true);
  });

  it("stops a diverging run with finite parameters", async () => {
    const opt = sgd({ learningRate: 1e12 });
    const m = ae.mlp({ input: D, hidden: [9], latent: 3, likelihood: "mse" });
    const error = await fit(m, opt, { state: initState(m.init(key(1)), opt), data: batches(data, { batchSize: 8 }), epochs: 50, key: key(2) })
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect(e.state.opt.count).toBe(e.step);
    expect(Object.values(e.state.params).every((t) => t.data.every(Number.isFinite))).toBe(true);
  });
});

describe("resuming", () => {
  it("fit for 2 epochs then 3 more from the saved state equals 5 epochs at once, bit for bit", async () => {
    const opt = adam({ learningRate: 2e-3 });
    const [kInit, kFit, kData] = split(key(11), 3);
    const source = batches(data, { batchSize: 8, key: kData! });
    const state0 = initState(model.init(kInit!), opt);
    const whole = await fit(model, opt, { state: state0, data: source, epochs: 5, key: kFit! });
    const first = await fit(model, opt, { state: state0, data: source, epochs: 2, key: kFit! });
    const rest = await fit(model, opt, { state: first.state, data: source, epochs: 5, startEpoch: 2, key: kFit! });
    expect(rest.history.map((h) => h.epoch)).toEqual([3, 4, 5]);
    expect(snapshot(rest.state)).toEqual(snapshot(whole.state));
  });
});
