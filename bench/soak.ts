// Soak: `npm run bench:soak` trains 20,000 steps and makes 10,000 encode/decode calls in one
// process, and checks that memory stays flat after warm-up (a short run is in
// test/faults/soak.test.ts). Training runs as `fit` calls of 500 steps each (each makes and frees
// its trainer); the calls alternate model.encode and model.decode on a batch (each makes and frees
// its programs). After every round the figures are read: the process's RSS, the WebAssembly
// memory's size, the bytes the kernel arena has allocated and the JS heap in use (after a full
// collection where --expose-gc allows it). The bounds, after the warm-up (the first quarter of
// the rounds): the WebAssembly memory does not grow at all, the arena holds exactly what it held,
// RSS grows by less than RSS_BOUND_MB and the JS heap by less than HEAP_BOUND_MB.
import { defaultBackend, init } from "../src/backend/default.js";
import { batches } from "../src/data/batches.js";
import { vae } from "../src/models/index.js";
import { adam } from "../src/optim/index.js";
import { key, split, uniform } from "../src/random/index.js";
import { tensor } from "../src/tensor/tensor.js";
import { fit, initState, type TrainState } from "../src/train/index.js";

/**
 * The largest growth after warm-up that counts as flat, MB (10^6 bytes). RSS moves by up to ~15 MB
 * between rounds even after a full collection (V8's code and malloc'd pages come and go); the JS
 * heap in use after a full collection is the finer figure (checked only with --expose-gc).
 */
export const RSS_BOUND_MB = 32;
export const HEAP_BOUND_MB = 1;

export interface Figures {
  readonly round: number;
  readonly rssMB: number;
  /** The JavaScript heap in use, and the memory of ArrayBuffers outside it (typed arrays' data), MB. */
  readonly heapMB: number;
  readonly arrayBuffersMB: number;
  readonly wasmBytes: number;
  readonly arenaBytes: number;
}

export interface SoakResult {
  readonly steps: number;
  readonly calls: number;
  /** Figures after the warm-up and at the end. */
  readonly warm: Figures;
  readonly end: Figures;
  readonly start: Figures;
  readonly maxRssMB: number;
  readonly seconds: number;
  /** What broke a bound, if anything. */
  readonly failures: readonly string[];
}

const BATCH = 32, ROWS = 640, INPUT = 784;

export interface SoakOptions {
  readonly steps: number;
  readonly calls: number;
  /** Steps and calls per round (default 500 and 250); figures are read after each round. */
  readonly round?: { readonly steps: number; readonly calls: number };
  /** The share of the rounds that is warm-up (default 0.25). */
  readonly warmup?: number;
  readonly log?: (line: string) => void;
}

