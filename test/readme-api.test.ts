// The README's "API in one screen", run as written (on small random data), so the README stays true.
import { describe, expect, it } from "vitest";
import { init, random, models, optim, train, data, tensor } from "../src/index.js";

describe("the README's API example", () => {
  it("runs as written", async () => {
    const x = tensor(random.uniform(random.key(7), 300 * 784), [300, 784]);
    const xTest = tensor(random.uniform(random.key(8), 50 * 784), [50, 784]);
    const batch = tensor(x.data.slice(0, 128 * 784), [128, 784]);

    await init();
    const [kInit, kData, kFit] = random.split(random.key(1), 3) as [random.Key, random.Key, random.Key];
    const vae = models.vae.mlp({ input: 784, hidden: [400], latent: 20, likelihood: "bernoulli" });
    const params = vae.init(kInit);
    const opt = optim.adam({ learningRate: 1e-3 });
    const step = train.step(vae, opt);
    let state = train.initState(params, opt);
    ({ state } = step(state, batch, random.foldIn(kFit, state.opt.count)));
    const epochs: number[] = [];
    const { state: trained, history } = await train.fit(vae, opt, {
      state, epochs: 2, key: kFit,
      data: data.batches(x, { batchSize: 128, key: kData }),
      validation: { x: xTest },
      onEpoch: (m) => { epochs.push(m.epoch); },
      signal: AbortSignal.timeout(60_000),
    });
    expect(epochs).toEqual([1, 2]);
    expect(history[1]!.test!.loss).toBeLessThan(history[0]!.test!.loss);
    expect(vae.encode(trained.params, xTest).mean.shape).toEqual([50, 20]);
    expect(vae.reconstruct(trained.params, xTest).shape).toEqual([50, 784]);
    expect(vae.sample(trained.params, random.key(2), 64).shape).toEqual([64, 784]);
    expect(vae.loss(trained.params, xTest, random.key(3)).loss).toBeGreaterThan(0);
  });
});
