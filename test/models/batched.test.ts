// A model over many rows in bounded batches (src/models/batched.ts, which the Model functions
// run on): against a direct reference (one training program per 512-row block, its noise drawn
// from foldIn(key, block)), bit for bit with 512-row programs, within rounding with smaller
// ones (each sub-batch takes its slice of the block's noise); uint8 split rows against the same
// rows as a tensor; for VAE and AE, MLP and conv.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { gather, type Split } from "../../src/data/dataset.js";
import { fitBandNormalization, GLOBAL } from "../../src/data/normalize.js";
import { defaultBackend } from "../../src/backend/default.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { instantiateSync } from "../../src/kernels/module.js";
import * as E from "fp-ts/lib/Either.js";
import { splitRows } from "../../src/data/rows.js";
import { ae, vae, type LossMetrics, type Model } from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { bits, foldIn, key, uniform, type Key } from "../../src/random/index.js";
import { decodeRows, encodeRows, evaluateLoss, forEachReconstruction, NOISE_BLOCK, programRows, PROGRAM_BYTES, reconstructRows,
  sampleRows } from "../../src/models/batched.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

function uint8Split(n: number, d: number, seed: number): Split {
  const words = bits(key(seed), n * d);
  return { n, pixels: Uint8Array.from(words, (w) => w & 0xff), labels: null };
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The loss the direct way: a training program per 512-row block, noise from foldIn(key, block), float64 sums. */
function directLoss(model: Model, params: Params, x: Tensor, k: Key): LossMetrics {
  const be = defaultBackend();
  const n = x.shape[0]!, d = x.shape[1]!;
  let reconstruction = 0, kl = 0;
  for (let start = 0, block = 0; start < n; start += NOISE_BLOCK, block++) {
    const rows = Math.min(NOISE_BLOCK, n - start);
    const prog = model.program(be, rows);
    be.write(prog.params, model.layout.flatten(params));
    be.write(prog.x, x.data.subarray(start * d, (start + rows) * d));
    const sums = prog.forward(foldIn(k, block));
    reconstruction += sums.reconstruction;
    kl += sums.kl;
    prog.dispose();
  }
  const m = Math.max(n, 1);
  return { loss: (reconstruction + model.spec.beta * kl) / m, reconstruction: reconstruction / m, kl: kl / m };
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

describe("evaluateLoss", () => {
  const mlp = vae.mlp({ input: 12, hidden: [8], latent: 3 });
  const params = mlp.init(key(1));
  const split = uint8Split(1100, 12, 2); // two whole 512-row noise blocks and a partial one

  it("equals the direct per-block loss bit for bit with 512-row programs, from uint8 rows and from a tensor", () => {
    expect(programRows(mlp)).toBe(NOISE_BLOCK);
    const k = key(3);
    const direct = directLoss(mlp, params, gather(split, 12, all(1100)), k);
    expect(evaluateLoss(mlp, params, splitRows(split, 12, GLOBAL), k)).toEqual(direct);
    expect(mlp.loss(params, gather(split, 12, all(1100)), k)).toEqual(direct);
  });

  it("equals it within rounding with smaller programs: each sub-batch gets its slice of the block's noise", () => {
    const k = key(4);
    const whole = directLoss(mlp, params, gather(split, 12, all(1100)), k);
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
    const whole = directLoss(conv, cp, gather(s, 128, all(600), norm), k);
    const part = evaluateLoss(conv, cp, splitRows(s, 128, norm), k, { rows: 32 });
    expect(Math.abs(part.loss - whole.loss) / whole.loss).toBeLessThan(1e-6);
    expect(Math.abs(conv.loss(cp, gather(s, 128, all(600), norm), k).loss - whole.loss) / whole.loss).toBeLessThan(1e-6);
    const auto = ae.mlp({ input: 12, hidden: [8], latent: 3, likelihood: "mse" });
    const ap = auto.init(key(8));
    const a = evaluateLoss(auto, ap, splitRows(split, 12, GLOBAL), k, { rows: 128 });
    expect(Math.abs(a.loss - directLoss(auto, ap, gather(split, 12, all(1100)), k).loss) / a.loss).toBeLessThan(1e-6);
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
    const want = model.encode(params, x, { rows: NOISE_BLOCK });
    const direct = model.program(defaultBackend(), n); // one program over all rows: the reference
    direct.be.write(direct.params, model.layout.flatten(params));
    direct.be.write(direct.x, x.data);
    direct.encode();
    expect(maxRelative(want.mean.data, direct.be.read(direct.mu ?? direct.z))).toBeLessThan(1e-6);
    direct.dispose();
    expect(maxRelative(enc.mean.data, want.mean.data)).toBeLessThan(1e-6);
    if (want.logvar) expect(maxRelative(enc.logvar!.data, want.logvar.data)).toBeLessThan(1e-6);
    const big = { rows: NOISE_BLOCK };
    expect(maxRelative(reconstructRows(model, params, rowsOf, { rows }).data, model.reconstruct(params, x, undefined, big).data)).toBeLessThan(1e-6);
    expect(maxRelative(decodeRows(model, params, want.mean, { rows }).data, model.decode(params, want.mean, big).data)).toBeLessThan(1e-6);
    if (model.spec.kind === "vae") {
      expect(maxRelative(sampleRows(model, params, key(13), 70, { rows }).data, model.sample(params, key(13), 70, big).data)).toBeLessThan(1e-6);
      // sampled reconstructions: the noise of each 512-row block, sliced per batch; not the mean's
      const sampled = reconstructRows(model, params, rowsOf, { rows, key: key(14) });
      expect(maxRelative(sampled.data, model.reconstruct(params, x, key(14), big).data)).toBeLessThan(1e-6);
      expect(maxRelative(sampled.data, model.reconstruct(params, x).data)).toBeGreaterThan(1e-4);
    }
    // the one-pass form gives the inputs, codes and reconstructions of each batch in order
    let seen = 0;
    forEachReconstruction(model, params, rowsOf, (b: { start: number; count: number; input: Float32Array | null }) => {
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

describe("bounded memory", () => {
  it("the default conv model's loss over 600 rows grows the kernel memory by tens of MB, not the ~230 MB of a 512-row program", () => {
    const loaded = instantiateSync(undefined, { isa: "simd" });
    if (E.isLeft(loaded)) throw loaded.left;
    const be = new WasmBackend(loaded.right);
    const conv = vae.conv({ imageShape: [28, 28, 1], channels: [32, 64], hidden: [16], latent: 2 });
    const params = conv.init(key(1));
    const x = tensor(Float32Array.from(uniform(key(2), 600 * 784)), [600, 784]);
    const before = loaded.right.exports.memory.buffer.byteLength;
    const m = conv.loss(params, x, key(3), { backend: be as unknown as Backend<Buffer> });
    expect(Number.isFinite(m.loss)).toBe(true);
    const grown = loaded.right.exports.memory.buffer.byteLength - before;
    expect(grown).toBeLessThan(64 * 2 ** 20);
    expect(programRows(conv)).toBeLessThan(512); // with 512-row programs the memory grows by ~267 MB
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
