// Deno (the npm package `deno`, node_modules/.bin/deno) on the packed tarball, installed into a
// project as a user installs it: a script imports "latent", trains a small MLP VAE with init()
// (train-small.ts), again on two threads (Web Workers from Blob URLs, every call cut), and with
// init({ isa: "auto" }). The loss is finite and falls; two threads give the bits of one; the
// default gives the bits that Node gives here, in the test process, on src/ (the library's
// default is the SIMD build in every runtime); "auto" reports relaxed SIMD where Deno validates
// it. Without the binary the test is skipped, and fails under CI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import * as latent from "../../src/index.js";
import { binary, installed, runJson, threadsEntry, version, workspace } from "./installed.js";
import { expectTrained, type RuntimeRun } from "./expect-trained.js";
import { trainSmall, type Trained } from "./train-small.js";

const deno = binary("deno");
let dir = "";
let node: Trained;

beforeAll(async () => {
  if (deno.skip) return;
  node = await trainSmall(latent);
  dir = workspace(await installed(), "deno", { "run.ts": threadsEntry });
}, 240_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe("Deno on the packed tarball", () => {
  it.skipIf(deno.skip)(deno.skip ? `skipped: ${deno.reason}` : "trains; 2 threads = 1 thread = Node's bits with init(); auto is its own ISA", async () => {
    expect(deno.present, `${deno.path} is needed under CI`).toBe(true);
    const started = performance.now();
    const out = await runJson(deno.path, ["run", "--quiet", "--no-prompt", "run.ts"], dir) as RuntimeRun;
    console.log(`${await version(deno)}: ${((performance.now() - started) / 1000).toFixed(1)} s; node ${JSON.stringify(node)}; deno ${JSON.stringify(out)}`);
    expectTrained(out, node);
  }, 120_000);
});
