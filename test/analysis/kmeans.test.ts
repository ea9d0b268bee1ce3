import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { kmeans } from "../../src/analysis/index.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { ConfigError } from "../../src/nn/layer.js";
import { key, normalF64 } from "../../src/random/index.js";
import { ShapeError, tensor, type Tensor } from "../../src/tensor/tensor.js";
import { expectClose, expectDeterministic } from "../../src/testing/index.js";

beforeAll(() => { initSync(); });

interface Fixture {
  sklearn: string;
  n: number;
  d: number;
  data: number[];
  truth: number[];
  fits: { k: number; inertia: number; iterations: number; centres: number[][]; labels: number[] }[];
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/kmeans/blobs.json", import.meta.url)), "utf8")) as Fixture;
const blobs = tensor(Float32Array.from(fixture.data), [fixture.n, fixture.d]);

const rows = (pts: number[][]): Tensor => tensor(Float32Array.from(pts.flat()), [pts.length, pts[0]!.length]);

/** Checks that labels equal truth up to a renaming of the clusters. */
function samePartition(labels: Int32Array, truth: ArrayLike<number>): void {
  const fwd = new Map<number, number>(), back = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i]!, b = truth[i]!;
    if (!fwd.has(a)) fwd.set(a, b);
    if (!back.has(b)) back.set(b, a);
    expect(fwd.get(a), `row ${i}`).toBe(b);
    expect(back.get(b), `row ${i}`).toBe(a);
  }
}

/** Float64 squared distance of row i of x [n, d] to row j of c [k, d]. */
function sq(x: ArrayLike<number>, i: number, c: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += (x[i * d + t]! - c[j * d + t]!) ** 2;
  return s;
}

describe("kmeans: hand-computed cases", () => {
  // Three squares of side 2 far apart: each square's mean is its centre, and each corner is at
  // squared distance 2 from it, so the optimum has inertia 12 * 2 = 24.
  const square = (cx: number, cy: number) => [[cx - 1, cy - 1], [cx + 1, cy - 1], [cx - 1, cy + 1], [cx + 1, cy + 1]];
  const pts = [...square(0, 0), ...square(100, 100), ...square(-100, 50)];
  const order = [5, 0, 11, 3, 8, 1, 6, 10, 2, 9, 7, 4];
  const x = rows(order.map((i) => pts[i]!));
  const truth = order.map((i) => Math.floor(i / 4));

  it("finds the true partition of well-separated blobs, with the exact inertia and means", () => {
    for (const seed of [0, 1, 2, 3]) {
      const r = kmeans(x, 3, { key: key(seed) });
      samePartition(r.labels, truth);
      expect(r.inertia).toBe(24);
      const want = [[0, 0], [100, 100], [-100, 50]];
      for (let j = 0; j < 3; j++) {
        const g = truth[r.labels.indexOf(j)]!;
        expect(Array.from(r.centroids.data.subarray(j * 2, j * 2 + 2))).toEqual(want[g]);
      }
      expect(r.centroids.shape).toEqual([3, 2]);
    }
  });

  it("gives inertia 0 for k = n, one point per cluster", () => {
    const r = kmeans(x, 12, { key: key(7) });
    expect(r.inertia).toBe(0);
    expect([...r.labels].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    for (let i = 0; i < 12; i++) {
      expect(Array.from(r.centroids.data.subarray(r.labels[i]! * 2, r.labels[i]! * 2 + 2))).toEqual(Array.from(x.data.subarray(i * 2, i * 2 + 2)));
    }
  });

  it("gives the mean and the total squared deviation for k = 1", () => {
    const n = 257, d = 3;
    const v = Float32Array.from(normalF64(key(3), n * d), (z, i) => 5 * z + 40 * (i % d));
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] = mean[t]! + v[i * d + t]! / n;
    let total = 0;
    for (let i = 0; i < n; i++) total += sq(v, i, mean, 0, d);
    const r = kmeans(tensor(v, [n, d]), 1, { key: key(0) });
    expect(r.labels.every((l) => l === 0)).toBe(true);
    expectClose(r.centroids.data, mean, { ulps: 1, what: "k = 1 centroid" });
    expectClose(r.inertia, total, { rtol: 1e-12, what: "k = 1 inertia" });
  });

  it("accepts strided input and gives the same result as the contiguous copy", () => {
    const t = { data: x.data, shape: [6, 2], stride: [4, 1], offset: 2 };
    const copy = rows(Array.from({ length: 6 }, (_, i) => [x.data[2 + 4 * i]!, x.data[3 + 4 * i]!]));
    const a = kmeans(t, 2, { key: key(1) }), b = kmeans(copy, 2, { key: key(1) });
    expect(a.labels).toEqual(b.labels);
    expect(a.inertia).toBe(b.inertia);
  });
});

