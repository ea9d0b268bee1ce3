// The arbitraries of latent/testing give what they say (bounds, shapes, distributions, f32 values,
// valid tensors, keys, geometries, params and batches that fit a model) and shrink towards small:
// every sample is drawn with the run's seed, every shrink is read from fc.check's counterexample.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { models, nn, random } from "../../src/index.js";
import type { Model } from "../../src/models/model.js";
import type { Padding } from "../../src/nn/conv-geometry.js";
import { checkTensorLike, size, type Tensor } from "../../src/tensor/tensor.js";
import {
  batchArb, convCaseArb, distributions, geometryOf, keyArb, paddingArb, paramsArb, shapeArb, sizeArb, tensorArb, valuesArb,
  type Distribution, type LabelledBatch,
} from "../../src/testing/index.js";

// The run's seed (test/setup.ts: fixed, or FC_SEED), passed explicitly to fc.sample and fc.check.
const seed = fc.readConfigureGlobal().seed ?? 20261127;
const sample = <T>(arb: fc.Arbitrary<T>, numRuns = 300): T[] => fc.sample(arb, { seed, numRuns });

/** The counterexample fast-check shrinks to for a property that fails when `fails` holds. */
function shrunk<T>(arb: fc.Arbitrary<T>, fails: (v: T) => boolean): T {
  const out = fc.check(fc.property(arb, (v) => !fails(v)), { seed, numRuns: 200 });
  expect(out.failed).toBe(true);
  return out.counterexample![0];
}

const isF32 = (x: number) => Object.is(Math.fround(x), x);
const extent = (shape: readonly number[]) => shape.reduce((p, d) => p * Math.max(d, 1), 1);

describe("sizeArb", () => {
  it("stays in [min, max] and draws 0, 1, odd sizes and every SIMD tail 4k+1..4k+3", () => {
    const sizes = sample(sizeArb({ max: 40 }));
    expect(sizes.every((n) => Number.isInteger(n) && n >= 0 && n <= 40)).toBe(true);
    expect(sizes).toContain(0);
    expect(sizes).toContain(1);
    for (const r of [1, 2, 3]) expect(sizes.filter((n) => n > 4 && n % 4 === r).length).toBeGreaterThan(5);
    expect(sizes.filter((n) => n % 4 === 0 && n > 0).length).toBeGreaterThan(0);
    expect(new Set(sizes.filter((n) => n % 2 === 1)).size).toBeGreaterThan(8);
    const bounded = sample(sizeArb({ min: 6, max: 13 }));
    expect(bounded.every((n) => n >= 6 && n <= 13)).toBe(true);
    expect(new Set(bounded).size).toBe(8);
    expect(sample(sizeArb({ min: 8, max: 8 }), 20)).toEqual(new Array(20).fill(8));
  });

  it("shrinks to its minimum, and to the smallest failing size", () => {
    expect(shrunk(sizeArb({ min: 2, max: 60 }), () => true)).toBe(2);
    expect(shrunk(sizeArb({ max: 60 }), (n) => n >= 13)).toBe(13);
  });

  it("refuses bounds that are not sizes", () => {
    expect(() => sizeArb({ min: 5, max: 4 })).toThrow(RangeError);
    expect(() => sizeArb({ min: -1 })).toThrow(RangeError);
  });
});