export async function soak(o: SoakOptions): Promise<SoakResult> {
  await init({ isa: "simd" });
  const be = defaultBackend();
  const t0 = performance.now();
  const model = vae.mlp({ input: INPUT, hidden: [128], latent: 8 });
  const opt = adam({ learningRate: 1e-3 });
  const [kData, kInit, kFit] = split(key(1), 3) as [ReturnType<typeof key>, ReturnType<typeof key>, ReturnType<typeof key>];
  const data = tensor(uniform(kData, ROWS * INPUT), [ROWS, INPUT]);
  const x = tensor(data.data.subarray(0, BATCH * INPUT), [BATCH, INPUT]);
  // With --expose-gc (npm run bench:soak) a full collection first, so RSS shows what is kept, not the collector's slack.
  const gc = (globalThis as { gc?: () => void }).gc;
  const figures = (round: number): Figures => (gc?.(), {
    round, rssMB: process.memoryUsage().rss / 1e6, heapMB: process.memoryUsage().heapUsed / 1e6, arrayBuffersMB: process.memoryUsage().arrayBuffers / 1e6, wasmBytes: be.module.exports.memory.buffer.byteLength, arenaBytes: be.arena.allocatedBytes,
  });
  const per = o.round ?? { steps: 500, calls: 250 };
  const rounds = Math.max(Math.ceil(o.steps / per.steps), Math.ceil(o.calls / per.calls), 1);
  const warmRounds = Math.max(1, Math.floor(rounds * (o.warmup ?? 0.25)));
  const stepsEach = Math.ceil(o.steps / rounds), callsEach = Math.ceil(o.calls / rounds);
  const epochSteps = ROWS / BATCH;
  let state: TrainState = initState(model.init(kInit), opt);
  let steps = 0, calls = 0, epochs = 0, maxRssMB = 0;
  const start = figures(0);
  let warm = start;
  for (let round = 1; round <= rounds; round++) {
    const n = Math.min(stepsEach, o.steps - steps);
    if (n > 0) {
      // Whole epochs of the data's order keyed by epoch number; a round's fit continues the last.
      const more = Math.ceil(n / epochSteps);
      state = (await fit(model, opt, { state, data: batches(data, { batchSize: BATCH, key: kData }), startEpoch: epochs, epochs: epochs + more, key: kFit })).state;
      epochs += more;
      steps += more * epochSteps;
    }
    const roundCalls = Math.min(callsEach, o.calls - calls);
    for (let c = 0; c < roundCalls; c += 2) {
      const { mean } = model.encode(state.params, x);
      model.decode(state.params, mean);
      calls += 2;
    }
    const f = figures(round);
    maxRssMB = Math.max(maxRssMB, f.rssMB);
    if (round === warmRounds) warm = f;
    o.log?.(`round ${round}/${rounds}: ${steps} steps, ${calls} calls; RSS ${f.rssMB.toFixed(1)} MB, heap ${f.heapMB.toFixed(2)} MB, array buffers ${f.arrayBuffersMB.toFixed(2)} MB, wasm memory ${f.wasmBytes} bytes, arena ${f.arenaBytes} bytes`);
  }
  const end = figures(rounds);
  const failures: string[] = [];
  if (end.wasmBytes !== warm.wasmBytes) failures.push(`the WebAssembly memory grew after warm-up: ${warm.wasmBytes} -> ${end.wasmBytes} bytes`);
  if (end.arenaBytes !== warm.arenaBytes) failures.push(`the arena holds ${end.arenaBytes} bytes at the end, ${warm.arenaBytes} after warm-up`);
  if (end.rssMB - warm.rssMB >= RSS_BOUND_MB) failures.push(`RSS grew by ${(end.rssMB - warm.rssMB).toFixed(1)} MB after warm-up (bound ${RSS_BOUND_MB} MB)`);
  if (gc && end.heapMB - warm.heapMB >= HEAP_BOUND_MB) failures.push(`the JS heap grew by ${(end.heapMB - warm.heapMB).toFixed(2)} MB after warm-up (bound ${HEAP_BOUND_MB} MB)`);
  if (!Object.values(state.params).every((t) => t.data.every(Number.isFinite))) failures.push("the parameters are not finite");
  return { steps, calls, start, warm, end, maxRssMB, seconds: (performance.now() - t0) / 1000, failures };
}

if (process.argv[1]?.endsWith("soak.js")) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const r = await soak({ steps: arg("steps", 20_000), calls: arg("calls", 10_000), log: (l) => console.log(l) });
  const mb = (f: Figures) => `RSS ${f.rssMB.toFixed(1)} MB, JS heap ${f.heapMB.toFixed(2)} MB, array buffers ${f.arrayBuffersMB.toFixed(2)} MB, wasm memory ${(f.wasmBytes / 1e6).toFixed(2)} MB, arena ${f.arenaBytes} bytes`;
  console.log(`${r.steps} training steps and ${r.calls} encode/decode calls in ${r.seconds.toFixed(0)} s`);
  console.log(`  start:          ${mb(r.start)}\n  after warm-up:  ${mb(r.warm)}\n  end:            ${mb(r.end)}\n  highest RSS ${r.maxRssMB.toFixed(1)} MB`);
  for (const f of r.failures) console.log(`FAILURE: ${f}`);
  process.exitCode = r.failures.length ? 1 : 0;
}
