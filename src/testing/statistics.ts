/**
 * Statistical checks, for code whose output is random: a Monte Carlo mean against its closed
 * form, and a sample against a distribution (one-sample Kolmogorov-Smirnov). Each fails with a
 * CheckError whose report gives the figures the decision was made on. A statistical check of a
 * correct implementation still fails with a small probability (stated with each check); draw the
 * samples from a fixed key so that a run is reproducible and a pass stays a pass.
 */
import { CheckError } from "./check-error.js";

export interface MonteCarloOptions {
  /** How many times to call `sample` (needed when it is a function; at least 2). */
  readonly draws?: number;
  /** Allowed distance from the expected value in standard errors (default 4). */
  readonly k?: number;
  /** Added to the allowed distance, for an expected value that is itself computed in finite precision (default 0). */
  readonly atol?: number;
  /** A label that starts the report. */
  readonly what?: string;
}

export interface MonteCarloSummary {
  readonly n: number;
  readonly mean: number;
  readonly expected: number;
  /** Standard error of the mean: the sample standard deviation (n - 1 in the denominator) / sqrt(n). */
  readonly se: number;
  /** (mean - expected) / se (0 when they are equal, +-Infinity when se is 0 and they are not). */
  readonly z: number;
}

/**
 * Checks that the mean of the draws is within k standard errors of `expected`:
 * |mean - expected| <= k se + atol. By the central limit theorem a correct estimator fails with
 * probability about 2 (1 - Phi(k)): 6e-5 for k = 4, 6e-7 for k = 5. It needs draws of finite
 * variance, enough of them for the mean to be near normal, and independent ones. `sample` is a
 * function called `draws` times or the draws themselves.
 */
export function expectMonteCarlo(sample: (() => number) | ArrayLike<number>, expected: number,
  options: MonteCarloOptions = {}): MonteCarloSummary {
  const k = options.k ?? 4, atol = options.atol ?? 0, what = options.what ? `${options.what}: ` : "";
  if (!(k > 0) || !(atol >= 0)) throw new RangeError(`expectMonteCarlo: k must be > 0 and atol >= 0, got k ${k}, atol ${atol}`);
  if (!Number.isFinite(expected)) throw new RangeError(`expectMonteCarlo: the expected value must be finite, got ${expected}`);
  const n = typeof sample === "function" ? options.draws ?? 0 : sample.length;
  if (!Number.isInteger(n) || n < 2) {
    throw new RangeError(`expectMonteCarlo: at least 2 draws are needed, got ${typeof sample === "function" ? `draws: ${options.draws}` : n}`);
  }
  // Welford's running mean and sum of squared deviations: no cancellation for draws far from 0.
  let mean = 0, m2 = 0;
  for (let i = 0; i < n; i++) {
    const x = typeof sample === "function" ? sample() : sample[i]!;
    if (!Number.isFinite(x)) {
      throw new CheckError(`${what}expectMonteCarlo: draw ${i} of ${n} is ${x}; a mean needs finite draws`, { index: i, value: x, n });
    }
    const d = x - mean;
    mean += d / (i + 1);
    m2 += d * (x - mean);
  }
  const se = Math.sqrt(m2 / (n - 1) / n);
  const diff = mean - expected;
  const z = diff === 0 ? 0 : se > 0 ? diff / se : diff > 0 ? Infinity : -Infinity;
  const allowed = k * se + atol;
  const summary: MonteCarloSummary = { n, mean, expected, se, z };
  if (!(Math.abs(diff) <= allowed)) {
    throw new CheckError(`${what}expectMonteCarlo: the mean of ${n} draws is ${short(Math.abs(z))} standard errors from the expected value (allowed ${k})\n`
      + `  mean ${mean}, expected ${expected}, standard error ${short(se)}, z = ${short(z)}; `
      + `|mean - expected| = ${short(Math.abs(diff))} > ${k} se${atol > 0 ? " + atol" : ""} = ${short(allowed)}`,
    { ...summary, k, atol, allowed });
  }
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Kolmogorov-Smirnov.

export interface KsResult {
  /** The sample size. */
  readonly n: number;
  /** D = sup_x |F_n(x) - F(x)|, F_n the samples' empirical CDF and F the model's. */
  readonly d: number;
  /** The sample value where D is reached. */
  readonly at: number;
  /** The fraction of the samples on the side of `at` where the gap is: < at when below is true, <= at otherwise. */
  readonly empirical: number;
  /** F(at). */
  readonly model: number;
  /** True when the gap is F(at) - F_n(at-), i.e. the samples have too little mass below `at`. */
  readonly below: boolean;
}

/**
 * The one-sample Kolmogorov-Smirnov statistic of the samples against a continuous CDF. The
 * empirical CDF jumps at each sample, so the supremum is reached at a sample value, just before
 * or at its jump: D = max_i max(F(x_(i)) - (i - 1) / n, i / n - F(x_(i))) over the sorted samples.
 * A NaN sample is a CheckError; a CDF value outside [0, 1] is a RangeError.
 */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): KsResult {
  const n = samples.length;
  if (n === 0) throw new RangeError("ksStatistic: no samples");
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(samples[i])) throw new CheckError(`ksStatistic: sample ${i} of ${n} is NaN`, { index: i, n });
  }
  const xs = Float64Array.from(samples).sort();
  let best: KsResult = { n, d: -1, at: NaN, empirical: NaN, model: NaN, below: false };
  for (let i = 0; i < n; i++) {
    const x = xs[i]!, f = cdf(x);
    if (!(f >= 0 && f <= 1)) throw new RangeError(`ksStatistic: the CDF at ${x} is ${f}, not a probability`);
    const under = f - i / n, over = (i + 1) / n - f;
    if (under > best.d) best = { n, d: under, at: x, empirical: i / n, model: f, below: true };
    if (over > best.d) best = { n, d: over, at: x, empirical: (i + 1) / n, model: f, below: false };
  }
  return best;
}

