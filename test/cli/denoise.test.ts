// latent denoise: on a small synthetic IDX data set (12x12, 3 classes), with tiny models trained
// in-process: the corruption defaults to the one in the model's training record, the figures
// follow the corruption (mask: PSNR near 10 log10(1 / (rate * mean x^2)); rate 0: +infinity as
// null and SSIM 1), the picture has its four rows, and bad input is one line, exit 2, nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent, stripedImages } from "./support.js";
import { denoiseHelp } from "../../src/cli/commands/denoise.js";
import { encodeIdx } from "../../src/data/idx.js";
import { readPng } from "../../src/viz/node/png.js";

const dir = mkdtempSync(join(tmpdir(), "latent-denoise-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, "data");
const SIDE = 12, TEST = 60;
let testPixels: Uint8Array;

/** n images (side x side) of 3 classes (horizontal stripes, vertical stripes, a square) with uniform noise of +-60. */
const images = (n: number, seed: number, side = SIDE) => stripedImages(n, seed, side);

/** An IDX folder of `trainN` and `testN` images of side x side pixels; returns the test split. */
function writeIdx(at: string, side: number, trainN: number, testN: number): { pixels: Uint8Array; labels: Uint8Array } {
  mkdirSync(at);
  const train = images(trainN, 1, side), test = images(testN, 2, side);
  const put = (name: string, a: Parameters<typeof encodeIdx>[0]) => writeFileSync(join(at, name), encodeIdx(a));
  put("train-images-idx3-ubyte", { dtype: "ubyte", dims: [trainN, side, side], data: train.pixels });
  put("train-labels-idx1-ubyte", { dtype: "ubyte", dims: [trainN], data: train.labels });
  put("t10k-images-idx3-ubyte", { dtype: "ubyte", dims: [testN, side, side], data: test.pixels });
  put("t10k-labels-idx1-ubyte", { dtype: "ubyte", dims: [testN], data: test.labels });
  return test;
}

const tiny = ["--hidden", "32", "--latent", "4", "--model", "ae", "--epochs", "2", "--batch", "50", "--isa", "simd", "--threads", "1"];
const noisyModel = join(dir, "noisy", "model.safetensors"), cleanModel = join(dir, "clean", "model.safetensors");

beforeAll(async () => {
  testPixels = writeIdx(data, SIDE, 300, TEST).pixels;
  writeIdx(join(dir, "wider"), 14, 6, 6);
  for (const [out, extra] of [["noisy", ["--corrupt", "mask:0.3"]], ["clean", []]] as const) {
    const r = await latent("train", "--data", data, ...tiny, ...extra, "--out", join(dir, out));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
  }
}, 60_000);

/** The command through run.ts: output captured, an error reported as one line with its exit code. */
const denoise = (...argv: string[]) => latent("denoise", ...argv);

interface Figures { psnr: number | null; ssim: number }
interface Json {
  data: string; n: number; corruption: string; corruptionSource: string; latent: number;
  corrupted: Figures; denoised: Figures; pca: Figures & { k: number; fitSamples: number };
  psnrGain: { denoised: number | null; pca: number | null }; pictured: number[];
}
const read = (out: string): Json => JSON.parse(readFileSync(join(out, "denoise.json"), "utf8")) as Json;

describe("latent denoise", () => {
  it("uses the model's training corruption; the masked images' PSNR is what the mask rate predicts", async () => {
    const out = join(dir, "d1");
    const r = await denoise("--model", noisyModel, "--n", "100", "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(`note: --n 100 is more than the ${TEST} test images of ${data}; denoising ${TEST}`);
    const json = read(out);
    expect(json).toMatchObject({ n: TEST, corruption: "mask:0.3", corruptionSource: "model", latent: 4, pca: { k: 4, fitSamples: 300 } });
    // Independent estimate over the whole test split: masking a share r of the values gives an
    // image's mse near r * mean(x^2), so its PSNR near 10 log10(1 / (r mean(x^2))).
    let expected = 0;
    for (let i = 0; i < TEST; i++) {
      let sq = 0;
      for (let j = 0; j < SIDE * SIDE; j++) sq += (testPixels[i * SIDE * SIDE + j]! / 255) ** 2;
      expected += 10 * Math.log10(1 / (0.3 * sq / (SIDE * SIDE))) / TEST;
    }
    expect(Math.abs(json.corrupted.psnr! - expected)).toBeLessThan(0.5);
    for (const f of [json.corrupted, json.denoised, json.pca]) {
      expect(f.psnr).toBeGreaterThan(3);
      expect(f.ssim).toBeGreaterThan(-1);
      expect(f.ssim).toBeLessThan(1);
    }
    expect(json.psnrGain.denoised).toBeCloseTo(json.denoised.psnr! - json.corrupted.psnr!, 12);
    expect(json.pictured.length).toBe(10);
    expect(new Set(json.pictured).size).toBe(10);
    expect(r.out.join("\n")).toMatch(/corrupted[\s\S]*denoised[\s\S]*PCA \(4\)/);
    // Four rows (clean, corrupted, denoised, PCA) of 10 images at scale 2, under a title.
    const png = readPng(join(out, "denoise.png"));
    expect(E.isRight(png)).toBe(true);
    if (E.isRight(png)) {
      expect(png.right.height).toBe(26 + 2 * 4 + 4 * 24 + 3 * 2);
      expect(png.right.width).toBeGreaterThan(10 * 24 + 9 * 2);
    }
  });

  it("takes --corrupt over the model's; a corruption that changes nothing gives PSNR null (+infinity) and SSIM 1", async () => {
    for (const flag of ["gaussian:0", "mask:0"]) {
      const out = join(dir, `zero-${flag.replace(":", "")}`);
      const r = await denoise("--model", noisyModel, "--corrupt", flag, "--n", "20", "--out", out, "--isa", "simd");
      expect(r.code).toBe(0);
      const json = read(out);
      expect(json).toMatchObject({ n: 20, corruption: flag, corruptionSource: "flag" });
      expect(json.corrupted.psnr).toBeNull();
      expect(json.corrupted.ssim).toBeCloseTo(1, 12);
      expect(json.psnrGain.denoised).toBeNull();
      expect(Number.isFinite(json.denoised.psnr)).toBe(true);
      expect(readFileSync(join(out, "denoise.json"), "utf8")).toMatch(/"psnr": null/);
    }
  });

  it("falls back to mask:0.3, with a note, for a model trained clean; the same seed gives the same figures", async () => {
    const a = await denoise("--model", cleanModel, "--n", "30", "--seed", "4", "--out", join(dir, "c1"), "--isa", "simd");
    expect(a.code).toBe(0);
    expect(a.out[0]).toBe(`note: ${cleanModel} was not trained with --corrupt; using mask:0.3`);
    const b = await denoise("--model", cleanModel, "--n", "30", "--seed", "4", "--corrupt", "mask:0.3", "--out", join(dir, "c2"), "--isa", "simd");
    const ja = read(join(dir, "c1")), jb = read(join(dir, "c2"));
    expect(ja.corruptionSource).toBe("default");
    expect(jb.corruptionSource).toBe("flag");
    expect([jb.corrupted, jb.denoised, jb.pca]).toEqual([ja.corrupted, ja.denoised, ja.pca]);
    expect(b.out.some((l) => l.startsWith("note:"))).toBe(false);
  });

  it("prints its help", async () => {
    const r = await denoise("--help");
    expect(r.out).toEqual([denoiseHelp]);
  });

  for (const [what, argv, message] of [
    ["missing --model", ["--n", "10"], /--model FILE is required/],
    ["a model file that is not there", ["--model", join(dir, "none.safetensors")], /none\.safetensors/],
    ["a bad --corrupt", ["--model", noisyModel, "--corrupt", "blur:2"], /--corrupt must be gaussian:SIGMA \(>= 0\), mask:RATE or saltpepper:RATE/],
    ["a rate out of range", ["--model", noisyModel, "--corrupt", "mask:1"], /mask corruption rate must be below 1/],
    ["a data set of another size", ["--model", noisyModel, "--data", join(dir, "wider")], /196 values per sample but the model .* takes 144/],
    ["--n 0", ["--model", noisyModel, "--n", "0"], /--n must be an integer in \[1, \.\.\.\]/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2, writing nothing`, async () => {
      const out = join(dir, "never");
      const r = await denoise(...argv, "--out", out, "--isa", "simd");
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
