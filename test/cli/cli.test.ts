// The latent command, run in-process with captured output, on small slices of the embedded
// digits: the run folder, resume equal to an uninterrupted run, the model commands, and one
// clear line with exit code 2 for bad flags and bad files.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import * as E from "fp-ts/lib/Either.js";
import { latent } from "./support.js";
import { modelFromSafetensors } from "../../src/io/model-file.js";

const dir = mkdtempSync(join(tmpdir(), "latent-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


const small = ["--limit", "300", "--hidden", "32", "--batch", "64"];

function params(file: string): Record<string, number[]> {
  const parsed = modelFromSafetensors(new Uint8Array(readFileSync(file)));
  if (E.isLeft(parsed)) throw parsed.left;
  return Object.fromEntries(Object.entries(parsed.right.params).map(([k, t]) => [k, Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length))]));
}

describe("latent train", () => {
  const out = join(dir, "run");
  it("writes the model, metrics and pictures", async () => {
    const r = await latent("train", ...small, "--latent", "2", "--epochs", "2", "--out", out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.filter((l) => l.startsWith("epoch "))).toHaveLength(2);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2]);
    for (const l of lines) {
      expect(l.train.loss).toBeCloseTo(l.train.reconstruction + l.train.kl, 6);
      expect(l.test.loss).toBeGreaterThan(0);
      expect(l.samples_per_s).toBeGreaterThan(0);
      expect(l.seconds).toBeGreaterThan(0);
    }
    for (const png of ["reconstructions", "samples", "latent", "manifold", "interpolation", "loss"]) {
      const image = PNG.sync.read(readFileSync(join(out, `${png}.png`)));
      expect(image.width * image.height).toBeGreaterThan(1000);
    }
    expect(Object.keys(params(join(out, "model.safetensors")))).toContain("encoder.0.weight");
  });

  it("resumed from a checkpoint, ends bit-identical to an uninterrupted run", async () => {
    const whole = join(dir, "whole"), part = join(dir, "part");
    expect((await latent("train", ...small, "--epochs", "3", "--out", whole)).code).toBe(0);
    expect((await latent("train", ...small, "--epochs", "1", "--out", part)).code).toBe(0);
    const r = await latent("train", "--resume", join(part, "checkpoint.safetensors"), "--epochs", "3", "--out", part);
    expect(r.err).toEqual([]);
    expect(r.out.filter((l) => l.startsWith("epoch ")).map((l) => l.split(":")[0])).toEqual(["epoch 2/3", "epoch 3/3"]);
    expect(params(join(part, "model.safetensors"))).toEqual(params(join(whole, "model.safetensors")));
    expect(readFileSync(join(part, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  it("resumes with the kernel build the run trained with, unless --isa says otherwise (with a note)", async () => {
    const whole = join(dir, "scalar-whole"), part = join(dir, "scalar-part"), other = join(dir, "scalar-other");
    expect((await latent("train", ...small, "--epochs", "2", "--isa", "scalar", "--out", whole)).code).toBe(0);
    expect((await latent("train", ...small, "--epochs", "1", "--isa", "scalar", "--out", part)).code).toBe(0);
    const stored = modelFromSafetensors(new Uint8Array(readFileSync(join(part, "checkpoint.safetensors"))));
    expect(E.isRight(stored) && (stored.right.training as { isa?: string }).isa).toBe("scalar");
    const r = await latent("train", "--resume", join(part, "checkpoint.safetensors"), "--epochs", "2", "--out", part);
    expect(r.err).toEqual([]);
    expect(r.out.some((l) => l.includes("kernels: scalar"))).toBe(true);
    expect(params(join(part, "model.safetensors"))).toEqual(params(join(whole, "model.safetensors")));
    // Asked for another build: it says the bits will differ, and they do.
    expect((await latent("train", ...small, "--epochs", "1", "--isa", "scalar", "--out", other)).code).toBe(0);
    const s = await latent("train", "--resume", join(other, "checkpoint.safetensors"), "--epochs", "2", "--isa", "simd", "--out", other);
    expect(s.out).toContain("note: the run trained with the scalar kernels and resumes with simd: the bits differ from an uninterrupted run");
    expect(params(join(other, "model.safetensors"))).not.toEqual(params(join(whole, "model.safetensors")));
  });

  it("refuses model flags with --resume, and fewer epochs than done", async () => {
    const ck = join(dir, "part", "checkpoint.safetensors");
    const a = await latent("train", "--resume", ck, "--latent", "3");
    expect([a.code, a.err]).toEqual([2, [expect.stringMatching(/--latent cannot be given with --resume/)]]);
    const b = await latent("train", "--resume", ck, "--epochs", "1", "--out", join(dir, "x"));
    expect(b.code).toBe(2);
    expect(b.err[0]).toMatch(/fewer than the 3 epochs/);
  });
});

describe("latent train on SAT-6 with the conv architecture", () => {
  it("trains on the 4-band fixture patches and writes the three colour renderings", async () => {
    const out = join(dir, "sat6");
    const r = await latent("train", "--data", "sat6", "--sat6", "test/fixtures/sat6", "--arch", "conv", "--channels", "4,8",
      "--epochs", "1", "--batch", "8", "--out", out);
    expect(r.err).toEqual([]);
    expect(r.out[0]).toMatch(/conv 28x28x4-c4-8-16-2/);
    for (const png of ["reconstructions", "reconstructions-falsecolor", "reconstructions-nir", "latent"]) {
      expect(PNG.sync.read(readFileSync(join(out, `${png}.png`))).width).toBeGreaterThan(100);
    }
    const e = await latent("eval", "--model", join(out, "model.safetensors"));
    expect(JSON.parse(e.out[0]!).data).toBe("sat6");
  });

  it("asks for --sat6 with --data sat6", async () => {
    const r = await latent("train", "--data", "sat6");
    expect([r.code, r.err[0]]).toEqual([2, expect.stringMatching(/--data sat6 needs --sat6/)]);
  });
});

describe("the model commands", () => {
  const model = join(dir, "run", "model.safetensors");
  it("eval prints one JSON object with the test loss, MSE and active units", async () => {
    const r = await latent("eval", "--model", model);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.out[0]!);
    expect(o.test.loss).toBeCloseTo(o.test.reconstruction + o.test.kl, 6);
    expect(o.reconstruction_mse).toBeGreaterThan(0);
    expect(o.reconstruction_mse).toBeLessThan(0.3);
    expect(o.active_units).toBeGreaterThanOrEqual(0);
    expect(o.active_units).toBeLessThanOrEqual(2);
    expect(o.samples).toBe(2000);
  });

  it("sample, reconstruct and interpolate write PNGs and say where", async () => {
    for (const [cmd, file] of [["sample", "s.png"], ["reconstruct", "r.png"], ["interpolate", "i.png"]] as const) {
      const path = join(dir, file);
      const r = await latent(cmd, "--model", model, "--out", path);
      expect([r.code, r.out]).toEqual([0, [`wrote ${path}`]]);
      expect(PNG.sync.read(readFileSync(path)).width).toBeGreaterThan(50);
    }
  });

  it("encode writes one line per test sample with the label", async () => {
    const path = join(dir, "codes.csv");
    expect((await latent("encode", "--model", model, "--out", path)).code).toBe(0);
    const lines = readFileSync(path, "utf8").trim().split("\n");
    expect(lines[0]).toBe("index,label,mean0,mean1,logvar0,logvar1");
    expect(lines).toHaveLength(2001);
    expect(lines[1]!.split(",")).toHaveLength(6);
    const jl = join(dir, "codes.jsonl");
    expect((await latent("encode", "--model", model, "--format", "jsonl", "--split", "train", "--out", jl)).code).toBe(0);
    expect(JSON.parse(readFileSync(jl, "utf8").split("\n")[0]!)).toMatchObject({ index: 0, label: 0 });
  });
});

describe("bad input: one clear line, exit code 2", () => {
  const cases: [string, string[], RegExp][] = [
    ["unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["unknown flag", ["train", "--lateent", "3"], /Unknown option '--lateent'/],
    ["non-numeric value", ["train", "--latent", "abc"], /--latent must be an integer/],
    ["zero batch", ["train", "--batch", "0"], /--batch must be an integer in \[1/],
    ["bad learning rate", ["train", "--lr", "0"], /--lr must be a number > 0/],
    ["bad model kind", ["train", "--model", "gan"], /--model must be one of ae, vae/],
    ["missing data folder", ["train", "--data", "/nonexistent/data", "--epochs", "1"], /\/nonexistent\/data/],
    ["missing model file", ["eval", "--model", "/nonexistent/m.safetensors"], /\/nonexistent\/m.safetensors/],
    ["no --model", ["sample"], /--model FILE is required/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await latent(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
      expect(r.err[0]).not.toMatch(/\n\s+at /);
    });
  }

  it("a file that is not a model", async () => {
    const bad = join(dir, "bad.safetensors");
    writeFileSync(bad, "not a safetensors file at all");
    const r = await latent("eval", "--model", bad);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/bad.safetensors/);
  });

  it("sampling from an autoencoder", async () => {
    const out = join(dir, "ae");
    expect((await latent("train", ...small, "--model", "ae", "--likelihood", "mse", "--epochs", "1", "--out", out)).code).toBe(0);
    const r = await latent("sample", "--model", join(out, "model.safetensors"));
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/autoencoder: it has no prior/);
  });

  it("--help on every command", async () => {
    for (const cmd of ["train", "demo", "eval", "sample", "reconstruct", "encode", "interpolate"]) {
      const r = await latent(cmd, "--help");
      expect(r.code).toBe(0);
      expect(r.out.join("\n")).toMatch(new RegExp(`latent ${cmd}`));
    }
  });
});
