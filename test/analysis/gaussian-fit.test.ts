// The Gaussian fitted to codes for `latent compare`: the Cholesky factor against a hand-worked
// case, the fit against a one-pass oracle, the ridge for a singular covariance, and draws whose
// sample mean and covariance match the fit within standard-error bounds (with a wrong factor
// shown to fail the same bounds, so the check has power).
import { describe, expect, it } from "vitest";
import { cholesky, fitGaussian, projectGaussian, sampleGaussian, type GaussianFit } from "../../src/analysis/gaussian-fit.js";
import { key, split } from "../../src/random/index.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";

function matmulT(l: ArrayLike<number>, d: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) { let s = 0; for (let k = 0; k < d; k++) s += l[i * d + k]! * l[j * d + k]!; out.push(s); }
  return out;
}

/** Mean and unbiased covariance by the one-pass formula (sum x x^T - n m m^T) / (n - 1), an oracle independent of the two-pass fit. */
function oracle(rows: number[][]): { mean: number[]; cov: number[] } {
  const n = rows.length, d = rows[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const cov: number[] = [];
  for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) cov.push((rows.reduce((s, r) => s + r[p]! * r[q]!, 0) - n * mean[p]! * mean[q]!) / (n - 1));
  return { mean, cov };
}

const t = (rows: number[][]): Tensor => tensor(Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]);

describe("cholesky", () => {
  it("factors a hand-worked 3 x 3 matrix", () => {
    // [[2,0,0],[1,3,0],[-1,1,2]] times its transpose, worked by hand.
    const a = [4, 2, -2, 2, 10, 2, -2, 2, 6];
    expect(Array.from(cholesky(a, 3)!)).toEqual([2, 0, 0, 1, 3, 0, -1, 1, 2]);
  });
  it("returns null for matrices that are not positive definite", () => {
    expect(cholesky([1, 2, 2, 1], 2)).toBeNull();
    expect(cholesky([0], 1)).toBeNull();
    expect(cholesky([1, 1, 1, 1], 2)).toBeNull();
    expect(cholesky([NaN], 1)).toBeNull();
  });
  it("refuses a matrix of the wrong size", () => {
    expect(() => cholesky([1, 2, 3], 2)).toThrow(/expected 2 x 2/);
  });
});

describe("fitGaussian", () => {
  const rows = [[1, 2, 0.5], [3, -1, 2], [0, 0, 1], [2, 5, -1], [-1, 1, 0], [4, 2, 3]];
  it("has the column means, the unbiased covariance and its Cholesky factor", () => {
    const fit = fitGaussian(t(rows));
    const o = oracle(rows);
    expect(fit.n).toBe(6);
    expect(fit.d).toBe(3);
    Array.from(fit.mean).forEach((v, j) => expect(v).toBeCloseTo(o.mean[j]!, 12));
    Array.from(fit.covariance).forEach((v, j) => expect(v).toBeCloseTo(o.cov[j]!, 12));
    expect(fit.ridge).toBe(0);
    matmulT(fit.cholesky, 3).forEach((v, j) => expect(v).toBeCloseTo(o.cov[j]!, 12));
    for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) expect(fit.cholesky[i * 3 + j]).toBe(0);
  });
  it("reads strided tensors", () => {
    // the transpose of a [3, 6] tensor, read through its strides
    const flat = Float32Array.from([0, 1, 2].flatMap((j) => rows.map((r) => r[j]!)));
    const fit = fitGaussian({ data: flat, shape: [6, 3], stride: [1, 6], offset: 0 });
    expect(Array.from(fit.mean)).toEqual(Array.from(fitGaussian(t(rows)).mean));
  });
  it("adds the smallest ridge that makes a singular covariance positive definite", () => {
    // z2 = 2 z1: rank one. The ridge is a tiny fraction of the scale and L L^T = cov + ridge I.
    const singular = [[1, 2], [2, 4], [-1, -2], [0.5, 1]];
    const fit = fitGaussian(t(singular));
    const o = oracle(singular);
    expect(fit.ridge).toBeGreaterThan(0);
    expect(fit.ridge).toBeLessThan(1e-6 * (o.cov[0]! + o.cov[3]!));
    matmulT(fit.cholesky, 2).forEach((v, j) => expect(v).toBeCloseTo(o.cov[j]! + (j % 3 === 0 ? fit.ridge : 0), 10));
    // constant codes: all-zero covariance, still a usable factor
    const flatFit = fitGaussian(t([[3, 3], [3, 3], [3, 3]]));
    expect(flatFit.ridge).toBeGreaterThan(0);
    expect(Array.from(sampleGaussian(flatFit, key(1), 5).data).every((v) => Math.abs(v - 3) < 1e-3)).toBe(true);
  });
  it("refuses fewer than two rows and non-finite values", () => {
    expect(() => fitGaussian(t([[1, 2]]))).toThrow(/at least 2 rows/);
    expect(() => fitGaussian(t([[1, 2], [NaN, 1]]))).toThrow(/row 1 holds a non-finite value/);
  });
});

