// The Trainer's fused Adam path (one adam_apply_f32 pass, guarded by adam_check_f32) gives the
// same training run, bit for bit, as the generic path (the chained transforms, then the apply);
// with a learning-rate schedule and with AdamW's weight decay too.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { batches } from "../../src/data/batches.js";
import { vae } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam, adamw, exponentialDecay, optimizer, withClipping, type Optimizer } from "../../src/optim/index.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { fit, initState, NonFiniteError, type TrainState } from "../../src/train/index.js";

beforeAll(() => { initSync(); });

const D = 12;
const data = tensor(uniform(key(99), 37 * D), [37, D]);
const model = vae.mlp({ input: D, hidden: [9], latent: 3 });

function bitsOf(p: Params): number[] {
  return Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
}
function snapshot(s: TrainState) {
  return { params: bitsOf(s.params), slots: Array.from(new Uint32Array(s.opt.slots.buffer.slice(0))), count: s.opt.count };
}
/** The same optimizer without its fused path. */
function unfused(opt: Optimizer): Optimizer {
  const { applyFused: _, ...t } = opt.transform;
  return optimizer(t);
}

describe("the fused Adam update in training", () => {
  const cases: [string, Optimizer][] = [
    ["adam", adam({ learningRate: 1e-2 })],
    ["adam with a schedule", adam({ learningRate: exponentialDecay({ init: 2e-2, decayRate: 0.5, transitionSteps: 5 }), b1: 0.8 })],
    ["adamw", adamw({ learningRate: 1e-2, weightDecay: 0.1 })],
    ["adamw with zero decay", adamw({ learningRate: 1e-2, weightDecay: 0 })],
  ];
  it.each(cases)("%s: fit equals the unfused chain bit for bit", async (_, opt) => {
    expect(opt.transform.applyFused).toBeTypeOf("function");
    const plain = unfused(opt);
    expect(plain.transform.applyFused).toBeUndefined();
    const run = (o: Optimizer) => fit(model, o, {
      state: initState(model.init(key(3)), o), data: batches(data, { batchSize: 8, key: key(1) }), epochs: 3, key: key(5),
    });
    const [a, b] = [await run(opt), await run(plain)];
    expect(snapshot(a.state)).toEqual(snapshot(b.state));
    expect(a.history.map((h) => h.train.loss)).toEqual(b.history.map((h) => h.train.loss));
  });

  it("the guard: an update that would overflow throws NonFiniteError with the state before the step, untouched", async () => {
    const opt = adamw({ learningRate: 3e38, weightDecay: 1 });
    const state0 = initState(model.init(key(3)), opt);
    const error = await fit(model, opt, { state: state0, data: batches(data, { batchSize: 8 }), epochs: 1, key: key(5) })
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect(e.step).toBe(0);
    expect(e.message).toMatch(/step 0: the updated parameters or optimizer state is not finite/);
    expect(snapshot(e.state)).toEqual(snapshot(state0));
  });

  it("the guard after some steps: the error carries exactly the state the earlier steps left", async () => {
    const opt = adamw({ learningRate: (count) => (count < 3 ? 1e-2 : 3e38), weightDecay: 1 });
    const state0 = initState(model.init(key(3)), opt);
    const source = batches(data, { batchSize: 8 }); // 5 batches per epoch
    const error = await fit(model, opt, { state: state0, data: source, epochs: 1, key: key(5) }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteError);
    const e = error as NonFiniteError;
    expect(e.step).toBe(3);
    expect(e.message).toMatch(/the updated parameters or optimizer state/);
    // The same 3 steps, stopped by an abort signal after them.
    const controller = new AbortController();
    const three = await fit(model, opt, { state: state0, data: source, epochs: 1, key: key(5), signal: controller.signal,
      onBatch: ({ count }) => { if (count === 3) controller.abort(); } });
    expect(three.state.opt.count).toBe(3);
    expect(snapshot(e.state)).toEqual(snapshot(three.state));
  });

  it("is not offered where it would not be equal (clipping before Adam)", () => {
    expect(withClipping(1, adam({ learningRate: 1e-3 })).transform.applyFused).toBeUndefined();
  });
});
