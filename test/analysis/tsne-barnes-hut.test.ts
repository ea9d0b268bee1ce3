// Sparse affinities and the Barnes-Hut gradient against the exact method (tsne-affinities.ts,
// tsne-objective.ts) and the float64 path (ReferenceBackend). Bounds tested:
// - sparse P with k = n - 1 neighbours equals the exact P bit for bit; with fewer, it is symmetric
//   (bit for bit), sums to 1 within 1e-12 and holds each point's true nearest neighbours;
// - theta = 0: the gradient equals tsneGradient within 1e-10 (normwise, relative) in float64 and
//   within 5e-6 on the kernels (their interaction lists are float32);
// - theta = 0.5, random Gaussian embeddings of 500 points at scales 1, 10, 50:
//   |g_BH - g| / |g| <= 0.05 (measured up to 0.03), and above 1e-4 (the tree does approximate);
// - the kernels and the float64 path run the same tree: within 5e-6 of each other at theta 0.5.
import { beforeAll, describe, expect, it } from "vitest";
import {
  nearestNeighbours, perplexityAffinities, sparseFromDense, sparsePerplexityAffinities, tsneGradient, tsneGradientBarnesHut,
  type SparseAffinities,
} from "../../src/analysis/index.js";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { ConfigError } from "../../src/nn/layer.js";
import { key, normalF64 } from "../../src/random/index.js";
import { ShapeError, tensor } from "../../src/tensor/tensor.js";
import { expectSameBits } from "../../src/testing/index.js";

beforeAll(() => { initSync(); });

