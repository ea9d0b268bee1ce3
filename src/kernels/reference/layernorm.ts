/**
 * Float64 references of assembly/layernorm.ts: layer normalisation over the rows of an M x N
 * matrix (row stride N) and dropout's mask, with the kernels' parameter order and a Float64Array
 * in place of each pointer. Plain loops in f64, sums in index order.
 */

/** mask[i] = u[i] >= rate ? 1 / (1 - rate) : 0 (mask may alias u). */
export function dropoutMask(n: number, rate: number, u: Float64Array, mask: Float64Array): void {
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) mask[i] = u[i]! >= rate ? keep : 0;
}

/**
 * Per row i: mean = sum_j x / N, var = sum_j (x - mean)^2 / N (biased; N = 0 gives 0 and 0),
 * rstd = 1 / sqrt(var + eps); y = (x - mean) * rstd * gamma[j] + beta[j]. Writes mean[i], rstd[i].
 */
export function layerNormForward(M: number, N: number, eps: number, x: Float64Array, gamma: Float64Array,
  beta: Float64Array, y: Float64Array, mean: Float64Array, rstd: Float64Array): void {
  for (let i = 0; i < M; i++) {
    const row = i * N;
    let s = 0;
    for (let j = 0; j < N; j++) s += x[row + j]!;
    const mu = N > 0 ? s / N : 0;
    let ss = 0;
    for (let j = 0; j < N; j++) { const d = x[row + j]! - mu; ss += d * d; }
    const r = 1 / Math.sqrt((N > 0 ? ss / N : 0) + eps);
    mean[i] = mu;
    rstd[i] = r;
    for (let j = 0; j < N; j++) y[row + j] = (x[row + j]! - mu) * r * gamma[j]! + beta[j]!;
  }
}

/**
 * The vector-Jacobian product of layerNormForward from the given mean and rstd: with
 * xhat = (x - mean) * rstd and g = dy * gamma, writes dgamma[j] = sum_i dy xhat,
 * dbeta[j] = sum_i dy (rows summed) and, when dx is not null,
 * dx = rstd * ((g - sum_j g / N) - xhat * sum_j (g xhat) / N).
 */
export function layerNormBackward(M: number, N: number, x: Float64Array, gamma: Float64Array, mean: Float64Array,
  rstd: Float64Array, dy: Float64Array, dx: Float64Array | null, dgamma: Float64Array, dbeta: Float64Array): void {
  for (let j = 0; j < N; j++) {
    let g = 0, b = 0;
    for (let i = 0; i < M; i++) {
      const d = dy[i * N + j]!;
      g += d * ((x[i * N + j]! - mean[i]!) * rstd[i]!);
      b += d;
    }
    dgamma[j] = g;
    dbeta[j] = b;
  }
  if (!dx || N === 0) return;
  for (let i = 0; i < M; i++) {
    const row = i * N, mu = mean[i]!, r = rstd[i]!;
    let sg = 0, sgx = 0;
    for (let j = 0; j < N; j++) {
      const e = dy[row + j]! * gamma[j]!;
      sg += e;
      sgx += e * ((x[row + j]! - mu) * r);
    }
    const a = sg / N, c = sgx / N;
    for (let j = 0; j < N; j++) {
      const e = dy[row + j]! * gamma[j]!, xh = (x[row + j]! - mu) * r;
      dx[row + j] = r * ((e - a) - xh * c);
    }
  }
}
