// latent analyze: clustering, kNN, probe and trustworthiness figures of pixels, their PCA and a
// model's codes, written as analysis.json with three PNGs; bad input gives one line and exit code 2.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent } from "./support.js";
import { readPng } from "../../src/viz/node/png.js";

const dir = mkdtempSync(join(tmpdir(), "latent-analyze-"));
const model = join(dir, "run", "model.safetensors");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const r = await latent("train", "--limit", "600", "--epochs", "1", "--hidden", "32", "--latent", "4", "--isa", "simd", "--threads", "1", "--out", join(dir, "run"));
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
}, 60_000);

interface Figures {
  dim: number;
  kmeans: { acc: number; nmi: number; ari: number };
  ward: { acc: number; nmi: number; ari: number };
  knn: { k1: number; k5: number };
  probe: number;
  trustworthiness: number;
}

describe("latent analyze", () => {
  it("writes the figures of pixels, PCA and codes, in range, and the pictures", async () => {
    const out = join(dir, "analysis");
    const r = await latent("analyze", "--model", model, "--n", "300", "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.join("\n")).toMatch(/pixels[\s\S]*pca[\s\S]*codes/);
    const json = JSON.parse(readFileSync(join(out, "analysis.json"), "utf8")) as { model: string; data: string; n: number; representations: Record<string, Figures> };
    expect(json.model).toBe(model);
    expect(json.n).toBe(300);
    expect(Object.keys(json.representations).sort()).toEqual(["codes", "pca", "pixels"]);
    const unit = (v: number) => { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); };
    for (const [name, f] of Object.entries(json.representations)) {
      expect(f.dim, name).toBe(name === "pixels" ? 784 : 4);
      for (const c of [f.kmeans, f.ward]) {
        unit(c.acc); unit(c.nmi);
        expect(c.ari).toBeGreaterThanOrEqual(-0.5); expect(c.ari).toBeLessThanOrEqual(1);
      }
      unit(f.knn.k1); unit(f.knn.k5); unit(f.probe); unit(f.trustworthiness);
    }
    // Real digits: raw-pixel nearest neighbours classify most of them.
    expect(json.representations.pixels!.knn.k1).toBeGreaterThan(0.6);
    for (const png of ["codes-pca", "codes-kmeans", "dendrogram"]) {
      const image = readPng(join(out, `${png}.png`));
      expect(E.isRight(image), png).toBe(true);
      if (E.isRight(image)) expect(image.right.width).toBeGreaterThan(100);
    }
  }, 30_000);

  for (const [what, argv, message] of [
    ["missing --model", ["analyze", "--n", "300"], /--model FILE is required/],
    ["a data set of another size", ["analyze", "--model", model, "--data", "sat6", "--sat6", "test/fixtures/sat6"], /3136 values per sample but the model .* takes 784/],
    ["--n below the trustworthiness's neighbourhoods", ["analyze", "--model", model, "--n", "5"], /--n must be an integer in \[21, \.\.\.\]/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2`, async () => {
      const r = await latent(...argv);
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
    });
  }
});
