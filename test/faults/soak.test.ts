// A short soak (bench/soak.ts; `npm run bench:soak` runs 20,000 steps and 10,000 calls, with RSS
// and JS heap bounds): 600 training steps in fit calls of 60 and 300 encode/decode calls, in 10
// rounds. At the end the WebAssembly memory has not grown since the warm-up (the first 2 rounds)
// and the kernel arena holds the same bytes: nothing a fit or a model call allocates is left behind.
import { describe, expect, it } from "vitest";
import { soak } from "../../bench/soak.js";

describe("soak", () => {
  it("600 steps and 300 encode/decode calls leave the WebAssembly memory and the arena as after warm-up", async () => {
    const r = await soak({ steps: 600, calls: 300, round: { steps: 60, calls: 30 }, warmup: 0.2 });
    expect(r.steps).toBeGreaterThanOrEqual(600);
    expect(r.calls).toBe(300);
    expect(r.end.round).toBe(10);
    expect(r.end.wasmBytes).toBe(r.warm.wasmBytes);
    expect(r.end.arenaBytes).toBe(r.warm.arenaBytes);
    expect(r.failures.filter((f) => !f.startsWith("RSS"))).toEqual([]);
  });
});
