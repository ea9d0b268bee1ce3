// The PCA baseline: the GEMM PCA against analysis/pca.ts's full Jacobi diagonalisation (the oracle),
// and its size and error estimates against the files and reconstructions it then makes for real.
import { beforeAll, describe, expect, it } from "vitest";
import { pca } from "../../src/analysis/pca.js";
import { widePca } from "../../src/analysis/pca-wide.js";
import { choosePca, pcaAt, pcaBaseline, pcaCandidates, type PcaBaseline, type PcaCandidate } from "../../src/apps/compress/pca-baseline.js";
import { init } from "../../src/backend/default.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";

beforeAll(async () => { await init({ isa: "simd" }); });

/** n rows of d values: rank-r structure with distinct scales, plus noise, inside [lo, hi]. */
function data(n: number, d: number, r: number, seed: number, lo = 0.3, hi = 0.7): Tensor {
  let s = seed;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32 - 0.5; };
  const basis = Array.from({ length: r }, () => Float64Array.from({ length: d }, rnd));
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const w = Array.from({ length: r }, (_, k) => rnd() / (k + 1));
    for (let j = 0; j < d; j++) {
      let v = 0.5 + 0.01 * rnd();
      for (let k = 0; k < r; k++) v += 0.15 * w[k]! * basis[k]![j]!;
      out[i * d + j] = Math.min(hi, Math.max(lo, v));
    }
  }
  return tensor(out, [n, d]);
}

describe("widePca", () => {
  it("finds the components and variances the full diagonalisation finds", () => {
    const x = data(400, 80, 5, 11); // d > 64: the subspace iteration, not pca itself
    const got = widePca(x, 5), want = pca(x, 5);
    for (let c = 0; c < 5; c++) {
      expect(Math.abs(got.variance[c]! - want.variance[c]!)).toBeLessThan(1e-4 * want.variance[0]!);
      let dot = 0;
      for (let j = 0; j < 80; j++) dot += got.components[c]![j]! * want.components[c]![j]!;
      expect(Math.abs(dot)).toBeGreaterThan(0.999);
    }
  });
});

describe("the PCA baseline", () => {
  let base: PcaBaseline, candidates: PcaCandidate[];
  beforeAll(() => {
    base = pcaBaseline(data(300, 40, 6, 1), data(120, 40, 6, 2), 12);
    candidates = pcaCandidates(base);
  });

  it("estimates each file's size to within 2 bytes and its error exactly (no clipping inside [0.3, 0.7])", () => {
    for (const c of candidates.filter((_, i) => i % 7 === 0)) {
      const real = pcaAt(base, c.k, c.bits);
      expect(Math.abs(real.sizes.total - c.bytes), `k ${c.k} bits ${c.bits}`).toBeLessThanOrEqual(2);
      expect(real.psnr).toBeCloseTo(-10 * Math.log10(c.mse), 6);
    }
  });

  it("chooses the least error within a budget, and nothing below the smallest file", () => {
    const smallest = Math.min(...candidates.map((c) => c.bytes));
    expect(choosePca(candidates, smallest - 1)).toBeNull();
    for (const budget of [smallest, 150, 300, 1000]) {
      const pick = choosePca(candidates, budget)!;
      expect(pick.bytes).toBeLessThanOrEqual(budget);
      for (const c of candidates) if (c.bytes <= budget) expect(c.mse).toBeGreaterThanOrEqual(pick.mse);
    }
  });

  it("loses less with more components and more bits", () => {
    const at = (k: number, bits: number) => candidates.find((c) => c.k === k && c.bits === bits)!;
    expect(at(8, 6).mse).toBeLessThan(at(2, 6).mse);
    expect(at(8, 6).mse).toBeLessThan(at(8, 2).mse);
  });
});
