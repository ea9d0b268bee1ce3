/**
 * A multivariate Gaussian fitted to the rows of a matrix (e.g. a model's codes), and draws from it.
 * Runtime-neutral; all arithmetic in float64.
 *
 * Conventions:
 * - mean: the column means of x [n, d]; covariance: the unbiased sample covariance (divided by
 *   n - 1), row-major [d, d], computed in two passes (means first).
 * - cholesky: lower-triangular L (row-major [d, d], zeros above the diagonal) with
 *   L L^T = covariance + ridge * I. ridge is 0 when the covariance is positive definite; when it
 *   is not (a constant or collinear coordinate, or n <= d), ridge is the first of
 *   1e-12, 1e-11, ..., 1 times max(trace / d, tiny) that makes it so, and is reported.
 * - draws: z_i = mean + L eps_i with eps = normalF64(key, count * d), draw i taking
 *   eps[i*d, (i+1)*d); so z ~ N(mean, covariance + ridge I), the same key giving the same draws.
 */
import { ConfigError } from "../nn/layer.js";
import { normalF64, type Key } from "../random/index.js";
import { checkTensorLike, ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";

export interface GaussianFit {
  /** Dimension of the rows. */
  readonly d: number;
  /** Rows the fit was made from. */
  readonly n: number;
  readonly mean: Float64Array;
  /** Unbiased sample covariance, row-major [d, d]. */
  readonly covariance: Float64Array;
  /** Lower-triangular L, row-major [d, d], with L L^T = covariance + ridge I. */
  readonly cholesky: Float64Array;
  /** What was added to the diagonal to make the covariance positive definite (0 when it already was). */
  readonly ridge: number;
}

/**
 * The Cholesky factor of a symmetric positive-definite matrix a (row-major [d, d]; only its
 * lower triangle is read): lower-triangular L with L L^T = a, or null when a is not positive
 * definite (a pivot <= 0 or not finite).
 */
export function cholesky(a: ArrayLike<number>, d: number): Float64Array | null {
  if (!Number.isSafeInteger(d) || d < 0 || a.length !== d * d) throw new ShapeError(`cholesky: expected ${d} x ${d} = ${d * d} values, got ${a.length}`);
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= l[j * d + k]! ** 2;
    if (!(s > 0) || !Number.isFinite(s)) return null;
    const pivot = Math.sqrt(s);
    l[j * d + j] = pivot;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = t / pivot;
    }
  }
  return l;
}

/** The Gaussian fitted to the rows of x [n, d] (n >= 2, finite values): see the conventions above. */
export function fitGaussian(x: TensorLike): GaussianFit {
  checkTensorLike(x, "fitGaussian input");
  if (x.shape.length !== 2) throw new ShapeError(`fitGaussian: input must be [n, d], got [${x.shape.join(", ")}]`);
  const [n, d] = x.shape as [number, number];
  if (n < 2 || d < 1) throw new ShapeError(`fitGaussian: needs at least 2 rows of at least 1 value, got [${n}, ${d}]`);
  const s0 = x.stride[0]!, s1 = x.stride[1]!;
  const at = (i: number, j: number): number => x.data[x.offset + i * s0 + j * s1]!;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = at(i, j);
      if (!Number.isFinite(v)) throw new ConfigError(`fitGaussian: row ${i} holds a non-finite value (${v}) at column ${j}`);
      mean[j] = mean[j]! + v;
    }
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  const cov = new Float64Array(d * d);
  const dev = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) dev[j] = at(i, j) - mean[j]!;
    for (let p = 0; p < d; p++) for (let q = 0; q <= p; q++) cov[p * d + q] = cov[p * d + q]! + dev[p]! * dev[q]!;
  }
  for (let p = 0; p < d; p++) {
    for (let q = 0; q <= p; q++) { const v = cov[p * d + q]! / (n - 1); cov[p * d + q] = v; cov[q * d + p] = v; }
  }
  let trace = 0;
  for (let j = 0; j < d; j++) trace += cov[j * d + j]!;
  const scale = Math.max(trace / d, 1e-300);
  let ridge = 0;
  let l = cholesky(cov, d);
  for (let e = -12; !l && e <= 0; e++) {
    ridge = scale * 10 ** e;
    const a = cov.slice();
    for (let j = 0; j < d; j++) a[j * d + j] = a[j * d + j]! + ridge;
    l = cholesky(a, d);
  }
  if (!l) throw new ConfigError(`fitGaussian: the covariance of ${n} rows of ${d} values is not positive definite even with a ridge of ${ridge}`);
  return { d, n, mean, covariance: cov, cholesky: l, ridge };
}

/** `count` draws z = mean + L eps from the fit, eps from the key (see the conventions above): an f32 tensor [count, d]. */
export function sampleGaussian(fit: GaussianFit, key: Key, count: number): Tensor {
  if (!Number.isSafeInteger(count) || count < 0) throw new ConfigError(`sampleGaussian: count must be a non-negative integer, got ${count}`);
  const { d, mean, cholesky: l } = fit;
  const eps = normalF64(key, count * d);
  const out = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const e = i * d;
    for (let p = 0; p < d; p++) {
      let v = mean[p]!;
      for (let q = 0; q <= p; q++) v += l[p * d + q]! * eps[e + q]!;
      out[e + p] = v;
    }
  }
  return tensor(out, [count, d]);
}

/**
 * The fit seen through a linear map: the mean and covariance of A (z - origin) for z drawn from
 * the fit, A given as k rows of d values (e.g. principal directions). Covariance includes the ridge:
 * A (covariance + ridge I) A^T, row-major [k, k].
 */
export function projectGaussian(fit: GaussianFit, rows: readonly ArrayLike<number>[], origin?: ArrayLike<number>): { mean: Float64Array; covariance: Float64Array } {
  const { d } = fit, k = rows.length;
  for (const r of rows) if (r.length !== d) throw new ShapeError(`projectGaussian: a row of ${r.length} values for a fit of ${d}`);
  if (origin && origin.length !== d) throw new ShapeError(`projectGaussian: an origin of ${origin.length} values for a fit of ${d}`);
  const mean = new Float64Array(k), covariance = new Float64Array(k * k);
  const s = (p: number, q: number): number => fit.covariance[p * d + q]! + (p === q ? fit.ridge : 0);
  for (let a = 0; a < k; a++) {
    let m = 0;
    for (let j = 0; j < d; j++) m += rows[a]![j]! * (fit.mean[j]! - (origin ? origin[j]! : 0));
    mean[a] = m;
    for (let b = 0; b < k; b++) {
      let c = 0;
      for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) c += rows[a]![p]! * s(p, q) * rows[b]![q]!;
      covariance[a * k + b] = c;
    }
  }
  return { mean, covariance };
}
