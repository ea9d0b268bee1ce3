import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { ari, clusteringAccuracy, continuity, linearAssignment, nmi, silhouette, trustworthiness } from "../../src/analysis/index.js";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { ConfigError } from "../../src/nn/layer.js";
import { key, normalF64, uniform } from "../../src/random/index.js";
import { ShapeError, type TensorLike } from "../../src/tensor/tensor.js";
import { expectClose } from "../../src/testing/index.js";

beforeAll(() => { initSync(); });

const mat = (data: ArrayLike<number>, n: number, d: number): TensorLike => ({ data, shape: [n, d], stride: [d, 1], offset: 0 });

/** A labelling of n points into at most k labels, with a renaming of the label values. */
const labelling = fc.integer({ min: 1, max: 60 }).chain((n) => fc.record({
  a: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
  b: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
  rename: fc.shuffledSubarray([-7, 0, 3, 11, 42, 1000, -1], { minLength: 7, maxLength: 7 }),
}));

function permutations(items: number[], take: number): number[][] {
  if (take === 0) return [[]];
  return items.flatMap((x, i) => permutations(items.filter((_, j) => j !== i), take - 1).map((rest) => [x, ...rest]));
}

describe("linearAssignment (Hungarian)", () => {
  it("finds the minimum cost of brute force over all assignments, rows x cols up to 5 x 5", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.infiniteStream(fc.integer({ min: -9, max: 9 })), (rows, cols, stream) => {
      const cost = Array.from(stream.take(rows * cols));
      const assign = linearAssignment(cost, rows, cols);
      const used = new Set<number>();
      let got = 0;
      for (let r = 0; r < rows; r++) {
        if (assign[r] === -1) continue;
        expect(used.has(assign[r]!)).toBe(false);
        used.add(assign[r]!);
        got += cost[r * cols + assign[r]!]!;
      }
      expect(used.size).toBe(Math.min(rows, cols));
      let best = Infinity;
      if (rows <= cols) {
        for (const p of permutations([...Array(cols).keys()], rows)) best = Math.min(best, p.reduce((s, c, r) => s + cost[r * cols + c]!, 0));
      } else {
        for (const p of permutations([...Array(rows).keys()], cols)) best = Math.min(best, p.reduce((s, r, c) => s + cost[r * cols + c]!, 0));
      }
      expect(got).toBe(best);
    }), { numRuns: 300 });
  });

  it("rejects a cost array of the wrong size", () => {
    expect(() => linearAssignment([1, 2, 3], 2, 2)).toThrow(ShapeError);
  });
});

