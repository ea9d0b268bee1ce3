// latent analyze: clustering, kNN, probe and trustworthiness figures of pixels, their PCA and a
// model's codes (with t-SNE and UMAP of the PCA and the codes), written as analysis.json, PNGs and
// report.html; bad input gives one line and exit code 2.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { latent } from "./support.js";
import { readPng } from "../../src/viz/node/png.js";
import { loadModel, saveModel } from "../../src/io/node/model-file.js";
import { loadEmbeddedMnist } from "../../src/data/node/mnist.js";
import { tensor } from "../../src/tensor/tensor.js";

const dir = mkdtempSync(join(tmpdir(), "latent-analyze-"));
const model = join(dir, "run", "model.safetensors");
const nanModel = join(dir, "nan", "model.safetensors");
const folder = join(dir, "digits");
const folder4 = join(dir, "digits-4-bands");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The digits 0, 1 and 2 of the embedded MNIST as a PNG folder, `per` test and training images of
 * each, in folders named by class: grey 28 x 28, or as 4 bands (RGBA PNGs, the alpha read as a 4th
 * band) of every other pixel, 14 x 14 (so that the pixels' PCA, on 784 values, stays quick).
 */
function digitFolder(to: string, per: number, bands: 1 | 4): void {
  const ds = loadEmbeddedMnist();
  const names = ["zero", "one", "two"];
  for (const [split, s] of [["train", ds.train], ["test", ds.test]] as const) {
    for (let c = 0; c < 3; c++) {
      mkdirSync(join(to, split, names[c]!), { recursive: true });
      let written = 0;
      for (let i = 0; i < s.n && written < per; i++) {
        if (s.labels![i] !== c) continue;
        const side = bands === 1 ? 28 : 14, step = 28 / side;
        const png = new PNG({ width: side, height: side });
        for (let y = 0; y < side; y++) {
          for (let x = 0; x < side; x++) {
            const v = Math.round(255 * s.pixels[i * 784 + y * step * 28 + x * step]!); // the embedded digits are floats in [0, 1]
            png.data.set(bands === 1 ? [v, v, v, 255] : [v, 255 - v, v >> 1, 60 + 60 * c + (v >> 2)], 4 * (y * side + x));
          }
        }
        writeFileSync(join(to, split, names[c]!, `${written}.png`), PNG.sync.write(png, { colorType: bands === 1 ? 0 : 6 }));
        written++;
      }
    }
  }
}

beforeAll(async () => {
  const r = await latent("train", "--limit", "600", "--epochs", "1", "--hidden", "32", "--latent", "4", "--isa", "simd", "--threads", "1", "--out", join(dir, "run"));
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  // A model whose first layer overflows: every hidden unit is +inf, so the codes are inf * w summed over signs, NaN.
  const file = await loadModel(model)();
  if (E.isLeft(file)) throw file.left;
  const f = file.right;
  const w = f.params["encoder.0.weight"]!;
  const params = { ...f.params, "encoder.0.weight": tensor(new Float32Array(w.data.length).fill(3e38), w.shape) };
  mkdirSync(join(dir, "nan"));
  const saved = await saveModel(nanModel, { spec: f.spec, params, ...(f.normalization ? { normalization: f.normalization } : {}) })();
  expect(E.isRight(saved)).toBe(true);
  digitFolder(folder, 10, 1);
}, 60_000);

interface Figures {
  dim: number;
  kmeans: { acc: number; nmi: number; ari: number };
  ward: { acc: number; nmi: number; ari: number };
  knn: { k1: number; k5: number };
  probe: number;
  trustworthiness: number;
  tsne?: { trustworthiness: number; kl: number };
  umap?: { trustworthiness: number };
}
interface Analysis {
  model: string; data: string; n: number; classes: number; k: number; perplexity: number;
  representations: Record<string, Figures>;
  confusion: { rows: string[]; clusters: number[]; matched: (number | null)[]; counts: number[][] };
}

const PICTURES = ["codes-pca", "codes-kmeans", "codes-tsne", "codes-tsne-kmeans", "codes-umap", "codes-umap-kmeans", "pca-tsne", "pca-umap",
  "confusion", "prototypes", "dendrogram", "retrieval"];

describe("latent analyze", () => {
  it("writes the figures of pixels, PCA and codes, in range, the pictures and the report", async () => {
    const out = join(dir, "analysis");
    const r = await latent("analyze", "--model", model, "--n", "300", "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.join("\n")).toMatch(/pixels[\s\S]*pca[\s\S]*codes/);
    expect(r.out[0]).toMatch(/trust +tsne +umap$/);
    const json = JSON.parse(readFileSync(join(out, "analysis.json"), "utf8")) as Analysis;
    expect(json.model).toBe(model);
    expect([json.n, json.classes, json.k, json.perplexity]).toEqual([300, 10, 10, 30]);
    expect(Object.keys(json.representations).sort()).toEqual(["codes", "pca", "pixels"]);
    const apps = (json as unknown as { applications: { anomaly: unknown; denoise: unknown; sparse: unknown; retrieval: { k: number } } }).applications;
    expect([apps.anomaly, apps.denoise, apps.sparse, apps.retrieval.k]).toEqual([null, null, null, 10]); // trained without --holdout-class, --corrupt, --sparsity
    const unit = (v: number | undefined) => { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); };
    for (const [name, f] of Object.entries(json.representations)) {
      expect(f.dim, name).toBe(name === "pixels" ? 784 : 4);
      for (const c of [f.kmeans, f.ward]) {
        unit(c.acc); unit(c.nmi);
        expect(c.ari).toBeGreaterThanOrEqual(-0.5); expect(c.ari).toBeLessThanOrEqual(1);
      }
      unit(f.knn.k1); unit(f.knn.k5); unit(f.probe); unit(f.trustworthiness);
      if (name === "pixels") { expect(f.tsne).toBeUndefined(); expect(f.umap).toBeUndefined(); continue; }
      unit(f.tsne!.trustworthiness); unit(f.umap!.trustworthiness);
      expect(f.tsne!.kl).toBeGreaterThan(0);
      // t-SNE and UMAP keep neighbourhoods of 4-D points far better than chance (0.5).
      expect(f.tsne!.trustworthiness).toBeGreaterThan(0.8);
      expect(f.umap!.trustworthiness).toBeGreaterThan(0.8);
    }
    // Real digits: raw-pixel nearest neighbours classify most of them.
    expect(json.representations.pixels!.knn.k1).toBeGreaterThan(0.6);
    // The confusion matrix: every sample once, the clusters a permutation in the matched order,
    // and its diagonal the matched pairs that the clustering accuracy counts.
    const { counts, clusters, rows } = json.confusion;
    expect(rows).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect([...clusters].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(json.confusion.matched).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(counts.flat().reduce((a, b) => a + b, 0)).toBe(300);
    expect(counts.reduce((s, row, c) => s + row[c]!, 0) / 300).toBeCloseTo(json.representations.codes!.kmeans.acc, 12);
    for (const png of PICTURES) {
      const image = readPng(join(out, `${png}.png`));
      expect(E.isRight(image), png).toBe(true);
      if (E.isRight(image)) expect(image.right.width, png).toBeGreaterThan(100);
    }
    const html = readFileSync(join(out, "report.html"), "utf8");
    // one image per picture, plus the model's: loss, samples, reconstructions, interpolation, manifold
    expect(html.match(/<img /g)?.length).toBe(PICTURES.length + 5);
    for (const png of PICTURES) expect(html).toContain(`alt="${png}.png: `);
    expect(html).toContain("the loss per epoch");
    expect(html).toContain("<th>trust. t-SNE</th>");
  }, 60_000);

  it("adds the applications: retrieval always; anomaly, denoising and sparse coding for a model trained with --holdout-class, --corrupt and --sparsity", async () => {
    const run = join(dir, "apps-run"), out = join(dir, "apps");
    const t = await latent("train", "--data", folder, "--holdout-class", "zero", "--corrupt", "mask:0.3", "--model", "ae", "--epochs", "2",
      "--sparsity", "l1:0.001", "--code", "sigmoid", "--hidden", "16", "--latent", "2", "--batch", "10", "--isa", "simd", "--threads", "1", "--out", run);
    expect(t.code, t.err.join("\n")).toBe(0);
    const r = await latent("analyze", "--model", join(run, "model.safetensors"), "--data", folder, "--n", "30", "--out", out, "--isa", "simd");
    expect(r.code, r.err.join("\n")).toBe(0);
    type Q = { psnr: number | null; ssim: number };
    const apps = (JSON.parse(readFileSync(join(out, "analysis.json"), "utf8")) as { applications: {
      retrieval: { k: number; chance: number; scores: Record<string, { precision: number; map: number }> };
      anomaly: { class: number; prevalence: number; scores: Record<string, { auroc: number; auprc: number }> };
      denoise: { corrupt: string; corrupted: Q; denoised: Q };
      sparse: { eps: number; penalty: string | null; nearZeroAbsolute: number; nearZeroRelative: number; meanActivation: number } } }).applications;

    expect(apps.retrieval.k).toBe(10);
    expect(apps.retrieval.chance).toBeCloseTo(9 / 29, 12); // 10 test images a class: 9 of the other 29 share a query's label
    expect(Object.keys(apps.retrieval.scores).sort()).toEqual(["codes", "pca", "pixels"]);
    for (const s of Object.values(apps.retrieval.scores)) for (const v of [s.precision, s.map]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    expect(apps.anomaly.class).toBe(2); // "zero": class folders are numbered in name order (one, two, zero)
    expect(apps.anomaly.prevalence).toBeCloseTo(1 / 3, 12);
    expect(Object.keys(apps.anomaly.scores)).toEqual(["nll", "mse"]);
    for (const s of Object.values(apps.anomaly.scores)) for (const v of [s.auroc, s.auprc]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    expect(apps.denoise.corrupt).toBe("mask:0.3");
    // A mask of 30% zeroes about 30% of the ink: the corrupted images are well below a perfect score.
    expect(apps.denoise.corrupted.psnr).toBeGreaterThan(5);
    expect(apps.denoise.corrupted.ssim).toBeLessThan(0.99);
    expect(Number.isFinite(apps.denoise.denoised.psnr)).toBe(true);
    // A sigmoid code trained with an L1 penalty: the sparse-coding figures and pictures.
    expect(apps.sparse.penalty).toBe("l1:0.001");
    for (const v of [apps.sparse.nearZeroAbsolute, apps.sparse.nearZeroRelative, apps.sparse.meanActivation]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toMatch(/<h2>Applications<\/h2>[\s\S]*Anomaly detection[\s\S]*Denoising[\s\S]*Sparse coding/);
    for (const png of ["retrieval", "anomaly", "denoise", "sparse-activation", "sparse-filters"]) {
      const image = readPng(join(out, `${png}.png`));
      expect(E.isRight(image) && image.right.width > 100, png).toBe(true);
      expect(html).toContain(`alt="${png}.png: `);
    }
  }, 60_000);

  it("clamps --n to the test split with a note, lowers the default perplexity to fit, names the classes, and takes --k", async () => {
    const out = join(dir, "folder-analysis");
    const r = await latent("analyze", "--model", model, "--data", folder, "--n", "100", "--k", "4", "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`note: --n 100 is more than the 30 test samples of ${folder}; analysing 30`);
    expect(r.out).toContain("note: t-SNE perplexity 30 is too large for n = 30; using (n - 1) / 3 = 9.667");
    const json = JSON.parse(readFileSync(join(out, "analysis.json"), "utf8")) as Analysis;
    expect([json.n, json.classes, json.k]).toEqual([30, 3, 4]);
    expect(json.perplexity).toBeCloseTo(29 / 3, 12);
    // 4 clusters for 3 classes: one cluster is left unmatched, last
    const { rows, clusters, matched, counts } = json.confusion;
    expect(rows).toEqual(["one", "two", "zero"]);
    expect([...clusters].sort()).toEqual([0, 1, 2, 3]);
    expect(matched).toEqual([0, 1, 2, null]);
    expect(counts.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10]);
    expect(counts.reduce((s, row, c) => s + row[c]!, 0) / 30).toBeCloseTo(json.representations.codes!.kmeans.acc, 12);
    // no metrics.jsonl problem here: the model's run folder has one
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("the loss per epoch");
  }, 60_000);

  it("says in the report when there is no metrics.jsonl beside the model", async () => {
    const out = join(dir, "alone-analysis");
    mkdirSync(join(dir, "alone"));
    writeFileSync(join(dir, "alone", "model.safetensors"), readFileSync(model));
    const r = await latent("analyze", "--model", join(dir, "alone", "model.safetensors"), "--data", folder, "--out", out, "--isa", "simd");
    expect(r.code).toBe(0);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toMatch(/There is no metrics\.jsonl beside the model \([^)]*alone\/metrics\.jsonl\), so there is no training curve\./);
    expect(html).not.toContain("the loss per epoch");
  }, 60_000);

  it("shows the prototypes of 4-band data in true and in false colour", async () => {
    digitFolder(folder4, 12, 4);
    const run = join(dir, "run4");
    const t = await latent("train", "--data", folder4, "--epochs", "2", "--hidden", "16", "--latent", "2", "--batch", "12", "--isa", "simd", "--threads", "1", "--out", run);
    expect(t.err).toEqual([]);
    const out = join(dir, "analysis4");
    const r = await latent("analyze", "--model", join(run, "model.safetensors"), "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const sheets = ["prototypes", "prototypes-falsecolor"].map((name) => readPng(join(out, `${name}.png`)));
    if (!E.isRight(sheets[0]!) || !E.isRight(sheets[1]!)) throw new Error("the prototype sheets do not decode");
    const [tc, fc] = [sheets[0].right, sheets[1].right];
    expect(fc.height).toBe(tc.height);
    expect(Math.min(tc.width, fc.width)).toBeGreaterThanOrEqual(3 * 84); // 3 tiles of 14 * 6 pixels
    // Red minus green over a sheet (white and grey text add 0): in true colour the bands R - G,
    // 2v - 255 for a digit's pixel v, mostly negative; in false colour NIR - R, 60 + 60c - 3v/4,
    // mostly positive.
    const redMinusGreen = (r: { data: Uint8ClampedArray }) => { let t = 0; for (let i = 0; i < r.data.length; i += 4) t += r.data[i]! - r.data[i + 1]!; return t; };
    expect(redMinusGreen(tc)).toBeLessThan(0);
    expect(redMinusGreen(fc)).toBeGreaterThan(0);
    const html = readFileSync(join(out, "report.html"), "utf8");
    // 12 analysis pictures; the model's loss, samples, interpolation, manifold and reconstructions in 3 ways
    expect(html.match(/<img /g)?.length).toBe(PICTURES.length + 1 + 7);
    expect(html).toContain("prototypes-falsecolor.png: ");
    expect(html).toContain("reconstructions in false colour (NIR, R, G)");
  }, 60_000);

  for (const [what, argv, message] of [
    ["missing --model", ["analyze", "--n", "300"], /--model FILE is required/],
    ["a model that does not take the data's samples", ["analyze", "--model", model, "--data", "sat6", "--sat6", "test/fixtures/sat6"], /3136 values per sample but the model .* takes 784/],
    ["--n below the trustworthiness's neighbourhoods", ["analyze", "--model", model, "--n", "5"], /--n must be an integer in \[21, \.\.\.\]/],
    ["k > n", ["analyze", "--model", model, "--n", "25", "--k", "30"], /--k 30 is more than the n = 25 samples to cluster/],
    ["k > n on a data set of 30 test samples", ["analyze", "--model", model, "--data", folder, "--k", "31"], /--k 31 is more than the n = 30 samples/],
    ["a perplexity too large for n", ["analyze", "--model", model, "--n", "60", "--perplexity", "20"], /--perplexity 20 is too large for n = 60 samples: .* <= \(n - 1\) \/ 3 = 19\.667/],
    ["a perplexity that is not positive", ["analyze", "--model", model, "--perplexity", "0"], /--perplexity must be a number > 0/],
    ["codes with NaN", ["analyze", "--model", nanModel, "--n", "30"], /the codes of .* on the test samples: sample \d+ has a non-finite value \(NaN\)/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2`, async () => {
      const out = join(dir, "refused");
      const r = await latent(...argv, "--out", out);
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
      expect(() => readFileSync(join(out, "analysis.json"))).toThrow();
    });
  }
});
