import { beforeAll, describe, expect, it } from "vitest";
import {
  conditionalAffinities, perplexityAffinities, trustworthiness, tsne, tsneCost, tsneGradient, TSNE_EXACT_MAX_POINTS,
} from "../../src/analysis/index.js";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { ConfigError } from "../../src/nn/layer.js";
import { foldIn, key, normalF64 } from "../../src/random/index.js";
import { ShapeError, tensor } from "../../src/tensor/tensor.js";
import { directionalCheck, expectClose, expectSameBits } from "../../src/testing/index.js";

beforeAll(() => { initSync(); });

function randomData(seed: number, n: number, d: number, scale = 1): Float32Array {
  return Float32Array.from(normalF64(key(seed), n * d), (v) => v * scale);
}

/** Three well-separated Gaussian blobs in d dimensions, n / 3 points each. */
function blobs(n: number, d: number): { x: Float32Array; labels: number[] } {
  const z = normalF64(key(99), n * d);
  const x = new Float32Array(n * d), labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(c);
    for (let j = 0; j < d; j++) x[i * d + j] = z[i * d + j]! + (j === c ? 20 : 0);
  }
  return { x, labels };
}

describe("tsne objective", () => {
  it("tsneGradient matches central differences of tsneCost over a flat Y (n 3..12, dims 1..3)", () => {
    let checks = 0;
    for (const dims of [1, 2, 3]) {
      for (const [seed, n] of [[1, 3], [2, 7], [3, 12]] as const) {
        const x = randomData(seed * 10 + dims, n, 4);
        const p = perplexityAffinities(tensor(x, [n, 4]), Math.min(2, (n - 1) / 3));
        const y = normalF64(key(seed * 100 + dims), n * dims);
        const grad = tsneGradient(p, y, n, dims);
        for (let dir = 0; dir < 3; dir++) {
          const c = directionalCheck((v) => tsneCost(p, v), y, grad, seed * 1000 + dims * 10 + dir);
          expect(c.ratio, `n ${n} dims ${dims} direction ${dir}: ${c.numeric} vs ${c.analytic}`).toBeLessThanOrEqual(1);
          checks++;
        }
      }
    }
    expect(checks).toBe(27);
  });

  it("tsneCost is zero when Q equals P and positive otherwise", () => {
    const n = 4, y = Float64Array.from([0, 0, 1, 0, 0, 1, 1, 1]);
    const w: number[] = [];
    let sum = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const d2 = (y[2 * i]! - y[2 * j]!) ** 2 + (y[2 * i + 1]! - y[2 * j + 1]!) ** 2;
      const v = i === j ? 0 : 1 / (1 + d2);
      w.push(v); sum += v;
    }
    const q = Float64Array.from(w, (v) => v / sum);
    expect(Math.abs(tsneCost(q, y))).toBeLessThan(1e-15);
    expect(tsneCost(new Float64Array(16).fill(1 / 12).map((v, i) => (i % 5 === 0 ? 0 : v)), Float64Array.from([0, 0, 1, 0, 0, 1, 5, 5]))).toBeGreaterThan(0.01);
  });
});

describe("perplexity affinities", () => {
  it("calibrates every row's conditional distribution to the requested perplexity", () => {
    for (const [seed, n, d, perplexity, scale] of [[1, 40, 5, 5, 1], [2, 60, 3, 15, 100], [3, 31, 10, 10, 0.01]] as const) {
      const p = conditionalAffinities(tensor(randomData(seed, n, d, scale), [n, d]), perplexity);
      const perplexities = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let sum = 0, h = 0;
        for (let j = 0; j < n; j++) {
          const v = p[i * n + j]!;
          sum += v;
          if (v > 0) h -= v * Math.log2(v);
        }
        expect(p[i * n + i]).toBe(0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
        perplexities[i] = 2 ** h;
      }
      expectClose(perplexities, new Float64Array(n).fill(perplexity), { rtol: 1e-4, what: `n ${n}, perplexity ${perplexity}` });
    }
  });

  it("gives a symmetric joint P summing to 1 with a zero diagonal", () => {
    const n = 50, d = 6;
    const p = perplexityAffinities(tensor(randomData(7, n, d), [n, d]), 8);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      expect(p[i * n + i]).toBe(0);
      for (let j = 0; j < n; j++) { sum += p[i * n + j]!; expect(p[i * n + j]).toBe(p[j * n + i]); }
    }
    expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
  });
});

