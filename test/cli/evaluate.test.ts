// The commands' bounded-memory evaluation (src/cli/evaluate.ts) against the Model functions on
// whole tensors: bit for bit with 512-row programs (the MLPs), within rounding with smaller
// programs (noise of each 512-row block sliced per sub-batch), for VAE and AE, MLP and conv.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { gather, type Split } from "../../src/data/dataset.js";
import { fitBandNormalization, GLOBAL } from "../../src/data/normalize.js";
import { ae, vae, type Model } from "../../src/models/index.js";
import { bits, foldIn, key } from "../../src/random/index.js";
import { decodeRows, encodeRows, evaluateLoss, forEachReconstruction, NOISE_BLOCK, programRows, PROGRAM_BYTES, reconstructRows,
  sampleRows, splitRows } from "../../src/cli/evaluate.js";
import { tensor } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

function uint8Split(n: number, d: number, seed: number): Split {
  const words = bits(key(seed), n * d);
  return { n, pixels: Uint8Array.from(words, (w) => w & 0xff), labels: null };
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

describe("evaluateLoss", () => {
  const mlp = vae.mlp({ input: 12, hidden: [8], latent: 3 });
  const params = mlp.init(key(1));
  const split = uint8Split(1100, 12, 2); // two whole 512-row noise blocks and a partial one

  it("equals model.loss bit for bit with 512-row programs", () => {
    expect(programRows(mlp)).toBe(NOISE_BLOCK);
    const k = key(3);
    expect(evaluateLoss(mlp, params, splitRows(split, 12, GLOBAL), k)).toEqual(mlp.loss(params, gather(split, 12, all(1100)), k));
  });

  it("equals model.loss within rounding with smaller programs: each sub-batch gets its slice of the block's noise", () => {
    const k = key(4);
    const whole = mlp.loss(params, gather(split, 12, all(1100)), k);
    for (const rows of [1, 64, 100, 256]) {
      const part = evaluateLoss(mlp, params, splitRows(split, 12, GLOBAL), k, { rows });
      expect(Math.abs(part.reconstruction - whole.reconstruction) / whole.reconstruction).toBeLessThan(1e-6);
      expect(Math.abs(part.kl - whole.kl) / whole.kl).toBeLessThan(1e-5);
    }
    // a different key changes the noise, by far more than rounding: the test above does test the noise
    const other = mlp.loss(params, gather(split, 12, all(1100)), foldIn(k, 9));
    expect(Math.abs(other.reconstruction - whole.reconstruction) / whole.reconstruction).toBeGreaterThan(1e-5);
  });

  it("a conv VAE on small programs and a plain autoencoder agree with the Model functions", () => {
    const conv = vae.conv({ imageShape: [8, 8, 2], channels: [4], hidden: [6], latent: 2 });
    const cp = conv.init(key(5));
    const s = uint8Split(600, 128, 6);
    const norm = fitBandNormalization(s, 2);
    const k = key(7);
    const whole = conv.loss(cp, gather(s, 128, all(600), norm), k);
    const part = evaluateLoss(conv, cp, splitRows(s, 128, norm), k, { rows: 32 });
    expect(Math.abs(part.loss - whole.loss) / whole.loss).toBeLessThan(1e-6);
    const auto = ae.mlp({ input: 12, hidden: [8], latent: 3, likelihood: "mse" });
    const ap = auto.init(key(8));
    const a = evaluateLoss(auto, ap, splitRows(split, 12, GLOBAL), k, { rows: 128 });
    expect(Math.abs(a.loss - auto.loss(ap, gather(split, 12, all(1100)), k).loss) / a.loss).toBeLessThan(1e-6);
    expect(evaluateLoss(auto, ap, splitRows({ n: 0, pixels: new Uint8Array(0), labels: null }, 12, GLOBAL), k)).toEqual({ loss: 0, reconstruction: 0, kl: 0 });
  });
});

describe("encode, reconstruct, decode, sample in batches", () => {
  const check = (model: Model, d: number, n: number, rows: number) => {
    const params = model.init(key(11));
    const split = uint8Split(n, d, 12);
    const idx = all(n).reverse();
    const x = gather(split, d, idx);
    const rowsOf = splitRows(split, d, GLOBAL, idx);
    const enc = encodeRows(model, params, rowsOf, { rows });
    const want = model.encode(params, x);
    expect(maxRelative(enc.mean.data, want.mean.data)).toBeLessThan(1e-6);
    if (want.logvar) expect(maxRelative(enc.logvar!.data, want.logvar.data)).toBeLessThan(1e-6);
    expect(maxRelative(reconstructRows(model, params, rowsOf, { rows }).data, model.reconstruct(params, x).data)).toBeLessThan(1e-6);
    expect(maxRelative(decodeRows(model, params, want.mean, { rows }).data, model.decode(params, want.mean).data)).toBeLessThan(1e-6);
    if (model.spec.kind === "vae") expect(maxRelative(sampleRows(model, params, key(13), 70, { rows }).data, model.sample(params, key(13), 70).data)).toBeLessThan(1e-6);
    // the one-pass form gives the inputs, codes and reconstructions of each batch in order
    let seen = 0;
    forEachReconstruction(model, params, rowsOf, (b) => {
      expect(b.start).toBe(seen);
      expect(Array.from(b.input!)).toEqual(Array.from(x.data.subarray(b.start * d, (b.start + b.count) * d)));
      seen += b.count;
    }, { rows, inputs: true });
    expect(seen).toBe(n);
  };
  it("MLP VAE and AE", () => {
    check(vae.mlp({ input: 10, hidden: [7], latent: 2 }), 10, 530, 512);
    check(ae.mlp({ input: 10, hidden: [7], latent: 2 }), 10, 530, 64);
  });
  it("conv VAE", () => {
    check(vae.conv({ imageShape: [6, 6, 1], channels: [3], hidden: [5], latent: 2 }), 36, 150, 16);
  });
  it("codes of the wrong width are refused", () => {
    const model = vae.mlp({ input: 10, hidden: [7], latent: 2 });
    expect(() => decodeRows(model, model.init(key(1)), tensor(new Float32Array(6), [2, 3]))).toThrow(/code rows have 3 values/);
  });
});

describe("programRows", () => {
  it("keeps the default MLP at 512 rows and bounds the default conv model's program by PROGRAM_BYTES", () => {
    expect(programRows(vae.mlp({ input: 784, hidden: [400], latent: 20 }))).toBe(512);
    const conv = vae.conv({ imageShape: [28, 28, 1], channels: [32, 64], hidden: [16], latent: 2 });
    const rows = programRows(conv);
    expect(rows).toBeLessThan(512);
    expect(rows).toBeGreaterThanOrEqual(16);
    expect(rows & (rows - 1)).toBe(0); // a power of two divides the 512-row noise blocks
    expect(programRows(conv, 1)).toBe(1);
    expect(PROGRAM_BYTES).toBeLessThanOrEqual(64 * 2 ** 20);
  });
});
