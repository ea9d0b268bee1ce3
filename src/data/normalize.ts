/**
 * How stored pixels become model inputs in [0, 1]. Runtime-neutral.
 *
 *   global  uint8 v -> v / 255 for every band (float pixels pass unchanged): MNIST, Fashion-MNIST.
 *   band    one affine map per band (channel), fitted on the TRAINING split only:
 *           x = clip((v - low_b) / (high_b - low_b), 0, 1), where low_b and high_b are the
 *           1st and 99th percentiles of band b's uint8 values (by default).
 *
 * Why per band: multispectral patches (SAT-6: R, G, B, NIR) use a different part of 0..255 in
 * each band (NIR is bright over vegetation, blue is dark and narrow), so v / 255 leaves some
 * bands squeezed into a small interval and the loss is dominated by the wide ones.
 * Why percentiles and not min/max or mean/std: min and max are set by a handful of saturated or
 * dead pixels, which would squeeze the bulk of the data again; mean/std would put values outside
 * [0, 1], and the Bernoulli likelihood (binary cross-entropy) needs targets in [0, 1]. The 1st
 * and 99th percentiles are robust to those outliers.
 * Why clipped: the 2% of values beyond the percentiles would otherwise leave [0, 1] (and the test
 * split, not seen by the fit, can go further); clipping them to 0 or 1 keeps the likelihood valid
 * and loses only the extremes of the tails.
 * A band whose two percentiles coincide (constant, or nearly so) gets a width of one grey level
 * (high - low is taken as at least 1), so nothing divides by zero: values <= low map to 0, values
 * above it to 1, and the inverse gives the constant back exactly.
 *
 * The fit is one streaming pass over the uint8 values: a 256-bin histogram per band, from which
 * any percentile is exact (the value a full sort would put at that rank).
 *
 * Errors: normalizationFromJson reads metadata from a file, so it returns Either<DataError, _>;
 * the other functions take values from the program and throw ConfigError (an option out of its
 * domain, e.g. percentiles) or ShapeError (sizes that do not fit together).
 */
import * as E from "fp-ts/lib/Either.js";
import { ConfigError } from "../nn/layer.js";
import { ShapeError } from "../tensor/tensor.js";
import { DataError } from "./errors.js";
import type { Split } from "./dataset.js";

export type Normalization =
  | { readonly method: "global" }
  | {
    readonly method: "band";
    /** The percentiles fitted, e.g. [1, 99]. */
    readonly percentiles: readonly [number, number];
    /** Per band, in uint8 units: the values mapped to 0 and to 1. */
    readonly low: readonly number[];
    readonly high: readonly number[];
  };

export const GLOBAL: Normalization = Object.freeze({ method: "global" });

export const DEFAULT_PERCENTILES: readonly [number, number] = Object.freeze([1, 99]) as readonly [number, number];

/**
 * Per-band histograms of interleaved uint8 values (band b of sample-major HWC data is every
 * channels-th value from b): 256 counts per band, band b's at [256 * b, 256 * b + 256).
 */
export function bandHistograms(pixels: Uint8Array, channels: number): Float64Array {
  if (!Number.isSafeInteger(channels) || channels < 1) throw new ConfigError(`channels must be a positive integer, got ${channels}`);
  if (pixels.length % channels !== 0) throw new ShapeError(`${pixels.length} values are not a whole number of ${channels}-band pixels`);
  const hist = new Float64Array(256 * channels);
  if (channels === 1) {
    for (let i = 0; i < pixels.length; i++) hist[pixels[i]!]!++;
    return hist;
  }
  // Uint32 counts in chunks (fast), added into the float64 totals before they could overflow.
  const counts = new Uint32Array(256 * channels);
  const CHUNK = channels * 2 ** 24;
  for (let start = 0; start < pixels.length; start += CHUNK) {
    const end = Math.min(pixels.length, start + CHUNK);
    for (let i = start; i < end; i += channels) {
      for (let b = 0; b < channels; b++) counts[(b << 8) | pixels[i + b]!]!++;
    }
    for (let j = 0; j < counts.length; j++) hist[j]! += counts[j]!;
    counts.fill(0);
  }
  return hist;
}

