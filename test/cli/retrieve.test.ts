// latent retrieve: on a small synthetic IDX data set (12x12, 3 noisy classes) with a tiny model
// trained in-process. The pixels' precision@k and mAP@k are recomputed here by a brute-force
// full sort over the whole test split (the leave-one-out figures do not depend on which order the
// samples are drawn in); the pictured neighbours are the codes' (never the query itself); bad
// input is one line, exit 2, nothing written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { latent } from "./support.js";
import { retrieveHelp } from "../../src/cli/commands/retrieve.js";
import { encodeIdx } from "../../src/data/idx.js";
import { readPng } from "../../src/viz/node/png.js";

const dir = mkdtempSync(join(tmpdir(), "latent-retrieve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const data = join(dir, "data");
const SIDE = 12, D = SIDE * SIDE, TEST = 60;
let test: { pixels: Uint8Array; labels: Uint8Array };

/** n images of 3 classes (horizontal stripes, vertical stripes, a square; levels 150 and 90) under uniform noise of +-110. */
function images(n: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  let s = seed;
  const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const pixels = new Uint8Array(n * D), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = (i * 7) % 3;
    labels[i] = c;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const on = c === 0 ? y % 4 < 2 : c === 1 ? x % 4 < 2 : y > 2 && y < 9 && x > 2 && x < 9;
        pixels[i * D + y * SIDE + x] = Math.max(0, Math.min(255, Math.round((on ? 150 : 90) + 220 * (next() - 0.5))));
      }
    }
  }
  return { pixels, labels };
}

const model = join(dir, "run", "model.safetensors");

beforeAll(async () => {
  mkdirSync(data);
  const train = images(300, 1);
  test = images(TEST, 2);
  const put = (name: string, a: Parameters<typeof encodeIdx>[0]) => writeFileSync(join(data, name), encodeIdx(a));
  put("train-images-idx3-ubyte", { dtype: "ubyte", dims: [300, SIDE, SIDE], data: train.pixels });
  put("train-labels-idx1-ubyte", { dtype: "ubyte", dims: [300], data: train.labels });
  put("t10k-images-idx3-ubyte", { dtype: "ubyte", dims: [TEST, SIDE, SIDE], data: test.pixels });
  put("t10k-labels-idx1-ubyte", { dtype: "ubyte", dims: [TEST], data: test.labels });
  // A data set of 14 x 14 images, which the model does not take.
  mkdirSync(join(dir, "wider"));
  for (const [name, dims] of [["train-images-idx3-ubyte", [3, 14, 14]], ["train-labels-idx1-ubyte", [3]], ["t10k-images-idx3-ubyte", [3, 14, 14]], ["t10k-labels-idx1-ubyte", [3]]] as const) {
    writeFileSync(join(dir, "wider", name), encodeIdx({ dtype: "ubyte", dims: [...dims], data: new Uint8Array(dims.reduce((a, b) => a * b, 1)) }));
  }
  const r = await latent("train", "--data", data, "--hidden", "32", "--latent", "3", "--epochs", "2", "--batch", "50",
    "--isa", "simd", "--threads", "1", "--out", join(dir, "run"));
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
}, 60_000);

/** The command through run.ts: output captured, an error reported as one line with its exit code. */
const retrieve = (...argv: string[]) => latent("retrieve", ...argv);

interface Figures { dim: number; precisionAtK: number; mapAtK: number }
interface Json {
  n: number; references: number; k: number; latent: number; chancePrecision: number;
  representations: { codes: Figures; pixels: Figures; pca: Figures & { fitSamples: number } };
  pictured: { index: number; label: number; neighbours: number[]; relevant: boolean[] }[];
}

/** precision@k and mAP@k (AP@k over min(k, R)) of the raw pixels v / 255, leave-one-out over the whole test split, by a full sort. */
function pixelFigures(k: number): { precision: number; map: number } {
  const n = TEST;
  let sp = 0, sa = 0;
  for (let q = 0; q < n; q++) {
    const dist = (j: number) => { let s = 0; for (let c = 0; c < D; c++) s += ((test.pixels[q * D + c]! - test.pixels[j * D + c]!) / 255) ** 2; return s; };
    const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== q).sort((a, b) => dist(a) - dist(b) || a - b);
    const rel = order.map((j) => test.labels[j] === test.labels[q]);
    const R = rel.filter(Boolean).length;
    let hits = 0, ap = 0;
    for (let i = 0; i < k; i++) if (rel[i]) { hits++; ap += hits / (i + 1); }
    sp += hits / k;
    sa += ap / Math.min(k, R);
  }
  return { precision: sp / n, map: sa / n };
}

