// init({ isa: "auto" }) picks the relaxed-SIMD build where the runtime validates relaxed SIMD,
// and init() keeps the SIMD build even there (the same bits in every runtime). Node 20 accepts
// it only behind --experimental-wasm-relaxed-simd, so the parent test re-runs this file under
// vitest in a child process with that flag (and LATENT_RELAXED_CHILD=1); there, the second
// block checks that auto loads "relaxed" and that a tiny VAE trains on it to the same losses as
// on the SIMD build (not bit for bit: relaxed_madd fuses, so within a tolerance).
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { init } from "../../src/backend/default.js";
import { relaxedSimdSupported, type Isa } from "../../src/kernels/module.js";
import { batches } from "../../src/data/batches.js";
import { vae } from "../../src/models/index.js";
import { adam } from "../../src/optim/index.js";
import { key, split, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { fit, initState } from "../../src/train/index.js";

const root = new URL("../..", import.meta.url).pathname;
const inChild = process.env.LATENT_RELAXED_CHILD === "1";

describe.skipIf(inChild)("relaxed-SIMD build under --experimental-wasm-relaxed-simd", () => {
  it("is chosen by auto in a child process, where a tiny VAE trains on it", () => {
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", join(root, "node_modules/vitest/vitest.mjs"),
      "run", "test/kernels/module-relaxed.test.ts"], {
      cwd: root, env: { ...process.env, LATENT_RELAXED_CHILD: "1", NO_COLOR: "1" }, stdio: "pipe", maxBuffer: 1 << 24,
    }).toString();
    // execFileSync throws (failing this test) when the child's tests fail; check they ran.
    expect(out).toMatch(/\b2 passed, 0 failed\b/);
  }, 120_000);
});

describe.runIf(inChild)("in the child (relaxed SIMD enabled)", () => {
  it("validates the relaxed probe and auto loads the relaxed build, which reports itself; the default stays simd", async () => {
    expect(relaxedSimdSupported()).toBe(true);
    const portable = await init();
    expect(portable.isa).toBe("simd");
    expect(portable.exports.has_relaxed_simd()).toBe(0);
    const module = await init({ isa: "auto" });
    expect(module.isa).toBe("relaxed");
    expect(module.exports.has_relaxed_simd()).toBe(1);
    expect(module.exports.has_simd()).toBe(1);
    expect((await init({ isa: "relaxed" })).isa).toBe("relaxed");
    expect((await init({ isa: "simd" })).exports.has_relaxed_simd()).toBe(0);
  });

  it("trains a tiny VAE to the losses of the SIMD build, within float tolerance", async () => {
    const D = 16;
    const data = tensor(uniform(key(11), 64 * D), [64, D]);
    const model = vae.mlp({ input: D, hidden: [12], latent: 3 });
    const [kInit, kData, kFit] = split(key(3), 3);
    const losses = async (isa: Isa) => {
      expect((await init({ isa })).isa).toBe(isa);
      const opt = adam({ learningRate: 1e-2 });
      const r = await fit(model, opt, {
        state: initState(model.init(kInit!), opt), data: batches(data, { batchSize: 16, key: kData! }), epochs: 5, key: kFit!,
      });
      return r.history.map((h) => h.train.loss);
    };
    const relaxed = await losses("relaxed"), simd = await losses("simd");
    expect(relaxed).toHaveLength(5);
    for (const l of relaxed) expect(Number.isFinite(l)).toBe(true);
    expect(relaxed[4]!).toBeLessThan(relaxed[0]!);
    relaxed.forEach((l, i) => expect(Math.abs(l - simd[i]!)).toBeLessThanOrEqual(1e-3 * Math.abs(simd[i]!)));
  });
});