describe("shapeArb", () => {
  it("keeps rank, dimensions and element count in their bounds, empty shapes included", () => {
    const shapes = sample(shapeArb({ minRank: 1, maxRank: 3, maxSize: 12, maxElements: 200 }));
    for (const s of shapes) {
      expect(s.length).toBeGreaterThanOrEqual(1);
      expect(s.length).toBeLessThanOrEqual(3);
      expect(s.every((d) => Number.isInteger(d) && d >= 0 && d <= 12)).toBe(true);
      expect(extent(s)).toBeLessThanOrEqual(200);
    }
    expect(new Set(shapes.map((s) => s.length))).toEqual(new Set([1, 2, 3]));
    expect(shapes.some((s) => size(s) === 0)).toBe(true);
    expect(shapes.some((s) => s.some((d) => d > 4 && d % 4 !== 0))).toBe(true);
    const fixed = sample(shapeArb({ rank: 4, minSize: 2, maxSize: 5, maxElements: 64 }));
    expect(fixed.every((s) => s.length === 4 && s.every((d) => d >= 2 && d <= 5) && size(s) <= 64)).toBe(true);
    expect(sample(shapeArb({ rank: 0 }), 5)).toEqual(new Array(5).fill([]));
    expect(() => shapeArb({ rank: 3, minSize: 5, maxElements: 100 })).toThrow(RangeError);
  });

  it("shrinks to the smallest element count that fails, through lower ranks", () => {
    expect(shrunk(shapeArb(), () => true)).toEqual([0]);
    expect(size(shrunk(shapeArb({ maxRank: 4 }), (s) => size(s) >= 5))).toBe(5);
    const two = shrunk(shapeArb({ rank: 2 }), (s) => size(s) >= 5);
    expect(two).toHaveLength(2);
    expect(size(two)).toBe(5);
  });
});

describe("valuesArb", () => {
  const draw = (d: Distribution, n = 4000) => Array.from(sample(valuesArb(n, d), 1)[0]!);

  it("gives n finite f32 values for every distribution", () => {
    for (const d of [...distributions, { kind: "uniform", lo: -3, hi: 0.5 } as const]) {
      for (const n of [0, 1, 7, 33]) {
        for (const v of sample(valuesArb(n, d), 20)) {
          expect(v).toBeInstanceOf(Float32Array);
          expect(v.length).toBe(n);
          expect(Array.from(v).every((x) => Number.isFinite(x) && isF32(x))).toBe(true);
        }
      }
    }
  });

  it("normal: mean 0, variance 1, 68% within one standard deviation", () => {
    const xs = draw("normal");
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);
    expect(Math.abs(xs.filter((x) => Math.abs(x) < 1).length / xs.length - 0.6827)).toBeLessThan(0.03);
    expect(xs.every((x) => Math.abs(x) < 5.5)).toBe(true);
  });

  it("uniform: in [-1, 1] or [lo, hi], spread over it", () => {
    for (const [d, lo, hi] of [["uniform", -1, 1], [{ kind: "uniform", lo: 2, hi: 3 }, 2, 3], [{ kind: "uniform", lo: -0.25, hi: -0.25 }, -0.25, -0.25]] as const) {
      const xs = draw(d);
      expect(xs.every((x) => x >= lo && x <= hi)).toBe(true);
      expect(Math.min(...xs)).toBeLessThan(lo + 0.01 + (hi - lo) * 0.01);
      expect(Math.max(...xs)).toBeGreaterThan(hi - 0.01 - (hi - lo) * 0.01);
      expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - (lo + hi) / 2)).toBeLessThan(0.05);
    }
  });

  it("nearZero and large: magnitudes over their decades, both signs", () => {
    for (const [d, lo, hi] of [["nearZero", 1e-30, 1e-6], ["large", 1e3, 1e30]] as const) {
      const xs = draw(d);
      expect(xs.every((x) => Math.abs(x) >= lo * (1 - 1e-6) && Math.abs(x) <= hi * (1 + 1e-6))).toBe(true);
      const decades = new Set(xs.map((x) => Math.floor(Math.log10(Math.abs(x)))));
      expect(decades.size).toBeGreaterThan(Math.log10(hi / lo) - 2);
      expect(xs.some((x) => x < 0) && xs.some((x) => x > 0)).toBe(true);
    }
  });

  it("ties: at most three distinct values, repeated", () => {
    for (const v of sample(valuesArb(50, "ties"), 100)) {
      const distinct = new Set(v);
      expect(distinct.size).toBeLessThanOrEqual(3);
      expect([...distinct].every((x) => Number.isInteger(2 * x) && Math.abs(x) <= 4)).toBe(true);
    }
    expect(sample(valuesArb(50, "ties"), 100).some((v) => new Set(v).size > 1)).toBe(true);
  });

  it("denormal: f32 subnormals and signed zeros only", () => {
    const xs = draw("denormal");
    const bits = new Uint32Array(Float32Array.from(xs).buffer);
    expect(bits.every((b) => (b & 0x7f800000) === 0)).toBe(true); // exponent field 0: subnormal or zero
    expect(xs.every((x) => x === 0 || Math.abs(x) < 2 ** -126)).toBe(true);
    expect(xs.filter((x) => x !== 0).length).toBeGreaterThan(xs.length / 2);
    const zeros = sample(valuesArb(64, "denormal"), 200).flatMap((v) => Array.from(v)).filter((x) => x === 0);
    expect(zeros.some((x) => Object.is(x, -0)) || zeros.some((x) => Object.is(x, 0))).toBe(true);
  });

  it("mixed: values of every kind in one array", () => {
    const xs = draw("mixed");
    const subnormal = (x: number) => x !== 0 && Math.abs(x) < 2 ** -126;
    expect(xs.some(subnormal)).toBe(true);
    expect(xs.some((x) => Math.abs(x) > 1e6)).toBe(true);
    expect(xs.some((x) => Math.abs(x) > 2 ** -126 && Math.abs(x) < 1e-6)).toBe(true);
    expect(xs.some((x) => x === 0)).toBe(true);
    expect(xs.some((x) => Math.abs(x) > 0.1 && Math.abs(x) < 3)).toBe(true);
  });

  it("shrinks to simple values: 0, or the magnitude nearest 1", () => {
    for (const d of ["normal", "uniform", "ties", "denormal", "mixed"] as const) {
      expect(Array.from(shrunk(valuesArb(6, d), () => true))).toEqual(new Array(6).fill(0));
    }
    expect(Array.from(shrunk(valuesArb(3, "nearZero"), () => true))).toEqual(new Array(3).fill(Math.fround(1e-6)));
    expect(Array.from(shrunk(valuesArb(3, "large"), () => true))).toEqual([1000, 1000, 1000]);
    expect(Array.from(shrunk(valuesArb(2, { kind: "uniform", lo: 2, hi: 3 }), () => true))).toEqual([2, 2]);
  });

  it("refuses unknown distributions and bad bounds", () => {
    expect(() => valuesArb(3, "cauchy" as Distribution)).toThrow(RangeError);
    expect(() => valuesArb(3, { kind: "uniform", lo: 1, hi: 0 })).toThrow(RangeError);
    expect(() => valuesArb(-1)).toThrow(RangeError);
  });
});

