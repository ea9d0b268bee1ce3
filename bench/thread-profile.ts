// Where two threads help and where they do not: the 784-400-20 VAE's training step (batch 128,
// Adam, the simd build) on one thread (WasmBackend) and on T threads (ThreadedBackend), steps
// alternating between the two, with the time of every backend call summed per kernel (GEMMs
// per shape). The ratio per kernel shows
// which calls scale, and the share of the T-thread step shows what is left on one thread.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/thread-profile.js [--threads 2] [--steps 40] [--spin MS] [--min-flops F]
import { parseArgs } from "node:util";
import * as E from "fp-ts/lib/Either.js";
import type { WasmBackend } from "../src/backend/wasm.js";
import { WasmBackend as Wasm } from "../src/backend/wasm.js";
import { instantiateSync } from "../src/kernels/module.js";
import { vae } from "../src/models/index.js";
import { adam } from "../src/optim/index.js";
import { nodeSpawn } from "../src/parallel/node/spawn.js";
import { startThreads } from "../src/parallel/start.js";
import { foldIn, key, uniform } from "../src/random/index.js";
import { tensor } from "../src/tensor/tensor.js";
import { initState } from "../src/train/step.js";
import { Trainer } from "../src/train/trainer.js";

const { values: args } = parseArgs({ options: { threads: { type: "string", default: "2" }, steps: { type: "string", default: "40" }, spin: { type: "string" }, "min-flops": { type: "string" } } });
const threads = Number(args.threads), steps = Number(args.steps);
/** How long idle workers spin before they sleep (ms; startThreads' default when not given). */
const spinMs = args.spin === undefined ? undefined : Number(args.spin);

/** Wraps every method of the backend so that its calls add their time to `acc` (GEMMs keyed by shape). */
function instrument(be: WasmBackend, acc: Map<string, number>): void {
  const names = new Set<string>();
  for (let p = Object.getPrototypeOf(be); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) if (n !== "constructor" && typeof (be as any)[n] === "function") names.add(n);
  }
  // The Backend interface's calls (what layers and the trainer call), not the pool's internals.
  const skip = new Set(["alloc", "free", "view", "f32", "hostView", "read", "write", "close", "ensureWork", "cut", "run", "elementwise", "threadWork"]);
  let depth = 0;
  for (const n of names) {
    if (skip.has(n)) continue;
    const f = (be as any)[n].bind(be);
    (be as any)[n] = (...a: any[]) => {
      if (depth > 0) return f(...a); // a method calling another: count the outer call only
      depth++;
      const t = performance.now();
      try { return f(...a); } finally {
        depth--;
        const label = n === "gemm" ? `gemm ${a[0] ? "T" : "N"}${a[1] ? "T" : "N"} ${a[2]}x${a[3]}x${a[4]}` : n;
        acc.set(label, (acc.get(label) ?? 0) + performance.now() - t);
      }
    };
  }
}

/** A trainer of the VAE on `be`, its calls timed into `acc` once warmed up. */
function setup(be: WasmBackend) {
  const model = vae.mlp({ input: 784, hidden: [400], latent: 20 });
  const opt = adam({ learningRate: 1e-3 });
  const trainer = new Trainer(be, model, opt.transform, 128);
  trainer.load(initState(model.init(key(1)), opt));
  for (let i = 0; i < 20; i++) trainer.run(xs[i % 8]!, foldIn(key(2), i)); // warm-up
  const acc = new Map<string, number>();
  instrument(be, acc);
  return { trainer, acc, total: 0 };
}

const xs = Array.from({ length: 8 }, (_, i) => tensor(uniform(key(10 + i), 128 * 784), [128, 784]));
const loaded = instantiateSync(undefined, { isa: "simd" });
if (E.isLeft(loaded)) throw loaded.left;
const cutSizes = args["min-flops"] === undefined ? {} : { cutSizes: { minFlops: Number(args["min-flops"]) } };
const pool = await startThreads({ threads, spawn: nodeSpawn, isa: "simd", ...(spinMs === undefined ? {} : { spinMs }), ...cutSizes });
const a = setup(new Wasm(loaded.right)), b = setup(pool);
// Steps alternate between the two, so that a slow spell of the machine hits both alike.
for (let i = 0; i < steps; i++) {
  for (const s of [a, b]) {
    const t = performance.now();
    s.trainer.run(xs[i % 8]!, foldIn(key(2), 100 + i));
    s.total += performance.now() - t;
  }
}
pool.close();
const one = { perStep: a.total / steps, acc: a.acc }, many = { perStep: b.total / steps, acc: b.acc };

const labels = [...new Set([...one.acc.keys(), ...many.acc.keys()])].sort((a, b) => (many.acc.get(b) ?? 0) - (many.acc.get(a) ?? 0));
const ms = (m: Map<string, number>, k: string) => (m.get(k) ?? 0) / steps;
console.log(`784-400-20 VAE, batch 128, simd: ${one.perStep.toFixed(2)} ms/step on 1 thread, ${many.perStep.toFixed(2)} on ${threads} (${(one.perStep / many.perStep).toFixed(2)}x)`);
console.log(`${"call".padEnd(28)}${"1 thread ms".padStart(12)}${`${threads} threads ms`.padStart(14)}${"ratio".padStart(8)}${"share".padStart(8)}`);
let inCalls1 = 0, inCallsN = 0;
for (const k of labels) {
  const a = ms(one.acc, k), b = ms(many.acc, k);
  inCalls1 += a; inCallsN += b;
  console.log(`${k.padEnd(28)}${a.toFixed(3).padStart(12)}${b.toFixed(3).padStart(14)}${(b > 0 ? a / b : 0).toFixed(2).padStart(8)}${(100 * b / many.perStep).toFixed(1).padStart(7)}%`);
}
console.log(`${"outside backend calls".padEnd(28)}${(one.perStep - inCalls1).toFixed(3).padStart(12)}${(many.perStep - inCallsN).toFixed(3).padStart(14)}`);
