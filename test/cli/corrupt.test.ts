// latent train --corrupt: a denoising run. The corruption is stored in the model file's training
// config, changes what is learned (not the same parameters as a clean run), and a resumed run
// continues it bit for bit; bad values give one line and exit code 2.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent } from "./support.js";
import { modelFromSafetensors } from "../../src/io/model-file.js";

const dir = mkdtempSync(join(tmpdir(), "latent-corrupt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small = ["--limit", "200", "--hidden", "32", "--batch", "50", "--latent", "4", "--model", "ae", "--likelihood", "mse",
  "--isa", "simd", "--threads", "1"];

function file(path: string) {
  const parsed = modelFromSafetensors(new Uint8Array(readFileSync(path)));
  if (E.isLeft(parsed)) throw parsed.left;
  const params = Object.values(parsed.right.params).flatMap((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
  return { params, training: parsed.right.training as Record<string, unknown> };
}

describe("latent train --corrupt", () => {
  it("trains a denoising run, stores the corruption, and resumes it bit for bit", async () => {
    const clean = join(dir, "clean"), noisy = join(dir, "noisy"), resumed = join(dir, "resumed");
    expect((await latent("train", ...small, "--epochs", "2", "--out", clean)).code).toBe(0);
    const r = await latent("train", ...small, "--epochs", "2", "--corrupt", "mask:0.3", "--out", noisy);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const done = file(join(noisy, "model.safetensors"));
    expect(done.training.corrupt).toEqual({ type: "mask", rate: 0.3 });
    expect(done.params).not.toEqual(file(join(clean, "model.safetensors")).params);
    // One epoch, then resumed from its checkpoint to two: the same bits as the run of two.
    expect((await latent("train", ...small, "--epochs", "1", "--corrupt", "mask:0.3", "--out", resumed)).code).toBe(0);
    const again = await latent("train", "--resume", join(resumed, "checkpoint.safetensors"), "--epochs", "2", "--out", resumed, "--isa", "simd", "--threads", "1");
    expect(again.err).toEqual([]);
    expect(file(join(resumed, "model.safetensors")).params).toEqual(done.params);
  });

  for (const [value, message] of [
    ["blur:2", /--corrupt must be gaussian:SIGMA \(>= 0\), mask:RATE or saltpepper:RATE/],
    ["mask:1", /--corrupt mask:1: mask corruption rate must be below 1, got 1/],
    ["gaussian:-1", /--corrupt gaussian:-1: gaussian corruption sigma must be a finite number/],
    ["saltpepper:x", /--corrupt saltpepper:x: salt-and-pepper corruption rate must be a finite number/],
  ] as const) {
    it(`refuses --corrupt ${value} with one line and exit code 2`, async () => {
      const r = await latent("train", ...small, "--epochs", "1", "--corrupt", value, "--out", join(dir, "bad"));
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
    });
  }

  it("refuses --corrupt with --resume (the run's settings come from the file)", async () => {
    const r = await latent("train", "--resume", join(dir, "noisy", "checkpoint.safetensors"), "--corrupt", "mask:0.1", "--epochs", "3");
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--corrupt cannot be given with --resume/);
  });
});
