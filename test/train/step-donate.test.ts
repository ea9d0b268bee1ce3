// train.step with { donate: true }: the same bits as the pure step and as fit; the new state goes
// into the donated state's arrays (read out on first access, or before the function moves on);
// a state it did not return last is loaded; NonFiniteError keeps the last finite state; without
// donation no state is ever mutated.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { nodeSpawn } from "../../src/parallel/node/spawn.js";
import { startThreads } from "../../src/parallel/start.js";
import { batches } from "../../src/data/batches.js";
import { ae, vae, type Model } from "../../src/models/index.js";
import { adam, adamw, momentum, sgd, type Optimizer } from "../../src/optim/index.js";
import { foldIn, key, split, uniform } from "../../src/random/index.js";
import { ShapeError, tensor, type Tensor } from "../../src/tensor/tensor.js";
import { fit, initState, NonFiniteError, step, type StepFn, type TrainState } from "../../src/train/index.js";
import { Trainer } from "../../src/train/trainer.js";

beforeAll(() => { initSync(); });

const D = 12;
const data = tensor(uniform(key(99), 37 * D), [37, D]); // batches of 8 leave a partial batch of 5
const model = vae.mlp({ input: D, hidden: [9], latent: 3 });

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
function snapshot(s: TrainState) {
  return { params: Object.values(s.params).flatMap((t) => bits(t.data)), slots: bits(s.opt.slots), count: s.opt.count };
}
/** A copy of a state in new arrays. */
function copyOf(s: TrainState): TrainState {
  const params: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(s.params)) params[name] = tensor(t.data.slice(), t.shape);
  return { params, opt: { count: s.opt.count, slots: s.opt.slots.slice() } };
}
const arraysOf = (s: TrainState) => [...Object.values(s.params).map((t) => t.data), s.opt.slots];

/** Folds fn over `epochs` epochs of `source` with fit's keys; returns the final state. */
function fold(fn: StepFn, s: TrainState, source: ReturnType<typeof batches>, epochs: number, k: ReturnType<typeof key>): TrainState {
  for (let epoch = 0; epoch < epochs; epoch++) for (const b of source(epoch)) s = fn(s, b, foldIn(k, s.opt.count)).state;
  return s;
}

