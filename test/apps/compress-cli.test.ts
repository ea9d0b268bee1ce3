// latent compress / decompress on tiny models trained in-process: decompress gives exactly the images
// compress predicted (the .npy against the library's own prediction, bit for bit), the file carries
// the model file's SHA-256 and the AE's training-code range, --rd writes a consistent table; bad
// input is one line, exit code 2, and no output file.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compressCodes, quantiserFor } from "../../src/apps/compress/codec.js";
import { decodeCompressed } from "../../src/apps/compress/format.js";
import { displayOf } from "../../src/apps/compress/images.js";
import { testSamples } from "../../src/cli/commands/compress-load.js";
import { features } from "../../src/data/dataset.js";
import { loadEmbeddedMnist } from "../../src/data/node/mnist.js";
import { GLOBAL } from "../../src/data/normalize.js";
import { splitRows } from "../../src/data/rows.js";
import { loadModel } from "../../src/io/node/model-file.js";
import { encodeRows } from "../../src/models/batched.js";
import { readPng } from "../../src/viz/node/png.js";
import { latent } from "./compress-support.js";

const dir = mkdtempSync(join(tmpdir(), "latent-compress-"));
const vae = join(dir, "vae", "model.safetensors"), ae = join(dir, "ae", "model.safetensors");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  for (const [kind, out] of [["vae", "vae"], ["ae", "ae"]]) {
    const r = await latent("train", "--model", kind!, "--limit", "300", "--epochs", "1", "--hidden", "32", "--latent", "4", "--isa", "simd", "--threads", "1", "--out", join(dir, out!));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
  }
}, 60_000);

/** The embedded MNIST, read once for the oracles (the commands read it themselves). */
let mnist: ReturnType<typeof loadEmbeddedMnist> | null = null;
const digits = () => (mnist ??= loadEmbeddedMnist());

function readLatc(path: string) {
  const r = decodeCompressed(readFileSync(path));
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

/** The images the library predicts for these samples: what decompress must give bit for bit. */
async function predicted(model: string, n: number, bits: number): Promise<Float32Array> {
  const m = await loadModel(model)();
  if (E.isLeft(m)) throw m.left;
  const { model: mdl, params } = m.right;
  const ds = digits(), d = features(ds);
  const idx = testSamples(ds, n, 1);
  const codes = encodeRows(mdl, params, splitRows(ds.test, d, GLOBAL, idx ?? undefined)).mean.data;
  const quantiser = quantiserFor(mdl, () => encodeRows(mdl, params, splitRows(ds.train, d, GLOBAL)).mean.data);
  const out = new Float32Array(n * d);
  compressCodes(mdl, params, codes, { bits, quantiser, modelHash: new Uint8Array(32), onImages: (start, o) => out.set(displayOf(GLOBAL, o), start * d) });
  return out;
}

function npyValues(path: string): { shape: string; values: Float32Array } {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  const shape = /'shape': \(([^)]*)\)/.exec(bytes.subarray(10, 10 + headerLength).toString("latin1"))![1]!;
  const data = bytes.subarray(10 + headerLength);
  return { shape, values: new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) };
}

