// A runtime without FinalizationRegistry (Cloudflare workerd before its 2024-11 compatibility
// dates): the kernels load and train; only the backstop for undisposed memory is missing, so
// what is disposed is still freed.
import { afterAll, describe, expect, it } from "vitest";
import { createRuntimeSync } from "../../src/runtime/index.js";
import { vae } from "../../src/models/index.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { valueAndGrad } from "../../src/train/index.js";

const saved = globalThis.FinalizationRegistry;
afterAll(() => { globalThis.FinalizationRegistry = saved; });

describe("without FinalizationRegistry", () => {
  it("a runtime loads, computes a gradient, and frees what is disposed", () => {
    (globalThis as { FinalizationRegistry?: unknown }).FinalizationRegistry = undefined;
    const rt = createRuntimeSync(undefined, { isa: "simd" });
    expect(rt.backend.finalizer).toBeUndefined();
    const model = vae.mlp({ input: 12, hidden: [8], latent: 2 });
    const run = () => {
      const vg = valueAndGrad(model, undefined, { backend: rt.backend });
      const out = vg(model.init(key(1)), tensor(uniform(key(2), 5 * 12), [5, 12]), key(3));
      vg.dispose();
      return out;
    };
    const first = run(); // the backend's own scratch is made once, on first use
    expect(Number.isFinite(first.value)).toBe(true);
    expect(Object.keys(first.grads).length).toBeGreaterThan(0);
    const before = rt.backend.arena.allocatedBytes;
    expect(run().value).toBe(first.value);
    expect(rt.backend.arena.allocatedBytes).toBe(before);
  });
});