describe("train.step with donate", () => {
  const cases: [string, Model, Optimizer][] = [
    ["vae + adam (fused)", model, adam({ learningRate: 3e-3 })],
    ["ae + nesterov momentum", ae.mlp({ input: D, hidden: [7, 5], latent: 2, likelihood: "mse" }), momentum({ learningRate: 1e-2, nesterov: true })],
  ];
  it.each(cases)("%s: donated folding equals pure folding and fit, bit for bit", async (_, m, opt) => {
    const [kInit, kFit, kData] = split(key(7), 3);
    const source = batches(data, { batchSize: 8, key: kData! });
    const state0 = initState(m.init(kInit!), opt);
    const fitted = await fit(m, opt, { state: state0, data: source, epochs: 3, key: kFit! });
    const pure = fold(step(m, opt), state0, source, 3, kFit!);
    const start = initState(m.init(kInit!), opt);
    const before = arraysOf(start);
    const donated = fold(step(m, opt, { donate: true }), start, source, 3, kFit!);
    expect(donated.opt.count).toBe(15);
    expect(snapshot(donated)).toEqual(snapshot(pure));
    expect(snapshot(donated)).toEqual(snapshot(fitted.state));
    // The whole chain ran in the first state's arrays.
    expect(arraysOf(donated).every((a, i) => a === before[i])).toBe(true);
  });

  it("on the float64 reference backend too: donated folding equals pure folding, bit for bit", () => {
    const ref = new ReferenceBackend() as unknown as Backend<Buffer>;
    const opt = adam({ learningRate: 3e-3 });
    const source = batches(data, { batchSize: 8, key: key(3) });
    const pure = fold(step(model, opt, { backend: ref }), initState(model.init(key(1)), opt), source, 2, key(4));
    const donated = fold(step(model, opt, { backend: ref, donate: true }), initState(model.init(key(1)), opt), source, 2, key(4));
    expect(snapshot(donated)).toEqual(snapshot(pure));
  });

  it("on a thread pool too: donated folding equals pure folding, bit for bit", async () => {
    using pool = await startThreads({ threads: 2, spawn: nodeSpawn });
    const be = pool as unknown as Backend<Buffer>;
    const opt = adam({ learningRate: 3e-3 });
    const source = batches(data, { batchSize: 8, key: key(3) });
    const pure = fold(step(model, opt, { backend: be }), initState(model.init(key(1)), opt), source, 2, key(4));
    using fn = step(model, opt, { backend: be, donate: true });
    const donated = fold(fn, initState(model.init(key(1)), opt), source, 2, key(4));
    expect(snapshot(donated)).toEqual(snapshot(pure));
  });

  it("loads a state only when it is not the one returned last", () => {
    const opt = adam({ learningRate: 1e-2 });
    const batch = tensor(data.data.slice(0, 8 * D), [8, D]);
    const load = vi.spyOn(Trainer.prototype, "load");
    try {
      const fn = step(model, opt, { donate: true });
      let s = initState(model.init(key(1)), opt);
      for (let i = 0; i < 4; i++) s = fn(s, batch, key(i)).state;
      expect(load).toHaveBeenCalledTimes(1);
      fn(copyOf(s), batch, key(9));
      expect(load).toHaveBeenCalledTimes(2);
      fn.dispose(); // a new trainer holds nothing
      fn(s, batch, key(9));
      expect(load).toHaveBeenCalledTimes(3);
    } finally {
      load.mockRestore();
    }
  });

  it("a batch that does not fit throws before the state is given up: the caller goes on with it", () => {
    const opt = adam({ learningRate: 1e-2 });
    const [b0, b1] = [0, 1].map((i) => tensor(data.data.slice(i * 8 * D, (i + 1) * 8 * D), [8, D]));
    const fn = step(model, opt, { donate: true }), pure = step(model, opt);
    let s = fn(initState(model.init(key(1)), opt), b0!, key(0)).state; // unread
    let p = pure(initState(model.init(key(1)), opt), b0!, key(0)).state;
    expect(() => fn(s, tensor(new Float32Array(8 * (D + 1)), [8, D + 1]), key(1))).toThrow(ShapeError);
    s = fn(s, b1!, key(1)).state;
    p = pure(p, b1!, key(1)).state;
    expect(snapshot(s)).toEqual(snapshot(p));
  });

  it("returns frozen records whose arrays are filled on first read", () => {
    const opt = adam({ learningRate: 1e-2 });
    const fn = step(model, opt, { donate: true });
    const batch = tensor(data.data.slice(0, 8 * D), [8, D]);
    const expected = step(model, opt)(initState(model.init(key(1)), opt), batch, key(2)).state;
    const { state } = fn(initState(model.init(key(1)), opt), batch, key(2));
    expect(Object.isFrozen(state) && Object.isFrozen(state.opt) && Object.isFrozen(state.params)).toBe(true);
    expect(Object.values(state.params).every((t) => Object.isFrozen(t) && t.offset === 0 && t.stride.length === t.shape.length)).toBe(true);
    expect(JSON.parse(JSON.stringify(state.opt.count))).toBe(1);
    expect(snapshot(state)).toEqual(snapshot(expected));
  });

  it("donating a foreign state (initState) loads it and writes into its arrays", () => {
    const opt = adam({ learningRate: 1e-2 });
    const batch = tensor(data.data.slice(0, 8 * D), [8, D]);
    const expected = step(model, opt)(initState(model.init(key(1)), opt), batch, key(2)).state;
    const foreign = initState(model.init(key(1)), opt);
    const before = arraysOf(foreign);
    const fn = step(model, opt, { donate: true });
    fn(initState(model.init(key(5)), opt), batch, key(3)); // the trainer holds another state
    const { state } = fn(foreign, batch, key(2));
    expect(snapshot(state)).toEqual(snapshot(expected));
    expect(arraysOf(state).every((a, i) => a === before[i])).toBe(true);
  });

  it("gives arrays that do not fit fresh ones: a longer array, slots sharing memory with the parameters", () => {
    const opt = momentum({ learningRate: 1e-2 });
    const batch = tensor(data.data.slice(0, 8 * D), [8, D]);
    const base = fold(step(model, opt), initState(model.init(key(1)), opt), () => [batch], 2, key(4)); // nonzero slots
    // All parameters in one buffer (disjoint views: reused), the slot array over the same memory
    // (overlapping them: not reused), the first weight a view at offset 1 of a longer array (not reused).
    const total = model.layout.total;
    const shared = new Float32Array(total);
    const params: Record<string, Tensor> = {};
    for (const e of model.layout.entries) {
      shared.set(base.params[e.name]!.data, e.offset);
      params[e.name] = tensor(shared.subarray(e.offset, e.offset + e.size), e.shape);
    }
    const w = model.layout.entries[0]!;
    const long = new Float32Array(w.size + 1);
    long.set(base.params[w.name]!.data, 1);
    params[w.name] = { data: long, shape: w.shape, stride: [w.shape[1]!, 1], offset: 1 } as unknown as Tensor;
    const slots = new Float32Array(shared.buffer, 0, total);
    const state: TrainState = { params, opt: { count: base.opt.count, slots } };
    // Loading reads these aliased values; the pure step given a copy of them must agree.
    const reference = step(model, opt)(copyOf({ params: { ...params, [w.name]: tensor(long.slice(1), w.shape) }, opt: state.opt }), batch, key(2)).state;
    const longBefore = Array.from(long);
    const { state: next } = step(model, opt, { donate: true })(state, batch, key(2));
    expect(snapshot(next)).toEqual(snapshot(reference));
    expect(next.opt.slots).not.toBe(slots);
    expect(next.params[w.name]!.data).not.toBe(long);
    expect(Array.from(long)).toEqual(longBefore);
    expect(next.params[model.layout.entries[1]!.name]!.data.buffer).toBe(shared.buffer);
  });

  it("loads a state it did not return last (an older copy, or another function's), not the one it holds", () => {
    const opt = adam({ learningRate: 1e-2 });
    const xs = [0, 1, 2].map((i) => tensor(data.data.slice(i * 8 * D, (i + 1) * 8 * D), [8, D]));
    const pure = step(model, opt);
    const s0 = initState(model.init(key(1)), opt);
    const p1 = pure(s0, xs[0]!, key(10)).state;
    const p2 = pure(p1, xs[1]!, key(11)).state;
    const fn = step(model, opt, { donate: true });
    const d1 = fn(copyOf(s0), xs[0]!, key(10)).state;
    const older = copyOf(d1); // equal to d1, but not the record fn returned
    const d2 = fn(d1, xs[1]!, key(11)).state;
    expect(snapshot(d2)).toEqual(snapshot(p2));
    // The function holds d2; given the older state it must start from that one.
    const again = fn(older, xs[1]!, key(11)).state;
    expect(snapshot(again)).toEqual(snapshot(p2));
    // A state returned by another donating function is foreign too.
    const other = step(model, opt, { donate: true });
    const o1 = other(copyOf(s0), xs[0]!, key(10)).state;
    fn(copyOf(s0), xs[2]!, key(12));
    expect(snapshot(fn(o1, xs[1]!, key(11)).state)).toEqual(snapshot(p2));
  });

  it("a returned state that is not passed back keeps its values when the function moves on or is disposed", () => {
    const opt = adam({ learningRate: 1e-2 });
    const batch = tensor(data.data.slice(0, 8 * D), [8, D]);
    const pure = step(model, opt);
    const expected = pure(initState(model.init(key(1)), opt), batch, key(2)).state;
    const fn = step(model, opt, { donate: true });
    const kept = fn(initState(model.init(key(1)), opt), batch, key(2)).state; // not read yet
    fn(initState(model.init(key(3)), opt), batch, key(4)); // another state: kept must be read out first
    expect(snapshot(kept)).toEqual(snapshot(expected));
    const late = fn(initState(model.init(key(1)), opt), batch, key(2)).state;
    fn.dispose();
    expect(snapshot(late)).toEqual(snapshot(expected));
    // A pure step (and anything reading the records) sees the same values.
    expect(snapshot(pure(late, batch, key(5)).state)).toEqual(snapshot(pure(expected, batch, key(5)).state));
  });
});