/** The value at 0-based rank k (0 <= k < total) of the sorted values whose histogram starts at `offset`. */
export function valueAtRank(hist: ArrayLike<number>, offset: number, k: number): number {
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[offset + v]!;
    if (seen > k) return v;
  }
  throw new ShapeError(`rank ${k} is beyond the ${seen} values of the histogram`);
}

/**
 * Ranks of the low and high percentiles among `count` sorted values: floor(pLow (count - 1) / 100)
 * and ceil(pHigh (count - 1) / 100) (numpy's "lower" and "higher" methods: always a data value,
 * and the range [low, high] rounds outwards). Exact in integer arithmetic for integer percentiles.
 */
export function percentileRanks(count: number, percentiles: readonly [number, number]): [number, number] {
  const [pl, ph] = percentiles;
  return [Math.floor((pl * (count - 1)) / 100), Math.ceil((ph * (count - 1)) / 100)];
}

/** A value as JSON text for messages; values JSON cannot hold (BigInt, cycles) as String(value). */
function shown(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** What is wrong with a percentile pair, or null when it is [low, high] with 0 <= low <= high <= 100. */
function percentilesProblem(p: unknown): string | null {
  const ok = Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 100)
    && (p[0] as number) <= (p[1] as number);
  return ok ? null : `percentiles must be [low, high] with 0 <= low <= high <= 100, got ${shown(p)}`;
}

/**
 * Fits the per-band normalisation on a split's uint8 pixels (`channels` interleaved bands).
 * An empty split gives the global range (0 and 255) for every band. Throws ConfigError for
 * percentiles out of [0, 100] or reversed, and for float pixels (they are already in [0, 1]).
 */
export function fitBandNormalization(split: Pick<Split, "pixels">, channels: number,
  percentiles: readonly [number, number] = DEFAULT_PERCENTILES): Normalization {
  const problem = percentilesProblem(percentiles);
  if (problem !== null) throw new ConfigError(problem);
  if (!(split.pixels instanceof Uint8Array)) {
    throw new ConfigError("per-band normalisation is fitted on uint8 pixels; this data set holds float values (already in [0, 1])");
  }
  const hist = bandHistograms(split.pixels, channels);
  const count = split.pixels.length / channels;
  const low: number[] = [], high: number[] = [];
  const [kl, kh] = percentileRanks(count, percentiles);
  for (let b = 0; b < channels; b++) {
    low.push(count === 0 ? 0 : valueAtRank(hist, 256 * b, kl));
    high.push(count === 0 ? 255 : valueAtRank(hist, 256 * b, kh));
  }
  return { method: "band", percentiles: [percentiles[0], percentiles[1]], low, high };
}

/** high - low of band b, at least 1 (a constant band does not divide by zero). */
export function bandWidth(norm: Extract<Normalization, { method: "band" }>, b: number): number {
  return Math.max(norm.high[b]! - norm.low[b]!, 1);
}

/**
 * The input value of every uint8 value in every band: entry [v * c + b] for band b of c
 * (c = 1 for global). Global entries are v * (1 / 255) rounded to f32, as the per-batch scaling
 * always computed them. Made on each call (256 values a band: far less than a batch's pixels).
 */
export function normalizationTable(norm: Normalization): Float32Array {
  let t: Float32Array;
  if (norm.method === "global") {
    t = new Float32Array(256);
    const scale = 1 / 255;
    for (let v = 0; v < 256; v++) t[v] = v * scale;
  } else {
    const c = norm.low.length;
    t = new Float32Array(256 * c);
    for (let b = 0; b < c; b++) {
      const lo = norm.low[b]!, w = bandWidth(norm, b);
      for (let v = 0; v < 256; v++) t[v * c + b] = Math.min(1, Math.max(0, (v - lo) / w));
    }
  }
  return t;
}

