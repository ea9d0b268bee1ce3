// The pool's stall check (StallWatch in src/parallel/pool.ts) counts only time without progress,
// and at most 1 s of each gap between two checks: a process that is stopped (SIGSTOP, Ctrl-Z, a
// paused VM) and resumed does not find its round stalled, while a worker that never finishes its
// call still is, after stallMs of checks.
import { describe, expect, it } from "vitest";
import { StallWatch } from "../../src/parallel/pool.js";

/** A started watch: the function that checks the round's done count. */
function stallWatch(stallMs: number, now: () => number): (done: number) => boolean {
  const w = new StallWatch(stallMs, now);
  w.start();
  return (done) => w.stalled(done);
}

/** A clock the test moves by hand. */
function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

describe("StallWatch", () => {
  it("a stopped process (one gap of 2.2 s, stallMs 2000), 25 times over, is no stall", () => {
    const c = clock();
    for (let cycle = 0; cycle < 25; cycle++) {
      const stalled = stallWatch(2000, c.now);
      c.advance(5);
      expect(stalled(0)).toBe(false);
      c.advance(2200); // stopped between two checks
      expect(stalled(0)).toBe(false);
      c.advance(10);
      expect(stalled(1)).toBe(false); // the worker resumes and finishes its call
    }
  });

  it("a round without progress for longer than stallMs, checked often, is a stall", () => {
    const c = clock();
    const stalled = stallWatch(2000, c.now);
    let t = 0;
    for (; t < 1990; t += 10) { c.advance(10); expect(stalled(3)).toBe(false); }
    for (; t < 2100; t += 10) c.advance(10);
    expect(stalled(3)).toBe(true);
  });

  it("progress restarts the count; repeated long gaps add up 1 s each", () => {
    const c = clock();
    const stalled = stallWatch(2000, c.now);
    c.advance(1500);
    expect(stalled(0)).toBe(false);
    c.advance(1500);
    expect(stalled(1)).toBe(false); // progress: quiet time back to 0
    c.advance(1500);
    expect(stalled(1)).toBe(false); // 1 s counted
    c.advance(1500);
    expect(stalled(1)).toBe(false); // 2 s counted, not more than stallMs
    c.advance(1500);
    expect(stalled(1)).toBe(true); // 3 s without progress
  });
});