describe("kmeans: determinism", () => {
  it("gives the same bits for the same key", () => {
    expectDeterministic(() => {
      const r = kmeans(blobs, 5, { key: key(42), nInit: 2 });
      return [r.labels, r.centroids.data, [r.inertia, r.iterations]];
    }, { runs: 3, what: "kmeans" });
  });

  it("seeds from the key: single restarts from different keys reach different local optima", () => {
    const inertias = new Set<number>();
    for (let s = 0; s < 8; s++) inertias.add(kmeans(blobs, 6, { key: key(s), nInit: 1 }).inertia);
    expect(inertias.size).toBeGreaterThan(1);
  });

  it("agrees with the float64 reference backend on the blobs", () => {
    const a = kmeans(blobs, 4, { key: key(5) });
    const b = kmeans(blobs, 4, { key: key(5), backend: new ReferenceBackend() });
    expect(a.labels).toEqual(b.labels);
    expectClose(a.inertia, b.inertia, { rtol: 1e-12 });
  });
});

describe("kmeans: the kernel path (WasmBackend) and the host path", () => {
  // The same wasm backend behind an object that is not a WasmBackend takes the host path (its
  // GEMM, host combine and sums): every result must be the same bits as through the kernels.
  const hostPath = (be: WasmBackend): Backend<Buffer> => new Proxy({}, {
    get: (_t, p) => { const v = (be as unknown as Record<string | symbol, unknown>)[p]; return typeof v === "function" ? v.bind(be) : v; },
  }) as Backend<Buffer>;

  it("give identical labels, centroids, inertia and iterations, and the kernels free their memory", () => {
    const be = defaultBackend();
    expect(be).toBeInstanceOf(WasmBackend);
    const host = hostPath(be);
    expect(host).not.toBeInstanceOf(WasmBackend);
    const cases: [number, number, number][] = [[1, 1, 1], [1, 3, 1], [2, 1, 2], [7, 3, 3], [50, 5, 4], [203, 7, 5],
      [301, 20, 10], [130, 9, 13], [40, 600, 3]];
    for (const [n, d, k] of cases) {
      const r = normalF64(key(n * 31 + d), n * d);
      const x = tensor(Float32Array.from(r, (v, i) => v + (i % d) * 3 + Math.floor(i / d) % k * 2), [n, d]);
      const tag = `n ${n} d ${d} k ${k}`;
      const before = be.arena.allocatedBytes;
      const a = kmeans(x, k, { key: key(d), nInit: 2, backend: be });
      // d = 600 takes the GEMM path, whose scratch the backend keeps (grown once, reused).
      if (d <= 576) expect(be.arena.allocatedBytes, tag).toBe(before);
      const b = kmeans(x, k, { key: key(d), nInit: 2, backend: host });
      expect(a.labels, tag).toEqual(b.labels);
      expect(Object.is(a.inertia, b.inertia), tag).toBe(true);
      expect(a.iterations, tag).toBe(b.iterations);
      expect(Array.from(a.centroids.data), tag).toEqual(Array.from(b.centroids.data));
    }
  });
});

