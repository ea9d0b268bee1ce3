// latent train --conditional through the CLI: a CVAE on the embedded digits whose file `sample`
// reads back as conditional (one row per class), that resumes bit for bit, and the refusals of
// what it cannot train (an AE, a conv model): one line, exit code 2, no run folder.
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { latent } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "latent-train-cvae-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const flags = ["--conditional", "--hidden", "16", "--latent", "2", "--batch", "200", "--seed", "3"];

describe("latent train --conditional", () => {
  it("trains a CVAE that sample draws one row per class from, and resumes it bit for bit", async () => {
    const a = join(dir, "a"), b = join(dir, "b");
    expect((await latent("train", ...flags, "--epochs", "2", "--out", a)).code).toBe(0);
    expect((await latent("train", ...flags, "--epochs", "1", "--out", b)).code).toBe(0);
    const resumed = await latent("train", "--resume", join(b, "checkpoint.safetensors"), "--epochs", "2", "--out", b);
    expect(resumed.code, resumed.err.join("\n")).toBe(0);
    expect(readFileSync(join(b, "model.safetensors")).equals(readFileSync(join(a, "model.safetensors")))).toBe(true);
    const grid = join(dir, "grid.png");
    const s = await latent("sample", "--model", join(a, "model.safetensors"), "--n", "4", "--out", grid);
    expect(s.code, s.err.join("\n")).toBe(0);
    const png = PNG.sync.read(readFileSync(grid));
    expect(png.height).toBeGreaterThan(10 * 28); // ten rows of 28-pixel digits at least
  }, 120_000);

  for (const [what, extra] of [["an AE", ["--model", "ae"]], ["a conv model", ["--arch", "conv"]]] as const) {
    it(`refuses ${what}: one line, exit code 2, nothing written`, async () => {
      const out = join(dir, `bad-${extra[1]}`);
      const r = await latent("train", "--conditional", ...extra, "--epochs", "1", "--out", out);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/--conditional/);
      expect(existsSync(out)).toBe(false);
    });
  }
});
