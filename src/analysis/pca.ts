/**
 * Principal component analysis of a [n, d] data matrix, for small d (latent codes): the
 * covariance (divided by n - 1) is diagonalised by cyclic Jacobi rotations in float64.
 * Components are unit vectors, sorted by decreasing variance, each signed so that its largest
 * coordinate is positive (a deterministic choice of sign).
 */
import { checkTensorLike, ShapeError, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";

export interface Pca {
  readonly mean: Float64Array;
  /** [k, d], row i is the i-th principal direction. */
  readonly components: Float64Array[];
  /** Variance along each component. */
  readonly variance: Float64Array;
}

function symmetricEigen(a: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!, akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq; a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!, aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk; a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!, vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq; v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i]!;
  return { values, vectors: v };
}

export function pca(x: TensorLike, k = 2): Pca {
  checkTensorLike(x, "pca input");
  if (x.shape.length !== 2) throw new ShapeError(`pca input must be [n, d], got [${x.shape.join(", ")}]`);
  const [n, d] = x.shape as [number, number];
  if (!Number.isSafeInteger(k) || k < 1 || k > d) throw new ShapeError(`pca: k must be in 1..${d}, got ${k}`);
  const at = (i: number, j: number) => x.data[x.offset + i * x.stride[0]! + j * x.stride[1]!]!;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + at(i, j) / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < d; p++) {
      const xp = at(i, p) - mean[p]!;
      for (let q = p; q < d; q++) cov[p * d + q] = cov[p * d + q]! + xp * (at(i, q) - mean[q]!);
    }
  }
  const denom = Math.max(n - 1, 1);
  for (let p = 0; p < d; p++) for (let q = p; q < d; q++) { cov[p * d + q] = cov[p * d + q]! / denom; cov[q * d + p] = cov[p * d + q]!; }
  const { values, vectors } = symmetricEigen(cov, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b]! - values[a]!).slice(0, k);
  const components = order.map((col) => {
    const c = new Float64Array(d);
    let big = 0;
    for (let j = 0; j < d; j++) { c[j] = vectors[j * d + col]!; if (Math.abs(c[j]!) > Math.abs(big)) big = c[j]!; }
    if (big < 0) for (let j = 0; j < d; j++) c[j] = -c[j]!;
    return c;
  });
  return { mean, components, variance: Float64Array.from(order, (i) => Math.max(values[i]!, 0)) };
}

/** Coordinates of x [n, d] along the components: [n, k]. */
export function project(p: Pca, x: TensorLike): Tensor {
  const [n, d] = x.shape as [number, number];
  const k = p.components.length;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x.data[x.offset + i * x.stride[0]! + j * x.stride[1]!]! - p.mean[j]!) * p.components[c]![j]!;
      out[i * k + c] = s;
    }
  }
  return tensor(out, [n, k]);
}
