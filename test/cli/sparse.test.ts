// latent train --sparsity / --code and latent sparse, on a small synthetic IDX data set (12x12,
// 3 classes): the penalty is stored in the training record, changes what is learned, and a
// resumed run continues it bit for bit; the KL penalty pulls the units' mean activation toward
// rho; the sparse command's figures match a count made here from the model's own codes; bad
// input is one line, exit 2, nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent, modelFile as file, stripedImages } from "./support.js";
import { sparseHelp } from "../../src/cli/commands/sparse.js";
import { encodeIdx } from "../../src/data/idx.js";
import { tensor } from "../../src/tensor/tensor.js";
import { readPng } from "../../src/viz/node/png.js";

const dir = mkdtempSync(join(tmpdir(), "latent-sparse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, "data");
const SIDE = 12, TEST = 60;
let testPixels: Uint8Array;

/** n images of 3 classes (horizontal stripes, vertical stripes, a square) with uniform noise of +-60. */
const images = (n: number, seed: number) => stripedImages(n, seed, SIDE);

beforeAll(() => {
  mkdirSync(data);
  const train = images(300, 1), test = images(TEST, 2);
  testPixels = test.pixels;
  const put = (name: string, a: Parameters<typeof encodeIdx>[0]) => writeFileSync(join(data, name), encodeIdx(a));
  put("train-images-idx3-ubyte", { dtype: "ubyte", dims: [300, SIDE, SIDE], data: train.pixels });
  put("train-labels-idx1-ubyte", { dtype: "ubyte", dims: [300], data: train.labels });
  put("t10k-images-idx3-ubyte", { dtype: "ubyte", dims: [TEST, SIDE, SIDE], data: test.pixels });
  put("t10k-labels-idx1-ubyte", { dtype: "ubyte", dims: [TEST], data: test.labels });
});

const tiny = ["--data", "", "--model", "ae", "--hidden", "none", "--latent", "24", "--batch", "50", "--lr", "1e-2", "--isa", "simd", "--threads", "1"];
const args = (...extra: string[]) => { const a = [...tiny, ...extra]; a[1] = data; return a; };


/** The command through run.ts: output captured, an error reported as one line with its exit code. */
const sparse = (...argv: string[]) => latent("sparse", ...argv);

interface Json {
  n: number; eps: number; latent: number; code: string; sparsity: unknown; nearZeroAbsolute: number; nearZeroRelative: number; meanActivation: number;
  filters: { units: number; shown: number; intoCode: boolean; style: string }; perUnit: { mean: number[]; maxAbs: number[] };
}
const read = (out: string): Json => JSON.parse(readFileSync(join(out, "sparse.json"), "utf8")) as Json;

describe("latent train --sparsity", () => {
  it("stores the KL penalty, learns other parameters than without it, and resumes bit for bit", async () => {
    const plain = join(dir, "plain"), kl = join(dir, "kl"), resumed = join(dir, "kl-resumed");
    expect((await latent("train", ...args("--code", "sigmoid", "--epochs", "4", "--out", plain))).code).toBe(0);
    const r = await latent("train", ...args("--code", "sigmoid", "--sparsity", "kl:0.05:3", "--epochs", "4", "--out", kl));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const done = file(join(kl, "model.safetensors"));
    expect(done.training.sparsity).toEqual({ type: "sparsity", rho: 0.05, weight: 3 });
    expect(done.model.spec.arch).toBe("composed"); // the preset's layers and a sigmoid
    expect(done.bits).not.toEqual(file(join(plain, "model.safetensors")).bits);
    expect((await latent("train", ...args("--code", "sigmoid", "--sparsity", "kl:0.05:3", "--epochs", "2", "--out", resumed))).code).toBe(0);
    const again = await latent("train", "--resume", join(resumed, "checkpoint.safetensors"), "--epochs", "4", "--out", resumed, "--isa", "simd", "--threads", "1");
    expect(again.err).toEqual([]);
    expect(file(join(resumed, "model.safetensors")).bits).toEqual(done.bits);
  });

  it("stores an l1 penalty on a linear code", async () => {
    const out = join(dir, "l1");
    expect((await latent("train", ...args("--sparsity", "l1:0.5", "--epochs", "1", "--out", out))).code).toBe(0);
    expect(file(join(out, "model.safetensors")).training.sparsity).toEqual({ type: "l1", weight: 0.5 });
  });

  for (const [what, extra, message] of [
    ["a bad form", ["--sparsity", "kl:0.05"], /--sparsity must be l1:WEIGHT or kl:RHO:WEIGHT/],
    ["rho out of (0, 1)", ["--code", "sigmoid", "--sparsity", "kl:1:3"], /--sparsity kl:1:3: sparsity rho must be in \(0, 1\)/],
    ["a negative weight", ["--sparsity", "l1:-1"], /--sparsity l1:-1: l1 weight must be a finite number/],
    ["kl on a linear code", ["--sparsity", "kl:0.05:3"], /needs a code in \(0, 1\): add --code sigmoid/],
    ["kl on a VAE", ["--model", "vae", "--hidden", "16", "--sparsity", "kl:0.05:3"], /a VAE's code \(its posterior mean\) is unbounded/],
    ["a sigmoid code on a VAE", ["--model", "vae", "--hidden", "16", "--code", "sigmoid"], /--code sigmoid is for --model ae/],
    ["an unknown code", ["--code", "relu"], /--code must be one of linear, sigmoid/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2, writing nothing`, async () => {
      const out = join(dir, "never");
      const r = await latent("train", ...args(...extra, "--epochs", "1", "--out", out));
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("refuses --sparsity with --resume (the run's settings come from the file)", async () => {
    const r = await latent("train", "--resume", join(dir, "kl", "checkpoint.safetensors"), "--sparsity", "l1:1", "--epochs", "5");
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--sparsity cannot be given with --resume/);
  });
});

describe("latent sparse", () => {
  it("counts what a direct count of the model's codes gives; the KL penalty lowers the mean activation toward rho", async () => {
    const out = join(dir, "s-kl");
    const r = await sparse("--model", join(dir, "kl", "model.safetensors"), "--n", "1000", "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const json = read(out);
    expect(json).toMatchObject({ n: TEST, latent: 24, code: "sigmoid", sparsity: { type: "sparsity", rho: 0.05, weight: 3 },
      filters: { units: 24, shown: 24, intoCode: true, style: "diverging" } });
    // Oracle: the codes of every test image (all 60 are drawn), encoded here, counted here.
    const { model, params } = file(join(dir, "kl", "model.safetensors"));
    const x = Float32Array.from(testPixels, (v) => v / 255);
    const codes = model.encode(params, tensor(x, [TEST, SIDE * SIDE])).mean.data;
    let nearAbs = 0;
    const mean = new Array<number>(24).fill(0);
    for (let i = 0; i < TEST * 24; i++) { if (Math.abs(codes[i]!) < 0.01) nearAbs++; mean[i % 24]! += codes[i]! / TEST; }
    expect(json.nearZeroAbsolute).toBeCloseTo(nearAbs / (TEST * 24), 12);
    json.perUnit.mean.forEach((m, j) => expect(m).toBeCloseTo(mean[j]!, 5));
    const plain = join(dir, "s-plain");
    expect((await sparse("--model", join(dir, "plain", "model.safetensors"), "--out", plain, "--isa", "simd", "--eps", "0.05")).code).toBe(0);
    const p = read(plain);
    expect(p.sparsity).toBeNull();
    expect(p.eps).toBe(0.05);
    expect(Math.abs(json.meanActivation - 0.05)).toBeLessThan(Math.abs(p.meanActivation - 0.05));
    expect(json.meanActivation).toBeLessThan(0.2);
    // 24 filters of 12 x 12 in 5 columns at scale 2, gap 2, padding 4, under a title.
    const png = readPng(join(out, "sparse-filters.png"));
    expect(E.isRight(png) && png.right.height).toBe(26 + 2 * 4 + 5 * 24 + 4 * 2);
    expect(E.isRight(readPng(join(out, "sparse-activation.png")))).toBe(true);
    expect(r.out[0]).toMatch(/^code of 60 test images of .*, 24 units: near zero/);
  });

  it("shows the first hidden layer's units of a VAE, in grey when asked", async () => {
    expect((await latent("train", "--data", data, "--hidden", "10", "--latent", "3", "--epochs", "1", "--isa", "simd", "--threads", "1", "--out", join(dir, "vae"))).code).toBe(0);
    const r = await sparse("--model", join(dir, "vae", "model.safetensors"), "--style", "grey", "--units", "4", "--out", join(dir, "s-vae"), "--isa", "simd");
    expect(r.code).toBe(0);
    expect(read(join(dir, "s-vae"))).toMatchObject({ latent: 3, filters: { units: 10, shown: 4, intoCode: false, style: "grey" } });
  });

  it("prints its help", async () => {
    expect((await sparse("--help")).out).toEqual([sparseHelp]);
  });

  for (const [what, argv, message] of [
    ["missing --model", ["--n", "10"], /--model FILE is required/],
    ["--eps 0", ["--model", join(dir, "kl", "model.safetensors"), "--eps", "0"], /--eps must be a number > 0/],
    ["an unknown style", ["--model", join(dir, "kl", "model.safetensors"), "--style", "hot"], /--style must be one of diverging, grey/],
    ["a convolutional encoder", ["--model", join(dir, "conv", "model.safetensors")], /the encoder's first layer is a conv2d, not a dense layer/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2, writing nothing`, async () => {
      if (what === "a convolutional encoder") {
        const c = await latent("train", "--data", data, "--arch", "conv", "--model", "ae", "--channels", "4", "--epochs", "1", "--isa", "simd", "--threads", "1", "--out", join(dir, "conv"));
        expect(c.code).toBe(0);
      }
      const out = join(dir, "never");
      const r = await sparse(...argv, "--out", out, "--isa", "simd");
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
