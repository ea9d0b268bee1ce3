// LayerNorm (src/nn/layer-norm.ts): torch.nn.LayerNorm(shape, eps) over each sample's features.
// - A row [1, 2, 3] forward and backward by hand.
// - dx, dweight and dbias pass central differences on the float64 backend along random
//   directions, for a vector and an NHWC image shape, with random weight and bias.
// - Each sample comes out with mean 0 and variance var / (var + eps) before the affine part.
// - The backward gives the same bits reading the forward's statistics from the workspace as
//   computing them again (no workspace, or one not marked as the forward's).
// - The wasm backends agree with the float64 backend.
import { describe, expect, it } from "vitest";
import * as E from "fp-ts/lib/Either.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { LayerNorm } from "../../src/nn/layer-norm.js";
import { ConfigError, type LayerContext } from "../../src/nn/layer.js";
import { key, normalF64 } from "../../src/random/index.js";
import { directionalCheck } from "../../src/testing/gradients.js";
import { expectClose } from "../../src/testing/index.js";

const ref = new ReferenceBackend();
const wasm = (["simd", "scalar"] as const).map((isa) => {
  const m = instantiateSync(undefined, { isa });
  if (E.isLeft(m)) throw m.left;
  return new WasmBackend(m.right);
});

interface Out { y: Float64Array; dx: Float64Array; dw: Float64Array; db: Float64Array }

function run<B extends Buffer>(be: Backend<B>, layer: LayerNorm, batch: number, w: ArrayLike<number>, b: ArrayLike<number>,
  x: ArrayLike<number>, dy: ArrayLike<number>, mode: "reuse" | "unmarked" | "none" = "reuse"): Out {
  const put = (v: ArrayLike<number>) => { const t = be.alloc(v.length); be.write(t, v); return t; };
  const p = [put(w), put(b)], g = [be.alloc(w.length), be.alloc(b.length)];
  const bx = put(x), by = be.alloc(x.length), bdy = put(dy), bdx = be.alloc(x.length);
  const ws = mode === "none" ? undefined : be.alloc(layer.workspace(batch));
  const ctx: LayerContext | undefined = mode === "reuse" ? { wsHoldsForward: true } : undefined;
  layer.forward(be, p, batch, bx, by, ws);
  layer.backward(be, p, g, batch, bx, by, bdy, bdx, ws, ctx);
  const f = (t: B) => Float64Array.from(be.read(t));
  const out = { y: f(by), dx: f(bdx), dw: f(g[0]!), db: f(g[1]!) };
  for (const t of [...p, ...g, bx, by, bdy, bdx, ...(ws ? [ws] : [])]) be.free(t);
  return out;
}

