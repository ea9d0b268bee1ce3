// The benchmark peer: TensorFlow.js on its `wasm` backend (XNNPACK, with SIMD where the runtime
// has it), one thread, measured in the same process and on the same work as latent:
//
// - GEMM: tf.matMul(a, b, transposeA, transposeB) on the shapes of bench/sections/gemm.ts's table, forced
//   to completion with dataSync() (which also copies C out: M N floats, small beside 2 M N K
//   flops), warmed up, a median of several timed runs.
// - Training: the same MLP VAE as latent's bench (784-400-20, ReLU hidden layers, Bernoulli
//   likelihood as BCE-with-logits summed over pixels plus the closed-form KL, one sample of z
//   by reparameterisation, Adam 1e-3, batch 128) on the same MNIST batches, one optimizer step
//   per batch, each step forced to completion by reading the loss back.
//
// The packages are dev dependencies ("benchmark peer") and loaded lazily, so that `--no-tfjs`
// and installs without dev dependencies never import them.
import type * as Tf from "@tensorflow/tfjs";

export type TfModule = typeof Tf;

export interface TfPeer {
  readonly tf: TfModule;
  readonly version: string;
  readonly backend: string;
  readonly threads: number;
}

/** Loads TF.js and selects its wasm backend with one thread; the reason when it cannot. */
export async function loadTfjs(): Promise<TfPeer | { error: string }> {
  try {
    const tf = await import("@tensorflow/tfjs");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend("wasm"))) return { error: "tf.setBackend('wasm') failed" };
    await tf.ready();
    return { tf, version: tf.version.tfjs, backend: tf.getBackend(), threads: wasm.getThreadsCount() };
  } catch (e) {
    return { error: String(e) };
  }
}

/** A timer for tf.matMul on one shape: each call returns GFLOP/s of one timed run (~target ms). */
export function tfjsGemm(tf: TfModule, s: { tA: number; tB: number; M: number; N: number; K: number }, targetMs: number): () => number {
  const a = tf.tensor2d(Float32Array.from({ length: s.M * s.K }, (_, i) => Math.sin(i)), s.tA ? [s.K, s.M] : [s.M, s.K]);
  const b = tf.tensor2d(Float32Array.from({ length: s.K * s.N }, (_, i) => Math.cos(i)), s.tB ? [s.N, s.K] : [s.K, s.N]);
  const run = () => {
    const c = tf.matMul(a, b, s.tA === 1, s.tB === 1);
    c.dataSync();
    c.dispose();
  };
  let t = performance.now();
  run();
  const reps = Math.max(1, Math.round(targetMs / Math.max(performance.now() - t, 1e-3)));
  for (let i = 0; i < 2 * reps; i++) run(); // warm-up
  const flops = 2 * s.M * s.N * s.K * reps;
  return () => {
    t = performance.now();
    for (let i = 0; i < reps; i++) run();
    return flops / ((performance.now() - t) * 1e6);
  };
}

/**
 * The MLP VAE (input-400-20) in TF.js, trained with Adam 1e-3 on the given batches (each a
 * batch x input Float32Array of pixels in [0, 1]). Returns a timer: each call runs one epoch
 * over the batches and returns samples/s; the parameters keep training from call to call, as
 * latent's fit does from its fixed initial state (a step costs the same either way).
 */
export function tfjsVaeTrainer(tf: TfModule, batches: readonly Float32Array[], batch: number, input = 784, hidden = 400, latent = 20): () => number {
  const dense = (i: number, o: number) => {
    const r = 1 / Math.sqrt(i); // uniform(-1/sqrt(fan in), 1/sqrt(fan in)) weights, zero biases
    return { w: tf.variable(tf.randomUniform([i, o], -r, r, "float32", 1)), b: tf.variable(tf.zeros([o])) };
  };
  const p = { enc: dense(input, hidden), mu: dense(hidden, latent), logVar: dense(hidden, latent), dec: dense(latent, hidden), out: dense(hidden, input) };
  const lin = (l: { w: Tf.Variable; b: Tf.Variable }, x: Tf.Tensor) => tf.add(tf.matMul(x, l.w), l.b);
  const opt = tf.train.adam(1e-3);
  const xs = batches.map((x) => tf.tensor2d(x, [batch, input]));
  const stepOnce = (x: Tf.Tensor) => {
    const cost = opt.minimize(() => {
      const h = tf.relu(lin(p.enc, x));
      const mu = lin(p.mu, h), logVar = lin(p.logVar, h);
      const z = tf.add(mu, tf.mul(tf.randomNormal(mu.shape), tf.exp(tf.mul(0.5, logVar))));
      const logits = lin(p.out, tf.relu(lin(p.dec, z)));
      // BCE with logits, summed: max(l, 0) - l x + log(1 + exp(-|l|)).
      const bce = tf.sum(tf.sub(tf.add(tf.relu(logits), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))), tf.mul(logits, x)));
      const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar))));
      return tf.div(tf.add(bce, kl), batch) as Tf.Scalar; // per-sample mean, as latent's loss
    }, true);
    const loss = cost!.dataSync()[0]!;
    cost!.dispose();
    if (!Number.isFinite(loss)) throw new Error(`tfjs VAE: non-finite loss ${loss}`);
  };
  return () => {
    const t = performance.now();
    for (const x of xs) stepOnce(x);
    return (xs.length * batch) / ((performance.now() - t) / 1000);
  };
}
