// The pure model functions: shapes, ranges, determinism, no mutation, typed errors.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { ae, vae, fromSpec, type ModelSpec } from "../../src/models/index.js";
import { ConfigError } from "../../src/nn/layer.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor, zeros } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

const x = tensor(uniform(key(3), 1100 * 10), [1100, 10]); // more rows than one chunk (512)

describe("model functions", () => {
  const model = vae.mlp({ input: 10, hidden: [8, 6], latent: 3 });
  const params = model.init(key(1));

  it("init names parameters as PyTorch would and is deterministic", () => {
    expect(Object.keys(params)).toEqual(["encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias",
      "mu.0.weight", "mu.0.bias", "logvar.0.weight", "logvar.0.bias",
      "decoder.0.weight", "decoder.0.bias", "decoder.2.weight", "decoder.2.bias", "decoder.4.weight", "decoder.4.bias"]);
    expect(params["encoder.0.weight"]!.shape).toEqual([8, 10]);
    expect(params["decoder.4.weight"]!.shape).toEqual([10, 8]);
    expect(model.init(key(1))).toEqual(params);
    expect(model.init(key(2))["encoder.0.weight"]!.data).not.toEqual(params["encoder.0.weight"]!.data);
    const bound = 1 / Math.sqrt(10);
    expect(params["encoder.0.weight"]!.data.every((v) => Math.abs(v) <= bound)).toBe(true);
  });

  it("encode, decode, reconstruct and sample give the documented shapes and ranges, across chunks", () => {
    const before = Array.from(x.data.subarray(0, 50));
    const enc = model.encode(params, x);
    expect(enc.mean.shape).toEqual([1100, 3]);
    expect(enc.logvar!.shape).toEqual([1100, 3]);
    const rec = model.reconstruct(params, x);
    expect(rec.shape).toEqual([1100, 10]);
    expect(rec.data.every((v) => v > 0 && v < 1)).toBe(true);
    // reconstruct at z = mu equals decode(encode(x).mean)
    expect(Array.from(model.decode(params, enc.mean).data)).toEqual(Array.from(rec.data));
    // row 700 (second chunk) alone gives the same code as within the big batch
    const one = model.encode(params, tensor(x.data.slice(700 * 10, 701 * 10), [1, 10]));
    expect(Array.from(one.mean.data)).toEqual(Array.from(enc.mean.data.subarray(2100, 2103)).map((v) => expect.closeTo(v, 5)));
    const s = model.sample(params, key(9), 7);
    expect(s.shape).toEqual([7, 10]);
    expect(Array.from(model.sample(params, key(9), 7).data)).toEqual(Array.from(s.data));
    expect(Array.from(x.data.subarray(0, 50))).toEqual(before);
  });

  it("a sampled reconstruction differs from the mean one and is reproducible by key", () => {
    const a = model.reconstruct(params, x, key(4));
    expect(Array.from(model.reconstruct(params, x, key(4)).data)).toEqual(Array.from(a.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(model.reconstruct(params, x).data));
  });

  it("loss is per sample: reconstruction + beta * kl, with KL >= 0", () => {
    const m = model.loss(params, x, key(5));
    expect(m.kl).toBeGreaterThanOrEqual(0);
    expect(m.loss).toBeCloseTo(m.reconstruction + m.kl, 10);
    // 10 Bernoulli pixels: an untrained model is near 10 * log 2 per sample
    expect(m.reconstruction).toBeGreaterThan(5);
    expect(m.reconstruction).toBeLessThan(12);
    expect(model.loss(params, zeros([0, 10]), key(5))).toEqual({ loss: 0, reconstruction: 0, kl: 0 });
  });

  it("an AE has codes but no log-variance and no prior", () => {
    const m = ae.mlp({ input: 10, hidden: [], latent: 2, likelihood: "mse" });
    const p = m.init(key(1));
    expect(Object.keys(p)).toEqual(["encoder.0.weight", "encoder.0.bias", "decoder.0.weight", "decoder.0.bias"]);
    expect(m.encode(p, x).logvar).toBeNull();
    expect(() => m.sample(p, key(1), 3)).toThrow(ConfigError);
    expect(m.loss(p, x, key(1)).kl).toBe(0);
  });

  it("refuses bad configurations with ConfigError naming the field", () => {
    expect(() => vae.mlp({ input: 0, latent: 2 })).toThrow(/input must be a positive integer, got 0/);
    expect(() => vae.mlp({ input: 4, latent: 2, hidden: [] })).toThrow(/at least one hidden layer/);
    expect(() => vae.mlp({ input: 4, latent: 2, activation: "gelu" as never })).toThrow(/activation must be one of/);
    expect(() => vae.mlp({ input: 4, latent: 2, beta: -1 })).toThrow(/beta/);
    expect(() => vae.mlp({ input: 4, latent: 2, likelihood: "poisson" as never })).toThrow(/likelihood/);
    expect(() => fromSpec({ ...model.spec, hidden: [3.5] } as ModelSpec)).toThrow(/hidden\[0\]/);
    expect(() => model.encode({ ...params, "mu.0.bias": zeros([4]) }, x)).toThrow(/"mu.0.bias" has shape \[4\], expected \[3\]/);
  });
});