describe("donation and the NaN guard", () => {
  const batchAt = (i: number) => tensor(data.data.slice((i % 4) * 8 * D, (i % 4 + 1) * 8 * D), [8, D]);
  const nanAt3 = (i: number) => { const x = batchAt(i); if (i === 3) (x.data as Float32Array)[5] = NaN; return x; };
  const cases: [string, Model, Optimizer, (i: number) => Tensor, RegExp][] = [
    ["a NaN in the input (adam)", model, adam({ learningRate: 1e-2 }), nanAt3, /the input batch/],
    ["an overflowing update (fused adamw)", model, adamw({ learningRate: (c) => (c < 3 ? 1e-2 : 3e38), weightDecay: 1 }), batchAt, /the updated parameters/],
    ["an overflowing update (sgd)", ae.mlp({ input: D, hidden: [9], latent: 3, likelihood: "mse" }), sgd({ learningRate: (c) => (c < 3 ? 1e-2 : 1e39) }), batchAt, /the updated parameters/],
  ];
  it.each(cases)("%s: the error's state is the last finite one, bit for bit, and the donated chain goes on from it", (_, m, opt, at, what) => {
    const k = key(8);
    const xs = Array.from({ length: 6 }, (_, i) => at(i));
    const failing = (fn: StepFn, s: TrainState): NonFiniteError => {
      for (const x of xs) {
        try {
          s = fn(s, x, foldIn(k, s.opt.count)).state;
        } catch (e) {
          expect(e).toBeInstanceOf(NonFiniteError);
          return e as NonFiniteError;
        }
      }
      throw new Error("no NonFiniteError");
    };
    const pureFn = step(m, opt);
    const pure = failing(pureFn, initState(m.init(key(1)), opt));
    const fn = step(m, opt, { donate: true });
    const donated = failing(fn, initState(m.init(key(1)), opt));
    expect(pure.step).toBe(3);
    expect(donated.message).toMatch(what);
    expect(donated.step).toBe(3);
    expect(snapshot(donated.state)).toEqual(snapshot(pure.state));
    expect(Object.values(donated.state.params).every((t) => t.data.every(Number.isFinite))).toBe(true);
    // The failing step again from the error's state (which the function holds): the same error and state.
    const again = (() => { try { fn(donated.state, xs[3]!, foldIn(k, 3)); } catch (e) { return e as NonFiniteError; } return null; })();
    expect(again).toBeInstanceOf(NonFiniteError);
    expect(snapshot(again!.state)).toEqual(snapshot(pure.state));
    // Going on from it (with finite batches at a finite rate where the case allows): donated and pure agree.
    if (at === nanAt3) {
      let a = again!.state, b = pure.state;
      for (const x of xs.slice(4)) {
        a = fn(a, x, foldIn(k, a.opt.count)).state;
        b = pureFn(b, x, foldIn(k, b.opt.count)).state;
      }
      expect(a.opt.count).toBe(5);
      expect(snapshot(a)).toEqual(snapshot(b));
    }
  });
});

