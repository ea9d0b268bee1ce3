// The fuzz harness counts what it must count as failures: a child that answers "failure", one
// that crashes, one that hangs past the time limit and one whose peak RSS passes the bound, each
// made by a stand-in child script; after each, the next case still runs (the child restarts),
// and a failed case is saved as JSON that rebuilds the same files. A child that dies just after
// answering, or whose loader leaves a promise rejection nobody handles (after its answer or
// during the load), fails that case, not the next, and the run goes on.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { buildCase, runFuzz } from "../../bench/fuzz/harness.js";

const dir = mkdtempSync(join(tmpdir(), "latent-fuzz-harness-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A child that answers the n-th load (counted in a file, across restarts) as `body` says. */
function fakeChild(name: string, body: string): string {
  const path = join(dir, `${name}.cjs`), count = join(dir, `${name}.count`);
  writeFileSync(count, "0");
  writeFileSync(path, `const fs = require("node:fs");
let seq = 0;
const reply = (status, extra = {}, then) => process.send({ seq, status, ms: 1, rss: 1, maxRss: 50 * 2 ** 20, outcome: status === "refused" ? { kind: "refused", error: "DataError", message: "m" } : { kind: "valid" }, ...extra }, then);
process.on("message", (m) => { seq = m.seq; process.send({ started: seq }); const n = Number(fs.readFileSync(${JSON.stringify(count)}, "utf8")) + 1; fs.writeFileSync(${JSON.stringify(count)}, String(n)); ${body} });`);
  return path;
}

describe("the fuzz harness", () => {
  it("passes a child that refuses or loads every case", async () => {
    const s = await runFuzz({ format: "idx", n: 6, seed: 3, bombs: false, childPath: fakeChild("good", `reply(n % 2 ? "refused" : "valid");`) });
    expect(s).toMatchObject({ cases: 6, valid: 3, refused: 3, failures: [] });
  });

  it("counts an answered failure, a crash, a hang and a peak RSS above the bound, and goes on after each", async () => {
    const child = fakeChild("bad", `
      if (n === 1) reply("failure", { failure: "uncaught: TypeError: boom" });
      else if (n === 2) process.exit(7);
      else if (n === 3) {}
      else if (n === 4) reply("valid", { maxRss: 900 * 2 ** 20 });
      else reply("valid");`);
    const saveTo = join(dir, "failures");
    const s = await runFuzz({ format: "png", n: 6, seed: 5, bombs: false, childPath: child, timeoutMs: 3000, maxRssBytes: 512 * 2 ** 20, saveTo });
    expect(s.failures.map((f) => f.reason.split(":")[0])).toEqual(["uncaught", "crash", "hang", "memory"]);
    expect(s.failures[1]!.reason).toMatch(/code 7/);
    expect(s.failures.map((f) => f.request.index)).toEqual([0, 1, 2, 3]);
    expect(s.valid).toBe(2);
    const saved = readdirSync(saveTo).sort();
    expect(saved).toEqual(["png-seed5-case-0.json", "png-seed5-case-1.json", "png-seed5-case-2.json", "png-seed5-case-3.json"]);
    const again = JSON.parse(readFileSync(join(saveTo, "png-seed5-case-2.json"), "utf8"));
    expect(buildCase(again).what).toBe(again.what);
    expect(buildCase(again).files).toEqual(buildCase({ format: "png", seed: 5, index: 2 }).files);
  });

  it("a child that dies just after answering fails that case, and the next runs on a new child", async () => {
    const child = fakeChild("dies", `if (n === 2) reply("valid", {}, () => process.exit(9)); else reply("valid");`);
    const s = await runFuzz({ format: "idx", n: 5, seed: 1, bombs: false, childPath: child, timeoutMs: 3000 });
    expect(s.failures.map((f) => [f.request.index, f.reason])).toEqual([[1, expect.stringMatching(/^crash: the child exited \(code 9,/)]]);
    expect(s).toMatchObject({ cases: 5, valid: 5 });
    expect(Number(readFileSync(join(dir, "dies.count"), "utf8"))).toBe(5); // every case loaded once
  });

  it("a promise rejection nobody handles fails the case it follows or interrupts, and the run goes on", async () => {
    // The real child loop (bench/fuzz/serve.ts) with a loader of its own.
    const entry = join(dir, "rejects.ts"), path = join(dir, "rejects.cjs");
    writeFileSync(entry, `import { serve } from ${JSON.stringify(join(import.meta.dirname, "../../bench/fuzz/serve.ts"))};
let k = 0;
serve(async () => {
  k++;
  if (k === 2) void Promise.reject(new Error("late boom")); // noticed after the answer
  if (k === 4) { void Promise.reject(new Error("early boom")); await new Promise((r) => setTimeout(r, 50)); } // during the load
  return { kind: "valid" };
});`);
    await build({ entryPoints: [entry], outfile: path, bundle: true, platform: "node", format: "cjs", logLevel: "error", target: "node20" });
    const s = await runFuzz({ format: "idx", n: 6, seed: 1, bombs: false, childPath: path, timeoutMs: 3000 });
    expect(s.failures.map((f) => [f.request.index, f.reason.split("\n")[0]])).toEqual([
      [1, "unhandled rejection: Error: late boom"],
      [3, "unhandled rejection: Error: early boom"],
    ]);
    expect(s).toMatchObject({ cases: 6, valid: 5 });
  });
});
