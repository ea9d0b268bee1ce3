// latent compare: an AE and a VAE trained here for one quick epoch, compared on the embedded
// MNIST digits and on the 4-band SAT-6 fixture. The files, the PNG sizes (from the documented
// layouts), compare.json (its Gaussian fit against codes written by `latent encode`, an
// independent path), the report, and one line with exit code 2 and no files for bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent } from "./support.js";
import { readPng } from "../../src/viz/node/png.js";
import type { Raster } from "../../src/viz/raster.js";

const dir = mkdtempSync(join(tmpdir(), "latent-compare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fast = ["--epochs", "1", "--isa", "simd", "--threads", "1"];
const sat6 = ["--data", "sat6", "--sat6", "test/fixtures/sat6"];
const model = (name: string) => join(dir, name, "model.safetensors");

beforeAll(async () => {
  for (const [name, argv] of [
    ["ae", ["--model", "ae", "--limit", "300", "--hidden", "32", "--latent", "2", "--likelihood", "mse"]],
    ["vae", ["--model", "vae", "--limit", "300", "--hidden", "32", "--latent", "2"]],
    ["sae", ["--model", "ae", ...sat6, "--hidden", "16", "--latent", "2", "--batch", "8"]],
    ["svae", ["--model", "vae", ...sat6, "--hidden", "16", "--latent", "3", "--batch", "8"]],
  ] as const) {
    const r = await latent("train", ...argv, ...fast, "--out", join(dir, name));
    expect(r.err, name).toEqual([]);
    expect(r.code, name).toBe(0);
  }
}, 60_000);

function png(path: string): Raster {
  const r = readPng(path);
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

/** Sizes by the documented layouts: image grids (image-grids.ts), sideBySide (side-by-side.ts), fonts 9 px high. */
const TITLE = 2 * 9 + 8, LABEL = 2 * 9 + 8, SUBLABEL = 9 + 6, PAD = 6, GAP = 16;
const sideBySide = (w: number, h: number) => ({ width: 2 * PAD + 2 * w + GAP, height: TITLE + LABEL + SUBLABEL + 2 * PAD + h });
/** A sheet of 64 tiles of 28 x 28 at scale 2, 8 columns, gap 2, padding 4. */
const SHEET = 2 * 4 + 8 * 56 + 7 * 2;

interface ModelJson {
  path: string; kind: string; latent: number; plane: string;
  evaluation: { samples: number; loss: number; reconstructionMse: number; activeUnits: number };
  gaussian: { n: number; mean: number[]; covariance: number[][]; ridge: number };
  grid: { x: [number, number]; y: [number, number] | null };
  draws: { count: number; drawToNearestTestRms: number; reconstructionToNearestOtherTestRms: number; drawExcess: number; latentGapRatio: number };
}
interface CompareJson { data: string; n: number; models: ModelJson[]; pictures: string[]; interpolationPairs: number[][]; real: { nearestOtherTestRms: number } }

/** Codes of every test sample, from `latent encode` (VAE: the means). */
async function encoded(file: string, extra: string[] = []): Promise<number[][]> {
  const out = join(dir, `codes-${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await latent("encode", "--model", file, ...extra, "--format", "jsonl", "--out", out);
  expect(r.code).toBe(0);
  return readFileSync(out, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { mean: number[] }).mean);
}

/** Mean and unbiased covariance, the oracle for the fit. */
function moments(rows: number[][]): { mean: number[]; cov: number[][] } {
  const n = rows.length, d = rows[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const cov = mean.map((_, p) => mean.map((__, q) => rows.reduce((s, r) => s + (r[p]! - mean[p]!) * (r[q]! - mean[q]!), 0) / (n - 1)));
  return { mean, cov };
}

function expectFit(g: ModelJson["gaussian"], codes: number[][]): void {
  const o = moments(codes);
  expect(g.n).toBe(codes.length);
  g.mean.forEach((v, j) => expect(Math.abs(v - o.mean[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(o.mean[j]!))));
  g.covariance.forEach((row, p) => row.forEach((v, q) => expect(Math.abs(v - o.cov[p]![q]!)).toBeLessThan(1e-5 * (1 + Math.abs(o.cov[p]![q]!)))));
}

describe("latent compare on MNIST (AE and VAE, latent 2)", () => {
  const out = join(dir, "mnist");
  let json: CompareJson;
  let stdout: string[];

  beforeAll(async () => {
    // --n 2000: every embedded test digit, so the fit can be checked against all test codes.
    const r = await latent("compare", "--models", model("ae"), model("vae"), "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    stdout = r.out;
    json = JSON.parse(readFileSync(join(out, "compare.json"), "utf8")) as CompareJson;
  }, 30_000);

  it("writes the pictures, the report and the summary, and prints a table", () => {
    const pictures = ["codes.png", "grid.png", "draws.png", "interpolation.png"];
    expect(readdirSync(out).sort()).toEqual([...pictures, "compare.json", "report.html"].sort());
    expect(json.pictures.sort()).toEqual([...pictures].sort());
    expect(stdout[0]).toMatch(/^model\s+kind\s+latent\s+test loss/);
    expect(stdout[1]).toMatch(/ae\/model\.safetensors\s+AE\s+2\s/);
    expect(stdout[2]).toMatch(/vae\/model\.safetensors\s+VAE\s+2\s/);
    expect(stdout.at(-1)).toMatch(/^wrote .*report\.html, compare\.json, codes\.png/);
  });

  it("draws each picture at the size its layout gives", () => {
    // two scatter plots of 580 x 460
    expect(png(join(out, "codes.png"))).toMatchObject(sideBySide(580, 460));
    // two sheets of 64 draws
    expect(png(join(out, "draws.png"))).toMatchObject(sideBySide(SHEET, SHEET));
    // 15 x 15 tiles of 28 px, touching, padding 4, x labels below (4 + 3 + 9 + 5 + 9)
    expect(png(join(out, "grid.png")).height).toBe(sideBySide(0, 2 * 4 + 15 * 28 + 30).height);
    expect(png(join(out, "grid.png")).width).toBeGreaterThan(2 * 15 * 28);
    // four strips of 10 tiles at scale 2
    expect(png(join(out, "interpolation.png")).height).toBe(sideBySide(0, 2 * 4 + 4 * 56 + 3 * 2).height);
  });

  it("summarises both models, with the Gaussian fitted to all their test codes", async () => {
    expect(json.data).toBe("mnist");
    expect(json.n).toBe(2000);
    expect(json.models.map((m) => [m.kind, m.latent, m.plane])).toEqual([["ae", 2, "latent"], ["vae", 2, "latent"]]);
    expect(json.models[0]!.path).toBe(model("ae"));
    expect(json.interpolationPairs).toHaveLength(4);
    expect(json.real.nearestOtherTestRms).toBeGreaterThan(0);
    for (const [i, name] of [[0, "ae"], [1, "vae"]] as const) {
      const m = json.models[i]!;
      expect(m.evaluation.samples).toBe(2000);
      expect(m.evaluation.loss).toBeGreaterThan(0);
      // the same samples as `latent eval` (the whole test split): the same reconstruction error and active units
      const ev = await latent("eval", "--model", model(name));
      const evJson = JSON.parse(ev.out[0]!) as { reconstruction_mse: number; active_units: number; samples: number };
      expect(evJson.samples).toBe(2000);
      expect(m.evaluation.reconstructionMse).toBeCloseTo(evJson.reconstruction_mse, 6);
      expect(m.evaluation.activeUnits).toBe(evJson.active_units);
      expect(m.draws.count).toBe(256);
      for (const v of [m.draws.drawToNearestTestRms, m.draws.reconstructionToNearestOtherTestRms]) { expect(v).toBeGreaterThan(0); expect(v).toBeLessThan(1); }
      expect(m.draws.drawExcess).toBeCloseTo(m.draws.drawToNearestTestRms / m.draws.reconstructionToNearestOtherTestRms, 10);
      expect(m.draws.latentGapRatio).toBeGreaterThan(0);
      expect(m.gaussian.ridge).toBe(0);
      const codes = await encoded(model(name));
      expectFit(m.gaussian, codes);
      // the grid spans the 1st to the 99th percentile of each coordinate
      for (const [j, range] of [[0, m.grid.x], [1, m.grid.y!]] as const) {
        const sorted = codes.map((c) => c[j]!).sort((a, b) => a - b);
        const at = (p: number) => { const x = (p / 100) * (sorted.length - 1), lo = Math.floor(x); return sorted[lo]! + (sorted[Math.ceil(x)]! - sorted[lo]!) * (x - lo); };
        expect(range[0]).toBeCloseTo(at(1), 4);
        expect(range[1]).toBeCloseTo(at(99), 4);
      }
    }
  }, 20_000);

  it("writes a self-contained report with every picture and both tables", () => {
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html.match(/<img /g)).toHaveLength(4);
    expect(html).toContain("draw to nearest test image (RMS)");
    expect(html).toContain("latent gap ratio");
    expect(html).toContain("ae/model.safetensors");
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});

describe("latent compare on SAT-6 (4 bands, latents of 2 and 3)", () => {
  const out = join(dir, "sat6-out");

  it("draws true and false colour, clamps --n to the test split, and fits the Gaussian to its codes", async () => {
    const r = await latent("compare", "--models", model("sae"), model("svae"), "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("note: --n 2000 is more than the 8 test samples of sat6:" + join(process.cwd(), "test/fixtures/sat6") + "; comparing 8");
    // the scatter plots once, every picture of images in both colourings
    const files = ["codes.png", ...["grid", "draws", "interpolation"].flatMap((f) => [`${f}.png`, `${f}-falsecolor.png`])];
    expect(readdirSync(out).sort()).toEqual([...files, "compare.json", "report.html"].sort());
    expect(png(join(out, "draws.png"))).toMatchObject(sideBySide(SHEET, SHEET));
    // 8 test samples: 4 pairs, tiles of 28 x 28
    expect(png(join(out, "interpolation-falsecolor.png")).height).toBe(sideBySide(0, 2 * 4 + 4 * 56 + 3 * 2).height);
    const tc = png(join(out, "draws.png")), fc = png(join(out, "draws-falsecolor.png"));
    expect(fc.width).toBe(tc.width);
    expect(Buffer.from(fc.data).equals(Buffer.from(tc.data))).toBe(false);
    const json = JSON.parse(readFileSync(join(out, "compare.json"), "utf8")) as CompareJson;
    expect(json.n).toBe(8);
    expect(json.models.map((m) => [m.kind, m.latent, m.plane])).toEqual([["ae", 2, "latent"], ["vae", 3, "pca"]]);
    expectFit(json.models[0]!.gaussian, await encoded(model("sae")));
    expectFit(json.models[1]!.gaussian, await encoded(model("svae")));
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html.match(/<img /g)).toHaveLength(7);
    expect(html).toContain("false colour (NIR, R, G)");
  }, 20_000);
});

describe("latent compare refuses bad input", () => {
  for (const [what, argv, message] of [
    ["one model", () => ["--models", model("ae")], /--models takes two model files .* got 1/],
    ["three models", () => ["--models", model("ae"), model("vae"), model("ae")], /--models takes two model files .* got 3/],
    ["no --models", () => [], /--models takes two model files .* got 0$/],
    ["a missing file", () => ["--models", model("ae"), join(dir, "nope.safetensors")], /nope\.safetensors/],
    ["models of different input sizes", () => ["--models", model("ae"), model("svae")], /inputs of different sizes: .* 784 values, .* 3136/],
    ["data the models do not fit", () => ["--models", model("ae"), model("vae"), ...sat6], /3136 values per sample but the model in .* takes 784/],
    ["--sat6 without --data sat6", () => ["--models", model("ae"), model("vae"), "--sat6", "test/fixtures/sat6"], /--sat6 goes with --data sat6/],
    ["--n below 2", () => ["--models", model("ae"), model("vae"), "--n", "1"], /--n must be an integer in \[2, /],
    ["an unknown flag", () => ["--models", model("ae"), model("vae"), "--bogus"], /bogus/],
  ] as const) {
    it(`${what}: one line, exit code 2, nothing written`, async () => {
      const out = join(dir, `bad-${what.replace(/\W+/g, "-")}`);
      const r = await latent("compare", ...argv(), "--out", out);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
