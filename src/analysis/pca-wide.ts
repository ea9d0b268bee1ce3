/**
 * Principal components of wide data (pixels), where ./pca.ts's full Jacobi diagonalisation of
 * the d x d covariance is too slow (d <= 64 goes to pca itself). On the backend's GEMM (f32
 * kernels): the covariance Xc^T Xc / (m - 1) of the centred data by one GEMM, subspace iteration
 * on a block of k + 16 columns from a fixed start (40 products, each orthonormalised in float64 by
 * modified Gram-Schmidt), then the Rayleigh-Ritz step as pca of the data's coordinates in the
 * block. The leading directions converge at the rate of the ratio of the (k + 17)-th to the k-th
 * eigenvalue per step; they carry the f32 covariance's rounding (relative 1e-6 of the largest
 * variance). The components are orthonormal to float64 precision. Sign: largest coordinate
 * positive, as pca. Layouts: row-major, except the block Q [d, b], held column-major (column c at
 * c * d), which is row-major Q^T [b, d]: the form the GEMM and the Gram-Schmidt read contiguously.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { ShapeError, tensor, type Tensor } from "../tensor/tensor.js";
import { pca, type Pca } from "./pca.js";

/** Subspace-iteration steps, and the extra columns of the block. */
const STEPS = 40;
const EXTRA = 16;

/** Modified Gram-Schmidt on the b columns of the column-major [d, b] matrix q (column c at c * d), in place. */
function orthonormalise(q: Float64Array, d: number, b: number): void {
  for (let c = 0; c < b; c++) {
    const cc = c * d;
    for (let p = 0; p < c; p++) {
      const pp = p * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += q[cc + j]! * q[pp + j]!;
      for (let j = 0; j < d; j++) q[cc + j] = q[cc + j]! - dot * q[pp + j]!;
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += q[cc + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < d; j++) q[cc + j] = norm > 1e-300 ? q[cc + j]! / norm : 0;
  }
}

const asBackend = (be?: Backend<Buffer>): Backend<Buffer> => be ?? (defaultBackend() as unknown as Backend<Buffer>);

/** Rows [start, start + count) of x minus the mean, as float32. */
function centredRows(x: Tensor, mean: Float64Array, start: number, count: number): Float32Array {
  const d = mean.length;
  const out = new Float32Array(count * d);
  for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) out[i * d + j] = x.data[(start + i) * d + j]! - mean[j]!;
  return out;
}

/** The top k principal components of x [m, d] (k <= min(m, d)); see the file comment. */
export function widePca(x: Tensor, k: number, backend?: Backend<Buffer>): Pca {
  const [m, d] = x.shape as [number, number];
  if (d <= 64) return pca(x, k);
  const be = asBackend(backend);
  if (!(Number.isSafeInteger(k) && k >= 1 && k <= Math.min(m, d))) throw new ShapeError(`PCA: k must be in 1..${Math.min(m, d)}, got ${k}`);
  const b = Math.min(d, k + EXTRA);
  const mean = new Float64Array(d);
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + x.data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / m;
  const xb = be.alloc(m * d), cov = be.alloc(d * d), qb = be.alloc(d * b), zb = be.alloc(d * b), yb = be.alloc(m * b);
  try {
    be.write(xb, centredRows(x, mean, 0, m));
    be.gemm(true, false, d, d, m, 1 / Math.max(m - 1, 1), xb, d, xb, d, 0, cov, d);
    // q: the block, column-major [d, b] = row-major Q^T [b, d]; C Q is then Q^T C (C symmetric).
    const q = new Float64Array(d * b);
    for (let i = 0; i < d * b; i++) q[i] = (Math.sin(12.9898 * (i + 1)) * 43758.5453) % 1;
    orthonormalise(q, d, b);
    for (let step = 0; step < STEPS; step++) {
      be.write(qb, q);
      be.gemm(false, false, b, d, d, 1, qb, d, cov, d, 0, zb, d);
      q.set(be.read(zb));
      orthonormalise(q, d, b);
    }
    be.write(qb, q);
    be.gemm(false, true, m, b, d, 1, xb, d, qb, d, 0, yb, b);
    const inner = pca(tensor(Float32Array.from(be.read(yb)), [m, b]), k);
    const components = inner.components.map((v) => {
      const c = new Float64Array(d);
      for (let a = 0; a < b; a++) for (let j = 0; j < d; j++) c[j] = c[j]! + v[a]! * q[a * d + j]!;
      let big = 0;
      for (let j = 0; j < d; j++) if (Math.abs(c[j]!) > Math.abs(big)) big = c[j]!;
      if (big < 0) for (let j = 0; j < d; j++) c[j] = -c[j]!;
      return c;
    });
    return { mean, components, variance: inner.variance };
  } finally {
    for (const buf of [xb, cov, qb, zb, yb]) be.free(buf);
  }
}

/** Coordinates [n, k] of x [n, d] along the components (an f32 GEMM, 4096 rows at a time). */
export function projectWide(p: Pca, x: Tensor, backend?: Backend<Buffer>): Tensor {
  const be = asBackend(backend);
  const [n, d] = x.shape as [number, number];
  const k = p.components.length;
  const out = new Float32Array(n * k);
  if (n === 0) return tensor(out, [0, k]);
  const rows = Math.min(n, 4096);
  const flat = new Float32Array(k * d);
  p.components.forEach((c, j) => flat.set(c, j * d));
  const vb = be.alloc(k * d), xb = be.alloc(rows * d), cb = be.alloc(rows * k);
  try {
    be.write(vb, flat);
    for (let start = 0; start < n; start += rows) {
      const count = Math.min(rows, n - start);
      be.write(xb, centredRows(x, p.mean, start, count));
      be.gemm(false, true, count, k, d, 1, xb, d, vb, d, 0, cb, k);
      out.set(be.read(cb).subarray(0, count * k), start * k);
    }
  } finally {
    be.free(vb); be.free(xb); be.free(cb);
  }
  return tensor(out, [n, k]);
}
