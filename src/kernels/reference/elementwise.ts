/**
 * Float64 reference implementations of the elementwise and reduction kernels
 * (assembly/elementwise.ts): same names (camelCase) and parameter order, with a Float64Array
 * in place of each pointer (pass subarrays for offsets). Plain loops in f64; these are the
 * test oracles and the float64 backend for whole-model gradient checks.
 */

/** c[i, j] += bias[j] for an M x N matrix c (row stride ldc). */
export function biasAdd(M: number, N: number, bias: Float64Array, c: Float64Array, ldc: number): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) c[i * ldc + j]! += bias[j]!;
}

/** out[j] = beta * out[j] + sum_i x[i, j] (rows are summed); out is not read when beta == 0. */
export function colSum(M: number, N: number, x: Float64Array, ldx: number, beta: number, out: Float64Array): void {
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let i = 0; i < M; i++) s += x[i * ldx + j]!;
    out[j] = beta === 0 ? s : beta * out[j]! + s;
  }
}

/** out[i] = sum_j x[i, j] (columns are summed). */
export function rowSum(M: number, N: number, x: Float64Array, ldx: number, out: Float64Array): void {
  for (let i = 0; i < M; i++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += x[i * ldx + j]!;
    out[i] = s;
  }
}

/** out = x + y (out may alias x or y). */
export function add(n: number, x: Float64Array, y: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = x[i]! + y[i]!;
}

/** out = x * y elementwise (out may alias x or y). */
export function mul(n: number, x: Float64Array, y: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = x[i]! * y[i]!;
}

/** out = alpha * x (out may alias x). */
export function scale(n: number, alpha: number, x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = alpha * x[i]!;
}

/** y += alpha * x. */
export function axpy(n: number, alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < n; i++) y[i]! += alpha * x[i]!;
}

/** out[i] = value. */
export function fill(n: number, value: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = value;
}

/** sum_i x[i]^2. */
export function sumSquares(n: number, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
  return s;
}

/** 1 when every x[i] is finite, else 0. */
export function allFinite(n: number, x: Float64Array): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]!)) return 0;
  return 1;
}
