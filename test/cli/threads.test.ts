// `latent train --threads N`: the same model file, bit for bit, for any N; a bad N is a usage error.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { latent } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "latent-threads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe("latent train --threads", () => {
  it("writes the same model on 1 and 2 threads", async () => {
    const flags = ["train", "--limit", "512", "--hidden", "256", "--latent", "4", "--batch", "128", "--epochs", "2"];
    const one = await latent(...flags, "--threads", "1", "--out", join(dir, "one"));
    const two = await latent(...flags, "--threads", "2", "--out", join(dir, "two"));
    expect(one.err).toEqual([]);
    expect(two.err).toEqual([]);
    expect(one.out[0]).toMatch(/1 thread\b/);
    expect(two.out[0]).toMatch(/2 threads/);
    const file = (run: string) => readFileSync(join(dir, run, "model.safetensors"));
    expect(file("two").equals(file("one"))).toBe(true);
  });

  it("refuses --threads 0 with one line and exit code 2", async () => {
    const r = await latent("train", "--threads", "0", "--out", join(dir, "bad"));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/--threads/);
  });
});
