// SIGKILL during `latent train` (bench/soak-kill.ts; `npm run soak:kill` runs 100 kills): a few
// kills at random moments of a run with a checkpoint every epoch. After each, every *.safetensors
// in the run folder loads and metrics.jsonl parses; the next run takes over the dead run's lock,
// removes its temporary files and resumes; the run resumed to completion holds the same
// parameter bits as an uninterrupted run of as many epochs (the oracle: resume is exact).
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killLoop } from "../../bench/soak-kill.js";
import { bundledCli } from "./cli-child.js";

let cli = "";
beforeAll(async () => { cli = await bundledCli("kill-save"); });
afterAll(() => { if (cli) rmSync(cli, { force: true }); });

describe("kill -9 during training and saves", () => {
  it("leaves loadable model files, no stale temporary files, and a run that resumes to the uninterrupted bits", async () => {
    const r = await killLoop({ cli, kills: 4, seed: 7, windowMs: 1200 });
    expect(r.failures).toEqual([]);
    expect(r.kills).toBe(4);
    expect(r.modelFiles).toBeGreaterThan(0);
    expect(r.modelFilesLoaded).toBe(r.modelFiles);
    expect(r.resumed).toBeGreaterThan(0);
    expect(r.sameAsUninterrupted).toBe(true);
  }, 120_000);
});