describe("sampleGaussian", () => {
  const d = 3;
  const cov = [4, 2, -2, 2, 10, 2, -2, 2, 6].map((v) => v / 4);
  const fit: GaussianFit = { d, n: 100, mean: Float64Array.from([1, -2, 0.5]), covariance: Float64Array.from(cov), cholesky: cholesky(cov, d)!, ridge: 0 };
  const N = 40_000;

  /** Largest |sample - fitted| over the means and covariances, in standard errors. */
  function worstZ(draws: Tensor): number {
    const x = draws.data;
    const m = Array.from({ length: d }, (_, j) => { let s = 0; for (let i = 0; i < N; i++) s += x[i * d + j]!; return s / N; });
    let worst = 0;
    for (let j = 0; j < d; j++) worst = Math.max(worst, Math.abs(m[j]! - fit.mean[j]!) / Math.sqrt(cov[j * d + j]! / N));
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += (x[i * d + p]! - m[p]!) * (x[i * d + q]! - m[q]!);
        // Var of a sample covariance of Gaussians: (S_pq^2 + S_pp S_qq) / N.
        const se = Math.sqrt((cov[p * d + q]! ** 2 + cov[p * d + p]! * cov[q * d + q]!) / N);
        worst = Math.max(worst, Math.abs(s / (N - 1) - cov[p * d + q]!) / se);
      }
    }
    return worst;
  }

  it("draws have the fitted mean and covariance within 4 standard errors", () => {
    const draws = sampleGaussian(fit, key(7), N);
    expect(draws.shape).toEqual([N, d]);
    expect(worstZ(draws)).toBeLessThan(4);
  });
  it("fails the same bounds with a wrong factor (the upper triangle, of which only the diagonal is read)", () => {
    const upper = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) upper[i * d + j] = fit.cholesky[j * d + i]!;
    expect(worstZ(sampleGaussian({ ...fit, cholesky: upper }, key(7), N))).toBeGreaterThan(20);
  });
  it("is a function of the key", () => {
    const [k1, k2] = split(key(3));
    expect(sampleGaussian(fit, k1!, 10).data).toEqual(sampleGaussian(fit, k1!, 10).data);
    expect(sampleGaussian(fit, k1!, 10).data).not.toEqual(sampleGaussian(fit, k2!, 10).data);
    // draw i uses eps[i*d .. (i+1)*d): the first draws do not depend on the count
    expect(sampleGaussian(fit, k1!, 3).data).toEqual(sampleGaussian(fit, k1!, 10).data.subarray(0, 3 * d));
  });
  it("refitting many draws gives the fit back", () => {
    const refit = fitGaussian(sampleGaussian(fit, key(11), N));
    for (let j = 0; j < d; j++) expect(Math.abs(refit.mean[j]! - fit.mean[j]!)).toBeLessThan(4 * Math.sqrt(cov[j * d + j]! / N));
  });
});

describe("projectGaussian", () => {
  it("maps the mean and covariance through the rows, with the ridge and an origin", () => {
    const cov = [4, 2, -2, 2, 10, 2, -2, 2, 6];
    const fit: GaussianFit = { d: 3, n: 10, mean: Float64Array.from([1, 2, 3]), covariance: Float64Array.from(cov), cholesky: cholesky(cov, 3)!, ridge: 0.5 };
    const p = projectGaussian(fit, [[1, 1, 0], [0, 0, 2]], [1, 0, 1]);
    // a = z1 + z2 about origin (1, 0, 1): mean 0 + 2; var 4 + 10 + 2*2 + 2*0.5 ridge
    // b = 2 z3: mean 2 * (3 - 1); var 4 * (6 + 0.5); cov(a, b) = 2 * (-2 + 2)
    expect(Array.from(p.mean)).toEqual([2, 4]);
    expect(Array.from(p.covariance)).toEqual([19, 0, 0, 26]);
  });
});
