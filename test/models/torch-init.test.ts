// Whole models start from PyTorch's default initialisation, tensor by tensor: the formula
// applied to each parameter's PyTorch shape (as reset_parameters of nn.Linear, nn.Conv2d and
// nn.ConvTranspose2d does it), so a model and its PyTorch twin start from the same distribution.
import { describe, expect, it } from "vitest";
import { vae } from "../../src/models/index.js";
import type { Model } from "../../src/models/model.js";
import { key } from "../../src/random/index.js";

/**
 * torch.nn.init._calculate_fan_in_and_fan_out: fan_in = size(1) * receptive field. For a
 * ConvTranspose2d weight [in, out, kh, kw] that is out * kh * kw (PyTorch's quirk, kept).
 * kaiming_uniform_(a = sqrt(5)) gives weights U(+-1/sqrt(fan_in)); biases use the same bound.
 */
function torchBound(weightShape: readonly number[]): number {
  const receptive = weightShape.slice(2).reduce((a, b) => a * b, 1);
  return 1 / Math.sqrt(weightShape[1]! * receptive);
}

function checkTorchInit(model: Model, seed: number): void {
  const params = model.init(key(seed));
  const shapes = new Map(model.layout.entries.map((e) => [e.name, e.shape]));
  for (const e of model.layout.entries) {
    const owner = e.name.replace(/\.(weight|bias)$/, "");
    const bound = torchBound(shapes.get(`${owner}.weight`)!);
    const v = params[e.name]!.data;
    let max = 0, sum = 0, sq = 0;
    for (const x of v) { max = Math.max(max, Math.abs(x)); sum += x; sq += x * x; }
    const n = v.length;
    expect(max, `${e.name}: |value| <= ${bound}`).toBeLessThanOrEqual(bound);
    if (n >= 2000) {
      // U(-b, b): sd b / sqrt(3), mean 0 (sd of the sample mean b / sqrt(3 n)), max near b.
      const sd = Math.sqrt(sq / n - (sum / n) ** 2);
      expect(Math.abs(sd / (bound / Math.sqrt(3)) - 1), `${e.name}: sd`).toBeLessThan(0.05);
      expect(Math.abs(sum / n), `${e.name}: mean`).toBeLessThan(5 * bound / Math.sqrt(3 * n));
      expect(max, `${e.name}: max`).toBeGreaterThan(0.99 * bound);
    }
  }
}

describe("PyTorch's default initialisation, per parameter", () => {
  it("conv VAE (the Keras example, as torch_convvae.py): Conv2d, Linear and ConvTranspose2d bounds", () => {
    const m = vae.conv({ imageShape: [28, 28, 1] });
    expect(m.spec.arch === "conv" && m.spec.init).toBe("torch");
    for (const seed of [1, 2, 3]) checkTorchInit(m, seed);
    // The bounds the peer's layers get, spelled out (ConvTranspose2d: fan_in = out * 3 * 3).
    const bounds = Object.fromEntries(m.layout.entries.filter((e) => e.name.endsWith("weight")).map((e) => [e.name, torchBound(e.shape)]));
    expect(bounds).toEqual({
      "encoder.0.weight": 1 / 3, "encoder.2.weight": 1 / Math.sqrt(288), "encoder.5.weight": 1 / 56,
      "mu.0.weight": 1 / 4, "logvar.0.weight": 1 / 4, "decoder.0.weight": 1 / Math.sqrt(2),
      "decoder.3.weight": 1 / 24, "decoder.5.weight": 1 / Math.sqrt(288), "decoder.7.weight": 1 / 3,
    });
  });

  it("conv VAE with RGB input and other channels", () => {
    checkTorchInit(vae.conv({ imageShape: [12, 10, 3], channels: [8, 24], hidden: [32], latent: 4 }), 7);
  });

  it("MLP VAE (as torch_vae.py)", () => {
    checkTorchInit(vae.mlp({ input: 784, hidden: [400], latent: 20 }), 5);
  });

  it("differs between keys and between tensors of the same shape", () => {
    const m = vae.conv({ imageShape: [28, 28, 1] });
    const a = m.init(key(1)), b = m.init(key(2));
    expect(a["encoder.2.weight"]!.data).not.toEqual(b["encoder.2.weight"]!.data);
    expect(a["mu.0.weight"]!.data).not.toEqual(a["logvar.0.weight"]!.data);
  });
});