describe("tensorArb", () => {
  it("gives valid contiguous tensors of drawn or given shapes, empty ones included", () => {
    const ts = sample(tensorArb({ maxRank: 3, maxSize: 9, distribution: "mixed" }));
    for (const t of ts) {
      checkTensorLike(t, "drawn tensor");
      expect(t.data).toBeInstanceOf(Float32Array);
      expect(t.data.length).toBe(size(t.shape));
      expect(t.offset).toBe(0);
      expect(t.shape.length).toBeLessThanOrEqual(3);
      expect(Array.from(t.data).every(isF32)).toBe(true);
    }
    expect(ts.some((t) => t.data.length === 0)).toBe(true);
    expect(ts.some((t) => t.data.length > 20)).toBe(true);
    for (const t of sample(tensorArb({ shape: [3, 5], distribution: "denormal" }), 20)) {
      expect(t.shape).toEqual([3, 5]);
      expect(Array.from(t.data).every((x) => x === 0 || Math.abs(x) < 2 ** -126)).toBe(true);
    }
  });

  it("a property failing for every tensor of size >= 5 shrinks to one of size exactly 5", () => {
    const t = shrunk(tensorArb(), (x) => x.data.length >= 5);
    expect(t.data.length).toBe(5);
    expect(t.shape).toEqual([5]);
    expect(Array.from(t.data)).toEqual([0, 0, 0, 0, 0]);
    const matrix = shrunk(tensorArb({ rank: 2, distribution: "large" }), (x) => x.data.length >= 5);
    expect(matrix.data.length).toBe(5);
    expect(Array.from(matrix.data)).toEqual(new Array(5).fill(1000));
  });
});