describe("kmeans: the result is a local optimum", () => {
  it("labels each point with its nearest centroid, and each centroid is the mean of its points", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 1e6 }), (n, d, kWant, seed) => {
        const k = Math.min(kWant, n);
        const x = Float32Array.from(normalF64(key(seed), n * d), (z, i) => z * (1 + (i % d)) + 3);
        const r = kmeans(tensor(x, [n, d]), k, { key: key(seed + 1), tol: 0 });
        const c = r.centroids.data;
        const sums = new Float64Array(k * d), counts = new Int32Array(k);
        let inertia = 0;
        for (let i = 0; i < n; i++) {
          const l = r.labels[i]!;
          expect(l >= 0 && l < k).toBe(true);
          counts[l] = counts[l]! + 1;
          for (let t = 0; t < d; t++) sums[l * d + t] = sums[l * d + t]! + x[i * d + t]!;
          const own = sq(x, i, c, l, d);
          inertia += own;
          for (let j = 0; j < k; j++) expect(own).toBeLessThanOrEqual(sq(x, i, c, j, d) + 1e-4 * (1 + own));
        }
        for (let j = 0; j < k; j++) {
          if (counts[j] === 0) continue;
          const mean = Array.from({ length: d }, (_, t) => sums[j * d + t]! / counts[j]!);
          expectClose(c.subarray(j * d, j * d + d), mean, { rtol: 1e-6, atol: 1e-6, what: `centroid ${j}` });
        }
        expectClose(r.inertia, inertia, { rtol: 1e-5, atol: 1e-9, what: "inertia" });
        expect(r.iterations).toBeGreaterThanOrEqual(1);
      }), { numRuns: 60 });
  });
});

describe("kmeans: scikit-learn oracle (test/fixtures/kmeans/make.py)", () => {
  for (const fit of fixture.fits) {
    it(`k = ${fit.k}: inertia within 0.5% of scikit-learn ${fixture.sklearn} (${fit.inertia.toFixed(3)})`, () => {
      const r = kmeans(blobs, fit.k, { key: key(0), nInit: 4 });
      const rel = (r.inertia - fit.inertia) / fit.inertia;
      expect(Math.abs(rel), `latent ${r.inertia}, scikit-learn ${fit.inertia}`).toBeLessThanOrEqual(0.005);
    });
  }

  it("k = 2, 3, 4 reach scikit-learn's partition (up to renaming) and its inertia to 1e-12", () => {
    for (const fit of fixture.fits.filter((f) => f.k <= 4)) {
      const r = kmeans(blobs, fit.k, { key: key(0) });
      samePartition(r.labels, fit.labels);
      expectClose(r.inertia, fit.inertia, { rtol: 1e-12, what: `k = ${fit.k} inertia` });
    }
  });
});

describe("kmeans: errors", () => {
  const x = rows([[0, 0], [1, 1], [2, 2]]);
  it("rejects k outside 1..n", () => {
    expect(() => kmeans(x, 4, { key: key(0) })).toThrow(ConfigError);
    expect(() => kmeans(x, 4, { key: key(0) })).toThrow(/k \(4\) must not exceed the number of rows \(3\)/);
    expect(() => kmeans(x, 0, { key: key(0) })).toThrow(ConfigError);
    expect(() => kmeans(x, 1.5, { key: key(0) })).toThrow(ConfigError);
  });

  it("names the row holding a NaN", () => {
    const bad = rows([[0, 0], [1, 1], [2, Number.NaN], [3, 3]]);
    expect(() => kmeans(bad, 2, { key: key(0) })).toThrow(ConfigError);
    expect(() => kmeans(bad, 2, { key: key(0) })).toThrow(/row 2/);
  });

  it("rejects bad options and a bad x", () => {
    expect(() => kmeans(x, 2, { key: key(0), nInit: 0 })).toThrow(ConfigError);
    expect(() => kmeans(x, 2, { key: key(0), maxIter: 2.5 })).toThrow(ConfigError);
    expect(() => kmeans(x, 2, { key: key(0), tol: -1 })).toThrow(ConfigError);
    expect(() => kmeans(x, 2, {} as never)).toThrow(ConfigError);
    expect(() => kmeans(tensor(new Float32Array(4), [4]), 2, { key: key(0) })).toThrow(ShapeError);
    expect(() => kmeans(tensor(new Float32Array(0), [0, 2]), 1, { key: key(0) })).toThrow(ShapeError);
    expect(() => kmeans({ data: new Float32Array(3), shape: [2, 2], stride: [2, 1], offset: 0 }, 1, { key: key(0) })).toThrow(ShapeError);
  });
});
