// Central differences in float64 along one random unit direction d (JAX's check_grads habit):
// D(h) = (f(x + h d) - f(x - h d)) / 2h, Richardson-extrapolated to (4 D(h/2) - D(h)) / 3,
// which is exact to O(h^4), against <grad f(x), d>.
import { key, normalF64 } from "../../src/random/index.js";

export interface GradCheck {
  readonly numeric: number;
  readonly analytic: number;
  /** |numeric - analytic| / (atol + rtol * |analytic|); <= 1 passes. */
  readonly ratio: number;
}

export function directionalCheck(f: (x: Float64Array) => number, x: Float64Array, grad: Float64Array,
  seed: number, h = 1e-4, rtol = 1e-6, atol = 1e-9): GradCheck {
  const d = normalF64(key(seed), x.length);
  const norm = Math.hypot(...d);
  for (let i = 0; i < d.length; i++) d[i] = d[i]! / norm;
  const central = (step: number): number => {
    const plus = x.slice(), minus = x.slice();
    for (let i = 0; i < x.length; i++) { plus[i] = x[i]! + step * d[i]!; minus[i] = x[i]! - step * d[i]!; }
    return (f(plus) - f(minus)) / (2 * step);
  };
  const numeric = (4 * central(h / 2) - central(h)) / 3;
  let analytic = 0;
  for (let i = 0; i < x.length; i++) analytic += grad[i]! * d[i]!;
  return { numeric, analytic, ratio: Math.abs(numeric - analytic) / (atol + rtol * Math.abs(analytic)) };
}
