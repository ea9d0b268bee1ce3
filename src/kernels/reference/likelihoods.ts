/**
 * Float64 reference likelihoods and the L1 penalty (assembly/likelihoods.ts), with the kernels'
 * parameter order and a Float64Array in place of each pointer. Forward functions return sums;
 * backward functions write their outputs, except where they say they accumulate.
 * sign(d) is 1 for d > 0, -1 for d < 0, else 0, as in the kernels.
 */

/** sum over M x N (row stride N) of |t - p| exp(-s) + s + log 2, s = logscale[j * lsStride]. */
export function laplaceNllForward(M: number, N: number, pred: Float64Array, target: Float64Array,
  logscale: Float64Array, lsStride: number): number {
  let total = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const s = logscale[j * lsStride]!;
      total += Math.abs(target[i * N + j]! - pred[i * N + j]!) * Math.exp(-s) + s + Math.LN2;
    }
  }
  return total;
}

/**
 * dpred = sign(p - t) scale exp(-s), written; dlogscale[j * lsStride] += scale (1 - |t - p| exp(-s)),
 * accumulated. dlogscale may be null to skip it.
 */
export function laplaceNllBackward(M: number, N: number, scale: number, pred: Float64Array, target: Float64Array,
  logscale: Float64Array, lsStride: number, dpred: Float64Array, dlogscale: Float64Array | null): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const p = pred[i * N + j]!, t = target[i * N + j]!, w = Math.exp(-logscale[j * lsStride]!);
      dpred[i * N + j] = p > t ? scale * w : p < t ? -(scale * w) : 0;
      if (dlogscale !== null) dlogscale[j * lsStride]! += scale * (1 - Math.abs(t - p) * w);
    }
  }
}

// The continuous Bernoulli's log-normaliser log C(sigmoid(l)) = log(l / tanh(l/2)) and its
// derivative G(l) = 1/l - 1/sinh(l), by the kernel's method (assembly/likelihoods.ts derives
// it): the Taylor series at 0 for |l| < 1/2, else log|l| + 2 artanh(exp(-|l|)) and
// 1/|l| - 2 e^-|l| / (1 - e^-2|l|), with G's sign restored.

const SERIES = 0.5;
/** log C = log 2 + sum_n A[n-1] l^2n: A[n-1] = 2 (2^(2n-1) - 1) B_2n / (2n (2n)!). */
const A = [0.08333333333333333, -0.004861111111111111, 0.00034171075837742505, -2.6248346560846562e-05,
  2.1336045641601195e-06, -1.8027895356488832e-07, 1.565947953183403e-08, -1.3883706783700259e-09,
  1.2504263775315483e-10, -1.1402553853609105e-11, 1.0502918900453168e-12] as const;
/** G = sum_n B[n-1] l^(2n-1): B[n-1] = 2 (2^(2n-1) - 1) B_2n / (2n)!. */
const B = [0.16666666666666666, -0.019444444444444445, 0.00205026455026455, -0.0002099867724867725,
  2.1336045641601196e-05, -2.1633474427786596e-06, 2.192327134456764e-07, -2.2213930853920414e-08,
  2.2507674795567867e-09, -2.280510770721821e-10, 2.3106421580996967e-11] as const;

function horner(c: readonly number[], z: number): number {
  let p = c[c.length - 1]!;
  for (let k = c.length - 2; k >= 0; k--) p = c[k]! + z * p;
  return p;
}

/** log C of the continuous Bernoulli with logit l: log(l / tanh(l / 2)) (log 2 at l = 0). */
export function cbLogNormalizer(l: number): number {
  const a = Math.abs(l);
  if (a < SERIES) return Math.LN2 + a * a * horner(A, a * a);
  return Math.log(a) + 2 * Math.atanh(Math.exp(-a));
}

/** d log C / dl = 1/l - 1/sinh(l) (0 at l = 0). */
export function cbLogNormalizerGrad(l: number): number {
  const a = Math.abs(l);
  const g = a < SERIES ? a * horner(B, a * a) : 1 / a - 2 * Math.exp(-a) / -Math.expm1(-2 * a);
  return l < 0 ? -g : g;
}

/** sum_i (max(l,0) - l t + log1p(exp(-|l|))) - log C(l). */
export function cbLogitsForward(n: number, logits: Float64Array, target: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const l = logits[i]!;
    s += ((Math.max(l, 0) - l * target[i]!) + Math.log1p(Math.exp(-Math.abs(l)))) - cbLogNormalizer(l);
  }
  return s;
}

/** dlogits = scale ((sigmoid(l) - t) - d log C / dl), written. */
export function cbLogitsBackward(n: number, scale: number, logits: Float64Array, target: Float64Array,
  dlogits: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const l = logits[i]!, t = target[i]!;
    // sigmoid(l) - t without the cancellation of 1 - e/(1+e) when l >= 0.
    const e = Math.exp(-Math.abs(l)), q = e / (1 + e);
    dlogits[i] = scale * ((l >= 0 ? (1 - t) - q : q - t) - cbLogNormalizerGrad(l));
  }
}

/** sum_i |x_i|. */
export function l1Forward(n: number, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(x[i]!);
  return s;
}

/** Accumulates dx += scale sign(x). */
export function l1Backward(n: number, scale: number, x: Float64Array, dx: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    dx[i]! += v > 0 ? scale : v < 0 ? -scale : 0;
  }
}
