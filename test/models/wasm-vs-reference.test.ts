// The same model code on the wasm backends (simd and scalar, f32) and on the float64
// reference: losses, gradients and predictions agree to f32 accuracy.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { ae, vae } from "../../src/models/index.js";
import type { Model } from "../../src/models/model.js";
import { key, foldIn, uniform } from "../../src/random/index.js";
import { expectClose } from "../../src/testing/index.js";
import { forwardPass } from "../../src/objectives/evaluate.js";
import { defaultObjective } from "../../src/objectives/objective.js";

const wasm = (["simd", "scalar"] as const).map((isa) => {
  const m = instantiateSync(undefined, { isa });
  if (E.isLeft(m)) throw m.left;
  return new WasmBackend(m.right);
});
const ref = new ReferenceBackend();

function run<B extends Buffer>(be: Backend<B>, model: Model, theta: Float32Array, x: Float32Array, batch: number, seed: number) {
  const prog = model.program(be, batch);
  be.write(prog.params, theta);
  be.write(prog.x, x);
  const pass = forwardPass(prog, defaultObjective(model.spec), foldIn(key(seed), 3), 0, false);
  const sums = pass.terms;
  pass.backward();
  const out = { sums, grads: Float64Array.from(be.read(prog.grads)), out: Float64Array.from(be.read(prog.out)) };
  prog.dispose();
  return out;
}

describe("wasm backends agree with the float64 backend on whole models", () => {
  for (const be of wasm) {
    it(`${be.name}: AE and VAE losses and gradients`, () => {
      fc.assert(fc.property(
        fc.record({
          kind: fc.constantFrom("ae" as const, "vae" as const),
          input: fc.integer({ min: 1, max: 40 }),
          hidden: fc.array(fc.integer({ min: 1, max: 33 }), { minLength: 1, maxLength: 2 }),
          latent: fc.integer({ min: 1, max: 9 }),
          batch: fc.integer({ min: 1, max: 13 }),
          likelihood: fc.constantFrom("bernoulli" as const, "gaussian" as const, "mse" as const),
          activation: fc.constantFrom("relu" as const, "tanh" as const, "elu" as const),
          seed: fc.integer({ min: 0, max: 1 << 30 }),
        }),
        (c) => {
          const model = (c.kind === "ae" ? ae : vae).mlp({ ...c, obsLogvar: "learned" });
          const theta = model.layout.flatten(model.init(key(c.seed)));
          const x = uniform(key(c.seed + 1), c.batch * c.input);
          const w = run(be, model, theta, x, c.batch, c.seed);
          const r = run(ref, model, theta, x, c.batch, c.seed);
          // Magnitudes: loss sums are O(batch * input); f32 accumulation error stays ~1e-5 relative.
          expectClose([w.sums.reconstruction!, w.sums.kl!], [r.sums.reconstruction!, r.sums.kl!], { rtol: 1e-4, atol: 1e-4 });
          expectClose(w.out, r.out, { rtol: 1e-4, atol: 1e-5 });
          let scale = 0;
          for (const g of r.grads) scale = Math.max(scale, Math.abs(g));
          expectClose(w.grads, r.grads, { rtol: 1e-3, atol: 1e-4 * scale + 1e-6 });
        },
      ), { numRuns: 40 });
    });
  }
});
