// A conditional VAE (classes: 10) trained here through the library on labelled batches of the
// embedded digits, saved with the io module, then used through the CLI: `sample --class c`, the
// grid of every class, the refusals (--class on an unconditional model, a class out of range:
// one line, exit code 2, no file written), and eval / encode / reconstruct, which hand the model
// each test sample's label. The decodes depend on the label as they should: most decodes under
// label c are nearer the mean test image of class c than of any other class.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { initSync } from "../../src/backend/default.js";
import { permutation } from "../../src/data/batches.js";
import { gather, type Dataset } from "../../src/data/dataset.js";
import { GLOBAL, normalizationToJson } from "../../src/data/normalize.js";
import { loadEmbeddedMnist } from "../../src/data/node/mnist.js";
import { saveModel } from "../../src/io/node/model-file.js";
import { vae, type Model } from "../../src/models/index.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Dense } from "../../src/nn/dense.js";
import type { Params } from "../../src/nn/params.js";
import { adam } from "../../src/optim/index.js";
import { foldIn, key } from "../../src/random/index.js";
import { fit, initState } from "../../src/train/index.js";
import { classSamples, priorCodes } from "../../src/cli/commands/sample-class.js";
import { latent } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "latent-cvae-"));
const cvaeFile = join(dir, "cvae.safetensors"), vaeFile = join(dir, "vae.safetensors");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const C = 10, L = 4, H = 96, TRAIN = 3000;
let ds: Dataset, model: Model, params: Params;

beforeAll(async () => {
  initSync();
  ds = loadEmbeddedMnist();
  model = vae({
    encoder: [new Dense(784 + C, H), new ActivationLayer("relu", H)],
    decoder: [new Dense(L + C, H), new ActivationLayer("relu", H), new Dense(H, 784)],
    latent: L, classes: C,
  });
  const opt = adam({ learningRate: 2e-3 });
  const k = key(2);
  // Labelled batches { x, labels } of a random subset (the embedded train split is sorted by class), shuffled per epoch.
  const subset = permutation(key(7), ds.train.n).subarray(0, TRAIN);
  const data = (epoch: number) => {
    const order = permutation(foldIn(k, epoch), TRAIN), out = [];
    for (let s = 0; s < TRAIN; s += 50) {
      const idx = Uint32Array.from(order.subarray(s, s + 50), (i) => subset[i]!);
      out.push({ x: gather(ds.train, 784, idx), labels: Int32Array.from(idx, (i) => ds.train.labels![i]!) });
    }
    return out;
  };
  const r = await fit(model, opt, { state: initState(model.init(key(1)), opt), data, epochs: 3, key: key(3) });
  params = r.state.params;
  const common = { normalization: normalizationToJson(GLOBAL, "float32", [28, 28, 1]), training: { data: "mnist" } };
  const plain = vae.mlp({ input: 784, hidden: [16], latent: L });
  for (const [path, spec, p] of [[cvaeFile, model.spec, params], [vaeFile, plain.spec, plain.init(key(4))]] as const) {
    const saved = await saveModel(path, { spec, params: p, ...common })();
    if (E.isLeft(saved)) throw saved.left;
  }
});

describe("the samples depend on the class", () => {
  it("decodes under label c look like digit c: nearest-class-mean accuracy far above chance", () => {
    const means = Array.from({ length: C }, () => new Float64Array(784)), counts = new Array<number>(C).fill(0);
    const test = gather(ds.test, 784, Uint32Array.from({ length: ds.test.n }, (_, i) => i));
    for (let i = 0; i < ds.test.n; i++) {
      const c = ds.test.labels![i]!;
      counts[c] = counts[c]! + 1;
      const m = means[c]!;
      for (let d = 0; d < 784; d++) m[d] = m[d]! + test.data[i * 784 + d]!;
    }
    means.forEach((m, c) => m.forEach((v, d) => { m[d] = v / counts[c]!; }));
    const nearest = (img: ArrayLike<number>, at: number) => {
      const dist = means.map((m) => m.reduce((s, v, d) => s + (v - img[at + d]!) ** 2, 0));
      return dist.indexOf(Math.min(...dist));
    };
    // The same 100 prior codes decoded under each label; each decode classified by the nearest mean test digit.
    const n = 100, all = classSamples(model, params, priorCodes(model, key(9), n), Array.from({ length: C }, (_, c) => c));
    let correct = 0, rowsRight = 0;
    for (let c = 0; c < C; c++) {
      const avg = new Float64Array(784);
      for (let i = 0; i < n; i++) {
        if (nearest(all.data, (c * n + i) * 784) === c) correct++;
        for (let d = 0; d < 784; d++) avg[d] = avg[d]! + all.data[(c * n + i) * 784 + d]! / n;
      }
      if (nearest(avg, 0) === c) rowsRight++;
    }
    // Measured 0.57 and 8 of 10 (real test digits: about 0.8); labels ignored would give about 0.1.
    expect(correct / (n * C)).toBeGreaterThan(0.4);
    expect(rowsRight).toBeGreaterThanOrEqual(7);
  });

  it("a row of the grid is the one-class decode of the same codes", () => {
    const codes = priorCodes(model, key(5), 6);
    const grid = classSamples(model, params, codes, [0, 1, 2, 3]);
    const three = classSamples(model, params, codes, [3]);
    const row = grid.data.subarray(3 * 6 * 784, 4 * 6 * 784);
    let worst = 0;
    row.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - three.data[i]!)); });
    expect(worst).toBeLessThan(1e-5);
    expect(grid.data.subarray(0, 6 * 784)).not.toEqual(row);
  });
});

