// The pure step's copy overhead, measured with three paths alternating step by step: the
// in-place path (Trainer.run, what fit does between batches), the pure train.step (which loads
// the state into its trainer and reads a fresh state out, every step), and train.step with
// { donate: true } (which skips loading the state it returned last and leaves the new state in
// the kernels' memory until it is read, into the arrays of the one passed in: this loop, which
// does not read it, copies nothing), on the same backend, the 784-400-20 VAE at batch 128.
// Alternating one step at a time, in an order that rotates, keeps a machine whose speed drifts
// from favouring any side.
import type { WasmBackend } from "../src/backend/wasm.js";
import { vae } from "../src/models/index.js";
import { adam } from "../src/optim/index.js";
import { foldIn, key, uniform } from "../src/random/index.js";
import { tensor } from "../src/tensor/tensor.js";
import { initState, step } from "../src/train/step.js";
import { Trainer, type TrainState } from "../src/train/trainer.js";

export interface StepOverhead {
  /** ms per step: the in-place trainer, the pure step, and the pure step with donation. */
  inPlace: number;
  pure: number;
  /** pure / inPlace - 1, in percent. */
  overheadPct: number;
  donated: number;
  /** donated / inPlace - 1, in percent. */
  donatedOverheadPct: number;
}

/** Calls each function once per round, after `warm` untimed rounds, starting at a rotating one; the mean ms per call of each. */
function rotate(steps: number, warm: number, fns: readonly ((i: number) => void)[]): number[] {
  const total = fns.map(() => 0);
  for (let i = 0; i < warm + steps; i++) {
    for (let j = 0; j < fns.length; j++) {
      const f = (i + j) % fns.length;
      const t = performance.now();
      fns[f]!(i);
      if (i >= warm) total[f]! += performance.now() - t;
    }
  }
  return total.map((t) => t / steps);
}

export function stepOverhead(be: WasmBackend, steps = 40): StepOverhead {
  const model = vae.mlp({ input: 784, hidden: [400], latent: 20 });
  const opt = adam({ learningRate: 1e-3 });
  const xs = Array.from({ length: 8 }, (_, i) => tensor(uniform(key(30 + i), 128 * 784), [128, 784]));
  const state0 = initState(model.init(key(1)), opt);
  const trainer = new Trainer(be, model, opt.transform, 128);
  trainer.load(state0);
  using pureStep = step(model, opt, { backend: be });
  using donatingStep = step(model, opt, { backend: be, donate: true });
  let state = state0;
  // The donated chain starts from its own copy, since its first call writes into the state given.
  let donated: TrainState = { params: model.layout.unflatten(model.layout.flatten(state0.params)), opt: { count: 0, slots: state0.opt.slots.slice() } };
  const [inPlace, pure, don] = rotate(steps, 10, [
    (i) => { trainer.run(xs[i % 8]!, foldIn(key(3), i)); },
    (i) => { ({ state } = pureStep(state, xs[i % 8]!, foldIn(key(3), i))); },
    (i) => { ({ state: donated } = donatingStep(donated, xs[i % 8]!, foldIn(key(3), i))); },
  ]) as [number, number, number];
  trainer.dispose();
  return { inPlace, pure, overheadPct: 100 * (pure / inPlace - 1), donated: don, donatedOverheadPct: 100 * (don / inPlace - 1) };
}
