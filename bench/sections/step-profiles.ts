// The 784-400-20 VAE's step compared step by step, each pair alternating one step at a time
// (the fits of the training section alternate by rounds of ~0.5 s, which a machine whose speed
// drifts second by second turns into noise in their ratio), for the simd and relaxed builds:
// - on 1 and T threads (Trainer.run; bench/thread-profile.ts);
// - the pure train.step against the in-place path (bench/step-overhead.ts; ms per step, 1 thread);
// - the Optax loop written by hand against fit's in-place path (bench/hand-loop.ts; samples/s).
import { handLoopVsFit, type HandLoop } from "../hand-loop.js";
import { stepOverhead, type StepOverhead } from "../step-overhead.js";
import { threadProfile, type ThreadProfile } from "../thread-profile.js";
import { wasmBackendOf, type BenchContext } from "./context.js";

export interface StepProfiles {
  interleaved: ThreadProfile[];
  overheads: ({ isa: string } & StepOverhead)[];
  handLoops: ({ isa: string } & HandLoop)[];
}

export async function stepProfiles(ctx: BenchContext): Promise<StepProfiles> {
  const steps = ctx.quick ? 20 : 60;
  const builds = [ctx.simdVariant, ...(ctx.relaxedVariant ? [ctx.relaxedVariant] : [])];
  const interleaved: ThreadProfile[] = [];
  for (const v of builds) interleaved.push(await threadProfile({ threads: ctx.threads, steps, isa: v.name as "simd" | "relaxed" }));
  const overheads = builds.map((v) => ({ isa: v.name, ...stepOverhead(wasmBackendOf(v), steps) }));
  const handLoops = builds.map((v) => ({ isa: v.name, ...handLoopVsFit(wasmBackendOf(v), steps) }));
  return { interleaved, overheads, handLoops };
}

/**
 * The pure step's overhead that counts for the target: the donated path's when
 * bench/step-overhead.ts reports one, else the pure step's (percent).
 */
export function stepOverheadPct(o: StepOverhead): { pct: number; path: "donated" | "pure" } {
  if ("donatedOverheadPct" in o && typeof o.donatedOverheadPct === "number") return { pct: o.donatedOverheadPct, path: "donated" };
  return { pct: o.overheadPct, path: "pure" };
}

/** "simd 17.29 / 14.89: +16.1%" and, when reported, the donated step's "donated 15.02: +0.9%". */
export function formatStepOverhead(o: { isa: string } & StepOverhead): string {
  let s = `${o.isa} ${o.pure.toFixed(2)} / ${o.inPlace.toFixed(2)}: ${signed(o.overheadPct)}`;
  if ("donated" in o && typeof o.donated === "number") {
    const pct = "donatedOverheadPct" in o && typeof o.donatedOverheadPct === "number" ? `: ${signed(o.donatedOverheadPct)}` : "";
    s += ` (donated ${o.donated.toFixed(2)}${pct})`;
  }
  return s;
}

const signed = (pct: number) => `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