/** Bands of the data a normalisation applies to (null: any). */
export function normalizationBands(norm: Normalization): number | null {
  return norm.method === "band" ? norm.low.length : null;
}

/**
 * Model values (inputs, reconstructions, samples: `channels`-band HWC rows) mapped back to the
 * stored uint8 scale divided by 255, i.e. what v / 255 shows: the original look of the data,
 * whatever the normalisation. Global: unchanged. Band: (low_b + x (high_b - low_b)) / 255.
 * Band returns a fresh array, global the same one (the input is never modified).
 */
export function denormalizeForDisplay(norm: Normalization, values: Float32Array): Float32Array {
  if (norm.method === "global") return values;
  const c = norm.low.length;
  if (values.length % c !== 0) throw new ShapeError(`${values.length} values are not a whole number of ${c}-band pixels`);
  const out = new Float32Array(values.length);
  const lo = norm.low.map((l) => l / 255), w = norm.low.map((_, b) => bandWidth(norm, b) / 255);
  for (let i = 0; i < values.length; i += c) {
    for (let b = 0; b < c; b++) out[i + b] = lo[b]! + values[i + b]! * w[b]!;
  }
  return out;
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * The "latent.normalization" metadata of a model file. Global keeps the form files always had,
 * {pixels, scale, imageShape}; band adds method, percentiles, low and high (uint8 units).
 */
export function normalizationToJson(norm: Normalization, pixels: "uint8" | "float32", imageShape: readonly number[]): { readonly [key: string]: Json } {
  if (norm.method === "global") return { pixels, scale: pixels === "uint8" ? 1 / 255 : 1, imageShape: [...imageShape] };
  return { pixels, imageShape: [...imageShape], method: "band", percentiles: [...norm.percentiles], low: [...norm.low], high: [...norm.high] };
}

/**
 * The normalisation stored in a model file's metadata. Absent (undefined or null), or an object
 * without "method" (every file written before per-band normalisation existed), or method
 * "global": v / 255. Left: a DataError (where: `where`) for anything else that is not well-formed
 * band metadata, saying which field is wrong and what it holds.
 */
export function normalizationFromJson(json: unknown, where: string): E.Either<DataError, Normalization> {
  const bad = (why: string) => E.left(new DataError(where, `normalization metadata: ${why}`));
  if (json === undefined || json === null) return E.right(GLOBAL);
  if (typeof json !== "object" || Array.isArray(json)) return bad(`expected a JSON object, found ${shown(json)}`);
  const o = json as Record<string, unknown>;
  if (o.method === undefined || o.method === "global") return E.right(GLOBAL);
  if (o.method !== "band") return bad(`method ${shown(o.method)} is not known (expected "global" or "band")`);
  const isBands = (v: unknown): v is number[] =>
    Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255);
  for (const field of ["low", "high"] as const) {
    if (!isBands(o[field])) return bad(`${field} must be a non-empty list of integers in [0, 255], got ${shown(o[field])}`);
  }
  const low = o.low as number[], high = o.high as number[];
  if (low.length !== high.length) return bad(`low has ${low.length} bands but high has ${high.length}`);
  const b = low.findIndex((l, i) => l > high[i]!);
  if (b >= 0) return bad(`band ${b} has low ${low[b]} above high ${high[b]}`);
  const p = o.percentiles;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === "number")) return bad(`percentiles must be [low, high], got ${shown(p)}`);
  const problem = percentilesProblem(p);
  if (problem !== null) return bad(problem);
  return E.right({ method: "band", percentiles: [p[0] as number, p[1] as number], low, high });
}

/** One line for logs: "v / 255" or "per band, 1st-99th percentiles: [12, 200], ...". */
export function describeNormalization(norm: Normalization): string {
  if (norm.method === "global") return "v / 255";
  const ranges = norm.low.map((l, b) => `${l}..${norm.high[b]}`).join(", ");
  return `per band, percentiles ${norm.percentiles[0]}-${norm.percentiles[1]} to [0, 1]: ${ranges}`;
}