describe("keyArb", () => {
  const isKey = (k: { k0: number; k1: number }) => [k.k0, k.k1].every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) && Object.isFrozen(k);

  it("gives frozen keys, from seeds and derived by split and foldIn", () => {
    const keys = sample(keyArb());
    expect(keys.every(isKey)).toBe(true);
    expect(new Set(keys.map((k) => `${k.k0},${k.k1}`)).size).toBeGreaterThan(250);
    expect(keys.some((k) => k.k0 >= 2 ** 21)).toBe(true); // a derived key: key(seed) has k0 < 2^21
    const plain = sample(keyArb({ derived: false }));
    expect(plain.every((k) => isKey(k) && k.k0 < 2 ** 21)).toBe(true);
    expect(random.uniform(keys[0]!, 4)).toEqual(random.uniform(random.keyFromData([keys[0]!.k0, keys[0]!.k1]), 4));
  });

  it("shrinks to key(0)", () => {
    expect(shrunk(keyArb(), () => true)).toEqual(random.key(0));
  });
});

describe("convCaseArb and paddingArb", () => {
  it("draws only cases whose kernel fits, within the bounds, every kind of padding", () => {
    const o = { maxChannels: 3, minBatch: 1, maxBatch: 4, maxSize: 7, maxKernel: 5, maxStride: 2, maxDilation: 3, maxPad: 2 };
    const cases = sample(convCaseArb(o));
    for (const c of cases) {
      const g = geometryOf(c);
      expect(g).not.toBeNull();
      expect(g!.batch).toBe(c.batch);
      expect(c.batch >= 1 && c.batch <= 4).toBe(true);
      expect(c.input[0] <= 7 && c.input[1] <= 7 && c.input[2] >= 1 && c.input[2] <= 3).toBe(true);
      expect(c.kernel.every((k) => k >= 1 && k <= 5) && c.stride.every((s) => s <= 2) && c.dilation.every((d) => d <= 3)).toBe(true);
    }
    const kind = (p: unknown) => (typeof p === "string" ? p : typeof p === "number" ? "number" : Array.isArray(p) ? "pair" : "sides");
    expect(new Set(cases.map((c) => kind(c.padding)))).toEqual(new Set(["same", "valid", "number", "pair", "sides"]));
    expect(cases.some((c) => c.dilation.some((d) => d === 3))).toBe(true);
    const pads = sample(paddingArb({ max: 1 }));
    const pads1 = (p: Padding): number[] => (typeof p === "string" ? [] : typeof p === "number" ? [p] : Array.isArray(p) ? [...p] : Object.values(p));
    expect(pads.flatMap(pads1).every((v) => Number.isInteger(v) && v >= 0 && v <= 1)).toBe(true);
    expect(geometryOf({ batch: 1, input: [2, 2, 1], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padding: "valid" })).toBeNull();
  });

  it("shrinks to the simplest case", () => {
    expect(shrunk(convCaseArb(), () => true)).toEqual({ batch: 0, input: [1, 1, 1], kernel: [1, 1], stride: [1, 1], dilation: [1, 1], padding: "same" });
  });
});

