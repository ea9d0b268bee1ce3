// Dropout (src/nn/dropout.ts): inverted dropout drawn from the forward's key.
// - Training: every value is 0 or x / (1 - rate), the mask is the reference rule on
//   uniform(key), the kept share is within 5 binomial standard deviations of 1 - rate, the same
//   key gives the same mask, backward is dy * mask (from the workspace, or drawn again).
// - The gradient with the key fixed passes central differences on the float64 backend.
// - Inference (no key) and rate 0 are the identity; bad rates are ConfigErrors.
// - In a SequentialRun, layer i draws from foldIn(key, i) and its backward uses that mask.
// - The wasm backends (simd, scalar) draw the same mask as the float64 backend.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { instantiateSync } from "../../src/kernels/module.js";
import { Dropout } from "../../src/nn/dropout.js";
import { Dense } from "../../src/nn/dense.js";
import { Sequential, SequentialRun } from "../../src/nn/sequential.js";
import { ConfigError, type LayerContext } from "../../src/nn/layer.js";
import { foldIn, key, normalF64, uniform, type Key } from "../../src/random/index.js";
import { directionalCheck } from "../../src/testing/gradients.js";

const U = 2 ** -24;
const ref = new ReferenceBackend();
const wasm = (["simd", "scalar"] as const).map((isa) => {
  const m = instantiateSync(undefined, { isa });
  if (E.isLeft(m)) throw m.left;
  return new WasmBackend(m.right);
});

/** The mask by its definition: u >= rate ? 1 / (1 - rate) : 0 over uniform(k). */
function maskOf(k: Key, n: number, rate: number): Float64Array {
  return Float64Array.from(uniform(k, n), (u) => (u >= rate ? 1 / (1 - rate) : 0));
}

interface Ran { y: Float64Array; dx: Float64Array }

/** forward then backward of a Dropout on a backend, with a workspace; ctx for each call. */
function run<B extends Buffer>(be: Backend<B>, layer: Dropout, batch: number, x: ArrayLike<number>, dy: ArrayLike<number>,
  fwd?: LayerContext, bwd?: LayerContext, useWs = true): Ran {
  const put = (v: ArrayLike<number>) => { const b = be.alloc(v.length); be.write(b, v); return b; };
  const bx = put(x), by = be.alloc(x.length), bdy = put(dy), bdx = be.alloc(x.length);
  const ws = useWs ? be.alloc(layer.workspace(batch)) : undefined;
  layer.forward(be, [], batch, bx, by, ws, fwd);
  layer.backward(be, [], [], batch, bx, by, bdy, bdx, ws, bwd);
  const out = { y: Float64Array.from(be.read(by)), dx: Float64Array.from(be.read(bdx)) };
  for (const b of [bx, by, bdy, bdx, ...(ws ? [ws] : [])]) be.free(b);
  return out;
}

const nonzero = (k: Key, n: number) => normalF64(k, n).map((v) => (v === 0 ? 1 : v));

