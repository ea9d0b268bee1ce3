/**
 * The peers' protocol on the embedded MNIST digits: the 784-400-20 VAE (Bernoulli likelihood,
 * KL closed form), Adam 1e-3, batch 128, 8,000 train / 2,000 test digits (index % 5 == 4 is
 * test). Prints one JSON line per epoch: wall time, samples/s, train and test loss in nats per
 * sample, comparable with ../shared/peers/torch_vae.py --data mnist.
 *
 *   npm run build && node dist/examples/mnist-vae.js [--epochs 10] [--seed 1] [--isa simd|scalar]
 */
import { parseArgs } from "node:util";
import { init, random, models, optim, train, data } from "../src/index.js";
import { loadEmbeddedMnist } from "../src/data/node/mnist.js";

const { values } = parseArgs({ options: {
  epochs: { type: "string", default: "10" },
  seed: { type: "string", default: "1" },
  isa: { type: "string", default: "auto" },
} });
const module = await init({ isa: values.isa as "auto" | "simd" | "scalar" });
const mnist = loadEmbeddedMnist();
const train_x = data.splitTensor(mnist.train, 784), test_x = data.splitTensor(mnist.test, 784);
const [kInit, kData, kFit, kTest] = random.split(random.key(Number(values.seed)), 4);
const vae = models.vae.mlp({ input: 784, hidden: [400], latent: 20, likelihood: "bernoulli" });
const opt = optim.adam({ learningRate: 1e-3 });
const result = await train.fit(vae, opt, {
  state: train.initState(vae.init(kInit!), opt),
  data: data.batches(train_x, { batchSize: 128, key: kData! }),
  epochs: Number(values.epochs),
  key: kFit!,
  validation: { x: test_x, key: kTest! },
  onEpoch: (m) => {
    console.log(JSON.stringify({ epoch: m.epoch, sec: +m.seconds.toFixed(3), samples_per_s: Math.round(m.samplesPerSecond),
      train_nats: +m.train.loss.toFixed(2), test_nats: +m.test!.loss.toFixed(2), test_kl: +m.test!.kl.toFixed(2), isa: module.isa }));
  },
});
const last = result.history[result.history.length - 1]!;
console.log(`final test loss ${last.test!.loss.toFixed(2)} nats/sample after ${last.epoch} epochs`);