describe("tsne", () => {
  const n = 90, d = 8;
  const { x } = blobs(n, d);
  const xt = tensor(x, [n, d]);

  it("is deterministic: the same key gives the same bits, another key another embedding", () => {
    const run = (seed: number) => tsne(xt, { key: key(seed), perplexity: 10, iterations: 60 });
    const a = run(5), b = run(5), c = run(6);
    expectSameBits(a.embedding.data, b.embedding.data);
    expect(a.cost).toBe(b.cost);
    expect(Array.from(a.embedding.data)).not.toEqual(Array.from(c.embedding.data));
  });

  it("PCA init is deterministic given the key and starts from std 1e-4 in the first component", () => {
    const a = tsne(xt, { key: key(1), perplexity: 10, iterations: 40, init: "pca" });
    const b = tsne(xt, { key: key(1), perplexity: 10, iterations: 40, init: "pca" });
    expectSameBits(a.embedding.data, b.embedding.data);
    const start = tsne(xt, { key: foldIn(key(1), 3), perplexity: 10, iterations: 0, init: "pca", dims: 3 });
    expect(start.embedding.shape).toEqual([n, 3]);
    let m = 0, s = 0;
    for (let i = 0; i < n; i++) m += start.embedding.data[i * 3]! / n;
    for (let i = 0; i < n; i++) s += (start.embedding.data[i * 3]! - m) ** 2 / n;
    expectClose(Math.sqrt(s), 1e-4, { rtol: 1e-5 });
  });

  it("separates 3 blobs (trustworthiness > 0.95) and the cost decreases over the run", () => {
    // For 90 points bhtsne's step 200 overshoots (the cost oscillates); openTSNE's rule
    // n / exaggeration gives about 8.
    const costs: [number, number][] = [];
    const r = tsne(xt, { key: key(2), perplexity: 10, iterations: 300, learningRate: 10, onProgress: (t, c) => costs.push([t, c]) });
    expect(r.embedding.shape).toEqual([n, 2]);
    expect(r.iterations).toBe(300);
    expect(costs.map(([t]) => t)).toEqual([50, 100, 150, 200, 250, 300]);
    expect(costs[5]![1]).toBe(r.cost);
    for (let i = 1; i < costs.length; i++) expect(costs[i]![1], `cost at ${costs[i]![0]}`).toBeLessThan(costs[i - 1]![1]);
    expect(Number.isFinite(r.cost) && r.cost > 0).toBe(true);
    expect(trustworthiness(xt, r.embedding, 5)).toBeGreaterThan(0.95);
  });

  it("throws typed errors for a bad perplexity, too few points, NaN rows, bad options and shapes", () => {
    expect(() => tsne(tensor(randomData(1, 10, 2), [10, 2]), { key: key(0), perplexity: 3.5 })).toThrow(ConfigError);
    expect(() => perplexityAffinities(tensor(randomData(1, 10, 2), [10, 2]), 0)).toThrow(ConfigError);
    expect(() => perplexityAffinities(tensor(randomData(1, 10, 2), [10, 2]), 3)).not.toThrow();
    expect(() => tsne(tensor(randomData(1, 1, 2), [1, 2]), { key: key(0), perplexity: 0.1 })).toThrow(ConfigError);
    const bad = randomData(1, 10, 2);
    bad[7 * 2 + 1] = NaN;
    expect(() => tsne(tensor(bad, [10, 2]), { key: key(0), perplexity: 2 })).toThrow(/row 7/);
    expect(() => tsne(tensor(bad, [10, 2]), { key: key(0), perplexity: 2 })).toThrow(ConfigError);
    expect(() => tsne(tensor(randomData(1, 12, 1), [12]), { key: key(0), perplexity: 2 })).toThrow(ShapeError);
    const ok = tensor(randomData(1, 10, 2), [10, 2]);
    expect(() => tsne(ok, { perplexity: 2 } as never)).toThrow(ConfigError);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, dims: 0 })).toThrow(ConfigError);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, learningRate: -1 })).toThrow(ConfigError);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, init: "spectral" as never })).toThrow(ConfigError);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, init: "pca", dims: 3 })).toThrow(ConfigError);
    expect(() => tsneGradient(new Float64Array(9), new Float64Array(5), 3, 2)).toThrow(ShapeError);
  });

  // t-SNE's descent amplifies rounding (measured here: equal to 1e-10 at 80 iterations, 2e-4 at 120
  // on the exact method; the Barnes-Hut float32 far field 1e-7 at 20, 4e-2 at 80), so whole runs are
  // compared over short horizons.
  it("the kernels' exact method follows the float64 oracle path (the original loop) over 60 iterations", () => {
    const opts = { key: key(4), perplexity: 10, iterations: 60, learningRate: 10, method: "exact" as const };
    const a = tsne(xt, opts), b = tsne(xt, { ...opts, backend: new ReferenceBackend() });
    expect(a.method).toBe("exact");
    let scale = 0;
    for (const v of b.embedding.data) scale = Math.max(scale, Math.abs(v));
    expectClose(a.embedding.data, b.embedding.data, { atol: 1e-7 * scale });
    expectClose(a.cost, b.cost, { rtol: 1e-7 });
  });

  it("Barnes-Hut separates the blobs, lowers its cost, and leaks nothing even when onProgress throws", () => {
    const be = defaultBackend();
    tsne(xt, { key: key(2), perplexity: 10, iterations: 1, method: "barnes-hut" }); // the backend's GEMM scratch, kept by it
    const before = be.arena.allocatedBytes;
    const costs: number[] = [];
    const r = tsne(xt, { key: key(2), perplexity: 10, iterations: 300, learningRate: 10, method: "barnes-hut", onProgress: (_t, c) => costs.push(c) });
    expect(r.method).toBe("barnes-hut");
    for (let i = 1; i < costs.length; i++) expect(costs[i]!, `cost ${i}`).toBeLessThan(costs[i - 1]!);
    expect(trustworthiness(xt, r.embedding, 5)).toBeGreaterThan(0.95);
    // Its cost (sparse P, Z from the tree) is close to the exact KL of the same embedding.
    const y = Float64Array.from(r.embedding.data);
    expectClose(r.cost, tsneCost(perplexityAffinities(xt, 10), y), { rtol: 0.05 });
    expect(be.arena.allocatedBytes).toBe(before);
    const fail = () => { throw new Error("stop"); };
    expect(() => tsne(xt, { key: key(2), perplexity: 10, iterations: 60, method: "barnes-hut", onProgress: fail })).toThrow("stop");
    expect(() => tsne(xt, { key: key(2), perplexity: 10, iterations: 60, method: "exact", onProgress: fail })).toThrow("stop");
    expect(be.arena.allocatedBytes).toBe(before);
  });

  it("Barnes-Hut on the kernels stays close to the float64 path (same tree) over 20 iterations", () => {
    const opts = { key: key(4), perplexity: 10, iterations: 20, learningRate: 10, method: "barnes-hut" as const };
    const a = tsne(xt, opts), b = tsne(xt, { ...opts, backend: new ReferenceBackend() });
    let scale = 0;
    for (const v of b.embedding.data) scale = Math.max(scale, Math.abs(v));
    expectClose(a.embedding.data, b.embedding.data, { atol: 2e-6 * scale });
  });

  it("method auto: exact up to TSNE_EXACT_MAX_POINTS points, Barnes-Hut above", () => {
    expect(tsne(xt, { key: key(1), perplexity: 10, iterations: 2 }).method).toBe("exact");
    const m = TSNE_EXACT_MAX_POINTS + 1, big = tensor(randomData(5, m, 3), [m, 3]);
    const r = tsne(big, { key: key(1), perplexity: 5, iterations: 2 });
    expect(r.method).toBe("barnes-hut");
    expect(r.embedding.shape).toEqual([m, 2]);
    expect(() => tsne(big, { key: key(1), perplexity: 5, iterations: 2, dims: 3 })).toThrow(/"auto"/);
    expect(tsne(big, { key: key(1), perplexity: 5, iterations: 0, dims: 3, method: "exact" }).method).toBe("exact");
    // The smallest Barnes-Hut problem: 4 points, 3 neighbours each.
    const tiny = tsne(tensor(randomData(6, 4, 2), [4, 2]), { key: key(1), perplexity: 1, iterations: 30, method: "barnes-hut" });
    expect(tiny.embedding.data.every(Number.isFinite) && Number.isFinite(tiny.cost)).toBe(true);
  });

  it("throws ConfigError for a bad method, theta, or Barnes-Hut with dims other than 2", () => {
    const ok = tensor(randomData(1, 10, 2), [10, 2]);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, method: "fast" as never })).toThrow(/method/);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, theta: -0.5 })).toThrow(/theta/);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, theta: Infinity })).toThrow(ConfigError);
    expect(() => tsne(ok, { key: key(0), perplexity: 2, method: "barnes-hut", dims: 3 })).toThrow(/dims = 2/);
    expect(() => tsne(ok, { key: key(0), perplexity: 0.3, method: "barnes-hut" })).toThrow(/perplexity/);
  });
});