describe("Dropout on the float64 backend", () => {
  it("in training each value is 0 or x / (1 - rate), as the mask of uniform(key) says; backward is dy * mask", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 23 }), fc.constantFrom(0.1, 0.5, 0.9, 0.3),
      fc.integer({ min: 0, max: 1 << 30 }), (batch, features, rate, seed) => {
        const layer = new Dropout(features, rate), n = batch * features, k = key(seed);
        const x = nonzero(key(seed + 1), n), dy = normalF64(key(seed + 2), n);
        const { y, dx } = run(ref, layer, batch, x, dy, { key: k }, { key: k, wsHoldsForward: true });
        const mask = maskOf(k, n, rate);
        for (let i = 0; i < n; i++) {
          expect(y[i] === 0 || Math.abs(y[i]! - x[i]! / (1 - rate)) <= 2 ** -52 * Math.abs(y[i]!)).toBe(true);
          expect(y[i]).toBe(x[i]! * mask[i]!);
          expect(dx[i]).toBe(dy[i]! * mask[i]!);
        }
      }), { numRuns: 60 });
  });

  it("keeps a share of the values within 5 binomial standard deviations of 1 - rate", () => {
    for (const rate of [0.05, 0.2, 0.5, 0.8, 0.95]) for (const seed of [1, 2, 3]) {
      const batch = 40, features = 97, n = batch * features;
      const x = nonzero(key(seed + 10), n);
      const { y } = run(ref, new Dropout(features, rate), batch, x, x, { key: key(seed) });
      const kept = y.filter((v) => v !== 0).length;
      expect(Math.abs(kept - (1 - rate) * n)).toBeLessThanOrEqual(5 * Math.sqrt(n * rate * (1 - rate)));
    }
  });

  it("the same key gives the same mask, another key another one", () => {
    const layer = new Dropout(31, 0.5), x = nonzero(key(4), 3 * 31);
    const a = run(ref, layer, 3, x, x, { key: key(7) }).y;
    const b = run(ref, layer, 3, x, x, { key: key(7) }).y;
    const c = run(ref, layer, 3, x, x, { key: key(8) }).y;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("backward draws the same mask again when the workspace is not marked as the forward's, or there is none", () => {
    const layer = new Dropout(13, 0.4), batch = 4, n = batch * 13, k = key(21);
    const x = nonzero(key(22), n), dy = normalF64(key(23), n);
    const reused = run(ref, layer, batch, x, dy, { key: k }, { key: k, wsHoldsForward: true });
    expect(run(ref, layer, batch, x, dy, { key: k }, { key: k })).toEqual(reused);
    expect(run(ref, layer, batch, x, dy, { key: k }, { key: k }, false)).toEqual(reused);
    expect(reused.dx).toEqual(dy.map((v, i) => v * maskOf(k, n, 0.4)[i]!));
  });

  it("passes central differences with the key fixed", () => {
    for (const [rate, seed] of [[0.3, 1], [0.7, 2], [0.5, 3]] as const) {
      const layer = new Dropout(11, rate), batch = 3, n = batch * 11, k = key(seed);
      const x = normalF64(key(seed + 1), n), r = normalF64(key(seed + 2), n);
      const f = (t: Float64Array) => run(ref, layer, batch, t, r, { key: k }).y.reduce((s, v, i) => s + v * r[i]!, 0);
      const { dx } = run(ref, layer, batch, x, r, { key: k }, { key: k, wsHoldsForward: true });
      const check = directionalCheck(f, x, dx, seed + 3);
      expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
    }
  });

  it("is the identity without a key (inference) and at rate 0", () => {
    const x = normalF64(key(5), 2 * 9), dy = normalF64(key(6), 2 * 9);
    for (const ctx of [undefined, {}, { key: null }]) {
      expect(run(ref, new Dropout(9, 0.5), 2, x, dy, ctx, ctx)).toEqual({ y: x, dx: dy });
    }
    expect(run(ref, new Dropout(9, 0), 2, x, dy, { key: key(1) }, { key: key(1), wsHoldsForward: true })).toEqual({ y: x, dx: dy });
    const layer = new Dropout(9, 0.5);
    expect([layer.random, layer.params.length, layer.workspace(4), layer.inFeatures, layer.outFeatures]).toEqual([true, 0, 36, 9, 9]);
    expect(layer.init()).toEqual([]);
  });

  it("refuses rates outside [0, 1) and bad feature counts", () => {
    for (const rate of [-0.1, 1, 1.5, NaN, Infinity, "0.5" as unknown as number, undefined as unknown as number]) {
      expect(() => new Dropout(4, rate), String(rate)).toThrow(ConfigError);
    }
    for (const f of [0, -1, 2.5, NaN]) expect(() => new Dropout(f, 0.5)).toThrow(ConfigError);
    expect(() => new Dropout(4, 0.999)).not.toThrow();
  });
});

