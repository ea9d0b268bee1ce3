// Purity: every public function that takes parameters, data or state is called on deep-frozen
// arguments (a write to a frozen record throws; typed arrays cannot be frozen, so their bytes are
// compared after the call) and leaves them as they were.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { vae } from "../../src/models/index.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Dense } from "../../src/nn/dense.js";
import { Dropout } from "../../src/nn/dropout.js";
import { LayerNorm } from "../../src/nn/layer-norm.js";
import * as objectives from "../../src/objectives/objective.js";
import { adam } from "../../src/optim/index.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { initState, step, valueAndGrad } from "../../src/train/index.js";

beforeAll(() => { initSync(); });

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !ArrayBuffer.isView(v)) { for (const x of Object.values(v)) deepFreeze(x); Object.freeze(v); }
  return v;
}

/** Every typed array reachable from v, as bytes. */
function bytesOf(v: unknown, out: number[][] = []): number[][] {
  if (ArrayBuffer.isView(v)) out.push(Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)));
  else if (v && typeof v === "object") for (const x of Object.values(v)) bytesOf(x, out);
  return out;
}

describe("no public function mutates its arguments", () => {
  const model = vae({
    encoder: [new Dense(10, 8), new LayerNorm([8]), new ActivationLayer("relu", 8), new Dropout(8, 0.2)],
    decoder: [new Dense(3, 8), new ActivationLayer("tanh", 8), new Dense(8, 10)],
    latent: 3,
  });
  const opt = adam({ learningRate: 1e-2 });
  const state = deepFreeze(initState(model.init(key(1)), opt));
  const x = deepFreeze(tensor(uniform(key(2), 6 * 10), [6, 10]));
  const z = deepFreeze(tensor(uniform(key(3), 6 * 3), [6, 3]));
  const args = { state, x, z };
  const before = bytesOf(args);

  it("model functions, valueAndGrad, step and opt.update", () => {
    model.encode(state.params, x);
    model.decode(state.params, z);
    model.reconstruct(state.params, x);
    model.reconstruct(state.params, x, key(4));
    model.sample(state.params, key(5), 4);
    model.loss(state.params, x, key(6));
    const vg = valueAndGrad(model, objectives.elbo({ penalties: [objectives.l1(0.1)], corrupt: objectives.mask(0.2) }));
    const r = vg(state.params, x, key(7));
    vg.dispose();
    const s = step(model, opt);
    const next = s(state, x, key(8));
    s.dispose();
    opt.update(deepFreeze(r.grads), state.opt, state.params);
    expect(bytesOf(args)).toEqual(before);
    expect(next.state.opt.count).toBe(1);
  });
});
