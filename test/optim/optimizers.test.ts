// Each optimizer against steps computed by hand, through the pure host API
// (init, update, applyUpdates) on the default kernel backend.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import type { Params } from "../../src/nn/params.js";
import { adam, adamw, applyUpdates, clipByGlobalNorm, chain, constant, cosineDecay, exponentialDecay, momentum,
  optimizer, OptimError, scaleByLearningRate, sgd, withClipping, type Optimizer } from "../../src/optim/index.js";
import { tensor } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

const f = Math.fround;
const P = (w: number[], b: number[]): Params => ({ w: tensor(Float32Array.from(w), [w.length]), b: tensor(Float32Array.from(b), [b.length]) });
const values = (p: Params) => [...p.w!.data, ...p.b!.data];

function run(opt: Optimizer, params: Params, grads: Params[]): Params[] {
  let state = opt.init(params);
  const out: Params[] = [];
  for (const g of grads) {
    const { updates, state: next } = opt.update(g, state, params);
    params = applyUpdates(params, updates);
    state = next;
    out.push(params);
  }
  return out;
}

describe("optimizers against hand-computed steps", () => {
  const p0 = P([1, -2], [0.5]);
  const g1 = P([0.5, -1], [2]);
  const g2 = P([-0.25, 3], [0]);

  it("sgd: p - lr g", () => {
    const [p1, p2] = run(sgd({ learningRate: 0.1 }), p0, [g1, g2]);
    expect(values(p1!)).toEqual([f(1 - f(0.1 * 0.5)), f(-2 - f(-0.1)), f(0.5 - f(0.2))]);
    expect(values(p2!)[1]).toBeCloseTo(-2 + 0.1 - 0.3, 6);
  });

  it("momentum and Nesterov: t = 0.9 t + g", () => {
    const [, p2] = run(momentum({ learningRate: 0.1, decay: 0.9 }), p0, [g1, g2]);
    // w0: t1 = 0.5, t2 = 0.45 - 0.25 = 0.2; p = 1 - 0.1 * 0.5 - 0.1 * 0.2 = 0.93
    expect(values(p2!)[0]).toBeCloseTo(0.93, 6);
    const [, q2] = run(momentum({ learningRate: 0.1, decay: 0.9, nesterov: true }), p0, [g1, g2]);
    // Nesterov: u1 = g1 + 0.9 t1 = 0.95; u2 = g2 + 0.9 t2 = -0.25 + 0.18 = -0.07; p = 1 - 0.095 + 0.007 = 0.912
    expect(values(q2!)[0]).toBeCloseTo(0.912, 6);
  });

  it("adam: the first step moves every parameter by lr / (1 + eps/|g|) against the gradient sign", () => {
    const [p1, p2] = run(adam({ learningRate: 0.01 }), p0, [g1, g2]);
    expect(values(p1!)).toEqual([f(1 - 0.01), f(-2 + 0.01), f(0.5 - 0.01)].map((v) => expect.closeTo(v, 6)));
    // Step 2 for w0: m = 0.9*0.05 + 0.1*(-0.25) = 0.02, v = 0.999*0.00025 + 0.001*0.0625 = 0.00031225
    const m = 0.02 / (1 - 0.81), v = 0.00031225 / (1 - 0.998001);
    expect(values(p2!)[0]).toBeCloseTo(0.99 - 0.01 * m / (Math.sqrt(v) + 1e-8), 6);
  });

  it("adamw: adds weightDecay * p to Adam's direction before scaling by -lr", () => {
    const [p1] = run(adamw({ learningRate: 0.01, weightDecay: 0.1 }), p0, [g1]);
    expect(values(p1!)[0]).toBeCloseTo(1 - 0.01 * (1 + 0.1 * 1), 6);
    expect(values(p1!)[1]).toBeCloseTo(-2 - 0.01 * (-1 + 0.1 * -2), 6);
  });

  it("clipByGlobalNorm rescales to the norm over all parameters, and leaves small gradients alone", () => {
    const [p1] = run(withClipping(1, sgd({ learningRate: 1 })), p0, [g1]);
    const norm = Math.hypot(0.5, -1, 2);
    expect(values(p1!)).toEqual([1 - 0.5 / norm, -2 + 1 / norm, 0.5 - 2 / norm].map((v) => expect.closeTo(v, 6)));
    const [q1] = run(optimizer(chain(clipByGlobalNorm(10), scaleByLearningRate(1))), p0, [g1]);
    expect(values(q1!)).toEqual([0.5, -1, -1.5]);
  });

  it("a schedule's rate follows the step count", () => {
    const sched = (c: number) => [0.1, 0.01][c] ?? 0;
    const [p1, p2] = run(sgd({ learningRate: sched }), p0, [g1, g1]);
    expect(values(p1!)[0]).toBeCloseTo(0.95, 6);
    expect(values(p2!)[0]).toBeCloseTo(0.945, 6);
  });

  it("does not mutate params, grads or state", () => {
    const opt = adam({ learningRate: 0.1 });
    const state = opt.init(p0);
    const before = [values(p0), values(g1), Array.from(state.slots), state.count];
    const { state: next } = opt.update(g1, state, p0);
    expect([values(p0), values(g1), Array.from(state.slots), state.count]).toEqual(before);
    expect(next.count).toBe(1);
  });

  it("rejects bad settings and mismatched state with OptimError", () => {
    expect(() => adam({ learningRate: NaN })).toThrow(OptimError);
    expect(() => adam({ learningRate: 1e-3, b1: 1 })).toThrow(/below 1/);
    expect(() => momentum({ learningRate: 1, decay: 2 })).toThrow(/decay/);
    const opt = adam({ learningRate: 1e-3 });
    expect(() => opt.update(g1, { count: 0, slots: new Float32Array(2) }, p0)).toThrow(/slot values/);
  });
});

describe("schedules", () => {
  it("constant, exponential (smooth and staircase) and cosine decay", () => {
    expect(constant(0.3)(1000)).toBe(0.3);
    const e = exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 10 });
    expect(e(0)).toBe(1); expect(e(10)).toBe(0.5); expect(e(5)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 10, staircase: true })(19)).toBe(0.5);
    const c = cosineDecay({ init: 2, decaySteps: 100, alpha: 0.1 });
    expect(c(0)).toBe(2); expect(c(50)).toBeCloseTo(2 * (0.9 * 0.5 + 0.1), 12); expect(c(100)).toBeCloseTo(0.2, 12); expect(c(500)).toBeCloseTo(0.2, 12);
  });
});
