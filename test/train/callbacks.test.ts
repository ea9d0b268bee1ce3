// fit's callbacks (src/train/callbacks.ts, checkpoints.ts): early stopping and reduce-on-plateau
// driven with scripted losses (Keras's rules, minDelta, cooldown, minScale, restored states) and
// in real fits (the stop epoch; a plateau's reduced rate equals an explicit schedule bit for bit,
// on Adam's fused path); checkpoints and the best model saved at the right epochs with the right
// states, and a run resumed from a checkpoint with the callbacks' saved records equal to the
// uninterrupted run bit for bit.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { batches } from "../../src/data/batches.js";
import type { LossMetrics } from "../../src/models/index.js";
import { vae } from "../../src/models/index.js";
import { ConfigError } from "../../src/nn/layer.js";
import type { Params } from "../../src/nn/params.js";
import { adam, cosineDecay, momentum, type Optimizer } from "../../src/optim/index.js";
import { foldIn, key, split, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import {
  bestModel, checkpoint, earlyStopping, fit, initState, reduceLrOnPlateau, resume, withValidation,
  type Callback, type EarlyStoppingState, type EpochContext, type EpochMetrics, type PlateauState, type SaveInfo, type TrainState,
} from "../../src/train/index.js";

beforeAll(() => { initSync(); });

const D = 12;
const data = tensor(uniform(key(99), 37 * D), [37, D]); // batches of 8: 5 steps per epoch
const valid = tensor(uniform(key(98), 20 * D), [20, D]);
const model = vae.mlp({ input: D, hidden: [9], latent: 3 });
const STEPS = 5;

function bitsOf(p: Params): number[] {
  return Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
}
function snapshot(s: TrainState) {
  return { params: bitsOf(s.params), slots: Array.from(new Uint32Array(s.opt.slots.buffer.slice(0))), count: s.opt.count };
}

const loss = (v: number): LossMetrics => ({ loss: v, reconstruction: v, kl: 0 });
function epochOf(epoch: number, train: number, test?: number): EpochMetrics {
  return { epoch, steps: 1, samples: 1, seconds: 0, samplesPerSecond: 0, train: loss(train), ...(test === undefined ? {} : { test: loss(test) }) };
}

/** Drives callbacks over scripted test losses; returns the epochs (1-based) at which one asked to stop. */
async function drive(callbacks: readonly Callback[], losses: readonly number[], first = 1, state?: () => TrainState): Promise<number[]> {
  const stops: number[] = [];
  for (let i = 0; i < losses.length; i++) {
    const epoch = first + i;
    const ctx: EpochContext = { state: state ?? (() => { throw new Error("no state here"); }), stop: () => { stops.push(epoch); } };
    for (const cb of callbacks) await cb.onEpoch?.(epochOf(epoch, 100 + losses[i]!, losses[i]!), ctx);
  }
  return stops;
}

describe("earlyStopping on scripted losses", () => {
  it("stops after `patience` epochs without improvement", async () => {
    const es = earlyStopping({ patience: 2 });
    const seen: EarlyStoppingState[] = [];
    const stops: number[] = [];
    const losses = [5, 4, 4.5, 3.9, 3.95, 3.92, 3.91];
    for (let i = 0; i < losses.length; i++) {
      es.onEpoch(epochOf(i + 1, 0, losses[i]!), { state: () => { throw new Error(); }, stop: () => stops.push(i + 1) });
      seen.push(es.state);
    }
    expect(stops).toEqual([6, 7]); // fit ends at the first request
    expect(seen.map((s) => s.wait)).toEqual([0, 0, 1, 0, 1, 2, 3]);
    expect(seen.map((s) => s.best)).toEqual([5, 4, 4, 3.9, 3.9, 3.9, 3.9]);
  });

  it("counts an improvement only when it exceeds minDelta", async () => {
    // best 4: 3.5 is exactly minDelta lower (no improvement), 3.25 more (an improvement)
    expect(await drive([earlyStopping({ patience: 2, minDelta: 0.5 })], [4, 3.5, 3.25, 3, 2.875, 2.5])).toEqual([5]);
    expect(await drive([earlyStopping({ patience: 2 })], [4, 3.5, 3.25, 3, 2.875, 2.5])).toEqual([]);
  });

  it("watches the monitor it is given, and says what is missing", async () => {
    const es = earlyStopping({ patience: 1, monitor: "train.loss" });
    const stops: number[] = [];
    for (const [e, tr, te] of [[1, 5, 9], [2, 4, 10], [3, 4.5, 1]] as const) es.onEpoch(epochOf(e, tr, te), { state: () => { throw new Error(); }, stop: () => stops.push(e) });
    expect(stops).toEqual([3]);
    const noTest = earlyStopping({ patience: 1 });
    expect(() => noTest.onEpoch(epochOf(1, 5), { state: () => { throw new Error(); }, stop: () => {} })).toThrow(/monitors test.loss, but epoch 1 has no test metrics/);
  });

  it("continues from a restored state exactly as the uninterrupted run", async () => {
    const losses = [5, 4, 4.5, 3.9, 3.95, 3.96, 3.5, 3.6, 3.7, 3.8];
    const whole = await drive([earlyStopping({ patience: 3 })], losses);
    for (let k = 1; k < losses.length; k++) {
      const first = earlyStopping({ patience: 3 });
      const before = await drive([first], losses.slice(0, k));
      const after = await drive([earlyStopping({ patience: 3, state: JSON.parse(JSON.stringify(first.state)) })], losses.slice(k), k + 1);
      expect([...before, ...after]).toEqual(whole);
    }
    expect(whole).toEqual([10]);
  });

  it("never counts NaN as an improvement, and refuses bad options", async () => {
    expect(await drive([earlyStopping({ patience: 1 })], [NaN])).toEqual([1]);
    expect(() => earlyStopping({ patience: 0 })).toThrow(ConfigError);
    expect(() => earlyStopping({ patience: 1.5 })).toThrow(/patience must be an integer >= 1/);
    expect(() => earlyStopping({ patience: 2, minDelta: -1 })).toThrow(/minDelta/);
    expect(() => earlyStopping({ patience: 2, monitor: "loss" as never })).toThrow(/monitor must be one of/);
    expect(() => earlyStopping({ patience: 2, state: { best: null, wait: -1 } })).toThrow(/state.wait/);
    expect(() => earlyStopping({ patience: 2, state: { best: "x" as never, wait: 0 } })).toThrow(/state.best/);
  });
});

describe("reduceLrOnPlateau on scripted losses", () => {
  async function scales(o: Parameters<typeof reduceLrOnPlateau>[0], losses: readonly number[]): Promise<number[]> {
    const p = reduceLrOnPlateau(o);
    const out: number[] = [];
    for (let i = 0; i < losses.length; i++) { await drive([p], [losses[i]!], i + 1); out.push(p.scale); }
    return out;
  }

  it("multiplies the scale by factor after patience epochs without improvement, and starts counting again", async () => {
    expect(await scales({ factor: 0.5, patience: 2 }, [5, 6, 6, 6, 6, 4, 5, 5])).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]);
    expect(await scales({}, Array.from({ length: 12 }, (_, i) => (i === 0 ? 1 : 2)))).toEqual([...Array(10).fill(1), 0.1, 0.1]);
  });

  it("respects the cooldown as Keras does (the cooldown counts down, then the wait starts again)", async () => {
    const flat = [5, 6, 6, 6, 6, 6, 6, 6, 6];
    expect(await scales({ factor: 0.5, patience: 2 }, flat)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]);
    expect(await scales({ factor: 0.5, patience: 2, cooldown: 2 }, flat)).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]);
    const p = reduceLrOnPlateau({ factor: 0.5, patience: 2, cooldown: 3 });
    await drive([p], [5, 6, 6]);
    expect(p.state).toEqual({ scale: 0.5, best: 5, wait: 0, cooldownLeft: 3 });
    await drive([p], [4], 4); // an improvement in a cooldown still sets the best
    expect(p.state).toEqual({ scale: 0.5, best: 4, wait: 0, cooldownLeft: 2 });
  });

  it("never goes below minScale", async () => {
    const flat = [5, 6, 6, 6, 6, 6, 6];
    expect(await scales({ factor: 0.5, patience: 1, minScale: 0.2 }, flat)).toEqual([1, 0.5, 0.25, 0.2, 0.2, 0.2, 0.2]);
  });

  it("counts an improvement only when it exceeds minDelta", async () => {
    expect(await scales({ factor: 0.5, patience: 1, minDelta: 0.5 }, [4, 3.5, 3.25, 3])).toEqual([1, 0.5, 0.5, 0.25]);
  });

  it("continues from a restored state exactly as the uninterrupted run", async () => {
    const losses = [5, 6, 6, 4, 6, 6, 6, 3, 6, 6];
    const o = { factor: 0.3, patience: 2, cooldown: 1, minScale: 0.05 };
    const whole = await scales(o, losses);
    for (let k = 1; k < losses.length; k++) {
      const first = reduceLrOnPlateau(o);
      await drive([first], losses.slice(0, k));
      const saved = JSON.parse(JSON.stringify(first.state)) as PlateauState;
      const p = reduceLrOnPlateau({ ...o, state: saved });
      const after: number[] = [];
      for (let i = k; i < losses.length; i++) { await drive([p], [losses[i]!], i + 1); after.push(p.scale); }
      expect(after).toEqual(whole.slice(k));
    }
  });

  it("gives base(count) * scale as a schedule, base's own values while the scale is 1", async () => {
    const base = cosineDecay({ init: 3e-3, decaySteps: 50 });
    const p = reduceLrOnPlateau({ factor: 0.3, patience: 1, monitor: "train.loss" });
    const s = p.schedule(base), c = p.schedule(1e-3);
    for (const count of [0, 7, 49, 80]) { expect(s(count)).toBe(base(count)); expect(c(count)).toBe(1e-3); }
    await drive([p], [1, 2]);
    expect(p.scale).toBe(0.3);
    for (const count of [0, 7, 49, 80]) { expect(s(count)).toBe(base(count) * 0.3); expect(c(count)).toBe(1e-3 * 0.3); }
  });

  it("refuses bad options", () => {
    for (const o of [{ factor: 1 }, { factor: 0 }, { patience: 0 }, { cooldown: -1 }, { minScale: 2 }, { minDelta: NaN }, { state: { scale: 0, best: null, wait: 0, cooldownLeft: 0 } }]) {
      expect(() => reduceLrOnPlateau(o)).toThrow(ConfigError);
    }
  });
});

