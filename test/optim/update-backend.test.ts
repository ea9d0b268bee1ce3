// The host-side `update` on a given backend. On the float64 ReferenceBackend it is an oracle: each
// optimizer's updates and slots over several steps against the formula written out here in
// float64 (Adam's bias correction from the state's count, schedules read at the count), rounded
// once to f32 as the API stores them. On the wasm backend it is the transform run on flat
// buffers, bit for bit, and within f32 tolerance of the reference over a run. The records it
// returns are frozen and share no memory with its arguments or the kernels' memory.
import { beforeAll, describe, expect, it } from "vitest";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { Params } from "../../src/nn/params.js";
import { adam, adamw, applyUpdates, exponentialDecay, momentum, sgd, withClipping, type OptState,
  type Optimizer } from "../../src/optim/index.js";
import { layoutOf } from "../../src/optim/optimizer.js";
import { tensor } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

const ref = new ReferenceBackend();

/** Two parameters of shapes [2, 3] and [3]; values from a fixed formula, step i's gradient shifted by i. */
const params0: Params = {
  w: tensor(Float32Array.from({ length: 6 }, (_, i) => Math.sin(i + 1)), [2, 3]),
  b: tensor(Float32Array.from({ length: 3 }, (_, i) => 0.5 - i * 0.25), [3]),
};
function gradAt(step: number): Params {
  return {
    w: tensor(Float32Array.from({ length: 6 }, (_, i) => 0.7 * Math.cos(3 * i + step) - 0.1 * step), [2, 3]),
    b: tensor(Float32Array.from({ length: 3 }, (_, i) => (i - 1) * 0.4 + 0.05 * step), [3]),
  };
}
const flat = (p: Readonly<Record<string, { data: ArrayLike<number> }>>): number[] => [...Array.from(p.w!.data), ...Array.from(p.b!.data)];

/** |actual - expected| within one f32 rounding of a float64 value (and any last-bit difference in float64). */
function expectF32Close(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    expect(Math.abs(a - e), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(e) + 1e-45);
  }
}

/** The formula's step: from the f32 params, gradients and slots, the float64 updates and slots. */
type Formula = (g: readonly number[], p: readonly number[], slots: readonly number[], count: number) => { u: number[]; slots: number[] };

const adamFormula = (lr: (count: number) => number, b1: number, b2: number, eps: number, wd = 0, clip = Infinity): Formula =>
  (g0, p, slots, count) => {
    const n = g0.length;
    const norm = Math.sqrt(g0.reduce((s, x) => s + x * x, 0));
    const g = norm > clip ? g0.map((x) => x * (clip / norm)) : g0;
    const m = slots.slice(0, n), v = slots.slice(n);
    const t = count + 1, bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    const u: number[] = [];
    for (let i = 0; i < n; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      const dir = (m[i]! / bc1) / (Math.sqrt(v[i]! / bc2) + eps) + wd * p[i]!;
      u.push(-lr(count) * dir);
    }
    return { u, slots: [...m, ...v] };
  };

const momentumFormula = (lr: number, decay: number, nesterov: boolean): Formula => (g, _p, slots) => {
  const t = g.map((gi, i) => decay * slots[i]! + gi);
  return { u: g.map((gi, i) => -lr * (nesterov ? gi + decay * t[i]! : t[i]!)), slots: t };
};

const sgdFormula = (lr: number, clip = Infinity): Formula => (g, _p, slots) => {
  const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
  const k = norm > clip ? clip / norm : 1;
  return { u: g.map((gi) => -lr * (gi * k)), slots: [...slots] };
};

const decay = exponentialDecay({ init: 0.05, decayRate: 0.5, transitionSteps: 2 });
const cases: [string, Optimizer, Formula][] = [
  ["sgd", sgd({ learningRate: 0.1 }), sgdFormula(0.1)],
  ["momentum", momentum({ learningRate: 0.1, decay: 0.9 }), momentumFormula(0.1, 0.9, false)],
  ["momentum (Nesterov)", momentum({ learningRate: 0.05, decay: 0.8, nesterov: true }), momentumFormula(0.05, 0.8, true)],
  ["adam", adam({ learningRate: 0.01 }), adamFormula(() => 0.01, 0.9, 0.999, 1e-8)],
  ["adam (b1 .5, b2 .9, eps 1e-3, a decaying schedule)", adam({ learningRate: decay, b1: 0.5, b2: 0.9, eps: 1e-3 }),
    adamFormula(decay, 0.5, 0.9, 1e-3)],
  ["adamw", adamw({ learningRate: 0.02, weightDecay: 0.1 }), adamFormula(() => 0.02, 0.9, 0.999, 1e-8, 0.1)],
  ["sgd clipped to norm 0.5", withClipping(0.5, sgd({ learningRate: 0.1 })), sgdFormula(0.1, 0.5)],
  ["adam clipped to norm 0.3", withClipping(0.3, adam({ learningRate: 0.01 })), adamFormula(() => 0.01, 0.9, 0.999, 1e-8, 0, 0.3)],
];

const STEPS = 6;