function data(seed: number, n: number, d: number) {
  return tensor(Float32Array.from(normalF64(key(seed), n * d)), [n, d]);
}
function dense(p: SparseAffinities): Float64Array {
  const out = new Float64Array(p.n * p.n);
  for (let i = 0; i < p.n; i++) for (let e = p.rowPtr[i]!; e < p.rowPtr[i + 1]!; e++) out[i * p.n + p.cols[e]!] = p.values[e]!;
  return out;
}
/** |a - b| / |b|, Euclidean norms. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0, m = 0;
  for (let i = 0; i < b.length; i++) { e += (a[i]! - b[i]!) ** 2; m += b[i]! ** 2; }
  return Math.sqrt(e / m);
}

describe("sparse perplexity affinities", () => {
  it("with k = n - 1 neighbours equal the exact affinities bit for bit", () => {
    for (const [n, perplexity] of [[31, 10], [40, 5]] as const) {
      const x = data(n, n, 5);
      const sp = sparsePerplexityAffinities(x, perplexity, { neighbours: n - 1 });
      expect(sp.values.length).toBe(n * (n - 1));
      expectSameBits(dense(sp), perplexityAffinities(x, perplexity));
    }
  });

  it("with floor(3 perplexity) neighbours are symmetric, sum to 1 and hold every point's nearest neighbours", () => {
    const n = 300, perplexity = 7, k = 21, x = data(5, n, 6);
    const sp = sparsePerplexityAffinities(x, perplexity);
    const p = dense(sp), nb = nearestNeighbours(x, x, k + 1);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      expect(p[i * n + i]).toBe(0);
      for (let e = sp.rowPtr[i]! + 1; e < sp.rowPtr[i + 1]!; e++) expect(sp.cols[e]!).toBeGreaterThan(sp.cols[e - 1]!);
      expect(sp.rowPtr[i + 1]! - sp.rowPtr[i]!).toBeGreaterThanOrEqual(k);
      for (let t = 1; t <= k; t++) expect(p[i * n + nb.indices[i * (k + 1) + t]!]).toBeGreaterThan(0);
      for (let j = 0; j < n; j++) { sum += p[i * n + j]!; expect(p[i * n + j]).toBe(p[j * n + i]); }
    }
    expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
    expect(sp.values.length).toBeLessThan(2 * n * k);
    // The kNN is exact on any backend, so the float64 path gives the same bits.
    const again = sparsePerplexityAffinities(x, perplexity, { backend: new ReferenceBackend() });
    expectSameBits(again.values, sp.values);
    expect(Array.from(again.cols)).toEqual(Array.from(sp.cols));
  });

  it("drops the point itself when duplicates come first", () => {
    const base = Array.from(data(3, 12, 2).data);
    const x = tensor(Float32Array.from([...base.slice(0, 2), ...base.slice(0, 2), ...base.slice(2, 20)]), [11, 2]);
    const sp = sparsePerplexityAffinities(x, 2, { neighbours: 4 });
    for (let i = 0; i < 11; i++) for (let e = sp.rowPtr[i]!; e < sp.rowPtr[i + 1]!; e++) expect(sp.cols[e]).not.toBe(i);
    expect(dense(sp)[1]).toBeGreaterThan(0); // the duplicate pair keeps its affinity
  });

  it("throws ConfigError for bad neighbours or perplexity", () => {
    const x = data(1, 10, 3);
    expect(() => sparsePerplexityAffinities(x, 2, { neighbours: 0 })).toThrow(ConfigError);
    expect(() => sparsePerplexityAffinities(x, 2, { neighbours: 10 })).toThrow(/neighbours/);
    expect(() => sparsePerplexityAffinities(x, 0.2)).toThrow(/perplexity >= 1\/3/);
    expect(() => sparsePerplexityAffinities(x, 4)).toThrow(ConfigError);
  });
});

describe("Barnes-Hut gradient", () => {
  const n = 500, x = data(11, n, 5);
  const exactP = perplexityAffinities(x, 10), sp = sparseFromDense(exactP, n);

  it("theta = 0 is the exact gradient: 1e-10 in float64, 5e-6 on the kernels", () => {
    for (const spread of [0.01, 1, 30]) {
      const y = normalF64(key(spread * 100), 2 * n).map((v) => v * spread);
      const want = tsneGradient(exactP, y, n, 2);
      expect(relError(tsneGradientBarnesHut(sp, y, { theta: 0, backend: new ReferenceBackend() }), want), `f64, spread ${spread}`).toBeLessThan(1e-10);
      expect(relError(tsneGradientBarnesHut(sp, y, { theta: 0 }), want), `kernels, spread ${spread}`).toBeLessThan(5e-6);
    }
  });

  it("theta = 0.5 is within 5% of the exact gradient on random embeddings, and the same tree on both paths", () => {
    for (const spread of [1, 10, 50]) for (const seed of [1, 2, 3]) {
      const y = normalF64(key(seed * 1000 + spread), 2 * n).map((v) => v * spread);
      const want = tsneGradient(exactP, y, n, 2), got = tsneGradientBarnesHut(sp, y);
      const err = relError(got, want);
      expect(err, `spread ${spread} seed ${seed}`).toBeLessThan(0.05);
      expect(err, `spread ${spread} seed ${seed}: the tree approximates`).toBeGreaterThan(1e-4);
      expect(relError(got, tsneGradientBarnesHut(sp, y, { backend: new ReferenceBackend() }))).toBeLessThan(5e-6);
    }
  });

  it("frees what it allocates and throws typed errors for bad input", () => {
    const be = defaultBackend(), before = be.arena.allocatedBytes;
    const y = normalF64(key(9), 2 * n);
    tsneGradientBarnesHut(sp, y);
    expect(be.arena.allocatedBytes).toBe(before);
    expect(() => tsneGradientBarnesHut(sp, y.subarray(1))).toThrow(ShapeError);
    expect(() => tsneGradientBarnesHut(sp, y, { theta: -1 })).toThrow(/theta/);
    expect(() => tsneGradientBarnesHut(sp, y, { theta: NaN })).toThrow(ConfigError);
    const bad = y.slice(); bad[7] = Infinity;
    expect(() => tsneGradientBarnesHut(sp, bad)).toThrow(/row 3/);
    const broken = { ...sp, cols: sp.cols.map((c, e) => (e === 3 ? n : c)) };
    expect(() => tsneGradientBarnesHut(broken, y)).toThrow(ConfigError);
    expect(() => tsneGradientBarnesHut({ ...sp, values: sp.values.map((v, e) => (e === 0 ? -v : v)) }, y)).toThrow(/finite and >= 0/);
    expect(() => sparseFromDense(exactP, n + 1)).toThrow(ConfigError);
  });
});