describe("Dropout in a SequentialRun", () => {
  it("layer i draws from foldIn(key, i); backward uses that mask; no key is inference", () => {
    const seq = new Sequential("net", [new Dense(5, 8), new Dropout(8, 0.5), new Dense(8, 3), new Dropout(3, 0.25)]);
    const batch = 4, k = key(31);
    const theta = Float64Array.from(seq.init(key(30)).flatMap((p) => Array.from(p)));
    const x = normalF64(key(32), batch * 5), r = normalF64(key(33), batch * 3);
    const make = (t: Float64Array) => {
      const sizes = seq.paramSpecs().map((s) => s.shape.reduce((a, b) => a * b, 1));
      const params: Float64Array[] = [], grads: Float64Array[] = [];
      const gradAll = new Float64Array(t.length);
      let at = 0;
      for (const n of sizes) { params.push(t.subarray(at, at + n)); grads.push(gradAll.subarray(at, at + n)); at += n; }
      return { run: new SequentialRun(ref, seq, batch, params, grads), params, gradAll };
    };
    // By hand: dense, mask of foldIn(k, 1), dense, mask of foldIn(k, 3).
    const { run: r1, params } = make(theta);
    const y = Float64Array.from(r1.forward(x, k));
    const h = new Float64Array(batch * 8), h2 = new Float64Array(batch * 3);
    (seq.layers[0] as Dense).forward(ref, params.slice(0, 2), batch, x, h);
    const m1 = maskOf(foldIn(k, 1), batch * 8, 0.5);
    (seq.layers[2] as Dense).forward(ref, params.slice(2, 4), batch, h.map((v, i) => v * m1[i]!), h2);
    const m3 = maskOf(foldIn(k, 3), batch * 3, 0.25);
    expect(y).toEqual(h2.map((v, i) => v * m3[i]!));
    // Inference: no masks.
    const yInf = Float64Array.from(r1.forward(x));
    (seq.layers[2] as Dense).forward(ref, params.slice(2, 4), batch, h, h2);
    expect(yInf).toEqual(h2);
    // The gradient of <r, y> with the key fixed, through both masks.
    const f = (t: Float64Array) => make(t).run.forward(x, k).reduce((s, v, i) => s + v * r[i]!, 0);
    const { run, gradAll } = make(theta);
    run.forward(x, k);
    run.backward(x, r, null);
    const check = directionalCheck(f, theta, gradAll, 34);
    expect(check.ratio, JSON.stringify(check)).toBeLessThanOrEqual(1);
  });
});

describe("Dropout on the wasm backends", () => {
  for (const be of wasm) {
    it(`${be.name}: the same mask as the float64 backend; y and dx within two f32 roundings`, () => {
      const rate = 0.35, layer = new Dropout(37, rate), batch = 5, n = batch * 37, k = key(41);
      const x = Float64Array.from(Float32Array.from(nonzero(key(42), n)));
      const dy = Float64Array.from(Float32Array.from(normalF64(key(43), n)));
      const w = run(be, layer, batch, x, dy, { key: k }, { key: k, wsHoldsForward: true });
      const r = run(ref, layer, batch, x, dy, { key: k }, { key: k, wsHoldsForward: true });
      for (let i = 0; i < n; i++) {
        expect(w.y[i] === 0).toBe(r.y[i] === 0);
        // f32(x * f32(1 / (1 - rate))): two roundings of u each.
        expect(Math.abs(w.y[i]! - r.y[i]!)).toBeLessThanOrEqual(2 * U * Math.abs(r.y[i]!));
        expect(Math.abs(w.dx[i]! - r.dx[i]!)).toBeLessThanOrEqual(2 * U * Math.abs(r.dx[i]!));
      }
      // Backward without the forward's workspace draws the same mask.
      expect(run(be, layer, batch, x, dy, { key: k }, { key: k }, false)).toEqual(w);
      expect(run(be, layer, batch, x, dy)).toEqual({ y: x, dx: dy });
    });
  }
});
