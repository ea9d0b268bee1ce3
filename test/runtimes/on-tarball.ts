// The suite that the Deno and Bun tests share: a runtime's binary (the npm package of that name,
// node_modules/.bin/NAME) runs installed.ts's threadsEntry in a project that installed the packed
// tarball, and what it prints passes expectTrained against Node's run of train-small.ts in the
// test process on src/. Without the binary the test is skipped, and fails under CI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import * as latent from "../../src/index.js";
import { binary, installed, runJson, threadsEntry, version, workspace } from "./installed.js";
import { expectTrained, type RuntimeRun } from "./expect-trained.js";
import { trainSmall, type Trained } from "./train-small.js";

/** name: the binary; label: the suite's; args: what runs run.ts. */
export function runtimeOnTarball(name: "deno" | "bun", label: string, args: readonly string[]): void {
  const bin = binary(name);
  let dir = "";
  let node: Trained;
  beforeAll(async () => {
    if (bin.skip) return;
    node = await trainSmall(latent);
    dir = workspace(await installed(), name, { "run.ts": threadsEntry });
  }, 240_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  describe(`${label} on the packed tarball`, () => {
    it.skipIf(bin.skip)(bin.skip ? `skipped: ${bin.reason}` : "trains; 2 threads = 1 thread = Node's bits with init(); auto is its own ISA", async () => {
      expect(bin.present, `${bin.path} is needed under CI`).toBe(true);
      const started = performance.now();
      const out = await runJson(bin.path, [...args], dir) as RuntimeRun;
      console.log(`${name} ${await version(bin)}: ${((performance.now() - started) / 1000).toFixed(1)} s; node ${JSON.stringify(node)}; ${name} ${JSON.stringify(out)}`);
      expectTrained(out, node);
    }, 120_000);
  });
}