describe("clustering metrics: hand-computed cases", () => {
  it("accuracy matches clusters to classes one-to-one", () => {
    expect(clusteringAccuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 0, 2])).toBeCloseTo(5 / 6, 15);
    expect(clusteringAccuracy([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0.25);
    expect(clusteringAccuracy([5, 5, 9, 9], [1, 1, 0, 0])).toBe(1);
  });

  it("NMI: 1 for equal partitions, 0 for independent ones, scikit-learn's limit cases", () => {
    expect(nmi([0, 0, 1, 1], [1, 1, 0, 0])).toBeCloseTo(1, 15);
    expect(nmi([0, 0, 1, 1], [0, 1, 0, 1])).toBe(0);
    expect(nmi([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(nmi([3, 3, 3], [7, 7, 7])).toBe(1);
    // MI of [0,0,1,1] and [0,0,1,2] is ln 2; entropies ln 2 and 1.5 ln 2.
    expect(nmi([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(1 / 1.25, 14);
  });

  it("ARI: the values scikit-learn documents, including the -1/2 extreme", () => {
    expect(ari([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 14);
    expect(ari([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(4 / 7, 14);
    expect(ari([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(ari([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 15);
    expect(ari([0, 1, 2], [4, 5, 6])).toBe(1);
  });

  it("ARI is near 0 and NMI exactly 0 for an independent (product) labelling", () => {
    const n = 120;
    const a = Array.from({ length: n }, (_, i) => i % 3), b = Array.from({ length: n }, (_, i) => Math.floor(i / 3) % 4);
    // Pair counts: index 12 C(10,2) = 540, rows 3 C(40,2) = 2340, columns 4 C(30,2) = 1740, all C(120,2) = 7140.
    const expected = (2340 * 1740) / 7140;
    expect(ari(a, b)).toBeCloseTo((540 - expected) / ((2340 + 1740) / 2 - expected), 14);
    expect(Math.abs(ari(a, b))).toBeLessThan(0.03);
    expect(nmi(a, b)).toBe(0);
    const u = uniform(key(3), 4000);
    const r1 = Array.from(u.subarray(0, 2000), (v) => Math.floor(v * 4)), r2 = Array.from(u.subarray(2000), (v) => Math.floor(v * 5));
    expect(Math.abs(ari(r1, r2))).toBeLessThan(0.01);
  });

  it("silhouette of two 1-d pairs", () => {
    // Points 0, 1 | 5, 6: a = 1 everywhere, b = 5.5 for the outer points and 4.5 for the inner.
    expect(silhouette(mat([0, 1, 5, 6], 4, 1), [0, 0, 1, 1])).toBeCloseTo((9 / 11 + 7 / 9) / 2, 15);
    // A singleton cluster scores 0.
    expect(silhouette(mat([0, 1, 9], 3, 1), [0, 0, 1])).toBeCloseTo((8 / 9 + 7 / 8) / 3, 15);
  });
});

describe("clustering metrics: properties", () => {
  it("ACC, NMI and ARI do not change when the labels of either side are renamed", () => {
    fc.assert(fc.property(labelling, ({ a, b, rename }) => {
      const ra = a.map((v) => rename[v]!), rb = b.map((v) => rename[(v + 3) % 7]!);
      expect(clusteringAccuracy(ra, rb)).toBe(clusteringAccuracy(a, b));
      expect(nmi(ra, rb)).toBeCloseTo(nmi(a, b), 12);
      expect(ari(ra, rb)).toBeCloseTo(ari(a, b), 12);
    }), { numRuns: 200 });
  });

  it("ACC, NMI and ARI are 1 for identical labellings up to renaming", () => {
    fc.assert(fc.property(labelling, ({ a, rename }) => {
      const ra = a.map((v) => rename[v]!);
      expect(clusteringAccuracy(a, ra)).toBe(1);
      expect(nmi(a, ra)).toBeCloseTo(1, 12);
      expect(ari(a, ra)).toBe(1);
    }), { numRuns: 200 });
  });

  it("stay in their ranges: ACC in [1/k', 1], NMI in [0, 1], ARI in [-1/2, 1]", () => {
    fc.assert(fc.property(labelling, ({ a, b }) => {
      const k = Math.max(new Set(a).size, new Set(b).size);
      const acc = clusteringAccuracy(a, b), m = nmi(a, b), r = ari(a, b);
      expect(acc).toBeGreaterThanOrEqual(1 / k - 1e-15);
      expect(acc).toBeLessThanOrEqual(1);
      expect(m).toBeGreaterThanOrEqual(0);
      expect(m).toBeLessThanOrEqual(1);
      expect(r).toBeGreaterThanOrEqual(-0.5 - 1e-12);
      expect(r).toBeLessThanOrEqual(1 + 1e-12);
    }), { numRuns: 300 });
  });

  it("silhouette stays in [-1, 1] and its GEMM paths agree with the host's float64", () => {
    const ref = new ReferenceBackend();
    fc.assert(fc.property(fc.integer({ min: 4, max: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e6 }), (n, d, seed) => {
      const x = normalF64(key(seed), n * d);
      const labels = Array.from(uniform(key(seed + 1), n), (v, i) => (i < 2 ? i : i === n - 1 ? 0 : Math.floor(v * 3)));
      const host = silhouette(mat(x, n, d), labels);
      expect(host).toBeGreaterThanOrEqual(-1);
      expect(host).toBeLessThanOrEqual(1);
      expectClose(silhouette(mat(x, n, d), labels, { backend: ref }), host, { atol: 1e-12 });
      expectClose(silhouette(mat(x, n, d), labels, { backend: defaultBackend() }), host, { atol: 1e-4 });
    }), { numRuns: 60 });
  });
});

describe("embedding metrics", () => {
  it("trustworthiness and continuity are exactly 1 for the identity and for a rotation plus translation", () => {
    fc.assert(fc.property(fc.integer({ min: 7, max: 40 }), fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 6.28, noNaN: true }), (n, seed, angle) => {
      const x = normalF64(key(seed), n * 3);
      const k = Math.max(1, Math.floor((n - 1) / 2) - 1);
      expect(trustworthiness(mat(x, n, 3), mat(x, n, 3), k)).toBe(1);
      expect(continuity(mat(x, n, 3), mat(x, n, 3), k)).toBe(1);
      const c = Math.cos(angle), s = Math.sin(angle), y = new Float64Array(n * 3);
      for (let i = 0; i < n; i++) {
        const [a, b, z] = [x[i * 3]!, x[i * 3 + 1]!, x[i * 3 + 2]!];
        y[i * 3] = c * a - s * b + 4; y[i * 3 + 1] = s * a + c * b - 2; y[i * 3 + 2] = z + 0.5;
      }
      expect(trustworthiness(mat(x, n, 3), mat(y, n, 3), k)).toBe(1);
      expect(continuity(mat(x, n, 3), mat(y, n, 3), k)).toBe(1);
    }), { numRuns: 40 });
  });

  it("stay in [0, 1] and continuity is trustworthiness with the roles swapped", () => {
    fc.assert(fc.property(fc.integer({ min: 5, max: 30 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
      const hi = normalF64(key(seed), n * 4), lo = normalF64(key(seed + 7), n * 2);
      const k = 1 + (seed % Math.floor((n - 1) / 2));
      const t = trustworthiness(mat(hi, n, 4), mat(lo, n, 2), k), c = continuity(mat(hi, n, 4), mat(lo, n, 2), k);
      for (const v of [t, c]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
      expect(c).toBe(trustworthiness(mat(lo, n, 2), mat(hi, n, 4), k));
    }), { numRuns: 60 });
  });
});

describe("metrics: typed errors", () => {
  it("names mismatched lengths, bad k and NaN rows", () => {
    expect(() => nmi([0, 1, 1], [0, 1])).toThrow(ShapeError);
    expect(() => clusteringAccuracy([0, 1.5], [0, 1])).toThrow(ConfigError);
    expect(() => ari([], [])).toThrow(ConfigError);
    expect(() => silhouette(mat([0, 1, 2], 3, 1), [0, 0])).toThrow(ShapeError);
    expect(() => silhouette(mat([0, 1, 2], 3, 1), [0, 0, 0])).toThrow(/2..2 distinct labels/);
    expect(() => silhouette(mat([0, NaN, 2, 3], 4, 1), [0, 0, 1, 1])).toThrow(/row 1/);
    const x = mat(normalF64(key(1), 20), 10, 2);
    expect(() => trustworthiness(x, mat(new Float64Array(18), 9, 2), 2)).toThrow(ShapeError);
    expect(() => trustworthiness(x, x, 0)).toThrow(ConfigError);
    expect(() => continuity(x, x, 5)).toThrow(/k < n \/ 2/);
    const bad = Float64Array.from(x.data); bad[13] = Infinity;
    expect(() => trustworthiness(x, mat(bad, 10, 2), 2)).toThrow(/row 6/);
  });
});

interface Fixture {
  readonly sklearn: string;
  readonly labels: { labels: number[]; predicted: number[]; nmi: number; ari: number; accuracy: number }[];
  readonly silhouette: { n: number; d: number; x: number[]; labels: number[]; value: number }[];
  readonly embeddings: { n: number; D: number; d: number; k: number; high: number[]; low: number[]; trustworthiness: number; continuity: number }[];
}

describe("metrics: scikit-learn oracle (test/fixtures/metrics/make.py)", () => {
  const fixture = JSON.parse(readFileSync(new URL("../fixtures/metrics/sklearn.json", import.meta.url), "utf8")) as Fixture;

  it("NMI, ARI and matched accuracy", () => {
    for (const [i, c] of fixture.labels.entries()) {
      expectClose(nmi(c.labels, c.predicted), c.nmi, { rtol: 1e-12, atol: 1e-15, what: `nmi case ${i}` });
      expectClose(ari(c.labels, c.predicted), c.ari, { rtol: 1e-12, atol: 1e-15, what: `ari case ${i}` });
      expect(clusteringAccuracy(c.labels, c.predicted)).toBeCloseTo(c.accuracy, 14);
    }
  });

  it("silhouette", () => {
    for (const [i, c] of fixture.silhouette.entries()) {
      expectClose(silhouette(mat(c.x, c.n, c.d), c.labels), c.value, { rtol: 1e-12, atol: 1e-15, what: `silhouette case ${i}` });
    }
  });

  it("trustworthiness and continuity", () => {
    for (const [i, c] of fixture.embeddings.entries()) {
      expectClose(trustworthiness(mat(c.high, c.n, c.D), mat(c.low, c.n, c.d), c.k), c.trustworthiness, { rtol: 1e-12, what: `trustworthiness case ${i}` });
      expectClose(continuity(mat(c.high, c.n, c.D), mat(c.low, c.n, c.d), c.k), c.continuity, { rtol: 1e-12, what: `continuity case ${i}` });
    }
  });
});
