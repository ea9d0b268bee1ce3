// Composed models against their PyTorch twins (examples/torch-twin.py, which builds the twin from
// the file's spec alone): codes and decoder outputs of two composed models, covering every layer
// type, were computed by PyTorch 1.13 from the model files in test/fixtures/torch-twin and stored
// there (torch.json). Written with TWIN_FIXTURE=write (the files; then the figures with
//   python3 examples/torch-twin.py M.safetensors M.rows.json [M.labels.json] --json > M.torch.json).
import * as E from "fp-ts/lib/Either.js";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { modelFromSafetensors, modelToSafetensors } from "../../src/io/model-file.js";
import { vae, type Model } from "../../src/models/index.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Conv2d } from "../../src/nn/conv2d.js";
import { ConvTranspose2d } from "../../src/nn/conv-transpose2d.js";
import { Dense } from "../../src/nn/dense.js";
import { Dropout } from "../../src/nn/dropout.js";
import { LayerNorm } from "../../src/nn/layer-norm.js";
import type { Params } from "../../src/nn/params.js";
import { Flatten, Reshape } from "../../src/nn/reshape.js";
import { key, normal, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/torch-twin");

beforeAll(() => { initSync(undefined, { isa: "simd" }); });

const models: Record<string, { make: () => Model; classes: number }> = {
  "conv-layernorm-vae": {
    classes: 0,
    make: () => vae({
      encoder: [
        new Conv2d({ input: [6, 5, 2], outChannels: 3, kernel: 3, stride: 2, padding: "same" }), new LayerNorm([3, 3, 3]),
        new ActivationLayer("leakyRelu", 27, 0.2),
        new Conv2d({ input: [3, 3, 3], outChannels: 4, kernel: [2, 3], padding: { top: 1, bottom: 0, left: 1, right: 1 } }),
        new ActivationLayer("elu", 36), new Flatten([3, 3, 4]), new Dropout(36, 0.3), new Dense(36, 10), new ActivationLayer("tanh", 10),
      ],
      decoder: [
        new Dense(3, 36), new ActivationLayer("relu", 36), new Reshape([36], [3, 3, 4]),
        new ConvTranspose2d({ input: [3, 3, 4], outChannels: 3, kernel: 3, stride: 2, padding: "same" }), new ActivationLayer("sigmoid", 108),
        new ConvTranspose2d({ input: [6, 6, 3], outChannels: 3, kernel: 3, padding: 1 }), new ActivationLayer("softplus", 108),
        new Conv2d({ input: [6, 6, 3], outChannels: 2, kernel: [1, 2] }),
      ],
      latent: 3, likelihood: "gaussian",
    }),
  },
  "conditional-vae": {
    classes: 3,
    make: () => vae({
      encoder: [new Dense(63, 12), new LayerNorm([12]), new ActivationLayer("relu", 12)],
      decoder: [
        new Dense(5, 18), new ActivationLayer("identity", 18), new Reshape([18], [3, 3, 2]),
        new ConvTranspose2d({ input: [3, 3, 2], outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: [1, 0] }),
      ],
      latent: 2, classes: 3, likelihood: "gaussian",
    }),
  },
};

/** Initial parameters moved by 0.2 N(0, 1), so that LayerNorm's weight and bias are not ones and zeros. */
function perturbed(model: Model): Params {
  const p = model.init(key(1));
  const out: Record<string, ReturnType<typeof tensor>> = {};
  Object.entries(p).forEach(([n, t], i) => {
    const d = normal(key(100 + i), t.data.length);
    out[n] = tensor(t.data.map((v, j) => v + 0.2 * d[j]!), t.shape);
  });
  return out;
}

describe("composed models agree with their PyTorch twins", () => {
  if (process.env.TWIN_FIXTURE === "write") {
    it("writes the model files and inputs", () => {
      mkdirSync(dir, { recursive: true });
      for (const [name, { make, classes }] of Object.entries(models)) {
        const model = make();
        writeFileSync(join(dir, `${name}.safetensors`), modelToSafetensors({ spec: model.spec, params: perturbed(model) }));
        const rows = Array.from({ length: 5 }, (_, i) => Array.from(uniform(key(50 + i), model.spec.input)));
        writeFileSync(join(dir, `${name}.rows.json`), JSON.stringify(rows));
        if (classes) writeFileSync(join(dir, `${name}.labels.json`), JSON.stringify([0, 2, 1, 2, 0]));
      }
    });
    return;
  }
  for (const name of Object.keys(models)) {
    it(name, () => {
      const file = modelFromSafetensors(readFileSync(join(dir, `${name}.safetensors`)));
      if (E.isLeft(file)) throw file.left;
      const { model, params } = file.right;
      expect(model.spec).toEqual(models[name]!.make().spec); // the stored spec is this composition
      const rows = JSON.parse(readFileSync(join(dir, `${name}.rows.json`), "utf8")) as number[][];
      const labelsPath = join(dir, `${name}.labels.json`);
      const labels = existsSync(labelsPath) ? JSON.parse(readFileSync(labelsPath, "utf8")) as number[] : undefined;
      const torch = JSON.parse(readFileSync(join(dir, `${name}.torch.json`), "utf8")) as { codes: number[][]; outputs: number[][] };
      const x = tensor(Float32Array.from(rows.flat()), [rows.length, model.spec.input]);
      const codes = model.encode(params, x, { labels }).mean;
      const outputs = model.decode(params, codes, { labels });
      // Both sides compute in f32 with different summation orders: agreement to ~1e-5 relative.
      const close = (a: Float32Array, b: number[]) => b.forEach((v, i) => expect(Math.abs(a[i]! - v), `index ${i}`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(v))));
      close(codes.data, torch.codes.flat());
      close(outputs.data, torch.outputs.flat());
    });
  }
});
