/**
 * The exact t-SNE objective in float64: KL(P || Q) with the Student-t kernel (one degree of
 * freedom), q_ij = w_ij / sum_{k != l} w_kl, w_ij = 1 / (1 + |y_i - y_j|^2), and its gradient
 *   dC/dy_i = 4 sum_j (p_ij - q_ij) w_ij (y_i - y_j).
 * P is a joint affinity matrix [n * n] (perplexityAffinities), Y a row-major [n, dims] embedding.
 * O(n^2 dims) time, O(n^2) memory (the kernel matrix is kept between the two passes).
 */
import { ShapeError } from "../tensor/tensor.js";

function sizes(p: ArrayLike<number>, y: ArrayLike<number>, n: number, dims: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 1 || !Number.isSafeInteger(dims) || dims < 1) {
    throw new ShapeError(`${what}: n and dims must be positive integers, got n = ${n}, dims = ${dims}`);
  }
  if (p.length !== n * n) throw new ShapeError(`${what}: P must hold n * n = ${n * n} values, got ${p.length}`);
  if (y.length !== n * dims) throw new ShapeError(`${what}: Y must hold n * dims = ${n * dims} values, got ${y.length}`);
}

/** The Student-t kernel matrix w [n * n] (zero diagonal) and its off-diagonal sum. */
function kernel(y: ArrayLike<number>, n: number, dims: number): { w: Float64Array; sum: number } {
  const w = new Float64Array(n * n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dims; c++) { const t = y[i * dims + c]! - y[j * dims + c]!; s += t * t; }
      const v = 1 / (1 + s);
      w[i * n + j] = v; w[j * n + i] = v; sum += 2 * v;
    }
  }
  return { w, sum };
}

/** The exact gradient [n * dims] of KL(P || Q) with respect to Y. */
export function tsneGradient(p: ArrayLike<number>, y: ArrayLike<number>, n: number, dims: number): Float64Array {
  sizes(p, y, n, dims, "tsneGradient");
  const { w, sum } = kernel(y, n, dims);
  const grad = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const wij = w[i * n + j]!;
      const mult = 4 * (p[i * n + j]! - wij / sum) * wij;
      for (let c = 0; c < dims; c++) grad[i * dims + c] = grad[i * dims + c]! + mult * (y[i * dims + c]! - y[j * dims + c]!);
    }
  }
  return grad;
}

/**
 * KL(P || Q) = sum_{i != j, p_ij > 0} p_ij log(p_ij / q_ij), n = sqrt(P.length) and
 * dims = Y.length / n.
 */
export function tsneCost(p: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.round(Math.sqrt(p.length));
  const dims = n > 0 ? y.length / n : 0;
  sizes(p, y, n, dims, "tsneCost");
  const { w, sum } = kernel(y, n, dims);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const pij = p[i * n + j]!;
      if (j === i || !(pij > 0)) continue;
      kl += pij * Math.log(pij * sum / w[i * n + j]!);
    }
  }
  return kl;
}
