// Models composed from layers: a composition of the preset's own layers is the preset (names,
// initial bits, loss); composed specs are plain JSON that rebuild the model, through a model file
// too; a conditional VAE takes labels; bad compositions are typed errors naming what is wrong.
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { modelFromSafetensors, modelToSafetensors } from "../../src/io/model-file.js";
import { ae, fromSpec, vae } from "../../src/models/index.js";
import { presetLayers } from "../../src/models/architecture.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Conv2d } from "../../src/nn/conv2d.js";
import { Dense } from "../../src/nn/dense.js";
import { Dropout } from "../../src/nn/dropout.js";
import { ConfigError } from "../../src/nn/layer.js";
import { LayerNorm } from "../../src/nn/layer-norm.js";
import { Flatten } from "../../src/nn/reshape.js";
import type { Params } from "../../src/nn/params.js";
import { key, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(undefined, { isa: "simd" }); });

const bits = (p: Params) => Object.values(p).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));

describe("composed models", () => {
  it("the preset's layers composed by hand are the preset: names, initial bits, loss and codes", () => {
    for (const preset of [
      vae.mlp({ input: 12, hidden: [9, 7], latent: 3, init: "glorot" }),
      vae.conv({ imageShape: [8, 6, 2], channels: [3, 4], hidden: [5], latent: 2 }),
      ae.mlp({ input: 12, hidden: [10], latent: 4, likelihood: "mse" }),
    ]) {
      const spec = preset.spec as Parameters<typeof presetLayers>[0];
      const layers = presetLayers(spec);
      const composed = (spec.kind === "vae" ? vae : ae)({ ...layers, latent: spec.latent, likelihood: spec.likelihood, headInit: spec.init });
      expect(composed.spec.arch).toBe("composed");
      expect(composed.layout.entries).toEqual(preset.layout.entries);
      const params = preset.init(key(5));
      expect(bits(composed.init(key(5)))).toEqual(bits(params));
      const x = tensor(uniform(key(6), 9 * spec.input), [9, spec.input]);
      expect(composed.loss(params, x, key(7))).toEqual(preset.loss(params, x, key(7)));
      expect(Array.from(composed.encode(params, x).mean.data)).toEqual(Array.from(preset.encode(params, x).mean.data));
    }
  });

  it("a conv encoder with LayerNorm and Dropout and an MLP decoder: spec as JSON, rebuilt, through a model file", () => {
    const model = vae({
      encoder: [
        new Conv2d({ input: [8, 8, 1], outChannels: 4, kernel: 3, stride: 2, padding: 1 }), new LayerNorm([4, 4, 4]),
        new ActivationLayer("relu", 64), new Flatten([4, 4, 4]), new Dropout(64, 0.1),
      ],
      decoder: [new Dense(3, 32), new ActivationLayer("tanh", 32), new Dense(32, 64)],
      latent: 3,
    });
    expect(model.spec.arch === "composed" && model.spec.imageShape).toEqual([8, 8, 1]);
    const again = fromSpec(JSON.parse(JSON.stringify(model.spec)));
    expect(again.layout.entries).toEqual(model.layout.entries);
    const params = model.init(key(1));
    expect(bits(again.init(key(1)))).toEqual(bits(params));
    expect(params["encoder.1.weight"]!.shape).toEqual([4, 4, 4]);
    const x = tensor(uniform(key(2), 5 * 64), [5, 64]);
    const file = modelFromSafetensors(modelToSafetensors({ spec: model.spec, params }));
    if (E.isLeft(file)) throw file.left;
    expect(file.right.model.spec).toEqual(model.spec);
    // Inference: Dropout is the identity, so codes are deterministic and equal after the round trip.
    expect(Array.from(file.right.model.encode(file.right.params, x).mean.data)).toEqual(Array.from(model.encode(params, x).mean.data));
  });

  it("a conditional VAE encodes, decodes and samples with labels, and refuses calls without them", () => {
    const C = 3;
    const model = vae({
      encoder: [new Dense(6 + C, 8), new ActivationLayer("relu", 8)],
      decoder: [new Dense(2 + C, 8), new ActivationLayer("relu", 8), new Dense(8, 6)],
      latent: 2, classes: C,
    });
    const params = model.init(key(3));
    const x = tensor(uniform(key(4), 4 * 6), [4, 6]);
    const labels = [0, 2, 1, 2];
    expect(model.encode(params, x, { labels }).mean.shape).toEqual([4, 2]);
    const z = tensor(new Float32Array(4 * 2), [4, 2]);
    const a = model.decode(params, z, { labels: [0, 0, 1, 2] }).data;
    // The same code decodes differently under different labels, the same under the same label.
    expect(Array.from(a.subarray(0, 6))).toEqual(Array.from(a.subarray(6, 12)));
    expect(Array.from(a.subarray(6, 12))).not.toEqual(Array.from(a.subarray(12, 18)));
    expect(model.sample(params, key(5), 4, { labels }).shape).toEqual([4, 6]);
    expect(() => model.encode(params, x)).toThrow(/needs labels/);
    expect(() => model.encode(params, x, { labels: [0, 1] })).toThrow(/needs labels/);
    expect(() => model.encode(params, x, { labels: [0, 1, 3, 0] })).toThrow(/label 2 is 3/);
  });

  it("refuses compositions whose widths do not connect, naming the layer and the widths", () => {
    const enc = [new Dense(6, 4)];
    expect(() => vae({ encoder: enc, decoder: [new Dense(3, 6)], latent: 2 })).toThrow(/decoder takes 3 features, but the code has 2/);
    expect(() => vae({ encoder: enc, decoder: [new Dense(2, 5)], latent: 2 })).toThrow(/decoder gives 5 features, but the input has 6/);
    expect(() => ae({ encoder: [new Dense(6, 4), new Dense(5, 2)], decoder: [new Dense(2, 6)] })).toThrow(/encoder.1: takes 5 features but layer 0 gives 4/);
    expect(() => vae({ encoder: enc, decoder: [new Dense(2, 6)] } as never)).toThrow(/needs latent/);
    expect(() => vae({ encoder: [], decoder: [new Dense(2, 6)], latent: 2 })).toThrow(ConfigError);
    expect(() => vae({ encoder: [{}] as never, decoder: [new Dense(2, 6)], latent: 2 })).toThrow(/encoder\[0\] is not a layer/);
    const noSpec = { ...new Dense(6, 4), kind: "mine", forward: () => {}, backward: () => {}, init: () => [], toSpec: undefined };
    expect(() => vae({ encoder: [noSpec as never], decoder: [new Dense(2, 6)], latent: 2 })).toThrow(/encoder\[0\] \(mine\) has no toSpec\(\)/);
  });
});
