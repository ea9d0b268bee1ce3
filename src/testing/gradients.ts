/**
 * Gradient checks in float64: the analytic gradient against central differences along random
 * unit directions, D(h) = (f(x + h d) - f(x - h d)) / 2h, Richardson-extrapolated to
 * (4 D(h/2) - D(h)) / 3, which is exact to O(h^4) (JAX's check_grads habit). Run on the
 * float64 ReferenceBackend, the rounding error of a difference quotient is ~1e-16 / h, so the
 * default tolerances (rtol 1e-6, atol 1e-9 at h = 1e-4) leave room only for real mistakes; a
 * function with a kink (relu, |x|) within h of the point fails honestly, so draw points away from
 * kinks or use smooth activations.
 *
 * - `directionalCheck(f, x, grad, seed)`: one direction, any f of a flat float64 vector.
 * - `checkGradients(fn, params, batch, o)`: a valueAndGrad-shaped function (train.valueAndGrad
 *   made with { backend: new ReferenceBackend() }), `directions` directions per parameter tensor;
 *   reports the worst error per tensor and the direction (its seed) that shows it.
 */
import { key as makeKey, normalF64, type Key } from "../random/index.js";
import type { TensorLike } from "../tensor/tensor.js";
import { CheckError } from "./check-error.js";

export interface GradCheck {
  readonly numeric: number;
  readonly analytic: number;
  /** |numeric - analytic| / (atol + rtol * |analytic|); <= 1 passes. */
  readonly ratio: number;
}

export interface Tolerance {
  /** Step of the central difference (default 1e-4). */
  readonly h?: number;
  readonly rtol?: number;
  readonly atol?: number;
}

/** A unit vector of n float64 values from the seed (zero when n is 0). */
export function unitDirection(n: number, seed: number): Float64Array {
  const d = normalF64(makeKey(seed), n);
  let norm = 0;
  for (const v of d) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < n; i++) d[i] = d[i]! / norm;
  return d;
}

/** The Richardson-extrapolated central difference of f at x along d. */
export function centralDifference(f: (x: Float64Array) => number, x: Float64Array, d: ArrayLike<number>, h = 1e-4): number {
  const at = (step: number): number => {
    const plus = x.slice(), minus = x.slice();
    for (let i = 0; i < x.length; i++) { plus[i] = x[i]! + step * d[i]!; minus[i] = x[i]! - step * d[i]!; }
    return (f(plus) - f(minus)) / (2 * step);
  };
  return (4 * at(h / 2) - at(h)) / 3;
}

/** Compares <grad, d> with the central difference of f along one random unit direction d. */
export function directionalCheck(f: (x: Float64Array) => number, x: Float64Array, grad: ArrayLike<number>,
  seed: number, h = 1e-4, rtol = 1e-6, atol = 1e-9): GradCheck {
  const d = unitDirection(x.length, seed);
  const numeric = centralDifference(f, x, d, h);
  let analytic = 0;
  for (let i = 0; i < x.length; i++) analytic += grad[i]! * d[i]!;
  return { numeric, analytic, ratio: Math.abs(numeric - analytic) / (atol + rtol * Math.abs(analytic)) };
}

/** What a valueAndGrad-shaped function returns (grads: a record with the params' names). */
export type ValueAndGradLike<P, Bt> = (params: P, batch: Bt, key: Key) => { readonly value: number; readonly grads: Readonly<Record<string, TensorLike>> };

export interface GradientReport {
  /** Per parameter tensor: the worst direction's figures and its seed. */
  readonly tensors: readonly { readonly name: string; readonly seed: number; readonly check: GradCheck }[];
  readonly worst: number;
}

export interface CheckGradientsOptions extends Tolerance {
  /** The key the function draws its noise from (fixed, so the value is a smooth function of the params). */
  readonly key?: Key;
  /** Random directions per parameter tensor (default 2). */
  readonly directions?: number;
  /** Seed of the first direction (default 1). */
  readonly seed?: number;
}

/**
 * Checks fn's gradient with respect to every parameter tensor of `params` by central differences,
 * perturbing the parameters in float64 (the tensors handed to fn hold Float64Arrays, which a
 * float64 backend computes on exactly). Throws a CheckError listing every tensor whose worst
 * direction is out of tolerance; returns the report otherwise.
 */
export function checkGradients<P extends Readonly<Record<string, TensorLike>>, Bt>(fn: ValueAndGradLike<P, Bt>,
  params: P, batch: Bt, o: CheckGradientsOptions = {}): GradientReport {
  const k = o.key ?? makeKey(0);
  const names = Object.keys(params);
  const flat = names.map((n) => contiguousF64(params[n]!));
  // Float64 tensors with the params' names and shapes (a float64 backend computes on them exactly).
  const record = (values: readonly Float64Array[]) =>
    Object.fromEntries(names.map((n, i) => [n, { data: values[i]!, shape: params[n]!.shape, stride: strides(params[n]!.shape), offset: 0 }])) as unknown as P;
  const base = fn(record(flat), batch, k);
  const tensors: { name: string; seed: number; check: GradCheck }[] = [];
  const directions = o.directions ?? 2;
  let seed = o.seed ?? 1;
  names.forEach((name, t) => {
    const g = base.grads[name];
    if (!g) throw new CheckError(`the function's grads have no "${name}" (it has: ${Object.keys(base.grads).join(", ")})`);
    const grad = contiguousF64(g);
    const f = (x: Float64Array) => fn(record(flat.map((v, i) => (i === t ? x : v))), batch, k).value;
    let worst: { name: string; seed: number; check: GradCheck } | null = null;
    for (let j = 0; j < directions && flat[t]!.length > 0; j++, seed++) {
      const check = directionalCheck(f, flat[t]!, grad, seed, o.h, o.rtol, o.atol);
      if (!worst || !(check.ratio <= worst.check.ratio)) worst = { name, seed, check };
    }
    if (worst) tensors.push(worst);
  });
  const worst = tensors.reduce((m, r) => Math.max(m, Number.isNaN(r.check.ratio) ? Infinity : r.check.ratio), 0);
  const report = { tensors, worst };
  const bad = tensors.filter((r) => !(r.check.ratio <= 1));
  if (bad.length > 0) {
    throw new CheckError(`gradient check failed for ${bad.length} of ${tensors.length} parameter tensors:\n${gradientTable(bad)}`, { report });
  }
  return report;
}

/** One line a tensor: its name, the direction's seed, numeric and analytic derivatives, the error ratio. */
export function gradientTable(rows: readonly { name: string; seed: number; check: GradCheck }[]): string {
  return rows.map((r) => `  ${r.name} (direction seed ${r.seed}): central difference ${fmt(r.check.numeric)}, analytic ${fmt(r.check.analytic)}, `
    + `error ${fmt(Math.abs(r.check.numeric - r.check.analytic))} = ${fmt(r.check.ratio)} x the tolerance`).join("\n");
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(6) : String(v);
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

/** A tensor's values in row-major order as a fresh Float64Array. */
export function contiguousF64(t: TensorLike): Float64Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let p = t.offset;
    for (let d = 0; d < rank; d++) p += index[d]! * t.stride[d]!;
    out[i] = t.data[p]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < t.shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}
