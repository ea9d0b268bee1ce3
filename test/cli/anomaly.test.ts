// latent train --holdout-class and latent anomaly, on a small synthetic IDX data set (12x12,
// 3 classes): holding a class out trains exactly what training on a copy of the data without
// that class trains (same bits), is stored and resumed; the anomaly command's AUROC and AUPRC
// equal those computed here by pair counting from the model's own reconstructions; bad input is
// one line, exit 2, nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent, modelFile as file, stripedImages } from "./support.js";
import { anomalyHelp } from "../../src/cli/commands/anomaly.js";
import { encodeIdx } from "../../src/data/idx.js";
import { tensor } from "../../src/tensor/tensor.js";
import { readPng } from "../../src/viz/node/png.js";

const dir = mkdtempSync(join(tmpdir(), "latent-anomaly-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SIDE = 12, TRAIN = 300, TEST = 60;
const data = join(dir, "data"), without2 = join(dir, "without2"), oneClass = join(dir, "one-class");
let test: { pixels: Uint8Array; labels: Uint8Array };

/** n images of 3 classes (horizontal stripes, vertical stripes, a square) with uniform noise of +-60. */
const images = (n: number, seed: number) => stripedImages(n, seed, SIDE);

function writeIdx(at: string, train: { pixels: Uint8Array; labels: Uint8Array }, t: { pixels: Uint8Array; labels: Uint8Array }): void {
  mkdirSync(at);
  const put = (name: string, a: Parameters<typeof encodeIdx>[0]) => writeFileSync(join(at, name), encodeIdx(a));
  put("train-images-idx3-ubyte", { dtype: "ubyte", dims: [train.labels.length, SIDE, SIDE], data: train.pixels });
  put("train-labels-idx1-ubyte", { dtype: "ubyte", dims: [train.labels.length], data: train.labels });
  put("t10k-images-idx3-ubyte", { dtype: "ubyte", dims: [t.labels.length, SIDE, SIDE], data: t.pixels });
  put("t10k-labels-idx1-ubyte", { dtype: "ubyte", dims: [t.labels.length], data: t.labels });
}

const tiny = ["--model", "ae", "--hidden", "32", "--latent", "4", "--batch", "50", "--epochs", "3", "--isa", "simd", "--threads", "1"];
const ae = join(dir, "ae"), ae0 = join(dir, "ae0"), vae = join(dir, "vae"), plain = join(dir, "plain");

beforeAll(async () => {
  const train = images(TRAIN, 1);
  test = images(TEST, 2);
  writeIdx(data, train, test);
  // The same training samples in the same order, those of class 2 removed.
  const keep = Array.from(train.labels.keys()).filter((i) => train.labels[i] !== 2);
  const pixels = new Uint8Array(keep.length * SIDE * SIDE);
  keep.forEach((i, k) => pixels.set(train.pixels.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), k * SIDE * SIDE));
  writeIdx(without2, { pixels, labels: Uint8Array.from(keep, (i) => train.labels[i]!) }, test);
  writeIdx(oneClass, { pixels: train.pixels, labels: new Uint8Array(TRAIN) }, test);
  for (const [out, extra] of [[ae, ["--holdout-class", "2"]], [ae0, ["--holdout-class", "0"]], [plain, []]] as const) {
    const r = await latent("train", "--data", data, ...tiny, ...extra, "--out", out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
  }
  const v = await latent("train", "--data", data, ...tiny.slice(2), "--holdout-class", "2", "--out", vae);
  expect(v.code).toBe(0);
}, 60_000);


/** The command through run.ts: output captured, an error reported as one line with its exit code. */
const anomaly = (...argv: string[]) => latent("anomaly", ...argv);

interface Result { auroc: number; auprc: number; prevalence: number; positives: number; negatives: number; meanByClass: Record<string, number> }
interface Json { n: number; positives: number; iwae: number | null; heldOut: { class: number; source: string; trainedWithout: number | null }; scores: Record<string, Result> }
const read = (out: string): Json => JSON.parse(readFileSync(join(out, "anomaly.json"), "utf8")) as Json;

describe("latent train --holdout-class", () => {
  it("trains the bits a copy of the data without the class trains, stores the class, and resumes it bit for bit", async () => {
    const copy = join(dir, "copy");
    expect((await latent("train", "--data", without2, ...tiny, "--out", copy)).code).toBe(0);
    const held = file(join(ae, "model.safetensors"));
    expect(held.training.holdoutClass).toBe(2);
    expect(held.bits).toEqual(file(join(copy, "model.safetensors")).bits);
    expect(held.bits).not.toEqual(file(join(plain, "model.safetensors")).bits);
    const resumed = join(dir, "resumed");
    const one = await latent("train", "--data", data, ...tiny, "--holdout-class", "2", "--epochs", "1", "--out", resumed);
    expect(one.out[1]).toBe("class 2 held out of training (100 samples); the test split keeps it");
    const again = await latent("train", "--resume", join(resumed, "checkpoint.safetensors"), "--epochs", "3", "--out", resumed, "--isa", "simd", "--threads", "1");
    expect(again.err).toEqual([]);
    expect(file(join(resumed, "model.safetensors")).bits).toEqual(held.bits);
  });

  for (const [what, argv, message] of [
    ["an unknown class", ["--data", data, "--holdout-class", "7"], /--holdout-class 7: .* has no such class; its classes are 0, 1, 2/],
    ["a class that leaves no other to train on", ["--data", oneClass, "--holdout-class", "0"], /--holdout-class 0 leaves no class to train on/],
    ["a class that is not a label", ["--data", data, "--holdout-class", "two"], /--holdout-class two: .* has no such class/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2, writing nothing`, async () => {
      const out = join(dir, "never");
      const r = await latent("train", ...argv, ...tiny, "--out", out);
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }

  it("refuses --holdout-class with --resume", async () => {
    const r = await latent("train", "--resume", join(ae, "checkpoint.safetensors"), "--holdout-class", "1", "--epochs", "4");
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--holdout-class cannot be given with --resume/);
  });
});

/** Oracle: the AUROC of each test image's squared reconstruction error at finding class C, pairs counted. */
function mseAuroc(modelPath: string, C: number): number {
  const { model, params } = file(modelPath);
  const D = SIDE * SIDE;
  const x = Float32Array.from(test.pixels, (v) => v / 255);
  const rec = model.reconstruct(params, tensor(x, [TEST, D])).data;
  const mse = Array.from({ length: TEST }, (_, i) => { let s = 0; for (let j = 0; j < D; j++) s += (x[i * D + j]! - rec[i * D + j]!) ** 2; return s / D; });
  let wins = 0, pairs = 0;
  for (let i = 0; i < TEST; i++) for (let j = 0; j < TEST; j++) {
    if (test.labels[i] === C && test.labels[j] !== C) { pairs++; wins += mse[i]! > mse[j]! ? 1 : mse[i] === mse[j] ? 0.5 : 0; }
  }
  return wins / pairs;
}

describe("latent anomaly", () => {
  it("reports the AUROC and AUPRC that pair counting gives from the model's reconstructions", async () => {
    const out = join(dir, "a-ae");
    const r = await anomaly("--model", join(ae, "model.safetensors"), "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const json = read(out);
    expect(json).toMatchObject({ n: TEST, positives: 20, iwae: null, heldOut: { class: 2, source: "model", trainedWithout: 2 } });
    expect(Object.keys(json.scores)).toEqual(["nll", "mse"]);
    // Oracle: each test image's squared error against the model's reconstruction, pairs counted.
    const { model, params } = file(join(ae, "model.safetensors"));
    const D = SIDE * SIDE;
    const x = Float32Array.from(test.pixels, (v) => v / 255);
    const rec = model.reconstruct(params, tensor(x, [TEST, D])).data;
    const mse = Array.from({ length: TEST }, (_, i) => { let s = 0; for (let j = 0; j < D; j++) s += (x[i * D + j]! - rec[i * D + j]!) ** 2; return s / D; });
    let wins = 0;
    for (let i = 0; i < TEST; i++) for (let j = 0; j < TEST; j++) {
      if (test.labels[i] === 2 && test.labels[j] !== 2) wins += mse[i]! > mse[j]! ? 1 : mse[i] === mse[j] ? 0.5 : 0;
    }
    expect(json.scores.mse!.auroc).toBeCloseTo(wins / (20 * 40), 9);
    expect(json.scores.mse!.prevalence).toBeCloseTo(1 / 3, 15);
    // The square, never seen, is reconstructed worse than the stripes.
    expect(json.scores.mse!.auroc).toBeGreaterThan(0.9);
    expect(json.scores.mse!.auprc).toBeGreaterThan(1 / 3);
    expect(json.scores.mse!.meanByClass["2"]!).toBeCloseTo(mse.filter((_, i) => test.labels[i] === 2).reduce((a, b) => a + b, 0) / 20, 9);
    const png = readPng(join(out, "anomaly.png"));
    expect(E.isRight(png) && png.right.width > 1000).toBe(true);
    expect(r.out[0]).toMatch(/^class 2 against the rest: 20 and 40 test images of /);
  });

  it("scores a VAE by its negative ELBO or IWAE bound; --class and --n override the class and the images", async () => {
    const out = join(dir, "a-vae");
    const r = await anomaly("--model", join(vae, "model.safetensors"), "--iwae", "4", "--class", "0", "--n", "30", "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    const json = read(out);
    expect(json).toMatchObject({ n: 30, iwae: 4, heldOut: { class: 0, source: "flag", trainedWithout: 2 } });
    expect(Object.keys(json.scores)).toEqual(["iwae", "mse"]);
    expect(json.scores.iwae!.positives + json.scores.iwae!.negatives).toBe(30);
    const elbo = join(dir, "a-vae-elbo");
    expect((await anomaly("--model", join(vae, "model.safetensors"), "--out", elbo, "--isa", "simd")).code).toBe(0);
    const e = read(elbo).scores.elbo!;
    expect(e.auroc).toBeGreaterThan(0.5);
    // -ELBO is at least the reconstruction term's share: the held-out class's mean is the largest.
    expect(e.meanByClass["2"]!).toBeGreaterThan(Math.max(e.meanByClass["0"]!, e.meanByClass["1"]!));
  });

  it("with several models, tabulates each model's own held-out class with the means per kind and plots them", async () => {
    const out = join(dir, "a-table");
    const models = [join(vae, "model.safetensors"), join(ae, "model.safetensors"), join(ae0, "model.safetensors")];
    const r = await anomaly(...models.flatMap((m) => ["--model", m]), "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    interface Row { model: string; kind: string; class: number; positives: number; scores: Record<string, { auroc: number; auprc: number; prevalence: number }> }
    const json = JSON.parse(readFileSync(join(out, "anomaly.json"), "utf8")) as { n: number; models: Row[]; mean: Record<string, Record<string, { auroc: number; auprc: number; models: number }>> };
    expect(json.n).toBe(TEST);
    // Sorted by kind, then held-out class; each row detects the class its model was trained without.
    expect(json.models.map((m) => [m.kind, m.class, m.model])).toEqual([["ae", 0, models[2]], ["ae", 2, models[1]], ["vae", 2, models[0]]]);
    expect(Object.keys(json.models[0]!.scores)).toEqual(["nll", "mse"]);
    expect(Object.keys(json.models[2]!.scores)).toEqual(["elbo", "mse"]);
    expect(json.models[0]!.scores.mse!.auroc).toBeCloseTo(mseAuroc(models[2]!, 0), 9);
    expect(json.models[1]!.scores.mse!.auroc).toBeCloseTo(mseAuroc(models[1]!, 2), 9);
    expect(json.models[2]!.scores.mse!.auroc).toBeCloseTo(mseAuroc(models[0]!, 2), 9);
    expect(json.mean.ae!.mse!).toMatchObject({ models: 2 });
    expect(json.mean.ae!.mse!.auroc).toBeCloseTo((json.models[0]!.scores.mse!.auroc + json.models[1]!.scores.mse!.auroc) / 2, 12);
    expect(json.mean.vae!.elbo!.auroc).toBeCloseTo(json.models[2]!.scores.elbo!.auroc, 12);
    expect(r.out.filter((l) => /^(ae|vae) +mean/.test(l)).length).toBe(2);
    const png = readPng(join(out, "anomaly.png"));
    expect(E.isRight(png) && png.right.width > 1000).toBe(true);
  });

  it("prints its help", async () => {
    expect((await anomaly("--help")).out).toEqual([anomalyHelp]);
  });

  for (const [what, argv, message] of [
    ["a model trained with every class and no --class", ["--model", join(plain, "model.safetensors")], /was not trained with --holdout-class: give --class C/],
    ["an unknown --class", ["--model", join(ae, "model.safetensors"), "--class", "5"], /--class 5: .* has no such class; its classes are 0, 1, 2/],
    ["--iwae on an AE", ["--model", join(ae, "model.safetensors"), "--iwae", "5"], /--iwae K needs a VAE/],
    ["--iwae 0", ["--model", join(vae, "model.safetensors"), "--iwae", "0"], /--iwae must be an integer in \[1, 100000\]/],
    ["--class with several models", ["--model", join(ae, "model.safetensors"), "--model", join(ae0, "model.safetensors"), "--class", "1"], /--class applies to one model/],
    ["several models, one trained with every class", ["--model", join(ae, "model.safetensors"), "--model", join(plain, "model.safetensors")], /plain.model.safetensors was not trained with --holdout-class/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2, writing nothing`, async () => {
      const out = join(dir, "never");
      const r = await anomaly(...argv, "--out", out, "--isa", "simd");
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
