// latent train --early-stop and --plateau: the run ends early and says so (the stop follows the
// rule on the test losses metrics.jsonl holds), the learning rate falls on a plateau, both states
// live in the model file's training config so that a resumed run ends bit-identical to an
// uninterrupted one, stop included; bad values give one line and exit code 2.
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent } from "./support.js";
import { modelFromSafetensors } from "../../src/io/model-file.js";

const dir = mkdtempSync(join(tmpdir(), "latent-early-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small AE at a high learning rate: its test loss stalls within a few epochs. --isa simd, the
// bit-exact build, so that the run takes the same path on every machine.
const small = ["--limit", "100", "--hidden", "32", "--batch", "100", "--lr", "0.05", "--latent", "2", "--model", "ae", "--likelihood", "mse",
  "--isa", "simd", "--threads", "1"];

function file(path: string) {
  const parsed = modelFromSafetensors(new Uint8Array(readFileSync(path)));
  if (E.isLeft(parsed)) throw parsed.left;
  const params = Object.fromEntries(Object.entries(parsed.right.params).map(([k, t]) => [k, Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length))]));
  return { params, training: parsed.right.training as Record<string, any> };
}
const testLosses = (out: string): number[] => readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).test.loss);

describe("latent train --early-stop", () => {
  it("ends the run when the test loss has not improved for PATIENCE epochs, and says so", async () => {
    const out = join(dir, "early");
    const r = await latent("train", ...small, "--epochs", "20", "--early-stop", "1", "--out", out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const line = r.out.find((l) => l.startsWith("stopped early"));
    expect(line).toMatch(/^stopped early after epoch (\d+) of 20: test.loss did not improve for 1 epoch \(best .* after epoch \d+\)$/);
    const stoppedAt = Number(/epoch (\d+)/.exec(line!)![1]);
    expect(stoppedAt).toBeLessThan(20);
    // Patience 1: every epoch before the last improved on all before it, the last did not.
    const losses = testLosses(out);
    expect(losses).toHaveLength(stoppedAt);
    for (let i = 1; i < losses.length - 1; i++) expect(losses[i]).toBeLessThan(Math.min(...losses.slice(0, i)));
    expect(losses[losses.length - 1]).toBeGreaterThanOrEqual(Math.min(...losses.slice(0, -1)));
    expect(r.out.filter((l) => l.startsWith("epoch "))).toHaveLength(stoppedAt);
    const model = file(join(out, "model.safetensors"));
    expect(model.training.epochsDone).toBe(stoppedAt);
    expect(model.training.earlyStop).toEqual({ patience: 1, state: { best: Math.min(...losses), wait: 1 } });
    expect(model.training.bestTestLoss).toBe(Math.min(...losses));
    expect(model.training.plateau).toBeNull();
    expect(file(join(out, "checkpoint.safetensors"))).toEqual(model);
  });
});

describe("latent train --plateau", () => {
  const args = [...small, "--early-stop", "3", "--plateau", "1"];
  it("reduces the learning rate, and a resumed run continues both states to the same stop, bit for bit", async () => {
    const whole = join(dir, "whole"), part = join(dir, "part");
    const a = await latent("train", ...args, "--epochs", "20", "--out", whole);
    expect([a.code, a.err]).toEqual([0, []]);
    const reductions = a.out.filter((l) => l.startsWith("learning rate reduced"));
    expect(reductions[0]).toBe("learning rate reduced to 0.025: the test loss has not improved for 1 epoch");
    const stop = a.out.find((l) => l.startsWith("stopped early"));
    expect(stop).toMatch(/^stopped early after epoch \d+ of 20: test.loss did not improve for 3 epochs/);
    const end = file(join(whole, "model.safetensors"));
    expect(end.training.plateau.state.scale).toBe(0.5 ** reductions.length);

    // Stop after the first reduction and resume: the same reductions, the same stop, the same bits.
    const first = a.out.findIndex((l) => l.startsWith("learning rate reduced"));
    const resumeAt = a.out.slice(0, first).filter((l) => l.startsWith("epoch ")).length;
    expect(resumeAt).toBeLessThan(end.training.epochsDone);
    expect((await latent("train", ...args, "--epochs", String(resumeAt), "--out", part)).code).toBe(0);
    const ck = file(join(part, "checkpoint.safetensors"));
    expect(ck.training.plateau.state.scale).toBe(0.5);
    expect(ck.training.earlyStop.state.wait).toBeGreaterThan(0);
    const b = await latent("train", "--resume", join(part, "checkpoint.safetensors"), "--epochs", "20", "--out", part, "--isa", "simd", "--threads", "1");
    expect([b.code, b.err]).toEqual([0, []]);
    expect(b.out.filter((l) => l.startsWith("learning rate reduced"))).toEqual(reductions.slice(1));
    expect(b.out.find((l) => l.startsWith("stopped early"))).toBe(stop);
    expect(file(join(part, "model.safetensors"))).toEqual(end);
    expect(testLosses(part)).toEqual(testLosses(whole));
  });

  it("takes --plateau-factor", async () => {
    const out = join(dir, "factor");
    const r = await latent("train", ...small, "--epochs", "3", "--plateau", "1", "--plateau-factor", "0.25", "--out", out);
    expect(r.code).toBe(0);
    const t = file(join(out, "model.safetensors")).training;
    expect([t.plateau.patience, t.plateau.factor]).toEqual([1, 0.25]);
    expect(t.earlyStop).toBeNull();
  });
});

describe("bad values", () => {
  const ck = join(dir, "part", "checkpoint.safetensors");
  for (const [argv, message] of [
    [["--early-stop", "0"], /^latent: --early-stop must be an integer in \[1, \.\.\.\], got "0"$/],
    [["--early-stop", "x"], /^latent: --early-stop must be an integer/],
    [["--early-stop", "2.5"], /^latent: --early-stop must be an integer/],
    [["--plateau=-1"], /^latent: --plateau must be an integer in \[1, \.\.\.\], got "-1"$/],
    [["--plateau", "2", "--plateau-factor", "1"], /^latent: --plateau-factor must be a number > 0 and < 1, got "1"$/],
    [["--plateau", "2", "--plateau-factor", "0"], /^latent: --plateau-factor must be a number > 0 and < 1, got "0"$/],
    [["--plateau", "2", "--plateau-factor", "half"], /^latent: --plateau-factor must be a number > 0 and < 1, got "half"$/],
    [["--plateau-factor", "0.5"], /^latent: --plateau-factor goes with --plateau PATIENCE$/],
    [["--early-stop"], /^latent: Option '--early-stop <value>' argument missing$/],
    [["--resume", ck, "--early-stop", "2"], /^latent: --early-stop cannot be given with --resume/],
    [["--resume", ck, "--plateau", "2"], /^latent: --plateau cannot be given with --resume/],
  ] as const) {
    it(`latent train ${argv.join(" ")}`, async () => {
      const r = await latent("train", "--out", join(dir, "bad"), ...argv);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(join(dir, "bad", "model.safetensors"))).toBe(false);
    });
  }

  it("a file whose training config holds a bad early-stopping state", async () => {
    const { modelToSafetensorsParts } = await import("../../src/io/model-file.js");
    const { writeFileSync } = await import("node:fs");
    const parsed = modelFromSafetensors(new Uint8Array(readFileSync(ck)));
    if (E.isLeft(parsed)) throw parsed.left;
    const f = parsed.right;
    const training = { ...(f.training as object), earlyStop: { patience: 3, state: { best: null, wait: -2 } } };
    const { parts } = modelToSafetensorsParts({ spec: f.spec, params: f.params, normalization: f.normalization, optState: f.optState!, transform: f.transform, training } as never);
    const bad = join(dir, "bad-state.safetensors");
    writeFileSync(bad, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
    const r = await latent("train", "--resume", bad, "--epochs", "20", "--out", join(dir, "bad"));
    expect([r.code, r.err]).toEqual([2, [expect.stringMatching(/bad-state.safetensors: the training config's earlyStopping state.wait must be an integer >= 0, got -2$/)]]);
  });
});
