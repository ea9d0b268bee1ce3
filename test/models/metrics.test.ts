// What `latent eval` reports (src/models/metrics.ts): the latent variances, active units and
// reconstruction error against a direct float64 computation (a hand-written forward pass over
// the rows, independent of batched.ts), on the f32 kernels within rounding and on the float64
// reference backend to ~1e-12; for a VAE (bernoulli) and an AE (mse), in one program or many.
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { splitRows } from "../../src/data/rows.js";
import { GLOBAL } from "../../src/data/normalize.js";
import {
  activeUnits, ae, evaluateLoss, evaluateModel, latentVariances, reconstructionError, vae, type Model,
} from "../../src/models/index.js";
import type { Params } from "../../src/nn/params.js";
import { bits, key, uniform } from "../../src/random/index.js";
import { tensorRows, type Rows } from "../../src/tensor/rows.js";
import { tensor } from "../../src/tensor/tensor.js";
import { dense64, relu64 } from "../support/float64-layers.js";

beforeAll(() => { initSync(); });

const D = 12, N = 37, L = 4;
const x = tensor(uniform(key(5), N * D), [N, D]);

const dense = dense64, relu = relu64;

/**
 * The presets' MLPs as torch.nn.Sequential numbers them: dense layers at even positions, a ReLU
 * after each (the VAE's encoder after its last one too, the AE's encoder and every decoder not).
 */
function stack(p: Params, prefix: string, v: Float64Array, denses: number, lastRelu: boolean): Float64Array {
  let h = v;
  for (let i = 0; i < denses; i++) {
    h = dense(p, `${prefix}.${2 * i}`, h);
    if (i < denses - 1 || lastRelu) h = relu(h);
  }
  return h;
}

/** The codes (posterior means) and predictions at z = mean of every row, in float64. */
function direct(model: Model, p: Params, rows: Rows): { codes: Float64Array[]; predictions: Float64Array[]; inputs: Float64Array[] } {
  const isVae = model.spec.kind === "vae";
  const codes: Float64Array[] = [], predictions: Float64Array[] = [], inputs: Float64Array[] = [];
  const buf = new Float32Array(rows.width);
  for (let i = 0; i < rows.n; i++) {
    rows.fill(i, 1, buf);
    const input = Float64Array.from(buf);
    const code = isVae ? dense(p, "mu.0", stack(p, "encoder", input, 1, true)) : stack(p, "encoder", input, 2, false);
    const out = stack(p, "decoder", code, 2, false);
    inputs.push(input);
    codes.push(code);
    predictions.push(model.spec.likelihood === "bernoulli" ? out.map((t) => 1 / (1 + Math.exp(-t))) : out);
  }
  return { codes, predictions, inputs };
}

function directMetrics(model: Model, p: Params, rows: Rows) {
  const { codes, predictions, inputs } = direct(model, p, rows);
  const n = rows.n;
  const variances = Array.from({ length: model.spec.latent }, (_, j) => {
    let mean = 0;
    for (const c of codes) mean += c[j]!;
    mean /= n;
    let v = 0;
    for (const c of codes) v += (c[j]! - mean) ** 2;
    return v / Math.max(n - 1, 1);
  });
  let sq = 0;
  for (let i = 0; i < n; i++) for (let k = 0; k < rows.width; k++) sq += (inputs[i]![k]! - predictions[i]![k]!) ** 2;
  return { variances, mse: sq / (n * rows.width), active: variances.filter((v) => v > 0.01).length };
}

/**
 * Parameters with two dead units (their rows of the code's weights zeroed: the code is the bias,
 * whatever the input) and two lively ones (weights scaled up): the active count is 2, far from
 * the threshold, whatever the rounding.
 */
function withDeadUnits(model: Model, seed: number): Params {
  const p = model.init(key(seed));
  const head = model.spec.kind === "vae" ? "mu.0.weight" : "encoder.2.weight";
  const w = p[head]!;
  const inp = w.shape[1]!;
  const data = Float32Array.from(w.data);
  for (let j = 0; j < L; j++) for (let i = 0; i < inp; i++) data[j * inp + i] = j < 2 ? 0 : data[j * inp + i]! * 20;
  return { ...p, [head]: tensor(data, [...w.shape]) };
}

const ref = new ReferenceBackend() as unknown as Backend<Buffer>;

describe.each([
  ["vae, bernoulli", vae.mlp({ input: D, hidden: [9], latent: L })],
  ["ae, mse", ae.mlp({ input: D, hidden: [9], latent: L, likelihood: "mse" })],
])("model metrics (%s)", (_name, model) => {
  const params = withDeadUnits(model, 3);
  const rows = tensorRows(x);
  const want = directMetrics(model, params, rows);

  it("the dead and lively units are what the test means them to be", () => {
    expect(want.variances[0]).toBe(0);
    expect(want.variances[1]).toBe(0);
    expect(Math.min(want.variances[2]!, want.variances[3]!)).toBeGreaterThan(0.1);
    expect(want.active).toBe(2);
  });

  for (const [where, o, rel] of [["f32 kernels", {}, 2e-5], ["f32 kernels, programs of 4 rows", { rows: 4 }, 2e-5],
    ["the float64 reference", { backend: ref }, 1e-12], ["the float64 reference, programs of 8 rows", { backend: ref, rows: 8 }, 1e-12]] as const) {
    it(`latentVariances, activeUnits and reconstructionError equal the direct computation (${where})`, () => {
      const got = latentVariances(model, params, rows, o);
      expect(got).toBeInstanceOf(Float64Array);
      expect(got).toHaveLength(L);
      for (let j = 0; j < L; j++) expect(Math.abs(got[j]! - want.variances[j]!)).toBeLessThanOrEqual(rel * Math.max(want.variances[j]!, 1e-3));
      expect(got[0]).toBe(0);
      expect(activeUnits(model, params, rows, o)).toBe(2);
      expect(activeUnits(model, params, rows, { ...o, threshold: 1e9 })).toBe(0);
      expect(activeUnits(model, params, rows, { ...o, threshold: -1 })).toBe(L);
      const mse = reconstructionError(model, params, rows, o);
      expect(Math.abs(mse - want.mse)).toBeLessThanOrEqual(rel * want.mse);
    });
  }

  it("evaluateModel reports the loss, the reconstruction error and the active units of one pass each", () => {
    const k = key(11);
    const r = evaluateModel(model, params, rows, k);
    expect(r.loss).toEqual(evaluateLoss(model, params, rows, k));
    expect(r.reconstructionMse).toBe(reconstructionError(model, params, rows));
    expect(Array.from(r.latentVariances)).toEqual(Array.from(latentVariances(model, params, rows)));
    expect([r.activeUnits, r.latent, r.samples]).toEqual([2, L, N]);
  });

  it("reads a uint8 split as rows, and gives zeros for no rows", () => {
    const pixels = Uint8Array.from(bits(key(8), N * D), (w) => w & 0xff);
    const split = splitRows({ n: N, pixels, labels: null }, D, GLOBAL);
    const direct8 = directMetrics(model, params, split);
    expect(Math.abs(reconstructionError(model, params, split, { backend: ref }) - direct8.mse)).toBeLessThanOrEqual(1e-12 * direct8.mse);
    const none = tensorRows(tensor(new Float32Array(0), [0, D]));
    expect(reconstructionError(model, params, none)).toBe(0);
    expect(Array.from(latentVariances(model, params, none))).toEqual([0, 0, 0, 0]);
    expect(activeUnits(model, params, none)).toBe(0);
  });
});
