/**
 * Static frequency tables for the range coder, made from symbol counts by one deterministic
 * integer rule that the encoder and the decoder both apply to the counts stored in the file:
 *   total count n <= 2^16: the counts themselves (the code length is then the empirical entropy);
 *   n > 2^16: freq_s = 0 for count 0, else max(1, floor(count_s * (2^16 - K) / n)), K = alphabet
 *   size, so the total stays <= 2^16 and every symbol that occurs can be coded.
 * The products stay below 2^53 and the quotients are exact-or-floored in float64 (n <= 2^32), so the
 * rule gives the same integers in every runtime.
 */
import { ConfigError } from "../../nn/layer.js";

/** Largest total of a table: the coder's range stays >= 2^24, so range / total >= 2^8. */
export const MAX_TOTAL = 2 ** 16;
/** Largest alphabet (symbols 0 .. 2^12 - 1): leaves 2^16 - 2^12 for the scaled counts. */
export const MAX_ALPHABET = 2 ** 12;

export interface FrequencyTable {
  /** Sum of freq (0 only for a table that codes nothing). */
  readonly total: number;
  readonly freq: Uint32Array;
  /** cum[s] = freq[0] + ... + freq[s - 1]; cum[K] = total. */
  readonly cum: Uint32Array;
}

/** The table the coder uses for these counts (see the module comment). */
export function frequencyTable(counts: ArrayLike<number>): FrequencyTable {
  const K = counts.length;
  if (K < 1 || K > MAX_ALPHABET) throw new ConfigError(`an alphabet has 1 to ${MAX_ALPHABET} symbols, got ${K}`);
  let n = 0;
  for (let s = 0; s < K; s++) {
    const c = counts[s]!;
    if (!(Number.isSafeInteger(c) && c >= 0)) throw new ConfigError(`count ${s} must be a non-negative integer, got ${c}`);
    n += c;
  }
  if (n >= 2 ** 32) throw new ConfigError(`the counts add up to ${n}, at most 2^32 - 1 allowed`);
  const freq = new Uint32Array(K);
  const scale = MAX_TOTAL - K;
  for (let s = 0; s < K; s++) {
    const c = counts[s]!;
    freq[s] = n <= MAX_TOTAL || c === 0 ? c : Math.max(1, Math.floor((c * scale) / n));
  }
  const cum = new Uint32Array(K + 1);
  for (let s = 0; s < K; s++) cum[s + 1] = cum[s]! + freq[s]!;
  return { total: cum[K]!, freq, cum };
}

/** The symbol s with cum[s] <= v < cum[s + 1], for 0 <= v < total (binary search; never a symbol of frequency 0). */
export function symbolAt(t: FrequencyTable, v: number): number {
  let lo = 0, hi = t.freq.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (t.cum[mid]! <= v) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/** Per-dimension counts of symbols [n, dims] (sample-major): counts[j][s]. */
export function countSymbols(symbols: ArrayLike<number>, dims: number, alphabet: number): Uint32Array[] {
  const counts = Array.from({ length: dims }, () => new Uint32Array(alphabet));
  for (let i = 0; i < symbols.length; i++) counts[i % dims]![symbols[i]!]!++;
  return counts;
}

/** Bits the coder needs for these counts with their own table: sum over s of count_s * -log2(freq_s / total). */
export function idealBits(counts: ArrayLike<number>): number {
  const t = frequencyTable(counts);
  let bits = 0;
  for (let s = 0; s < counts.length; s++) if (counts[s]! > 0) bits -= counts[s]! * Math.log2(t.freq[s]! / t.total);
  return bits;
}
