import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { pca, project } from "../../src/analysis/pca.js";
import { key, normalF64 } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";

describe("pca", () => {
  it("recovers the axes of an axis-aligned Gaussian cloud, largest variance first", () => {
    const n = 4000, z = normalF64(key(1), n * 3);
    const x = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) { x[i * 3] = 0.5 * z[i * 3]! + 7; x[i * 3 + 1] = 3 * z[i * 3 + 1]!; x[i * 3 + 2] = 1.5 * z[i * 3 + 2]!; }
    const p = pca(tensor(x, [n, 3]), 2);
    expect(Math.abs(p.components[0]![1]!)).toBeGreaterThan(0.999);
    expect(Math.abs(p.components[1]![2]!)).toBeGreaterThan(0.999);
    expect(p.variance[0]).toBeCloseTo(9, 0);
    expect(p.mean[0]).toBeCloseTo(7, 1);
  });

  it("gives orthonormal components whose projections have the reported variances", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (n, d, seed) => {
      const x = Float32Array.from(normalF64(key(seed), n * d), (v, i) => v * (1 + (i % d)));
      const k = d;
      const p = pca(tensor(x, [n, d]), k);
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += p.components[a]![j]! * p.components[b]![j]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 6);
      }
      const y = project(p, tensor(x, [n, d]));
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += y.data[i * k + c]! ** 2;
        expect(s / Math.max(n - 1, 1)).toBeCloseTo(p.variance[c]!, 2);
        if (c > 0) expect(p.variance[c]!).toBeLessThanOrEqual(p.variance[c - 1]! + 1e-9);
      }
    }), { numRuns: 40 });
  });

  it("rejects a k outside 1..d", () => {
    expect(() => pca(tensor(new Float32Array(6), [3, 2]), 3)).toThrow(/k must be in 1..2/);
  });
});