describe("LayerNorm", () => {
  it("normalises a row [1, 2, 3] as computed by hand, forward and backward", () => {
    const eps = 1e-5, layer = new LayerNorm([3], eps);
    const r = 1 / Math.sqrt(2 / 3 + eps), s2 = r * r; // mean 2, biased variance 2/3; xhat = [-r, 0, r]
    const out = run(ref, layer, 1, [1, 1, 1], [0, 0, 0], [1, 2, 3], [1, 0, 0]);
    expectClose(out.y, [-r, 0, r], { rtol: 1e-15, atol: 1e-15 });
    expect(out.y[0]).toBeCloseTo(-1.2247357, 6);
    // dy = [1, 0, 0]: g = dy, mean(g) = 1/3, mean(g xhat) = -r/3;
    // dx = r (g - 1/3 - xhat (-r/3)) = r [2/3 - r^2/3, -1/3, -1/3 + r^2/3] (-> r [1/6, -1/3, 1/6] as eps -> 0).
    expectClose(out.dx, [r * (2 / 3 - s2 / 3), -r / 3, r * (-1 / 3 + s2 / 3)], { rtol: 1e-14, atol: 1e-15 });
    expectClose(out.dw, [-r, 0, 0], { rtol: 1e-15, atol: 1e-15 });
    expect(out.db).toEqual(Float64Array.from([1, 0, 0]));
    // weight [1, 2, 3], bias [0, 1, 0]: y = xhat * weight + bias, feature by feature.
    const affine = run(ref, layer, 1, [1, 2, 3], [0, 1, 0], [1, 2, 3], [0, 0, 0]);
    expectClose(affine.y, [-r, 1, 3 * r], { rtol: 1e-15, atol: 1e-15 });
  });

  it("passes central differences for dx, dweight and dbias along random directions", () => {
    for (const [shape, batch, seed] of [[[7], 3, 1], [[2, 3, 4], 2, 2], [[1], 2, 3], [[5, 1], 4, 4]] as const) {
      const layer = new LayerNorm([...shape], 1e-3);
      const n = layer.inFeatures;
      const x = normalF64(key(seed), batch * n).map((v, i) => 2 * v + (i % 3)); // rows with nonzero means
      const w = normalF64(key(seed + 1), n).map((v) => 1 + 0.5 * v), b = normalF64(key(seed + 2), n);
      const r = normalF64(key(seed + 3), batch * n);
      const theta = Float64Array.from([...x, ...w, ...b]);
      const f = (t: Float64Array) => {
        const y = run(ref, layer, batch, t.subarray(batch * n, batch * n + n), t.subarray(batch * n + n), t.subarray(0, batch * n), r).y;
        return y.reduce((s, v, i) => s + v * r[i]!, 0);
      };
      const out = run(ref, layer, batch, w, b, x, r);
      const grad = Float64Array.from([...out.dx, ...out.dw, ...out.db]);
      for (const dir of [0, 1, 2]) {
        const check = directionalCheck(f, theta, grad, 100 * seed + dir);
        expect(check.ratio, JSON.stringify({ shape, check })).toBeLessThanOrEqual(1);
      }
    }
  });

  it("gives each sample mean 0 and variance var / (var + eps) over all its features (NHWC [2, 2, 3])", () => {
    const eps = 1e-5, layer = new LayerNorm([2, 2, 3], eps), batch = 3, n = 12;
    const x = normalF64(key(9), batch * n).map((v, i) => 3 * v + Math.floor(i / n) * 10);
    const y = run(ref, layer, batch, new Float64Array(n).fill(1), new Float64Array(n), x, new Float64Array(batch * n)).y;
    for (let i = 0; i < batch; i++) {
      const row = x.subarray(i * n, (i + 1) * n), out = y.subarray(i * n, (i + 1) * n);
      const m = row.reduce((s, v) => s + v, 0) / n, v = row.reduce((s, t) => s + (t - m) ** 2, 0) / n;
      expect(Math.abs(out.reduce((s, t) => s + t, 0) / n)).toBeLessThanOrEqual(1e-14);
      expect(out.reduce((s, t) => s + t * t, 0) / n).toBeCloseTo(v / (v + eps), 12);
    }
  });

  it("has PyTorch's parameters: weight (ones) and bias (zeros) of the normalised shape", () => {
    const layer = new LayerNorm([4, 4, 8]);
    expect(layer.params).toEqual([{ name: "weight", shape: [4, 4, 8] }, { name: "bias", shape: [4, 4, 8] }]);
    expect([layer.inFeatures, layer.outFeatures, layer.eps, layer.kind, layer.workspace(5)]).toEqual([128, 128, 1e-5, "layerNorm", 10]);
    const [w, b] = layer.init() as [Float32Array, Float32Array];
    expect(w.every((v) => v === 1) && w.length === 128).toBe(true);
    expect(b.every((v) => v === 0) && b.length === 128).toBe(true);
  });

  it("refuses empty or bad shapes and eps <= 0", () => {
    for (const shape of [[], [0], [3, -1], [2.5], [NaN]]) expect(() => new LayerNorm(shape), JSON.stringify(shape)).toThrow(ConfigError);
    for (const eps of [0, -1e-5, NaN, Infinity]) expect(() => new LayerNorm([3], eps)).toThrow(ConfigError);
  });

  it("backward reads the forward's statistics or computes them again: the same bits, on every backend", () => {
    const layer = new LayerNorm([3, 5]), batch = 4, n = 15;
    const w = Float64Array.from(Float32Array.from(normalF64(key(11), n))), b = Float64Array.from(Float32Array.from(normalF64(key(12), n)));
    const x = Float64Array.from(Float32Array.from(normalF64(key(13), batch * n)));
    const dy = Float64Array.from(Float32Array.from(normalF64(key(14), batch * n)));
    for (const be of [ref, ...wasm] as Backend<Buffer>[]) {
      const reuse = run(be, layer, batch, w, b, x, dy, "reuse");
      expect(run(be, layer, batch, w, b, x, dy, "unmarked")).toEqual(reuse);
      expect(run(be, layer, batch, w, b, x, dy, "none")).toEqual(reuse);
    }
  });

  for (const be of wasm) {
    it(`${be.name} agrees with the float64 backend`, () => {
      const layer = new LayerNorm([6, 7]), batch = 5, n = 42;
      const f32 = (v: Float64Array) => Float64Array.from(Float32Array.from(v));
      const w = f32(normalF64(key(21), n)), b = f32(normalF64(key(22), n));
      const x = f32(normalF64(key(23), batch * n).map((v) => 4 * v + 1)), dy = f32(normalF64(key(24), batch * n));
      const got = run(be, layer, batch, w, b, x, dy), want = run(ref, layer, batch, w, b, x, dy);
      const scale = (v: Float64Array) => v.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
      // f64 arithmetic throughout; the f32 roundings of the outputs and of the stored mean and
      // rstd (a relative 2^-24 each) dominate: 1e-6 of the largest value.
      for (const k of ["y", "dx", "dw", "db"] as const) {
        expectClose(got[k], want[k], { rtol: 1e-6, atol: 1e-6 * scale(want[k]), what: k });
      }
    });
  }
});
