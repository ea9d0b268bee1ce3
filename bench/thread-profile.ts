// Where two threads help and where they do not: the 784-400-20 VAE's training step (batch 128,
// Adam, the simd build) on one thread (WasmBackend) and on T threads (ThreadedBackend), steps
// alternating between the two, with the time of every backend call summed per kernel (GEMMs
// per shape). The ratio per kernel shows
// which calls scale, and the share of the T-thread step shows what is left on one thread.
//
//   npx tsc -p tsconfig.build.json && node [--experimental-wasm-relaxed-simd] dist/bench/thread-profile.js [--threads 2] [--steps 40]
//     [--isa simd|relaxed] [--spin MS] [--min-flops F]
import { parseArgs } from "node:util";
import * as E from "fp-ts/lib/Either.js";
import type { WasmBackend } from "../src/backend/wasm.js";
import { WasmBackend as Wasm } from "../src/backend/wasm.js";
import { instantiateSync, type Isa } from "../src/kernels/module.js";
import { vae } from "../src/models/index.js";
import { adam } from "../src/optim/index.js";
import { nodeSpawn } from "../src/parallel/node/spawn.js";
import { startThreads } from "../src/parallel/start.js";
import { foldIn, key, uniform } from "../src/random/index.js";
import { tensor } from "../src/tensor/tensor.js";
import { initState } from "../src/train/step.js";
import { Trainer } from "../src/train/trainer.js";

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

export interface ThreadProfile {
  isa: Isa;
  threads: number;
  steps: number;
  /** ms per step, steps interleaved. */
  one: number;
  many: number;
  /** Per backend call (GEMMs per shape): ms per step on 1 and on T threads. */
  calls: { call: string; one: number; many: number }[];
}

export interface ThreadProfileOptions {
  threads?: number;
  steps?: number;
  isa?: "simd" | "relaxed";
  spinMs?: number;
  minFlops?: number;
}

/** The VAE's training step on 1 and T threads, steps alternating, every backend call timed. */
export async function threadProfile(o: ThreadProfileOptions = {}): Promise<ThreadProfile> {
  const threads = o.threads ?? 2, steps = o.steps ?? 40, isa = o.isa ?? "simd";
  const xs = Array.from({ length: 8 }, (_, i) => tensor(uniform(key(10 + i), 128 * 784), [128, 784]));
  /** A trainer of the VAE on `be`, its calls timed into `acc` once warmed up. */
  const setup = (be: WasmBackend) => {
    const model = vae.mlp({ input: 784, hidden: [400], latent: 20 });
    const opt = adam({ learningRate: 1e-3 });
    const trainer = new Trainer(be, model, opt.transform, 128);
    trainer.load(initState(model.init(key(1)), opt));
    for (let i = 0; i < 20; i++) trainer.run(xs[i % 8]!, foldIn(key(2), i)); // warm-up
    const acc = new Map<string, number>();
    instrument(be, acc);
    return { trainer, acc, total: 0 };
  };
  const loaded = instantiateSync(undefined, { isa });
  if (E.isLeft(loaded)) throw loaded.left;
  const pool = await startThreads({ threads, spawn: nodeSpawn, isa, ...(o.spinMs === undefined ? {} : { spinMs: o.spinMs }),
    ...(o.minFlops === undefined ? {} : { cutSizes: { minFlops: o.minFlops } }) });
  try {
    const a = setup(new Wasm(loaded.right)), b = setup(pool);
    // Steps alternate between the two, so that a slow spell of the machine hits both alike.
    for (let i = 0; i < steps; i++) {
      for (const s of [a, b]) {
        const t = performance.now();
        s.trainer.run(xs[i % 8]!, foldIn(key(2), 100 + i));
        s.total += performance.now() - t;
      }
    }
    a.trainer.dispose();
    b.trainer.dispose();
    const labels = [...new Set([...a.acc.keys(), ...b.acc.keys()])].sort((x, y) => (b.acc.get(y) ?? 0) - (b.acc.get(x) ?? 0));
    return {
      isa, threads: pool.threads, steps, one: a.total / steps, many: b.total / steps,
      calls: labels.map((call) => ({ call, one: (a.acc.get(call) ?? 0) / steps, many: (b.acc.get(call) ?? 0) / steps })),
    };
  } finally {
    pool.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { threads: { type: "string", default: "2" }, steps: { type: "string", default: "40" },
    spin: { type: "string" }, "min-flops": { type: "string" }, isa: { type: "string", default: "simd" } } });
  const p = await threadProfile({
    threads: Number(args.threads), steps: Number(args.steps), isa: args.isa as "simd" | "relaxed",
    ...(args.spin === undefined ? {} : { spinMs: Number(args.spin) }), ...(args["min-flops"] === undefined ? {} : { minFlops: Number(args["min-flops"]) }),
  });
  console.log(`784-400-20 VAE, batch 128, ${p.isa}: ${p.one.toFixed(2)} ms/step on 1 thread, ${p.many.toFixed(2)} on ${p.threads} (${(p.one / p.many).toFixed(2)}x)`);
  console.log(`${"call".padEnd(28)}${"1 thread ms".padStart(12)}${`${p.threads} threads ms`.padStart(14)}${"ratio".padStart(8)}${"share".padStart(8)}`);
  let in1 = 0, inN = 0;
  for (const c of p.calls) {
    in1 += c.one; inN += c.many;
    console.log(`${c.call.padEnd(28)}${c.one.toFixed(3).padStart(12)}${c.many.toFixed(3).padStart(14)}${(c.many > 0 ? c.one / c.many : 0).toFixed(2).padStart(8)}${(100 * c.many / p.many).toFixed(1).padStart(7)}%`);
  }
  console.log(`${"outside backend calls".padEnd(28)}${(p.one - in1).toFixed(3).padStart(12)}${(p.many - inN).toFixed(3).padStart(14)}`);
}