describe("latent compress and decompress", () => {
  it("round-trip a VAE's codes to exactly the predicted images", async () => {
    const file = join(dir, "vae.latc"), out = join(dir, "vae-out");
    const c = await latent("compress", "--model", vae, "--bits", "5", "--n", "150", "--out", file, "--isa", "simd");
    expect(c.err).toEqual([]);
    expect(c.code).toBe(0);
    const bytes = readFileSync(file);
    expect(c.out[0]).toContain(`150 codes of 4 dimensions at 5 bits (normal quantiser), ${bytes.length} bytes = ${(8 * bytes.length / 150).toFixed(1)} bits/image`);
    const f = readLatc(file);
    expect([f.count, f.latent, f.bits, f.quantiser.kind]).toEqual([150, 4, 5, "normal"]);
    expect(Buffer.from(f.modelHash).toString("hex")).toBe(createHash("sha256").update(readFileSync(vae)).digest("hex"));

    const d = await latent("decompress", "--model", vae, file, "--out", out, "--sheet", "30", "--isa", "simd");
    expect(d.err).toEqual([]);
    expect(d.code).toBe(0);
    expect(d.out[0]).toMatch(/150 images \(30 in the sheet\); bit-identical to compress's prediction/);
    const npy = npyValues(join(out, "decoded.npy"));
    expect(npy.shape).toBe("150, 28, 28, 1");
    const want = await predicted(vae, 150, 5);
    expect(npy.values.length).toBe(want.length);
    expect(npy.values.every((v, i) => Object.is(v, want[i]))).toBe(true);
    const sheet = readPng(join(out, "decoded.png"));
    expect(E.isRight(sheet) && sheet.right.width > 28 * 2 * 5).toBe(true);
  }, 30_000);

  it("stores an AE's training-code range and writes the rate-distortion table", async () => {
    const file = join(dir, "ae.latc"), rd = join(dir, "rd");
    const c = await latent("compress", "--model", ae, "--bits", "3", "--n", "120", "--out", file, "--rd", rd, "--rd-bits", "2,4,6", "--pca-fit", "500", "--isa", "simd");
    expect(c.err).toEqual([]);
    expect(c.code).toBe(0);
    const f = readLatc(file);
    expect(f.quantiser.kind).toBe("uniform");
    // Oracle: the range of the AE's codes of the whole training split, per dimension.
    const m = await loadModel(ae)();
    if (E.isLeft(m)) throw m.left;
    const ds = digits();
    const train = encodeRows(m.right.model, m.right.params, splitRows(ds.train, 784, GLOBAL)).mean.data;
    for (let j = 0; j < 4 && f.quantiser.kind === "uniform"; j++) {
      const col = train.filter((_, i) => i % 4 === j);
      expect([f.quantiser.lo[j], f.quantiser.hi[j]]).toEqual([Math.min(...col), Math.max(...col)]);
    }

    const table = JSON.parse(readFileSync(join(rd, "rd.json"), "utf8"));
    expect(table).toMatchObject({ n: 120, kind: "ae", latent: 4, quantiser: "uniform", model: expect.any(Array), pca: expect.any(Array) });
    expect(table.model.map((p: { bits: number }) => p.bits)).toEqual([2, 4, 6]);
    for (const p of table.model) {
      expect(p.rate.file).toBeCloseTo((8 * p.bytes) / 120, 9);
      expect(p.rate.stream).toBeLessThan(p.rate.payload);
      expect(p.rate.payload).toBeLessThan(p.rate.file);
      // Counts below 2^16 are the tables: the stream is the empirical entropy to within the coder's slack.
      expect(p.rate.stream * 120).toBeGreaterThanOrEqual(p.entropy * 120 - 16);
      expect(p.rate.stream * 120).toBeLessThanOrEqual(p.entropy * 120 + (120 * 4) / 128 + 16);
      expect(p.psnr).toBeGreaterThan(5);
    }
    expect(table.model[0].rate.file).toBeLessThan(table.model[2].rate.file);
    table.pca.forEach((q: { rate: { file: number }; budget: number } | null, i: number) => {
      expect(q?.budget ?? table.model[i].rate.file).toBe(table.model[i].rate.file);
      if (q) expect(q.rate.file).toBeLessThanOrEqual(q.budget + (8 * 2) / 120);
    });
    expect(table.png.raw).toBe(6272);
    expect(table.png.perImage).toBeGreaterThan(table.model[2].rate.file);
    expect(table.modelSha256).toBe(createHash("sha256").update(readFileSync(ae)).digest("hex"));
    const png = readPng(join(rd, "rd.png"));
    expect(E.isRight(png) && png.right.width).toBe(720);
    expect(c.out.some((l) => /^\s+6\s/.test(l))).toBe(true);
  }, 40_000);

  it("refuses bad input with one line and exit code 2, writing nothing", async () => {
    const good = join(dir, "good.latc");
    expect((await latent("compress", "--model", vae, "--bits", "2", "--n", "40", "--out", good, "--isa", "simd")).code).toBe(0);
    const bytes = readFileSync(good);
    const truncated = join(dir, "truncated.latc"), flipped = join(dir, "flipped.latc");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 3));
    const flip = Buffer.from(bytes); flip[bytes.length - 1]! ^= 0x10; writeFileSync(flipped, flip);
    const out = join(dir, "never.png");
    for (const [argv, message] of [
      [["decompress", "--model", vae, truncated, "--out", out], /truncated\.latc at byte \d+: truncated: the header announces/],
      [["decompress", "--model", vae, flipped, "--out", out], /flipped\.latc at byte \d+: payload checksum mismatch/],
      [["decompress", "--model", ae, good, "--out", out], /good\.latc: was compressed with another model/],
      [["decompress", "--model", vae, vae, "--out", out], /model\.safetensors at byte 0: not a latent compressed-codes file/],
      [["decompress", "--model", vae, join(dir, "absent.latc"), "--out", out], /absent\.latc: cannot read/],
      [["decompress", "--model", vae, "--out", out], /expected one compressed file/],
      [["compress", "--model", vae, "--out", join(dir, "x.latc")], /--bits B is required/],
      [["compress", "--model", vae, "--bits", "13", "--out", join(dir, "x.latc")], /--bits must be an integer in \[1, 12\]/],
      [["compress", "--model", vae, "--bits", "4"], /--out FILE .* or --rd DIR .* is required/],
      [["compress", "--model", join(dir, "absent.safetensors"), "--bits", "4", "--out", join(dir, "x.latc")], /absent\.safetensors/],
      [["compress", "--model", vae, "--bits", "4", "--n", "10", "--out", join(dir, "no", "such", "dir", "x.latc")], /writing .*x\.latc failed/],
    ] as const) {
      const r = await latent(...argv, "--isa", "simd");
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(/^latent: /);
      expect(r.err[0]).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "x.latc"))).toBe(false);
  }, 30_000);

  it("prints its help", async () => {
    for (const cmd of ["compress", "decompress"]) {
      const r = await latent(cmd, "--help");
      expect(r.code).toBe(0);
      expect(r.out[0]).toMatch(new RegExp(`^latent ${cmd} --model FILE`));
    }
  });
});