describe("paramsArb and batchArb", () => {
  const mlpVae = models.vae.mlp({ input: 12, hidden: [7], latent: 3, likelihood: "bernoulli" });
  const convAe = models.ae.conv({ imageShape: [6, 6, 2], channels: [3], hidden: [5], latent: 2, likelihood: "gaussian" });
  const conditional = models.vae({
    encoder: [new nn.Dense(10 + 4, 6), new nn.ActivationLayer("relu", 6)],
    decoder: [new nn.Dense(2 + 4, 6), new nn.ActivationLayer("tanh", 6), new nn.Dense(6, 10)],
    latent: 2, classes: 4, likelihood: "gaussian", obsLogvar: "learned",
  });
  const cases: [string, Model][] = [["an MLP VAE", mlpVae], ["a conv AE", convAe], ["a composed conditional VAE", conditional]];

  for (const [name, model] of cases) {
    it(`paramsArb matches the layout of ${name}`, () => {
      const drawn = sample(paramsArb(model), 40);
      for (const p of drawn) {
        expect(Object.keys(p)).toEqual(model.layout.entries.map((e) => e.name));
        for (const e of model.layout.entries) {
          expect(p[e.name]!.shape).toEqual(e.shape);
          checkTensorLike(p[e.name]!, e.name);
          expect(Array.from(p[e.name]!.data).every(Number.isFinite)).toBe(true);
        }
        expect(model.layout.flatten(p)).toHaveLength(model.layout.total);
      }
      const zero = shrunk(paramsArb(model), () => true);
      expect(model.layout.flatten(zero)).toEqual(model.layout.flatten(model.init(random.key(0))));
    });
  }

  it("paramsArb: the init as it is or perturbed by scale N(0, 1)", () => {
    // The learned observation log-variance starts at 0: draws of the init keep it, perturbed ones move it.
    const obs = (p: Record<string, Tensor>) => Array.from(p["obs.logvar"]!.data);
    const drawn = sample(paramsArb(conditional), 60);
    expect(drawn.some((p) => obs(p).every((v) => v === 0))).toBe(true);
    const moved = drawn.filter((p) => obs(p).every((v) => v !== 0));
    expect(moved.length).toBeGreaterThan(10);
    const sd = Math.sqrt(moved.flatMap(obs).reduce((a, v) => a + v * v, 0) / (moved.length * 10));
    expect(sd).toBeGreaterThan(0.07);
    expect(sd).toBeLessThan(0.13);
    const big = sample(paramsArb(conditional, { scale: 2 }), 60).filter((p) => obs(p).some((v) => v !== 0));
    expect(Math.sqrt(big.flatMap(obs).reduce((a, v) => a + v * v, 0) / (big.length * 10))).toBeGreaterThan(1.4);
    expect(sample(paramsArb(conditional, { scale: 0 }), 30).every((p) => obs(p).every((v) => v === 0))).toBe(true);
    expect(() => paramsArb(conditional, { scale: -1 })).toThrow(RangeError);
  });

  it("batchArb: [rows, input] in [0, 1] for bernoulli, normal for gaussian", () => {
    const xs = sample(batchArb(mlpVae, { rows: { min: 2, max: 6 } }), 100) as Tensor[];
    for (const x of xs) {
      checkTensorLike(x, "batch");
      expect(x.shape[1]).toBe(12);
      expect(x.shape[0]! >= 2 && x.shape[0]! <= 6).toBe(true);
      expect(Array.from(x.data).every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(new Set(xs.map((x) => x.shape[0])).size).toBe(5);
    const ys = sample(batchArb(convAe), 100) as Tensor[];
    expect(ys.every((y) => y.shape[1] === 72 && y.shape[0]! >= 1 && y.shape[0]! <= 9)).toBe(true);
    expect(ys.some((y) => Array.from(y.data).some((v) => v < 0))).toBe(true);
    expect(shrunk(batchArb(mlpVae), () => true)).toMatchObject({ shape: [1, 12] });
  });

  it("batchArb: { x, labels } with labels in [0, classes) for a conditional model", () => {
    const bs = sample(batchArb(conditional, { rows: { min: 0, max: 8 } }), 200) as LabelledBatch[];
    for (const b of bs) {
      expect(b.labels).toBeInstanceOf(Int32Array);
      expect(b.x.shape).toEqual([b.labels.length, 10]);
      expect(Array.from(b.labels).every((l) => l >= 0 && l < 4)).toBe(true);
    }
    expect(new Set(bs.flatMap((b) => Array.from(b.labels)))).toEqual(new Set([0, 1, 2, 3]));
    expect(bs.some((b) => b.labels.length === 0)).toBe(true);
    const small = shrunk(batchArb(conditional), () => true) as LabelledBatch;
    expect(Array.from(small.labels)).toEqual([0]);
    expect(Array.from(small.x.data)).toEqual(new Array(10).fill(0));
  });
});
