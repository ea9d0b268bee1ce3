// The README's "Models, objectives and the training loop by hand", run as written (on small random
// images), so the README stays true: a conv encoder with LayerNorm and an MLP decoder, a VAE with
// an L1 sparsity penalty and KL warm-up, trained with the Optax loop written out, saved, loaded
// back, and its codes compared.
import { describe, expect, it } from "vitest";
import { init, random, models, nn, objectives, optim, train, data, io, tensor } from "../src/index.js";

describe("the README's composed-model example", () => {
  it("runs as written", async () => {
    const x = tensor(random.uniform(random.key(7), 256 * 784), [256, 784]);
    const xTest = tensor(random.uniform(random.key(8), 32 * 784), [32, 784]);

    // ---- README begins ----
    await init();
    const [kInit, kData, kFit] = random.split(random.key(1), 3);
    const model = models.vae({
      encoder: [
        new nn.Conv2d({ input: [28, 28, 1], outChannels: 8, kernel: 3, stride: 2, padding: 1 }), // -> [14, 14, 8]
        new nn.LayerNorm([14, 14, 8]), new nn.ActivationLayer("relu", 1568), new nn.Flatten([14, 14, 8]),
      ],
      decoder: [new nn.Dense(8, 256), new nn.ActivationLayer("relu", 256), new nn.Dense(256, 784)],
      latent: 8,
    });
    const objective = objectives.elbo({
      beta: objectives.linearWarmup({ steps: 20 }),  // KL warm-up: beta from 0 to 1 over 20 steps
      penalties: [objectives.l1(1e-3)],              // sparsity: L1 on the posterior means
    });
    const vg = train.valueAndGrad(model, objective);
    const opt = optim.adam({ learningRate: 1e-3 });
    let params = model.init(kInit!);
    let optState = opt.init(params);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const batch of data.batches(x, { batchSize: 64, key: kData! })(epoch)) {
        const { value, terms, grads } = vg(params, batch, random.foldIn(kFit!, optState.count), { step: optState.count });
        const { updates, state } = opt.update(grads, optState, params);
        params = optim.applyUpdates(params, updates);
        optState = state;
        losses.push(value); // terms: { reconstruction, kl, l1 }
        expect(Object.keys(terms).sort()).toEqual(["kl", "l1", "reconstruction"]);
      }
    }
    vg.dispose();
    const file = io.modelFromSafetensors(io.modelToSafetensors({ spec: model.spec, params }));
    if (file._tag === "Left") throw file.left;
    const codes = model.encode(params, xTest).mean;
    const again = file.right.model.encode(file.right.params, xTest).mean;  // the same bits
    // ---- README ends ----

    expect(Array.from(again.data)).toEqual(Array.from(codes.data));
    expect(losses.length).toBe(12);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
  });
});
