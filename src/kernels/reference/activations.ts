/**
 * Float64 reference activations (assembly/activations.ts), with the kernels' parameter order
 * and a Float64Array in place of each pointer. Kind codes are `Activation` in ../exports.ts.
 * Formulas are the stable ones of the kernels (exp(-|x|) only) and derivatives are taken
 * from x: relu'(0) = 0, leakyRelu'(0) = alpha, elu'(0) = alpha (the left side of each kink).
 */
import { Activation } from "../exports.js";

/** Stable logistic function. */
export function sigmoid(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return (x >= 0 ? 1 : e) / (1 + e);
}

/** Stable log(1 + exp(x)). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** f(x) for one value. */
export function activate(kind: number, alpha: number, x: number): number {
  switch (kind) {
    case Activation.relu: return Math.max(x, 0);
    case Activation.leakyRelu: return x > 0 ? x : alpha * x;
    case Activation.sigmoid: return sigmoid(x);
    case Activation.tanh: return Math.tanh(x);
    case Activation.softplus: return softplus(x);
    case Activation.elu: return x > 0 ? x : alpha * Math.expm1(x);
    default: return x;
  }
}

/** f'(x) for one value. */
export function activateDerivative(kind: number, alpha: number, x: number): number {
  switch (kind) {
    case Activation.relu: return x > 0 ? 1 : 0;
    case Activation.leakyRelu: return x > 0 ? 1 : alpha;
    case Activation.sigmoid: { const e = Math.exp(-Math.abs(x)); return e / ((1 + e) * (1 + e)); }
    case Activation.tanh: { const e = Math.exp(-2 * Math.abs(x)); return 4 * e / ((1 + e) * (1 + e)); }
    case Activation.softplus: return sigmoid(x);
    case Activation.elu: return x > 0 ? 1 : alpha * Math.exp(x);
    default: return 1;
  }
}

/** y = f(x) elementwise (y may alias x). */
export function actForward(kind: number, n: number, alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < n; i++) y[i] = activate(kind, alpha, x[i]!);
}

/** dx = f'(x) * dy (dx may alias dy); y = f(x) is accepted for the kernel's signature but unused. */
export function actBackward(kind: number, n: number, alpha: number, x: Float64Array, _y: Float64Array,
  dy: Float64Array, dx: Float64Array): void {
  for (let i = 0; i < n; i++) dx[i] = activateDerivative(kind, alpha, x[i]!) * dy[i]!;
}