describe("update on the float64 reference backend against the formula", () => {
  for (const [name, opt, formula] of cases) {
    it(`${name}: ${STEPS} steps, updates and slots`, () => {
      let params = params0;
      let state = opt.init(params);
      for (let step = 0; step < STEPS; step++) {
        const grads = gradAt(step);
        const want = formula(flat(grads), flat(params), Array.from(state.slots), state.count);
        const { updates, state: next } = opt.update(grads, state, params, { backend: ref });
        expect(next.count).toBe(step + 1);
        expectF32Close(flat(updates), want.u);
        expectF32Close(next.slots, want.slots);
        params = applyUpdates(params, updates);
        state = next;
      }
    });
  }

  it("the count, not the number of calls, drives bias correction: a state resumed at count 5", () => {
    const opt = adam({ learningRate: 0.01 });
    const n = layoutOf(params0).total;
    const state: OptState = { count: 5, slots: Float32Array.from({ length: 2 * n }, (_, i) => (i < n ? 0.01 * i : 0.001 * (i - n + 1))) };
    const grads = gradAt(0);
    const want = adamFormula(() => 0.01, 0.9, 0.999, 1e-8)(flat(grads), flat(params0), Array.from(state.slots), 5);
    const { updates, state: next } = opt.update(grads, state, params0, { backend: ref });
    expectF32Close(flat(updates), want.u);
    expectF32Close(next.slots, want.slots);
    expect(next.count).toBe(6);
  });
});

describe("update on the wasm backend", () => {
  for (const [name, opt] of cases) {
    it(`${name}: within f32 tolerance of the reference over ${STEPS} steps`, () => {
      const run = <B extends Buffer>(backend: Backend<B>) => {
        let params = params0;
        let state = opt.init(params);
        for (let step = 0; step < STEPS; step++) {
          const { updates, state: next } = opt.update(gradAt(step), state, params, { backend });
          params = applyUpdates(params, updates);
          state = next;
        }
        return { params: flat(params), slots: Array.from(state.slots) };
      };
      const wasm = run(defaultBackend()), want = run(ref);
      for (const [a, e] of [[wasm.params, want.params], [wasm.slots, want.slots]] as const) {
        for (let i = 0; i < e.length; i++) expect(Math.abs(a[i]! - e[i]!), `element ${i}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(e[i]!)));
      }
    });
  }

  it("is the transform run on flat kernel buffers, bit for bit, with or without the backend given", () => {
    const other = new WasmBackend(defaultBackend().module);
    for (const [, opt] of cases) {
      let params = params0;
      let state = opt.init(params);
      for (let step = 0; step < 3; step++) {
        const grads = gradAt(step);
        // The computation, spelled out: flat buffers in layout order, the transform in place.
        const layout = layoutOf(params), n = layout.total, k = opt.transform.slots;
        const be = defaultBackend();
        const g = be.alloc(n), p = be.alloc(n), s = be.alloc(k * n);
        be.write(g, layout.flatten(grads)); be.write(p, layout.flatten(params)); be.write(s, state.slots);
        opt.transform.update(be, g, Array.from({ length: k }, (_, i) => be.view(s, i * n, n)), p, state.count);
        const wantU = Array.from(be.read(g)), wantS = Array.from(be.read(s));
        be.free(g); be.free(p); be.free(s);

        const byDefault = opt.update(grads, state, params);
        const given = opt.update(grads, state, params, { backend: other });
        for (const r of [byDefault, given]) {
          expect(flat(r.updates)).toEqual(wantU);
          expect(Array.from(r.state.slots)).toEqual(wantS);
        }
        params = applyUpdates(params, byDefault.updates);
        state = byDefault.state;
      }
    }
  });
});

describe("update's results", () => {
  const check = <B extends Buffer>(backend: () => Backend<B>) => () => {
    const opt = adam({ learningRate: 0.01 });
    const grads = gradAt(1);
    const state = { count: 2, slots: Float32Array.from({ length: 18 }, (_, i) => 0.01 * (i + 1)) };
    const before = { g: flat(grads), p: flat(params0), s: Array.from(state.slots) };
    const r = opt.update(grads, state, params0, { backend: backend() });
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.updates)).toBe(true);
    expect(Object.isFrozen(r.state)).toBe(true);
    for (const t of Object.values(r.updates)) expect(Object.isFrozen(t)).toBe(true);
    expect(r.state.slots).toBeInstanceOf(Float32Array);
    const theirs = [...Object.values(grads), ...Object.values(params0)].map((t) => t.data.buffer);
    const kernels = defaultBackend().module.exports.memory.buffer;
    const ours = [r.state.slots.buffer, ...Object.values(r.updates).map((t) => t.data.buffer)];
    for (const b of ours) {
      expect(theirs).not.toContain(b);
      expect(b).not.toBe(state.slots.buffer);
      expect(b).not.toBe(kernels);
    }
    expect(new Set(ours).size).toBe(ours.length);
    // The arguments are as they were.
    expect(flat(grads)).toEqual(before.g);
    expect(flat(params0)).toEqual(before.p);
    expect(Array.from(state.slots)).toEqual(before.s);
    // Writing into the results changes nothing the caller handed in, nor a second call's results.
    const again = opt.update(grads, state, params0, { backend: backend() });
    r.state.slots.fill(7);
    r.updates.w!.data.fill(7);
    expect(Array.from(again.state.slots)).not.toContain(7);
    expect(Array.from(state.slots)).toEqual(before.s);
    expect(again.updates.w!.data[0]).not.toBe(7);
  };
  it("are frozen and share no memory with the arguments (wasm)", check(() => defaultBackend()));
  it("are frozen and share no memory with the arguments (reference)", check(() => ref));
});
