/** Principal components of wide data (pixels), where ./pca.ts's full diagonalisation is too slow. */
import { tensor, type Tensor } from "../tensor/tensor.js";
import { pca, type Pca } from "./pca.js";

/** Subspace-iteration steps of `widePca`, and the extra columns of its block. */
const SUBSPACE_STEPS = 40;
const SUBSPACE_EXTRA = 8;

/**
 * The top k principal components of x [n, d] for large d (pixels), where `pca`'s full Jacobi
 * diagonalisation of the d x d covariance is too slow: subspace iteration on the float64
 * covariance with a block of k + 8 columns from a fixed start, then the Rayleigh–Ritz step as
 * `pca` of the data's coordinates in that block. Components follow `pca`'s sign convention
 * (largest coordinate positive). Approximate: the leading directions converge at the rate of
 * the ratio of the (k + 9)-th to the k-th eigenvalue per step.
 */
export function widePca(x: Tensor, k: number): Pca {
  const [n, d] = x.shape as [number, number];
  if (d <= 64) return pca(x, k);
  const b = Math.min(d, k + SUBSPACE_EXTRA);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + x.data[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x.data[i * d + j]! - mean[j]!;
    for (let p = 0; p < d; p++) {
      const xp = row[p]!;
      if (xp === 0) continue;
      const base = p * d;
      for (let q = p; q < d; q++) cov[base + q] = cov[base + q]! + xp * row[q]!;
    }
  }
  for (let p = 0; p < d; p++) for (let q = p; q < d; q++) { cov[p * d + q] = cov[p * d + q]! / Math.max(n - 1, 1); cov[q * d + p] = cov[p * d + q]!; }
  // q: d x b, column-major (column c at c * d)
  let q = new Float64Array(d * b);
  for (let i = 0; i < d * b; i++) q[i] = Math.sin(12.9898 * (i + 1)) * 43758.5453 % 1;
  orthonormalise(q, d, b);
  for (let step = 0; step < SUBSPACE_STEPS; step++) {
    const z = new Float64Array(d * b);
    for (let c = 0; c < b; c++) {
      for (let p = 0; p < d; p++) {
        let s = 0;
        const base = p * d;
        for (let j = 0; j < d; j++) s += cov[base + j]! * q[c * d + j]!;
        z[c * d + p] = s;
      }
    }
    orthonormalise(z, d, b);
    q = z;
  }
  const y = new Float32Array(n * b);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x.data[i * d + j]! - mean[j]!;
    for (let c = 0; c < b; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += row[j]! * q[c * d + j]!;
      y[i * b + c] = s;
    }
  }
  const inner = pca(tensor(y, [n, b]), k);
  const components = inner.components.map((v) => {
    const c = new Float64Array(d);
    for (let a = 0; a < b; a++) for (let j = 0; j < d; j++) c[j] = c[j]! + v[a]! * q[a * d + j]!;
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(c[j]!) > Math.abs(big)) big = c[j]!;
    if (big < 0) for (let j = 0; j < d; j++) c[j] = -c[j]!;
    return c;
  });
  return { mean, components, variance: inner.variance };
}

/** Modified Gram–Schmidt on the b columns (length d, column-major) of m, in place. */
function orthonormalise(m: Float64Array, d: number, b: number): void {
  for (let c = 0; c < b; c++) {
    for (let prev = 0; prev < c; prev++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += m[c * d + j]! * m[prev * d + j]!;
      for (let j = 0; j < d; j++) m[c * d + j] = m[c * d + j]! - dot * m[prev * d + j]!;
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += m[c * d + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-300) { m.fill(0, c * d, (c + 1) * d); continue; }
    for (let j = 0; j < d; j++) m[c * d + j] = m[c * d + j]! / norm;
  }
}