export interface DistributionOptions {
  /** The significance level: the probability that a correct sampler fails (default 1e-3). */
  readonly alpha?: number;
  /** A label that starts the report. */
  readonly what?: string;
}

export interface DistributionSummary extends KsResult {
  /** The critical value of D at alpha: sqrt(-ln(alpha / 2) / 2) / sqrt(n). */
  readonly critical: number;
}

/**
 * Checks that independent samples follow the distribution with the given continuous CDF: the
 * Kolmogorov-Smirnov statistic D must not exceed the asymptotic critical value
 * sqrt(-ln(alpha / 2) / 2) / sqrt(n), from P(sqrt(n) D > t) ~ 2 exp(-2 t^2), the first term of
 * Kolmogorov's limiting series (the next, 2 exp(-8 t^2), is below 1e-6 for alpha <= 0.05). For
 * finite n, sqrt(n) D is a little smaller than its limit, so the true level is a little below
 * alpha: the check errs on the side of passing. With n in the tens of thousands it sees a shift
 * of the mean or a change of scale of a few percent of the standard deviation.
 */
export function expectDistribution(samples: ArrayLike<number>, cdf: (x: number) => number,
  options: DistributionOptions = {}): DistributionSummary {
  const alpha = options.alpha ?? 1e-3, what = options.what ? `${options.what}: ` : "";
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`expectDistribution: alpha must be in (0, 1), got ${alpha}`);
  const ks = ksStatistic(samples, cdf);
  const critical = Math.sqrt(-Math.log(alpha / 2) / 2) / Math.sqrt(ks.n);
  const summary: DistributionSummary = { ...ks, critical };
  if (!(ks.d <= critical)) {
    const side = ks.below ? "<" : "<=";
    throw new CheckError(`${what}expectDistribution: the samples do not follow the distribution (one-sample Kolmogorov-Smirnov, alpha ${alpha})\n`
      + `  D = ${short(ks.d)} > critical value ${short(critical)} (n = ${ks.n}; sqrt(-ln(alpha / 2) / 2) / sqrt(n))\n`
      + `  largest gap at x = ${short(ks.at)}: ${percent(ks.empirical)} of the samples are ${side} x, the distribution puts ${percent(ks.model)} there`,
    { ...summary, alpha });
  }
  return summary;
}

/**
 * The normal CDF Phi((x - mean) / sd), through erfc: Phi(x) = erfc(-x / sqrt 2) / 2. erfc(z) for
 * z >= 0 is 1 - erf(z) below z = 2, with erf from its series of positive terms (no cancellation),
 * erf(z) = (2 / sqrt pi) exp(-z^2) sum_n 2^n z^(2n+1) / (1 3 5 ... (2n+1)); from z = 2 on it is the
 * continued fraction erfc(z) = exp(-z^2) / sqrt pi / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...))))
 * to 100 terms, evaluated from the tail. Against a float64 erfc on [-12, 12], the absolute error is
 * below 1e-15 and the relative error below 1e-13, tails included.
 */
export function normalCdf(x: number, mean = 0, sd = 1): number {
  if (!(sd > 0)) throw new RangeError(`normalCdf: sd must be > 0, got ${sd}`);
  const t = (x - mean) / sd;
  if (Number.isNaN(t)) return NaN;
  const half = 0.5 * erfcNonNegative(Math.abs(t) / Math.SQRT2);
  return t < 0 ? half : 1 - half;
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erfc(z) for z >= 0 (see normalCdf). */
function erfcNonNegative(z: number): number {
  if (z < 2) {
    const z2 = 2 * z * z;
    let term = z, sum = z;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= z2 / (2 * n + 1);
      sum += term;
    }
    return 1 - TWO_OVER_SQRT_PI * Math.exp(-z * z) * sum;
  }
  if (z === Infinity) return 0;
  let f = z;
  for (let n = 100; n >= 1; n--) f = z + n / 2 / f;
  return Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
}

const short = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));
const percent = (p: number) => `${Number((100 * p).toPrecision(4))}%`;