describe("without donation", () => {
  it.each([["the default", {}], ["donate: false", { donate: false }]] as const)("%s: no state, given or returned, is ever changed", (_, options) => {
    const opt = adam({ learningRate: 1e-2 });
    const fn = step(model, opt, options);
    const xs = [0, 1, 2, 3].map((i) => tensor(data.data.slice(i * 8 * D, (i + 1) * 8 * D), [8, D]));
    const states: TrainState[] = [initState(model.init(key(1)), opt)];
    const seen = [snapshot(states[0]!)];
    for (let i = 0; i < 6; i++) {
      const s = fn(states[i]!, xs[i % 4]!, key(i)).state;
      expect(arraysOf(s).some((a) => states.some((o) => arraysOf(o).includes(a)))).toBe(false);
      states.push(s);
      seen.push(snapshot(s));
    }
    fn(states[2]!, xs[0]!, key(9)); // an older state again
    expect(states.map(snapshot)).toEqual(seen);
  });
});

describe("donation and kernel memory", () => {
  /** V8's gc(), exposed for this test (a flag that only adds the function). */
  const collector = () => { setFlagsFromString("--expose-gc"); return runInNewContext("gc") as () => void; };
  const settle = async (gc: () => void, done: () => boolean) => {
    for (let round = 0; round < 20 && !done(); round++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
  };

  it("a donating function is freed by the finalizer once it and its states are collected; an unread state keeps it until read", async () => {
    const gc = collector();
    const m = vae.mlp({ input: 64, hidden: [32], latent: 4 });
    const opt = adam({ learningRate: 1e-3 });
    const batch = tensor(uniform(key(2), 16 * 64), [16, 64]);
    const be = defaultBackend();
    const pure = step(m, opt);
    const expected = pure(initState(m.init(key(1)), opt), batch, key(0)).state;
    pure.dispose(); // after a first step, so that the backend's own scratch memory is counted in
    let allocated = -1; // once the functions earlier tests dropped are collected
    await settle(gc, () => { const same = be.arena.allocatedBytes === allocated; allocated = be.arena.allocatedBytes; return same; });
    (() => {
      for (let i = 0; i < 50; i++) {
        const fn = step(m, opt, { donate: true });
        let s = initState(m.init(key(1)), opt);
        for (let j = 0; j < 2; j++) s = fn(s, batch, key(j)).state;
      }
    })();
    expect(be.arena.allocatedBytes).toBeGreaterThan(allocated);
    await settle(gc, () => be.arena.allocatedBytes === allocated);
    expect(be.arena.allocatedBytes).toBe(allocated);
    // The function dropped, its state kept unread: the trainer holding the values stays.
    let kept: TrainState | null = (() => step(m, opt, { donate: true })(initState(m.init(key(1)), opt), batch, key(0)).state)();
    await settle(gc, () => be.arena.allocatedBytes === allocated);
    expect(be.arena.allocatedBytes).toBeGreaterThan(allocated);
    expect(snapshot(kept)).toEqual(snapshot(expected));
    kept = null;
    await settle(gc, () => be.arena.allocatedBytes === allocated);
    expect(be.arena.allocatedBytes).toBe(allocated);
  }, 120_000);
});