describe("latent sample on a conditional model", () => {
  it("--class c: a sheet of that class", async () => {
    const out = join(dir, "three.png");
    const r = await latent("sample", "--model", cvaeFile, "--class", "3", "--n", "8", "--out", out);
    expect([r.code, r.err, r.out]).toEqual([0, [], [`wrote ${out} (class 3)`]]);
    expect(PNG.sync.read(readFileSync(out)).width).toBeGreaterThan(3 * 56);
  });

  it("no --class: one row per class, named", async () => {
    const out = join(dir, "grid.png");
    const r = await latent("sample", "--model", cvaeFile, "--n", "6", "--out", out);
    expect([r.code, r.err]).toEqual([0, []]);
    expect(r.out).toEqual([`wrote ${out} (one row per class: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)`]);
    const png = PNG.sync.read(readFileSync(out));
    expect(png.height).toBeGreaterThan(10 * 56);
    expect(png.height).toBeLessThan(11 * 56);
    expect(png.width).toBeGreaterThan(6 * 56);
  });

  const refused: [string, string, string[], RegExp][] = [
    ["--class on an unconditional model", vaeFile, ["--class", "0"], /--class needs a conditional model/],
    ["a class out of range", cvaeFile, ["--class", "10"], /--class must be an integer in \[0, 9\]/],
    ["a negative class", cvaeFile, ["--class=-1"], /--class must be an integer in \[0, 9\]/],
    ["a class that is not a number", cvaeFile, ["--class", "seven"], /--class must be an integer/],
  ];
  for (const [what, model, flags, message] of refused) {
    it(`refuses ${what}: one line, exit code 2, nothing written`, async () => {
      const out = join(dir, `refused-${what.replace(/\W+/g, "-")}.png`);
      const r = await latent("sample", "--model", model, ...flags, "--out", out);
      expect([r.code, r.out]).toEqual([2, []]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe("the other commands on a conditional model", () => {
  it("eval gives the bound and active units with each sample's label", async () => {
    const r = await latent("eval", "--model", cvaeFile, "--iwae", "20", "--n", "100", "--threads", "1");
    expect([r.code, r.err]).toEqual([0, []]);
    const o = JSON.parse(r.out[0]!);
    expect(o.iwae.bound).toBeGreaterThan(o.elbo);
    expect(o.active_units).toBeGreaterThanOrEqual(1);
  });

  it("encode and reconstruct run; interpolate is refused in one line", async () => {
    const codes = join(dir, "codes.csv");
    expect((await latent("encode", "--model", cvaeFile, "--out", codes)).code).toBe(0);
    expect(readFileSync(codes, "utf8").trim().split("\n")).toHaveLength(ds.test.n + 1);
    const rec = join(dir, "rec.png");
    expect((await latent("reconstruct", "--model", cvaeFile, "--n", "10", "--out", rec)).code).toBe(0);
    expect(PNG.sync.read(readFileSync(rec)).width).toBeGreaterThan(100);
    const r = await latent("interpolate", "--model", cvaeFile, "--out", join(dir, "i.png"));
    expect([r.code, r.err.length]).toEqual([2, 1]);
    expect(r.err[0]).toMatch(/conditional model/);
  });
});