describe("latent retrieve", () => {
  it("scores codes, pixels and PCA leave-one-out over the test split; pixels agree with a brute-force full sort", async () => {
    const out = join(dir, "r1");
    const r = await retrieve("--model", model, "--k", "5", "--query", "4", "--out", out, "--isa", "simd");
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "retrieval.json"), "utf8")) as Json;
    expect(json).toMatchObject({ n: TEST, references: TEST - 1, k: 5, latent: 3 });
    const want = pixelFigures(5);
    expect(want.precision).toBeGreaterThan(0.4); // noisy classes: neither trivial ...
    expect(want.precision).toBeLessThan(0.95); // ... nor perfect
    expect(json.representations.pixels.dim).toBe(D);
    expect(json.representations.pixels.precisionAtK).toBeCloseTo(want.precision, 12);
    expect(json.representations.pixels.mapAtK).toBeCloseTo(want.map, 12);
    expect(json.representations.codes.dim).toBe(3);
    expect(json.representations.pca).toMatchObject({ dim: 3, fitSamples: 300 });
    for (const f of Object.values(json.representations)) {
      for (const v of [f.precisionAtK, f.mapAtK]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
    }
    // 20 of each class: a random other image shares the label with chance 19/59.
    expect(json.chancePrecision).toBeCloseTo(19 / 59, 12);
    expect(json.pictured.length).toBe(4);
    for (const p of json.pictured) {
      expect(p.label).toBe(test.labels[p.index]);
      expect(p.neighbours.length).toBe(5);
      expect(p.neighbours).not.toContain(p.index);
      expect(p.relevant).toEqual(p.neighbours.map((j) => test.labels[j] === p.label));
    }
    expect(r.out.join("\n")).toMatch(/codes[\s\S]*pixels[\s\S]*pca/);
    // Four rows of a query and 5 framed neighbours (28-pixel cells at scale 2), under a title.
    const png = readPng(join(out, "retrieval.png"));
    expect(E.isRight(png)).toBe(true);
    if (E.isRight(png)) expect(png.right.height).toBe(26 + 2 * 4 + 4 * 28 + 3 * 2);
  });

  it("draws the queries by --seed, and clamps --query to n with a note", async () => {
    const a = await retrieve("--model", model, "--k", "3", "--n", "10", "--query", "12", "--seed", "2", "--out", join(dir, "r2"), "--isa", "simd");
    expect(a.code).toBe(0);
    expect(a.out[0]).toBe("note: --query 12 is more than the 10 test images searched; showing 10");
    const json = JSON.parse(readFileSync(join(dir, "r2", "retrieval.json"), "utf8")) as Json;
    expect(json).toMatchObject({ n: 10, references: 9, k: 3 });
    expect(new Set(json.pictured.map((p) => p.index)).size).toBe(10);
  });

  it("prints its help", async () => {
    expect((await retrieve("--help")).out).toEqual([retrieveHelp]);
  });

  for (const [what, argv, message] of [
    ["missing --model", ["--k", "3"], /--model FILE is required/],
    ["--k 0", ["--model", model, "--k", "0"], /--k must be an integer in \[1, \.\.\.\]/],
    ["--k above the references", ["--model", model, "--k", "60"], /--k 60 is more than the 59 references of each query/],
    ["--k above the references of --n", ["--model", model, "--n", "8", "--k", "8"], /--k 8 is more than the 7 references/],
    ["a data set of another size", ["--model", model, "--data", join(dir, "wider")], /196 values per sample but the model .* takes 144/],
    ["a model file that is not there", ["--model", join(dir, "none.safetensors")], /none\.safetensors/],
  ] as const) {
    it(`refuses ${what} with one line and exit code 2, writing nothing`, async () => {
      const out = join(dir, "never");
      const r = await retrieve(...argv, "--out", out, "--isa", "simd");
      expect(r.code).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});
