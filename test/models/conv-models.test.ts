// Conv AE and VAE: the architecture (shapes, PyTorch names and layouts), gradients of the whole
// loss by central differences on the float64 backend, and the wasm backends against it.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { ae, vae } from "../../src/models/index.js";
import type { Model } from "../../src/models/model.js";
import { foldIn, key, uniform } from "../../src/random/index.js";
import { directionalCheck } from "../../src/testing/gradients.js";
import { expectClose } from "../../src/testing/index.js";
import { forwardPass } from "../../src/objectives/evaluate.js";
import { defaultObjective } from "../../src/objectives/objective.js";

const ref = new ReferenceBackend();

describe("conv architecture", () => {
  it("is the Keras VAE example with PyTorch's names and layouts", () => {
    const m = vae.conv({ imageShape: [28, 28, 1] });
    const shapes = Object.fromEntries(m.layout.entries.map((e) => [e.name, e.shape]));
    expect(shapes).toEqual({
      "encoder.0.weight": [32, 1, 3, 3], "encoder.0.bias": [32],
      "encoder.2.weight": [64, 32, 3, 3], "encoder.2.bias": [64],
      "encoder.5.weight": [16, 3136], "encoder.5.bias": [16],
      "mu.0.weight": [2, 16], "mu.0.bias": [2], "logvar.0.weight": [2, 16], "logvar.0.bias": [2],
      "decoder.0.weight": [3136, 2], "decoder.0.bias": [3136],
      "decoder.3.weight": [64, 64, 3, 3], "decoder.3.bias": [64],
      "decoder.5.weight": [64, 32, 3, 3], "decoder.5.bias": [32],
      "decoder.7.weight": [32, 1, 3, 3], "decoder.7.bias": [1],
    });
    expect(m.arch.decoder.outFeatures).toBe(784);
    // Parameter count of the PyTorch peer (torch_convvae.py): the same model.
    expect(m.layout.total).toBe(320 + 18496 + 50192 + 2 * 34 + 9408 + 36928 + 18464 + 289);
  });

  it("undoes odd sizes and several channels", () => {
    const m = ae.conv({ imageShape: [9, 7, 4], channels: [3, 5, 2], hidden: [6], latent: 3 });
    expect(m.arch.decoder.outFeatures).toBe(9 * 7 * 4);
  });

  it("refuses even kernels and empty channel lists", () => {
    expect(() => vae.conv({ imageShape: [8, 8, 1], kernel: 4 })).toThrow(/kernel must be an odd/);
    expect(() => vae.conv({ imageShape: [8, 8, 1], channels: [] })).toThrow(/at least one convolution/);
    expect(() => vae.conv({ imageShape: [8, 8] as never })).toThrow(/imageShape/);
  });
});

function objective(model: Model, batch: number, seed: number) {
  const prog = model.program(ref, batch);
  ref.write(prog.x, uniform(key(seed), batch * model.spec.input));
  const noise = foldIn(key(seed), 1);
  const pass = (theta: Float64Array) => { ref.write(prog.params, theta); return forwardPass(prog, defaultObjective(model.spec), noise, 0, false); };
  const f = (theta: Float64Array): number => pass(theta).value;
  const grad = (theta: Float64Array): Float64Array => { pass(theta).backward(); return ref.read(prog.grads); };
  return { f, grad };
}

const configs = fc.record({
  kind: fc.constantFrom("ae" as const, "vae" as const),
  h: fc.integer({ min: 3, max: 9 }), w: fc.integer({ min: 3, max: 9 }), c: fc.integer({ min: 1, max: 3 }),
  channels: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
  kernel: fc.constantFrom(1, 3),
  hidden: fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 1 }),
  latent: fc.integer({ min: 1, max: 3 }),
  batch: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

describe("conv models: gradients and backends", () => {
  it("whole-loss gradients by central differences (float64, smooth activation)", () => {
    fc.assert(fc.property(configs, (c) => {
      const model = (c.kind === "ae" ? ae : vae).conv({ imageShape: [c.h, c.w, c.c], channels: c.channels, kernel: c.kernel,
        hidden: c.hidden, latent: c.latent, activation: "tanh" });
      const theta = Float64Array.from(model.layout.flatten(model.init(key(c.seed))));
      const { f, grad } = objective(model, c.batch, c.seed);
      const check = directionalCheck(f, theta, grad(theta), c.seed + 5);
      expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
    }), { numRuns: 25 });
  });

  for (const isa of ["simd", "scalar"] as const) {
    it(`the ${isa} backend agrees with the float64 backend`, () => {
      const loaded = instantiateSync(undefined, { isa });
      if (E.isLeft(loaded)) throw loaded.left;
      const be = new WasmBackend(loaded.right);
      const run = <B extends Buffer>(b: Backend<B>, model: Model, theta: Float32Array, x: Float32Array, batch: number, seed: number) => {
        const prog = model.program(b, batch);
        b.write(prog.params, theta); b.write(prog.x, x);
        const pass = forwardPass(prog, defaultObjective(model.spec), foldIn(key(seed), 2), 0, false);
        const sums = pass.terms;
        pass.backward();
        const out = { sums, grads: Float64Array.from(b.read(prog.grads)) };
        prog.dispose();
        return out;
      };
      fc.assert(fc.property(configs, (c) => {
        const model = (c.kind === "ae" ? ae : vae).conv({ imageShape: [c.h, c.w, c.c], channels: c.channels, kernel: c.kernel, hidden: c.hidden, latent: c.latent });
        const theta = model.layout.flatten(model.init(key(c.seed)));
        const x = uniform(key(c.seed + 1), c.batch * model.spec.input);
        const w = run(be, model, theta, x, c.batch, c.seed), r = run(ref, model, theta, x, c.batch, c.seed);
        expectClose([w.sums.reconstruction!, w.sums.kl!], [r.sums.reconstruction!, r.sums.kl!], { rtol: 1e-4, atol: 1e-4 });
        let scale = 0;
        for (const g of r.grads) scale = Math.max(scale, Math.abs(g));
        expectClose(w.grads, r.grads, { rtol: 1e-3, atol: 1e-4 * scale + 1e-6 });
      }), { numRuns: 25 });
    });
  }
});
