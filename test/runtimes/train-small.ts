// The training that every runtime test runs, in that runtime, on the installed package (and in
// the test process itself, on src/, for Node's bits): a small MLP VAE trained for a few epochs on
// synthetic data with fixed keys. It takes the library as an argument, so that one text serves
// `import * as latent from "latent"` (Deno, Bun, workerd) and src/index.ts (Node). The data is
// built from integer arithmetic and one division per value (correctly rounded in every engine);
// the parameters' bits are hashed with FNV-1a over their 32-bit words.
import type * as Latent from "../../src/index.js";

export interface TrainOptions {
  /** init({ isa }); left out: init() with no options, the library's default. */
  readonly isa?: "auto" | "relaxed" | "simd" | "scalar";
  /** initSync(module) instead of init(): what workerd hands a worker for a `.wasm` import. */
  readonly module?: WebAssembly.Module;
  /** More than 1: train on parallel.startThreads({ threads }), every call cut (cutSizes 0). */
  readonly threads?: number;
  /** fit({ threads }) itself, with no backend. */
  readonly fitThreads?: number;
}

export interface Trained {
  readonly isa: string;
  /** Mean training loss of each epoch. */
  readonly losses: number[];
  /** FNV-1a of the final parameters' bits, names in sorted order, as 8 hex digits. */
  readonly hash: string;
  /** Threads the run trained on (as fit reports them), why not more, and the calls that workers ran. */
  readonly threads: number;
  readonly reason: string | null;
  readonly workerCalls: number;
}

const ROWS = 128, FEATURES = 32, EPOCHS = 4;

/** 128 rows in four classes of 32 features in (0, 1): a bar pattern per class plus a small ripple. */
function syntheticRows(): Float32Array {
  const x = new Float32Array(ROWS * FEATURES);
  for (let i = 0; i < ROWS; i++) {
    const c = i % 4;
    for (let j = 0; j < FEATURES; j++) {
      const on = (j + 5 * c) % 8 < 4 ? 80 : 10;
      x[i * FEATURES + j] = (on + ((i * 31 + j * 17) % 11)) / 100;
    }
  }
  return x;
}

function hashParams(params: Readonly<Record<string, { readonly data: Float32Array }>>): string {
  let h = 0x811c9dc5;
  for (const name of Object.keys(params).sort()) {
    const t = params[name]!.data;
    const words = new Uint32Array(t.buffer, t.byteOffset, t.length);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export async function trainSmall(latent: typeof Latent, o: TrainOptions = {}): Promise<Trained> {
  const { random, models, optim, train, data, tensor, parallel } = latent;
  const runtime = o.module ? latent.initSync(o.module) : o.isa ? await latent.init({ isa: o.isa }) : await latent.init();
  const [kInit, kData, kFit] = random.split(random.key(7), 3) as [Latent.random.Key, Latent.random.Key, Latent.random.Key];
  const vae = models.vae.mlp({ input: FEATURES, hidden: [24], latent: 2, likelihood: "bernoulli" });
  const opt = optim.adam({ learningRate: 1e-2 });
  const pool = (o.threads ?? 1) > 1 ? await parallel.startThreads({ threads: o.threads, cutSizes: { minFlops: 0, minElements: 0 } }) : null;
  try {
    const { state, history, threads, singleThreadReason } = await train.fit(vae, opt, {
      state: train.initState(vae.init(kInit), opt), epochs: EPOCHS, key: kFit,
      data: data.batches(tensor(syntheticRows(), [ROWS, FEATURES]), { batchSize: 32, key: kData }),
      ...(pool ? { backend: pool } : {}), ...(o.fitThreads ? { threads: o.fitThreads } : {}),
    });
    return {
      isa: runtime.isa, losses: history.map((m) => m.train.loss), hash: hashParams(state.params),
      threads, reason: pool ? pool.singleThreadReason : singleThreadReason,
      workerCalls: pool ? pool.callsPerThread().slice(1).reduce((a, b) => a + b, 0) : 0,
    };
  } finally {
    pool?.close();
  }
}
