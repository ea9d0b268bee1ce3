/**
 * Values, tensors and keys. Every value is an f32 number (Math.fround of itself) and finite;
 * each distribution shrinks towards one simple value (0, or the magnitude nearest 1 where 0 is
 * not in it). Distributions that promise a shape (normal, uniform, nearZero, large) draw without
 * fast-check's bias towards extremes, so a sample looks like what its name says.
 */
import fc from "fast-check";
import { foldIn, key, split, type Key } from "../random/key.js";
import { size, tensor, type Tensor } from "../tensor/tensor.js";
import { shapeArb, type ShapeArbOptions } from "./arbitraries-shapes.js";

/**
 * - "normal": standard normal (|x| < 5.5);
 * - "uniform": uniform in [-1, 1], or in [lo, hi] with `{ kind: "uniform", lo, hi }` (bounds
 *   that are not f32 numbers are met after rounding);
 * - "nearZero": |x| log-uniform in [1e-30, 1e-6], either sign (f32 normals);
 * - "large": |x| log-uniform in [1e3, 1e30], either sign (far inside f32's 3.4e38);
 * - "ties": at most three distinct values (multiples of 0.5 in [-4, 4]), repeated;
 * - "denormal": f32 subnormals (|x| < 2^-126) and signed zeros;
 * - "mixed": each value from any of the above but ties, or one of 0, -0, 1, -1, 0.5, -0.5, 2
 *   (which repeat).
 */
export type Distribution = "normal" | "uniform" | "nearZero" | "large" | "ties" | "denormal" | "mixed"
  | { readonly kind: "uniform"; readonly lo: number; readonly hi: number };

export const distributions = ["normal", "uniform", "nearZero", "large", "ties", "denormal", "mixed"] as const;

const N24 = 2 ** 24;

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
function probit(p: number): number {
  const a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
  const b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
  const c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
  const d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Normal: the quantile at p = 1/2 + k / 2^24, k shrinking to 0 (x = 0). */
const normalValue = fc.noBias(fc.integer({ min: -(N24 / 2 - 1), max: N24 / 2 - 1 })).map((k) => Math.fround(probit(0.5 + k / N24)));

/** Uniform on a 2^24-point grid over [lo, hi], shrinking to the point of [lo, hi] nearest 0. */
function uniformValue(lo: number, hi: number): fc.Arbitrary<number> {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) throw new RangeError(`uniform bounds must be finite with lo <= hi, got [${lo}, ${hi}]`);
  const c = Math.min(Math.max(0, lo), hi);
  if (lo === hi) return fc.constant(Math.fround(lo));
  const step = (hi - lo) / N24;
  const t = fc.noBias(fc.integer({ min: -Math.round((c - lo) / step), max: Math.round((hi - c) / step) }));
  return t.map((i) => Math.fround(Math.min(Math.max(c + i * step, lo), hi)));
}

/** Log-uniform magnitudes 10^e, e from e0 (where it shrinks to) to e1, either sign. */
function logUniformValue(e0: number, e1: number): fc.Arbitrary<number> {
  const M = 2 ** 20;
  return fc.tuple(fc.noBias(fc.integer({ min: 0, max: M })), fc.boolean()).map(([t, negative]) => {
    const m = Math.fround(10 ** (e0 + ((e1 - e0) * t) / M));
    return negative ? -m : m;
  });
}

/** m * 2^-149 for m < 2^23: every f32 subnormal, and +-0 (m = 0); shrinks to +0. */
const denormalValue = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2 ** 23 - 1 }))
  .map(([negative, m]) => (negative ? -m : m) * 2 ** -149);

const specialValue = fc.constantFrom(0, 1, -1, 0.5, -0.5, 2, -0);

function elementArb(distribution: Exclude<Distribution, "ties">): fc.Arbitrary<number> {
  if (typeof distribution === "object") return uniformValue(distribution.lo, distribution.hi);
  switch (distribution) {
    case "normal": return normalValue;
    case "uniform": return uniformValue(-1, 1);
    case "nearZero": return logUniformValue(-6, -30);
    case "large": return logUniformValue(3, 30);
    case "denormal": return denormalValue;
    case "mixed": return fc.oneof({ withCrossShrink: true }, normalValue, uniformValue(-1, 1), specialValue,
      logUniformValue(-6, -30), logUniformValue(3, 30), denormalValue);
    default: throw new RangeError(`unknown distribution ${JSON.stringify(distribution)} (one of ${distributions.join(", ")} or { kind: "uniform", lo, hi })`);
  }
}

/** n f32 values (a Float32Array) from a distribution (default "normal"); see Distribution. */
export function valuesArb(n: number, distribution: Distribution = "normal"): fc.Arbitrary<Float32Array> {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`valuesArb: n must be a non-negative integer, got ${n}`);
  if (distribution === "ties") {
    const pool = fc.uniqueArray(fc.integer({ min: -8, max: 8 }), { minLength: 1, maxLength: 3 }).map((ks) => ks.map((k) => k / 2));
    return pool.chain((values) => fc.array(fc.integer({ min: 0, max: values.length - 1 }), { minLength: n, maxLength: n })
      .map((picks) => Float32Array.from(picks, (i) => values[i]!)));
  }
  return fc.array(elementArb(distribution), { minLength: n, maxLength: n }).map((xs) => Float32Array.from(xs));
}

export interface TensorArbOptions extends ShapeArbOptions {
  /** A fixed shape; otherwise shapes are drawn by shapeArb with these options. */
  readonly shape?: readonly number[];
  /** Default "normal". */
  readonly distribution?: Distribution;
}

/**
 * Contiguous latent Tensors (`tensor(data, shape)`), empty ones included unless minSize > 0.
 * Shrinks the shape first (fresh values for each smaller shape), then the values.
 */
export function tensorArb(o: TensorArbOptions = {}): fc.Arbitrary<Tensor> {
  const shapes = o.shape ? fc.constant([...o.shape]) : shapeArb(o);
  return shapes.chain((shape) => valuesArb(size(shape), o.distribution).map((data) => tensor(data, shape)));
}

export interface KeyArbOptions {
  /** Also draw keys derived by split and foldIn (default true); false: only key(seed). */
  readonly derived?: boolean;
}

/**
 * Random keys: key(seed) for a safe-integer seed, or (derived) a child split(key(seed), j + 1)[j]
 * or foldIn(key(seed), d), which reach every pair of words. Shrinks towards key(0).
 */
export function keyArb(o: KeyArbOptions = {}): fc.Arbitrary<Key> {
  const seeds = fc.maxSafeNat();
  const plain = seeds.map(key);
  if (o.derived === false) return plain;
  return fc.oneof({ withCrossShrink: true }, plain,
    fc.tuple(seeds, fc.integer({ min: 0, max: 7 })).map(([s, j]) => split(key(s), j + 1)[j]!),
    fc.tuple(seeds, fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([s, d]) => foldIn(key(s), d)));
}
