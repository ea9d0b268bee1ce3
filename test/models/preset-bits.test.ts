// The presets (models.ae/vae .mlp/.conv) give the same bits as the code before models were
// composed from layers: the fixture test/fixtures/presets/before.json was written by this file
// (PRESET_FIXTURE=write) on the commit before that change, on the plain SIMD build. It holds
// SHA-256 digests of the f32 bytes of: initial parameters, parameters and optimizer slots after
// three Adam steps, codes, reconstructions and samples; and the exact loss values. One later,
// deliberate change of arithmetic re-recorded one entry: "ae.conv he" (a one-channel image)
// trains through the one-channel convolution kernels, whose filter and bias gradients sum the
// windows in another order than the column-matrix GEMM and column sums did (trained parameters
// and Adam slots; everything else kept its bits).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { ae, vae, type Model } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { adam } from "../../src/optim/index.js";
import { foldIn, key, uniform } from "../../src/random/index.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";
import { initState, step } from "../../src/train/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixturePath = join(here, "../fixtures/presets/before.json");

beforeAll(() => { initSync(undefined, { isa: "simd" }); });

function digest(arrays: readonly Float32Array[]): string {
  const h = createHash("sha256");
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest("hex");
}
const paramsDigest = (p: Params) => digest(Object.values(p).map((t) => t.data));
const tensorDigest = (t: Tensor | null) => (t ? digest([t.data]) : null);

const presets: Record<string, () => Model> = {
  "vae.mlp bernoulli": () => vae.mlp({ input: 12, hidden: [9, 7], latent: 3 }),
  "vae.mlp gaussian learned": () => vae.mlp({ input: 12, hidden: [8], latent: 2, likelihood: "gaussian", obsLogvar: "learned", beta: 0.5 }),
  "ae.mlp mse glorot": () => ae.mlp({ input: 12, hidden: [10], latent: 4, likelihood: "mse", init: "glorot", activation: "tanh" }),
  "vae.conv": () => vae.conv({ imageShape: [8, 6, 2], channels: [3, 4], hidden: [5], latent: 2 }),
  "ae.conv he": () => ae.conv({ imageShape: [7, 7, 1], channels: [4], kernel: 3, hidden: [6], latent: 3, init: "he", likelihood: "mse" }),
};

function record(make: () => Model) {
  const model = make();
  const D = model.spec.input;
  const x = tensor(uniform(key(11), 21 * D), [21, D]);
  const params = model.init(key(1));
  const opt = adam({ learningRate: 1e-2 });
  const fn = step(model, opt);
  let state = initState(params, opt);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const rows = i === 2 ? 5 : 8;
    const batch = tensor(x.data.slice(i * 8 * D, (i * 8 + rows) * D), [rows, D]);
    const r = fn(state, batch, foldIn(key(2), state.opt.count));
    losses.push(r.metrics.loss, r.metrics.reconstruction, r.metrics.kl);
    state = r.state;
  }
  const trained = state.params;
  const enc = model.encode(trained, x);
  const loss = model.loss(trained, x, key(3));
  return {
    init: paramsDigest(params),
    trained: paramsDigest(trained),
    slots: digest([state.opt.slots]),
    stepLosses: losses,
    loss: [loss.loss, loss.reconstruction, loss.kl],
    mean: tensorDigest(enc.mean),
    logvar: tensorDigest(enc.logvar),
    reconstruct: tensorDigest(model.reconstruct(trained, x)),
    reconstructSampled: model.spec.kind === "vae" ? tensorDigest(model.reconstruct(trained, x, key(4))) : null,
    sample: model.spec.kind === "vae" ? tensorDigest(model.sample(trained, key(5), 7)) : null,
  };
}

describe("presets give the same bits as before models were composed from layers", () => {
  if (process.env.PRESET_FIXTURE === "write") {
    it("writes the fixture", () => {
      const out = Object.fromEntries(Object.entries(presets).map(([name, make]) => [name, record(make)]));
      mkdirSync(dirname(fixturePath), { recursive: true });
      writeFileSync(fixturePath, JSON.stringify(out, null, 1) + "\n");
    });
    return;
  }
  const fixture = JSON.parse(readFileSync(fixturePath, "utf8")) as Record<string, ReturnType<typeof record>>;
  for (const [name, make] of Object.entries(presets)) {
    it(name, () => {
      expect(record(make)).toEqual(fixture[name]);
    });
  }
});
