/**
 * Float64 reference losses, KL and reparameterisation (assembly/losses.ts), with the kernels'
 * parameter order and a Float64Array in place of each pointer. Forward functions return sums;
 * backward functions write their outputs, except where they say they accumulate.
 */
import { sigmoid } from "./activations.js";

const LOG_2PI = Math.log(2 * Math.PI);

/** sum_i max(x,0) - x*t + log1p(exp(-|x|)). */
export function bceLogitsForward(n: number, logits: Float64Array, target: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const x = logits[i]!;
    s += Math.max(x, 0) - x * target[i]! + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return s;
}

/** dlogits = scale * (sigmoid(x) - t), written. */
export function bceLogitsBackward(n: number, scale: number, logits: Float64Array, target: Float64Array,
  dlogits: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const x = logits[i]!, t = target[i]!;
    // sigmoid(x) - t without the cancellation of 1 - e/(1+e) when x >= 0.
    const e = Math.exp(-Math.abs(x)), q = e / (1 + e);
    dlogits[i] = scale * (x >= 0 ? (1 - t) - q : q - t);
  }
}

/** sum_i (p - t)^2. */
export function sqErrForward(n: number, pred: Float64Array, target: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) { const d = pred[i]! - target[i]!; s += d * d; }
  return s;
}

/** dpred = scale * 2 * (p - t), written. */
export function sqErrBackward(n: number, scale: number, pred: Float64Array, target: Float64Array,
  dpred: Float64Array): void {
  for (let i = 0; i < n; i++) dpred[i] = scale * 2 * (pred[i]! - target[i]!);
}

/** sum over M x N (row stride N) of 0.5 (log 2pi + lv + (p - t)^2 exp(-lv)), lv = logvar[j * lvStride]. */
export function gaussianNllForward(M: number, N: number, pred: Float64Array, target: Float64Array,
  logvar: Float64Array, lvStride: number): number {
  let s = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const lv = logvar[j * lvStride]!, d = pred[i * N + j]! - target[i * N + j]!;
      s += 0.5 * (LOG_2PI + lv + d * d * Math.exp(-lv));
    }
  }
  return s;
}

/**
 * dpred = scale (p - t) exp(-lv), written; dlogvar[j * lvStride] += scale * 0.5 * (1 - (p - t)^2 exp(-lv)),
 * accumulated. dlogvar may be null to skip it.
 */
export function gaussianNllBackward(M: number, N: number, scale: number, pred: Float64Array, target: Float64Array,
  logvar: Float64Array, lvStride: number, dpred: Float64Array, dlogvar: Float64Array | null): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const lv = logvar[j * lvStride]!, d = pred[i * N + j]! - target[i * N + j]!, w = Math.exp(-lv);
      dpred[i * N + j] = scale * d * w;
      if (dlogvar !== null) dlogvar[j * lvStride]! += scale * 0.5 * (1 - d * d * w);
    }
  }
}

/** KL(N(mu, exp(lv)) || N(0, 1)) summed: sum 0.5 (mu^2 + exp(lv) - 1 - lv), with expm1 for accuracy at lv ~ 0. */
export function klNormalForward(n: number, mu: Float64Array, logvar: Float64Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const m = mu[i]!, lv = logvar[i]!;
    s += 0.5 * (m * m + (Math.expm1(lv) - lv));
  }
  return s;
}

/** Accumulates dmu += scale * mu; dlogvar += scale * 0.5 * (exp(lv) - 1). */
export function klNormalBackward(n: number, scale: number, mu: Float64Array, logvar: Float64Array,
  dmu: Float64Array, dlogvar: Float64Array): void {
  for (let i = 0; i < n; i++) {
    dmu[i]! += scale * mu[i]!;
    dlogvar[i]! += scale * 0.5 * Math.expm1(logvar[i]!);
  }
}

/** z = mu + exp(0.5 lv) * eps. */
export function reparamForward(n: number, mu: Float64Array, logvar: Float64Array, eps: Float64Array,
  z: Float64Array): void {
  for (let i = 0; i < n; i++) z[i] = mu[i]! + Math.exp(0.5 * logvar[i]!) * eps[i]!;
}

/** Writes dmu = dz; dlogvar = dz * eps * 0.5 * exp(0.5 lv). */
export function reparamBackward(n: number, logvar: Float64Array, eps: Float64Array, dz: Float64Array,
  dmu: Float64Array, dlogvar: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const g = dz[i]!;
    dlogvar[i] = g * eps[i]! * 0.5 * Math.exp(0.5 * logvar[i]!);
    dmu[i] = g;
  }
}

