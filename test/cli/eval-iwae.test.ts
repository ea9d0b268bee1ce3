// `latent eval --iwae K`: the importance-weighted bound beside the ELBO in eval's JSON, the same
// bits on 1 and 2 threads, --n, and bad input refused with one line and exit code 2 before any
// output. The model is trained here through the library (a small MLP VAE on 1,000 embedded
// digits) and saved with the io module, so the test does not depend on `latent train`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { initSync } from "../../src/backend/default.js";
import { batches } from "../../src/data/batches.js";
import { gather } from "../../src/data/dataset.js";
import { GLOBAL, normalizationToJson } from "../../src/data/normalize.js";
import { loadEmbeddedMnist } from "../../src/data/node/mnist.js";
import { saveModel } from "../../src/io/node/model-file.js";
import { ae, vae } from "../../src/models/index.js";
import { adam } from "../../src/optim/index.js";
import { key } from "../../src/random/index.js";
import { fit, initState } from "../../src/train/index.js";
import { latent } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "latent-eval-iwae-"));
const vaeFile = join(dir, "vae.safetensors"), aeFile = join(dir, "ae.safetensors");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  initSync();
  const ds = loadEmbeddedMnist();
  const x = gather(ds.train, 784, Uint32Array.from({ length: 1000 }, (_, i) => i));
  const model = vae.mlp({ input: 784, hidden: [64], latent: 4 });
  const opt = adam({ learningRate: 2e-3 });
  const r = await fit(model, opt, { state: initState(model.init(key(1)), opt), data: batches(x, { batchSize: 50, key: key(2) }), epochs: 3, key: key(3) });
  const common = { normalization: normalizationToJson(GLOBAL, "float32", [28, 28, 1]), training: { data: "mnist" } };
  for (const [path, spec, params] of [[vaeFile, model.spec, r.state.params], [aeFile, ae.mlp({ input: 784, hidden: [16], latent: 4 }).spec, null]] as const) {
    const p = params ?? ae.mlp({ input: 784, hidden: [16], latent: 4 }).init(key(4));
    const saved = await saveModel(path, { spec, params: p, ...common })();
    if (E.isLeft(saved)) throw saved.left;
  }
});

async function evalJson(...argv: string[]): Promise<Record<string, any>> {
  const r = await latent("eval", "--model", vaeFile, ...argv);
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.out).toHaveLength(1);
  return JSON.parse(r.out[0]!);
}

describe("latent eval --iwae", () => {
  let first: Record<string, any> = {};
  it("reports the bound beside the ELBO: tighter, with the ELBO's own code first, the same on 1 and 2 threads", async () => {
    const one = await evalJson("--iwae", "40", "--n", "64", "--threads", "1");
    const two = await evalJson("--iwae", "40", "--n", "64", "--threads", "2");
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect({ ...two, threads: 1 }).toEqual(one);
    first = one;
    expect(one.samples).toBe(64);
    const iw = one.iwae;
    expect(iw.k).toBe(40);
    expect(one.elbo).toBeCloseTo(-(one.test.reconstruction + one.test.kl), 9);
    // the IWAE's first code is the ELBO's (same key): the two ELBOs agree to rounding
    expect(Math.abs(iw.elbo - one.elbo)).toBeLessThan(1e-3);
    expect(iw.gain).toBeCloseTo(iw.bound - iw.elbo, 9);
    expect(iw.bound).toBeGreaterThan(one.elbo);
    expect(iw.gain).toBeGreaterThan(3 * iw.gain_se);
    expect(iw.bound).toBeLessThan(0);
    expect(iw.memory.program_bytes).toBeLessThanOrEqual(32 * 2 ** 20);
    expect(iw.memory.decoder_rows).toBe(iw.memory.inputs_per_program * iw.memory.codes_per_program);
    expect(iw.definition).toMatch(/lower bound on log p\(x\)/);
  });

  it("--seed draws other codes: another estimate of the same bound", async () => {
    const a = first.iwae;
    const b = (await evalJson("--iwae", "40", "--n", "64", "--threads", "1", "--seed", "2")).iwae;
    expect(b.bound).not.toBe(a.bound);
    expect(Math.abs(b.bound - a.bound)).toBeLessThan(4 * Math.hypot(a.bound_se, b.bound_se));
  });

  it("without --iwae: no bound; active units with their definition; --n takes the first n samples", async () => {
    const o = await evalJson("--n", "10", "--threads", "1");
    expect(o.iwae).toBeUndefined();
    expect(o.samples).toBe(10);
    expect(o.active_units_definition).toMatch(/Cov_x\(E_q\(z\|x\)\[z_u\]\) > 0\.01/);
    expect(o.active_units).toBeGreaterThanOrEqual(1);
    expect(o.active_units).toBeLessThanOrEqual(4);
  });
});

describe("latent eval: bad input, one line and exit code 2", () => {
  const cases: [string, string[], RegExp][] = [
    ["K = 0", ["--model", vaeFile, "--iwae", "0"], /--iwae must be an integer in \[1, 5000\]/],
    ["K > 5000", ["--model", vaeFile, "--iwae", "5001"], /--iwae must be an integer in \[1, 5000\]/],
    ["K not an integer", ["--model", vaeFile, "--iwae", "2.5"], /--iwae must be an integer/],
    ["--iwae on an autoencoder", ["--model", aeFile, "--iwae", "10"], /--iwae needs a vae.*autoencoder/],
    ["--threads 0", ["--model", vaeFile, "--threads", "0"], /--threads must be an integer in \[1, 256\]/],
    ["--threads not a number", ["--model", vaeFile, "--threads", "two"], /--threads must be an integer/],
    ["--n 0", ["--model", vaeFile, "--n", "0"], /--n must be an integer in \[1/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await latent("eval", ...argv);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    });
  }
});
