/**
 * Scalar quantisers of codes [n, L] (sample-major) to symbols 0 .. K - 1, K = 2^bits, per dimension.
 *
 *   uniform  (AE)   per dimension j, K equal bins over [lo_j, hi_j] (the training codes' range):
 *                   s = clamp(floor((z - lo) K / (hi - lo)), 0, K - 1), decoded at the bin's centre
 *                   lo + (s + 1/2) (hi - lo) / K. Codes outside the range go to the end bins. A
 *                   dimension with hi = lo codes everything as 0, decoded at lo.
 *   normal   (VAE)  the prior's quantiles: bin s is [t_s, t_{s+1}) with t_s = Phi^-1(s / K), i.e. K
 *                   equiprobable bins of N(0, 1) (s = the number of thresholds t_1 .. t_{K-1} <= z,
 *                   which is floor(K Phi(z)) without evaluating Phi); decoded at Phi^-1((s + 1/2) / K),
 *                   the bin's median under the prior (its centre in probability). No parameters.
 *
 * Decoded values are float32 (Math.fround of the float64 level). Uniform levels use only IEEE
 * basic operations, so every runtime decodes the same bits; normal levels go through Math.log and
 * Math.sqrt (AS241), which runtimes could in principle round differently in the last float64 bit.
 */
import { ConfigError } from "../../nn/layer.js";
import { ShapeError } from "../../tensor/tensor.js";
import { inverseNormalCdf } from "../../viz/figures/manifold.js";
import { MAX_ALPHABET } from "./frequency.js";

export type Quantiser =
  | { readonly kind: "uniform"; readonly lo: Float32Array; readonly hi: Float32Array }
  | { readonly kind: "normal" };

export const MAX_BITS = Math.log2(MAX_ALPHABET);

export function checkBits(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_BITS) throw new ConfigError(`bits must be an integer in [1, ${MAX_BITS}], got ${bits}`);
  return bits;
}

function checkCodes(codes: ArrayLike<number>, L: number, what: string): void {
  if (!Number.isSafeInteger(L) || L < 1) throw new ShapeError(`${what}: the code size must be a positive integer, got ${L}`);
  if (codes.length % L !== 0) throw new ShapeError(`${what}: ${codes.length} values are not a whole number of codes of ${L}`);
  for (let i = 0; i < codes.length; i++) {
    if (!Number.isFinite(codes[i]!)) throw new ConfigError(`${what}: code ${Math.floor(i / L)} has a non-finite value (${codes[i]}) in dimension ${i % L}`);
  }
}

/** The uniform quantiser over the range of `codes` [n, L] in each dimension (n >= 1). */
export function fitUniform(codes: ArrayLike<number>, L: number): Quantiser {
  checkCodes(codes, L, "fitUniform");
  if (codes.length === 0) throw new ShapeError("fitUniform: no codes to take the range of");
  const lo = new Float32Array(L).fill(Infinity), hi = new Float32Array(L).fill(-Infinity);
  for (let i = 0; i < codes.length; i++) {
    const j = i % L, z = codes[i]!;
    if (z < lo[j]!) lo[j] = z;
    if (z > hi[j]!) hi[j] = z;
  }
  return { kind: "uniform", lo, hi };
}

/** The number of dimensions a quantiser is for (null: any). */
export function quantiserDims(q: Quantiser): number | null {
  return q.kind === "uniform" ? q.lo.length : null;
}

function checkQuantiser(q: Quantiser, L: number): void {
  if (q.kind === "normal") return;
  if (q.lo.length !== L || q.hi.length !== L) throw new ShapeError(`a uniform quantiser for ${q.lo.length} dimensions cannot take codes of ${L}`);
  for (let j = 0; j < L; j++) {
    if (!(Number.isFinite(q.lo[j]!) && Number.isFinite(q.hi[j]!) && q.lo[j]! <= q.hi[j]!)) {
      throw new ConfigError(`uniform quantiser: dimension ${j} has the range [${q.lo[j]}, ${q.hi[j]}], expected finite lo <= hi`);
    }
  }
}

/** Thresholds t_1 .. t_{K-1} of the normal quantiser (float64). */
function normalThresholds(K: number): Float64Array {
  return Float64Array.from({ length: K - 1 }, (_, i) => inverseNormalCdf((i + 1) / K));
}

/** The decoded value of each symbol in each dimension: levels[j * K + s] (uniform) or levels[s] (normal). */
export function quantiserLevels(q: Quantiser, bits: number, L: number): Float32Array {
  const K = 2 ** checkBits(bits);
  checkQuantiser(q, L);
  if (q.kind === "normal") return Float32Array.from({ length: K }, (_, s) => inverseNormalCdf((s + 0.5) / K));
  const out = new Float32Array(L * K);
  for (let j = 0; j < L; j++) {
    const lo = q.lo[j]!, width = q.hi[j]! - lo;
    for (let s = 0; s < K; s++) out[j * K + s] = width > 0 ? lo + ((s + 0.5) * width) / K : lo;
  }
  return out;
}

/** Symbols [n, L] of codes [n, L] (sample-major). */
export function quantise(q: Quantiser, bits: number, codes: ArrayLike<number>, L: number): Uint16Array {
  const K = 2 ** checkBits(bits);
  checkCodes(codes, L, "quantise");
  checkQuantiser(q, L);
  const out = new Uint16Array(codes.length);
  if (q.kind === "normal") {
    const t = normalThresholds(K);
    for (let i = 0; i < codes.length; i++) {
      const z = codes[i]!;
      let lo = 0, hi = K - 1; // s = number of thresholds <= z, by binary search
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (t[mid - 1]! <= z) lo = mid; else hi = mid - 1;
      }
      out[i] = lo;
    }
    return out;
  }
  for (let i = 0; i < codes.length; i++) {
    const j = i % L, lo = q.lo[j]!, width = q.hi[j]! - lo;
    const s = width > 0 ? Math.floor(((codes[i]! - lo) * K) / width) : 0;
    out[i] = Math.min(K - 1, Math.max(0, s));
  }
  return out;
}

/** Codes [n, L] (float32) decoded from symbols [n, L]. */
export function dequantise(q: Quantiser, bits: number, symbols: ArrayLike<number>, L: number): Float32Array {
  const K = 2 ** checkBits(bits);
  const levels = quantiserLevels(q, bits, L);
  if (symbols.length % L !== 0) throw new ShapeError(`dequantise: ${symbols.length} symbols are not a whole number of codes of ${L}`);
  const out = new Float32Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i]!;
    if (!(Number.isInteger(s) && s >= 0 && s < K)) throw new ConfigError(`dequantise: symbol ${i} is ${s}, outside 0..${K - 1}`);
    out[i] = levels[q.kind === "normal" ? s : (i % L) * K + s]!;
  }
  return out;
}
