// `latent train --normalize band|global` on the 4-band SAT-6 fixture: the per-band map is fitted
// on the training split, stored in the model file, applied again by eval / reconstruct / sample /
// encode and kept on resume; files without it (every earlier file) still read as v / 255; bad
// values are one line and exit code 2.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import * as E from "fp-ts/lib/Either.js";
import { latent } from "./support.js";
import { gather } from "../../src/data/dataset.js";
import { fitBandNormalization, normalizationFromJson } from "../../src/data/normalize.js";
import { loadDataset } from "../../src/data/node/load.js";
import { modelFromSafetensors, modelToSafetensors, type ModelFile } from "../../src/io/model-file.js";

const dir = mkdtempSync(join(tmpdir(), "latent-normalize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


function modelFile(path: string): ModelFile {
  const parsed = modelFromSafetensors(new Uint8Array(readFileSync(path)));
  if (E.isLeft(parsed)) throw parsed.left;
  return parsed.right;
}

const sat6 = ["--data", "sat6", "--sat6", "test/fixtures/sat6", "--arch", "conv", "--channels", "4,8", "--batch", "8", "--threads", "1"];

describe("latent train --normalize band on SAT-6", () => {
  const out = join(dir, "band");
  const model = join(out, "model.safetensors");

  it("fits the map on the training split, says so, and stores it in the model file", async () => {
    const r = await latent("train", ...sat6, "--normalize", "band", "--epochs", "1", "--out", out);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[1]).toMatch(/^inputs normalised per band, percentiles 1-99 to \[0, 1\]: \d+\.\.\d+, \d+\.\.\d+, \d+\.\.\d+, \d+\.\.\d+$/);
    const ds = await loadDataset(`sat6:${join(process.cwd(), "test/fixtures/sat6")}`)();
    if (E.isLeft(ds)) throw ds.left;
    const expected = fitBandNormalization(ds.right.train, 4);
    const file = modelFile(model);
    expect(file.normalization).toMatchObject({ pixels: "uint8", imageShape: [28, 28, 4], method: "band", percentiles: [1, 99] });
    expect(normalizationFromJson(file.normalization, model)).toEqual(E.right(expected));
    // fitted on train only: the test split's own percentiles differ for these patches
    expect(fitBandNormalization(ds.right.test, 4)).not.toEqual(expected);
    for (const name of ["best", "checkpoint"]) expect(modelFile(join(out, `${name}.safetensors`)).normalization).toEqual(file.normalization);
    for (const png of ["reconstructions", "reconstructions-falsecolor", "reconstructions-nir", "samples", "manifold", "interpolation"]) {
      expect(PNG.sync.read(readFileSync(join(out, `${png}.png`))).width).toBeGreaterThan(100);
    }
    const metrics = JSON.parse(readFileSync(join(out, "metrics.jsonl"), "utf8").trim());
    expect(metrics.test.loss).toBeGreaterThan(0);
  });

  it("is the default for 4-band data, and eval applies the stored map", async () => {
    const auto = join(dir, "auto");
    const r = await latent("train", ...sat6, "--epochs", "1", "--out", auto);
    expect(r.code).toBe(0);
    expect(readFileSync(join(auto, "model.safetensors"))).toEqual(readFileSync(model));
    const e = await latent("eval", "--model", model);
    expect(e.err).toEqual([]);
    const o = JSON.parse(e.out[0]!);
    expect(o.data).toBe("sat6");
    expect(o.samples).toBe(8);
    expect(o.test.loss).toBeGreaterThan(0);
    // the MSE eval prints is that of the inputs normalised with the stored map
    const file = modelFile(model);
    const ds = await loadDataset(`sat6:${join(process.cwd(), "test/fixtures/sat6")}`)();
    if (E.isLeft(ds)) throw ds.left;
    const norm = normalizationFromJson(file.normalization, model);
    if (E.isLeft(norm)) throw norm.left;
    const x = gather(ds.right.test, 3136, Array.from({ length: 8 }, (_, i) => i), norm.right);
    const rec = file.model.reconstruct(file.params, x);
    let sq = 0;
    for (let i = 0; i < x.data.length; i++) sq += (x.data[i]! - rec.data[i]!) ** 2;
    expect(o.reconstruction_mse).toBe(sq / x.data.length);
  });

  it("reconstruct, sample, interpolate and encode use the stored map", async () => {
    for (const [cmd, file] of [["sample", "s.png"], ["reconstruct", "r.png"], ["interpolate", "i.png"]] as const) {
      const path = join(dir, file);
      const r = await latent(cmd, "--model", model, "--out", path);
      expect([r.code, r.err]).toEqual([0, []]);
      expect(PNG.sync.read(readFileSync(path)).width).toBeGreaterThan(50);
    }
    const codes = join(dir, "codes.csv");
    expect((await latent("encode", "--model", model, "--out", codes)).code).toBe(0);
    expect(readFileSync(codes, "utf8").trim().split("\n")).toHaveLength(9);
    expect((await latent("encode", "--model", model, "--split", "train", "--out", codes)).code).toBe(0);
    expect(readFileSync(codes, "utf8").trim().split("\n")).toHaveLength(17);
  });

  it("resume keeps the stored map (and refuses --normalize)", async () => {
    const part = join(dir, "part");
    expect((await latent("train", ...sat6, "--normalize", "band", "--epochs", "1", "--out", part)).code).toBe(0);
    const r = await latent("train", "--resume", join(part, "checkpoint.safetensors"), "--epochs", "2", "--out", part, "--threads", "1");
    expect(r.err).toEqual([]);
    expect(modelFile(join(part, "model.safetensors")).normalization).toEqual(modelFile(model).normalization);
    const clash = await latent("train", "--resume", join(part, "checkpoint.safetensors"), "--normalize", "global");
    expect([clash.code, clash.err]).toEqual([2, [expect.stringMatching(/--normalize cannot be given with --resume/)]]);
  });

  it("global on SAT-6 stores the old form, and a file without a method reads as v / 255", async () => {
    const out2 = join(dir, "global");
    expect((await latent("train", ...sat6, "--normalize", "global", "--epochs", "1", "--out", out2)).code).toBe(0);
    const global = modelFile(join(out2, "model.safetensors"));
    expect(global.normalization).toEqual({ pixels: "uint8", scale: 1 / 255, imageShape: [28, 28, 4] });
    // The band model's file rewritten with the old metadata evaluates as a v / 255 model would.
    const band = modelFile(model);
    const old = join(dir, "old.safetensors");
    writeFileSync(old, modelToSafetensors({ spec: band.spec, params: band.params, training: band.training!,
      normalization: { pixels: "uint8", scale: 1 / 255, imageShape: [28, 28, 4] } }));
    const a = JSON.parse((await latent("eval", "--model", old)).out[0]!);
    const b = JSON.parse((await latent("eval", "--model", model)).out[0]!);
    expect(a.test.loss).not.toBe(b.test.loss);
    const noMeta = join(dir, "nometa.safetensors");
    writeFileSync(noMeta, modelToSafetensors({ spec: band.spec, params: band.params, training: band.training! }));
    const c = await latent("eval", "--model", noMeta);
    expect(c.err).toEqual([]);
    expect(JSON.parse(c.out[0]!).test).toEqual(a.test);
  });
});

describe("bad --normalize: one line, exit code 2", () => {
  it("an unknown value", async () => {
    const r = await latent("train", "--normalize", "zscore", "--epochs", "1", "--out", join(dir, "x"));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(/^latent: --normalize must be one of band, global, got "zscore"$/)]);
  });

  it("band on float pixels (the embedded digits)", async () => {
    const r = await latent("train", "--normalize", "band", "--limit", "64", "--epochs", "1", "--threads", "1", "--out", join(dir, "y"));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/--normalize band needs uint8 pixels/);
  });

  it("malformed band metadata in a model file", async () => {
    const band = modelFile(join(dir, "band", "model.safetensors"));
    const bad = join(dir, "bad-meta.safetensors");
    writeFileSync(bad, modelToSafetensors({ spec: band.spec, params: band.params, training: band.training!,
      normalization: { ...band.normalization!, low: [1, 2, 3] } }));
    const r = await latent("eval", "--model", bad);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(/bad-meta\.safetensors: normalization metadata: low has 3 bands but high has 4/)]);
  });
});