describe("early stopping in a real fit", () => {
  it("stops after patience epochs without improvement, with the state of a run of that many epochs", async () => {
    const opt = adam({ learningRate: 3e-3 });
    const [kInit, kFit, kData] = split(key(7), 3);
    const state = initState(model.init(kInit!), opt);
    const source = batches(data, { batchSize: 8, key: kData! });
    // Nothing improves by more than 1e9, so the best stays the first epoch's.
    const es = earlyStopping({ patience: 2, monitor: "train.loss", minDelta: 1e9 });
    const stopped = await fit(model, opt, { state, data: source, epochs: 10, key: kFit!, callbacks: [es] });
    expect(stopped.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(stopped.stopped).toMatch(/^train.loss did not improve by more than 1000000000 for 2 epochs \(best .* after epoch 1\)$/);
    expect(es.state).toEqual({ best: stopped.history[0]!.train.loss, wait: 2 });
    const three = await fit(model, opt, { state, data: source, epochs: 3, key: kFit! });
    expect(three.stopped).toBeNull();
    expect(snapshot(stopped.state)).toEqual(snapshot(three.state));
  });

  it("watches the validation loss", async () => {
    const opt = adam({ learningRate: 3e-3 });
    const state = initState(model.init(key(1)), opt);
    const r = await fit(model, opt, {
      state, data: batches(data, { batchSize: 8, key: key(2) }), epochs: 10, key: key(3), validation: { x: valid },
      callbacks: [earlyStopping({ patience: 1, minDelta: 1e9 })],
    });
    expect(r.history).toHaveLength(2);
    expect(r.stopped).toMatch(/^test.loss did not improve/);
  });
});

describe("reduceLrOnPlateau in a real fit", () => {
  const lr = 3e-3, factor = 0.3;
  for (const [name, make] of [
    ["adam (the fused path)", (rate: number | ((c: number) => number)) => adam({ learningRate: rate })],
    ["momentum", (rate: number | ((c: number) => number)) => momentum({ learningRate: rate })],
  ] as const) {
    it(`trains after a reduction exactly as an explicit schedule with the reduced rate from that step on (${name})`, async () => {
      const [kInit, kFit, kData] = split(key(21), 3);
      const source = batches(data, { batchSize: 8, key: kData! });
      const params = model.init(kInit!);
      // minDelta 1e9 and patience 2: the scale is 1 for epochs 1-3, factor for 4-5, factor^2 for 6.
      const plateau = reduceLrOnPlateau({ factor, patience: 2, minDelta: 1e9, monitor: "train.loss" });
      const opt: Optimizer = make(plateau.schedule(lr));
      if (name.startsWith("adam")) expect(opt.transform.applyFused).toBeDefined();
      const scales: number[] = [];
      const states: ReturnType<typeof snapshot>[] = [];
      const run = await fit(model, opt, {
        state: initState(params, opt), data: source, epochs: 6, key: kFit!,
        onEpoch: (_m, s) => { states.push(snapshot(s())); },
        callbacks: [plateau, { onEpoch: () => { scales.push(plateau.scale); } }],
      });
      expect(scales).toEqual([1, 1, 0.3, 0.3, 0.3 * 0.3, 0.3 * 0.3]);
      const explicit = (count: number) => (count < 3 * STEPS ? lr : count < 5 * STEPS ? lr * factor : lr * (factor * factor));
      const optExplicit = make(explicit);
      const reference = await fit(model, optExplicit, { state: initState(params, optExplicit), data: source, epochs: 6, key: kFit! });
      expect(snapshot(run.state)).toEqual(snapshot(reference.state));
      expect(run.history.map((h) => h.train)).toEqual(reference.history.map((h) => h.train));
      // The reduction changed the run: a constant rate agrees up to epoch 3 only.
      const optConstant = make(lr);
      const constantStates: ReturnType<typeof snapshot>[] = [];
      await fit(model, optConstant, { state: initState(params, optConstant), data: source, epochs: 4, key: kFit!, onEpoch: (_m, s) => { constantStates.push(snapshot(s())); } });
      expect(constantStates[2]).toEqual(states[2]);
      expect(constantStates[3]!.params).not.toEqual(states[3]!.params);
    });
  }
});

describe("checkpoint and bestModel", () => {
  it("call save at the right epochs with the current state", async () => {
    const saves: [string, number, TrainState][] = [];
    const record = (name: string, s: TrainState, info: SaveInfo) => { saves.push([name, info.epoch, s]); };
    const states = Array.from({ length: 6 }, (_, i) => ({ marker: i }) as unknown as TrainState);
    const best = bestModel({ save: record });
    const all = [best, checkpoint({ every: 2, epochs: 5, save: record }), checkpoint({ every: 3, name: "every3", save: record })];
    const losses = [3, 2, 2.5, 1, 1, 0.5];
    for (let i = 0; i < losses.length; i++) await drive(all, [losses[i]!], i + 1, () => states[i]!);
    expect(saves.map(([n, e, s]) => [n, e, (s as unknown as { marker: number }).marker])).toEqual([
      ["best", 1, 0], ["best", 2, 1], ["checkpoint", 2, 1], ["every3", 3, 2], ["best", 4, 3], ["checkpoint", 4, 3],
      ["checkpoint", 5, 4], ["best", 6, 5], ["checkpoint", 6, 5], ["every3", 6, 5],
    ]);
    expect(best.best).toBe(0.5);
    const restored = bestModel({ save: record, best: 1.5 });
    saves.length = 0;
    await drive([restored], [2, 1.5, 1.25], 1, () => states[0]!);
    expect(saves.map(([n, e]) => [n, e])).toEqual([["best", 3]]);
    expect(() => checkpoint({ every: 0, save: record })).toThrow(ConfigError);
    expect(() => bestModel({ best: NaN, save: record })).toThrow(ConfigError);
  });

  it("a run resumed from a checkpoint with the callbacks' saved records equals the uninterrupted run, bit for bit", async () => {
    const lr = 4e-3, epochs = 7;
    const [kInit, kFit, kData, kTest] = split(key(33), 4);
    const source = batches(data, { batchSize: 8, key: kData! });
    const params = model.init(kInit!);
    interface Saved { name: string; epoch: number; state: ReturnType<typeof snapshot>; raw: TrainState; plateau: PlateauState; early: EarlyStoppingState; best: number | null }

    /** One run from `from` (epochs done) with callbacks restored from `records`. */
    async function run(from: number, state: TrainState | null, records: Saved | null) {
      const plateau = reduceLrOnPlateau({ factor: 0.5, patience: 2, minDelta: 0.1, state: records?.plateau });
      const early = earlyStopping({ patience: 4, minDelta: 0.1, state: records?.early });
      const opt = adam({ learningRate: plateau.schedule(lr) });
      const saves: Saved[] = [];
      const save = (name: string, s: TrainState, info: SaveInfo) => {
        saves.push({ name, epoch: info.epoch, state: snapshot(s), raw: s, plateau: plateau.state, early: early.state, best: best.best });
      };
      const best = bestModel({ save, best: records?.best });
      const tests: LossMetrics[] = [];
      const result = await fit(model, opt, {
        ...resume({ state: state ?? initState(params, opt), key: kFit!, epochsDone: from, epochs, stepsPerEpoch: STEPS }),
        data: source,
        callbacks: [withValidation((p, e) => model.loss(p, valid, foldIn(kTest!, e)), [
          { onEpoch: (m) => { tests.push(m.test!); } }, early, plateau, best, checkpoint({ every: 2, epochs, save }),
        ])],
      });
      return { result, saves, tests, scale: plateau.scale };
    }

    const whole = await run(0, null, null);
    expect(whole.result.stopped).toBeNull();
    expect(whole.scale).toBeLessThan(1); // the plateau acted
    const checkpoints = whole.saves.filter((s) => s.name === "checkpoint");
    expect(checkpoints.map((s) => s.epoch)).toEqual([2, 4, 6, 7]);
    expect(checkpoints.map((s) => s.state.count)).toEqual([2, 4, 6, 7].map((e) => e * STEPS));
    for (const ck of checkpoints.slice(0, -1)) {
      const rest = await run(ck.epoch, ck.raw, JSON.parse(JSON.stringify(ck)) as Saved);
      expect(snapshot(rest.result.state)).toEqual(snapshot(whole.result.state));
      expect(rest.result.history.map((h) => h.epoch)).toEqual(Array.from({ length: epochs - ck.epoch }, (_, i) => ck.epoch + i + 1));
      expect(rest.tests).toEqual(whole.tests.slice(ck.epoch));
      const strip = (s: Saved[]) => s.map(({ raw: _raw, ...rest }) => rest);
      expect(strip(rest.saves)).toEqual(strip(whole.saves.filter((s) => s.epoch > ck.epoch)));
    }
    // Without the plateau's record the resumed run trains at other rates.
    const ck = checkpoints.find((c) => c.plateau.wait > 0 || c.plateau.scale < 1)!;
    expect(ck.epoch).toBeLessThan(epochs);
    const forgetful = await run(ck.epoch, ck.raw, { ...ck, plateau: { scale: 1, best: null, wait: 0, cooldownLeft: 0 } });
    expect(snapshot(forgetful.result.state).params).not.toEqual(snapshot(whole.result.state).params);
  });
});

describe("resume", () => {
  const opt = adam({ learningRate: 1e-3 });
  const state = { ...initState(model.init(key(1)), opt), opt: { count: 10, slots: opt.init(model.init(key(1))).slots } };
  it("gives the fit options that continue a run: its key, its epochs, startEpoch = epochs done", () => {
    expect(resume({ state, key: key(5), epochsDone: 2, epochs: 6, stepsPerEpoch: 5 })).toEqual({ state, key: key(5), startEpoch: 2, epochs: 6 });
    expect(resume({ state, key: key(5), epochsDone: 6, epochs: 6 }).startEpoch).toBe(6);
  });
  it("refuses a state that was not saved at the end of that epoch, and more epochs done than asked for", () => {
    expect(() => resume({ state, key: key(5), epochsDone: 3, epochs: 6, stepsPerEpoch: 5 })).toThrow(/taken 10 optimizer steps, but 3 epochs of 5 steps are 15/);
    expect(() => resume({ state, key: key(5), epochsDone: 7, epochs: 6 })).toThrow(ConfigError);
    expect(() => resume({ state, key: key(5), epochsDone: -1, epochs: 6 })).toThrow(ConfigError);
  });
});

describe("withValidation", () => {
  it("gives the callbacks the test metrics fit's own validation computes", async () => {
    const opt = adam({ learningRate: 3e-3 });
    const state = initState(model.init(key(1)), opt);
    const source = batches(data, { batchSize: 8, key: key(2) });
    const seen: EpochMetrics[] = [];
    const own = await fit(model, opt, { state, data: source, epochs: 3, key: key(3), validation: { x: valid, key: key(4) } });
    await fit(model, opt, {
      state, data: source, epochs: 3, key: key(3),
      callbacks: [withValidation((p, e) => model.loss(p, valid, foldIn(key(4), e)), [{ onEpoch: (m) => { seen.push(m); } }])],
    });
    expect(seen.map((m) => m.test)).toEqual(own.history.map((m) => m.test));
    expect(seen.map((m) => m.train)).toEqual(own.history.map((m) => m.train));
  });
});
