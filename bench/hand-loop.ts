// The Optax loop written by hand (train.valueAndGrad, opt.update, optim.applyUpdates: fresh
// records every step) against the in-place path fit runs (Trainer.run), alternating step by step
// on the same backend: the 784-400-20 VAE at batch 128, Adam. Alternating one step at a time
// keeps a machine whose speed drifts from favouring either side.
import type { Backend, Buffer } from "../src/backend/backend.js";
import type { WasmBackend } from "../src/backend/wasm.js";
import { vae } from "../src/models/index.js";
import { adam, applyUpdates } from "../src/optim/index.js";
import { foldIn, key, uniform } from "../src/random/index.js";
import { tensor } from "../src/tensor/tensor.js";
import { initState } from "../src/train/step.js";
import { Trainer } from "../src/train/trainer.js";
import { valueAndGrad } from "../src/train/value-and-grad.js";
import { alternate } from "./alternate.js";

export interface HandLoop {
  /** samples/s of the in-place trainer (fit's path) and of the hand-written loop. */
  fit: number;
  hand: number;
  /** hand / fit - 1 in time per step, in percent. */
  overheadPct: number;
}

export function handLoopVsFit(be: WasmBackend, steps = 40): HandLoop {
  const rows = 128;
  const model = vae.mlp({ input: 784, hidden: [400], latent: 20 });
  const opt = adam({ learningRate: 1e-3 });
  const xs = Array.from({ length: 8 }, (_, i) => tensor(uniform(key(30 + i), rows * 784), [rows, 784]));
  const state0 = initState(model.init(key(1)), opt);
  const trainer = new Trainer(be, model, opt.transform, rows);
  trainer.load(state0);
  const vg = valueAndGrad(model, undefined, { backend: be as unknown as Backend<Buffer> });
  let params = state0.params, optState = state0.opt;
  const handStep = (x: (typeof xs)[number], k: ReturnType<typeof key>) => {
    const { grads } = vg(params, x, k, { step: optState.count });
    const { updates, state } = opt.update(grads, optState, params, { backend: be as unknown as Backend<Buffer> });
    params = applyUpdates(params, updates);
    optState = state;
  };
  const ms = alternate(steps, 10, (i) => trainer.run(xs[i % 8]!, foldIn(key(3), i)), (i) => handStep(xs[i % 8]!, foldIn(key(3), i)));
  trainer.dispose();
  vg.dispose();
  return { fit: rows / (ms.a / 1000), hand: rows / (ms.b / 1000), overheadPct: 100 * (ms.b / ms.a - 1) };
}
