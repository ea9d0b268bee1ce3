// The pure step's copy overhead, measured with the two paths alternating step by step: the
// in-place path (Trainer.run, what fit does between batches) and the pure train.step (which
// loads the state into its trainer and reads a fresh state out, every step), on the same
// backend, the 784-400-20 VAE at batch 128. Alternating one step at a time keeps a machine
// whose speed drifts from favouring either side.
import type { WasmBackend } from "../src/backend/wasm.js";
import { vae } from "../src/models/index.js";
import { adam } from "../src/optim/index.js";
import { foldIn, key, uniform } from "../src/random/index.js";
import { tensor } from "../src/tensor/tensor.js";
import { initState, step } from "../src/train/step.js";
import { Trainer } from "../src/train/trainer.js";
import { alternate } from "./alternate.js";

export interface StepOverhead {
  /** ms per step: the in-place trainer, the pure step, and the pure step's load and read-out alone. */
  inPlace: number;
  pure: number;
  /** pure / inPlace - 1, in percent. */
  overheadPct: number;
}

export function stepOverhead(be: WasmBackend, steps = 40): StepOverhead {
  const model = vae.mlp({ input: 784, hidden: [400], latent: 20 });
  const opt = adam({ learningRate: 1e-3 });
  const xs = Array.from({ length: 8 }, (_, i) => tensor(uniform(key(30 + i), 128 * 784), [128, 784]));
  const state0 = initState(model.init(key(1)), opt);
  const trainer = new Trainer(be, model, opt.transform, 128);
  trainer.load(state0);
  const pureStep = step(model, opt, { backend: be });
  let state = state0;
  const ms = alternate(steps, 10, (i) => trainer.run(xs[i % 8]!, foldIn(key(3), i)),
    (i) => { ({ state } = pureStep(state, xs[i % 8]!, foldIn(key(3), i))); });
  trainer.dispose();
  return { inPlace: ms.a, pure: ms.b, overheadPct: 100 * (ms.b / ms.a - 1) };
}
