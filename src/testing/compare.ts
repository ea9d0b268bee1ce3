/**
 * Comparing numbers and arrays of numbers. Each check throws a CheckError whose message names the
 * worst element (its index, both values, the error and the error allowed there) and how many
 * elements fail; the figures are also in `details`.
 *
 * - `expectClose(actual, expected, { ulps } | { rtol, atol })`: a fixed tolerance.
 * - `expectWithinBound(actual, expected, bounds)`: a bound per element, derived from the
 *   operation with `sumBound`, `dotBound` or `productBound` (rounding-error analysis in the
 *   style of Higham, "Accuracy and Stability of Numerical Algorithms", ch. 3-4).
 * - `expectSameBits(actual, expected)`: bit patterns, for results that must be reproducible.
 *
 * Conventions: NaN matches NaN (any payload) and nothing else, and an infinity only the same
 * infinity, whatever the tolerance; otherwise equal values (+0 and -0 included) pass every check
 * but expectSameBits. A length that differs from the expected one is a failed check
 * (CheckError); bounds or options that do not fit the data are a mistake in the test itself
 * (RangeError).
 */
import { CheckError } from "./check-error.js";

/** Either a number or an array of numbers (plain arrays and typed arrays alike). */
export type Numeric = number | ArrayLike<number>;

/** A label that starts the report (e.g. the case being checked). */
export interface CheckLabel {
  readonly what?: string;
}

/**
 * The tolerance of expectClose: `ulps` float32 units in the last place of the expected value,
 * or numpy's allclose rule |actual - expected| <= atol + rtol * |expected| (a missing atol or
 * rtol is 0).
 */
export type CloseTolerance =
  | ({ readonly ulps: number } & CheckLabel)
  | ({ readonly rtol: number; readonly atol?: number } & CheckLabel)
  | ({ readonly atol: number; readonly rtol?: number } & CheckLabel);

/** Where a comparison is worst: index -1 and ratio 0 when every element is equal. */
export interface Worst {
  readonly index: number;
  readonly actual: number;
  readonly expected: number;
  /** |actual - expected| (NaN when only one side is NaN). */
  readonly error: number;
  readonly allowed: number;
  /** error / allowed: <= 1 passes; Infinity for a NaN on one side only or any error where 0 is allowed. */
  readonly ratio: number;
  /** How many elements fail. */
  readonly failures: number;
  readonly length: number;
}

/** The spacing of float32 numbers at |x|: 2^(e - 23) for 2^e <= |x| < 2^(e + 1), and 2^-149 below 2^-126. */
export function ulpF32(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(a)) return NaN;
  if (a === Infinity) return Infinity;
  if (a < 2 ** -126) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return 2 ** (e - 23);
}

/**
 * Passes when every element of actual is within the tolerance of the same element of expected.
 * With `ulps`, the error is measured in float32 ULPs of the expected value (ulpF32(expected)), so
 * `{ ulps: 0.5 }` asks for the correctly rounded float32 result of an exact expected value.
 */
export function expectClose(actual: Numeric, expected: Numeric, tolerance: CloseTolerance): Worst {
  const what = tolerance.what;
  let allowed: (expected: number) => number;
  let rule: string;
  let inUlps = false;
  if ("ulps" in tolerance && tolerance.ulps !== undefined) {
    const ulps = tolerance.ulps;
    if (!(ulps >= 0)) throw new RangeError(`expectClose: ulps must be a number >= 0, got ${ulps}`);
    allowed = (e) => ulps * ulpF32(e);
    rule = `${ulps} float32 ulps of the expected value`;
    inUlps = true;
  } else {
    const rtol = (tolerance as { rtol?: number }).rtol ?? 0, atol = (tolerance as { atol?: number }).atol ?? 0;
    if (!(rtol >= 0) || !(atol >= 0)) throw new RangeError(`expectClose: rtol and atol must be numbers >= 0, got rtol ${rtol}, atol ${atol}`);
    allowed = (e) => atol + rtol * Math.abs(e);
    rule = `atol ${atol} + rtol ${rtol} * |expected|`;
  }
  const [a, e] = pair(actual, expected, "expectClose", what);
  const worst = scan(a, e, (_, y) => allowed(y));
  if (worst.failures > 0) {
    const ulpNote = (x: number, y: number) => (inUlps && Number.isFinite(x) ? ` (${short(x / ulpF32(y))} ulps)` : "");
    throw failure(`${prefix(what)}expectClose: ${count(worst, typeof actual === "number")} differ by more than ${rule}`,
      worst, typeof actual === "number", (w) => `error ${short(w.error)}${ulpNote(w.error, w.expected)}, allowed ${short(w.allowed)}${ulpNote(w.allowed, w.expected)}`);
  }
  return worst;
}

/**
 * Passes when |actual[i] - expected[i]| <= bounds[i] for every i (one number bounds every
 * element). A bound of 0 asks for equality. Reports the element with the largest error / bound.
 */
export function expectWithinBound(actual: Numeric, expected: Numeric, bounds: Numeric, options: CheckLabel = {}): Worst {
  const [a, e] = pair(actual, expected, "expectWithinBound", options.what);
  const b = typeof bounds === "number" ? null : bounds;
  if (b !== null && b.length !== e.length) {
    throw new RangeError(`expectWithinBound: ${b.length} bounds for ${e.length} expected values`);
  }
  for (let i = 0; i < (b === null ? 1 : b.length); i++) {
    const v = b === null ? bounds as number : b[i]!;
    if (!(v >= 0)) throw new RangeError(`expectWithinBound: bound ${b === null ? "" : `${i} `}is ${v}; bounds are numbers >= 0`);
  }
  const worst = scan(a, e, b === null ? () => bounds as number : (i) => b[i]!);
  if (worst.failures > 0) {
    throw failure(`${prefix(options.what)}expectWithinBound: ${count(worst, typeof actual === "number")} exceed their error bound`,
      worst, typeof actual === "number", (w) => `error ${short(w.error)}, bound ${short(w.allowed)}`);
  }
  return worst;
}

// ---------------------------------------------------------------------------------------------
// Error bounds derived from the operation. `eps` is the unit roundoff of the arithmetic: 2^-24
// for float32 (half the machine epsilon 2^-23), 2^-53 for float64. `tiny` is the format's
// smallest subnormal, the absolute error a product may make when it underflows: 2^-149 for
// float32, 2^-1074 for float64. gamma(n) = n eps / (1 - n eps) bounds the relative error that n
// roundings accumulate on one path of a computation.

export interface BoundOptions {
  /** The unit roundoff (default 2^-24, float32). */
  readonly eps?: number;
  /** The smallest subnormal, for products that underflow (default 2^-149, float32). */
  readonly tiny?: number;
}

export interface ProductBoundOptions extends BoundOptions {
  /**
   * "deterministic" (the default): gamma(K + 2) times the magnitudes, a worst case that holds
   * for every input and every order of summation (blocked, SIMD lanes, fused multiply-adds).
   * "probabilistic": 8 sqrt(K + 1) eps times the magnitudes plus 2 eps |result|, i.e.
   * 4 sqrt(K + 1) times the machine epsilon 2 eps (the bound latent's own GEMM tests use). Rounding
   * errors that behave like independent zero-mean variables stay within lambda sqrt(n) eps of
   * the magnitudes except with probability about 2 exp(-lambda^2 / 2) (Higham and Mary 2019),
   * which for lambda = 8 is ~1e-14 per element. It is tighter than the worst case once K > ~60,
   * but it assumes errors that cancel: summing many terms of one sign in a plain left-to-right
   * loop can exceed it, so use it for inputs of mixed signs or kernels that sum in blocks.
   */
  readonly form?: "deterministic" | "probabilistic";
}

/** gamma(n) = n eps / (1 - n eps); a RangeError when n eps >= 1 (no bound exists). */
export function gamma(n: number, eps = 2 ** -24): number {
  const ne = n * eps;
  if (!(ne < 1) || n < 0) throw new RangeError(`gamma: n eps must be in [0, 1), got n = ${n}, eps = ${eps}`);
  return ne / (1 - ne);
}

/**
 * The error bound of a floating-point sum of the given terms, in any order: gamma(n) sum |t_i|
 * for n terms. The worst-case form is used, not the probabilistic sqrt(n) one: a sum is where
 * rounding errors correlate (terms of one sign and similar size added left to right round the
 * same way each time; 10^6 float32 additions of 0.1 are off by ~1%, far outside sqrt(n) eps but
 * within n eps), so only the worst case never rejects a correct implementation. gamma(n) rather
 * than gamma(n - 1): one rounding to spare, for an accumulator that starts from a value or a
 * result stored in a narrower format.
 */
export function sumBound(terms: ArrayLike<number>, options: BoundOptions = {}): number {
  const eps = options.eps ?? 2 ** -24;
  let magnitude = 0;
  for (let i = 0; i < terms.length; i++) magnitude += Math.abs(terms[i]!);
  return gamma(terms.length, eps) * magnitude;
}

/**
 * The error bound of the dot product of a and b (K = a.length terms). Deterministic:
 * gamma(K) sum |a_i b_i| + K tiny (K products, K - 1 additions on any path). Probabilistic: as
 * productBound, 8 sqrt(K + 1) eps sum |a_i b_i| + 2 eps |a . b| + (K + 2) tiny.
 */
export function dotBound(a: ArrayLike<number>, b: ArrayLike<number>, options: ProductBoundOptions = {}): number {
  if (a.length !== b.length) throw new RangeError(`dotBound: vectors of ${a.length} and ${b.length} elements`);
  const K = a.length, eps = options.eps ?? 2 ** -24, tiny = options.tiny ?? 2 ** -149;
  let magnitude = 0, dot = 0;
  for (let i = 0; i < K; i++) { magnitude += Math.abs(a[i]! * b[i]!); dot += a[i]! * b[i]!; }
  if ((options.form ?? "deterministic") === "deterministic") return gamma(K, eps) * magnitude + K * tiny;
  return 8 * Math.sqrt(K + 1) * eps * magnitude + 2 * eps * Math.abs(dot) + (K + 2) * tiny;
}

/**
 * The shape and layout of C = alpha op(A) op(B) + beta C, BLAS-style, row-major: op(A) is M x K
 * (A stored [M, K], or [K, M] with transA), op(B) is K x N (B stored [K, N], or [N, K] with
 * transB); lda, ldb and ldc are row strides (default: dense). `c`, the initial C, is read only
 * when beta is not 0.
 */
export interface GemmShape {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly lda?: number;
  readonly ldb?: number;
  readonly ldc?: number;
  readonly alpha?: number;
  readonly beta?: number;
  readonly c?: ArrayLike<number>;
}

/**
 * The error bound of each element of a matrix product, laid out like C (M ldc values; 0, i.e.
 * "unchanged", in the row padding beyond N). With S = |op(A)| |op(B)| and c0 the initial C:
 * - deterministic: gamma(K + 2) (|alpha| S + |beta c0|) + (K + 2) tiny (on any element's path: K
 *   products and K - 1 additions, the scaling by alpha, the product beta c0 and one more addition);
 * - probabilistic: 8 sqrt(K + 1) eps (|alpha| S + |beta c0|) + 2 eps |C| + (K + 2) tiny, with C
 *   the float64 product (latent's GEMM tests: 4 sqrt(K + 1) 2^-23 with eps = 2^-24).
 * A number in place of the shape is K for a dense product without transposes: M = a.length / K
 * and N = b.length / K.
 */
export function productBound(a: ArrayLike<number>, b: ArrayLike<number>, shape: number | GemmShape,
  options: ProductBoundOptions = {}): Float64Array {
  const s: GemmShape = typeof shape === "number" ? denseShape(a.length, b.length, shape) : shape;
  const { M, N, K } = s;
  for (const [name, v] of [["M", M], ["N", N], ["K", K]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`productBound: ${name} must be an integer >= 0, got ${v}`);
  }
  const tA = s.transA ?? false, tB = s.transB ?? false;
  const lda = s.lda ?? (tA ? M : K), ldb = s.ldb ?? (tB ? K : N), ldc = s.ldc ?? N;
  const alpha = s.alpha ?? 1, beta = s.beta ?? 0;
  const need = (rows: number, ld: number, cols: number) => (rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols);
  if (ldc < N) throw new RangeError(`productBound: ldc ${ldc} < N ${N}`);
  if (lda < (tA ? M : K) || a.length < need(tA ? K : M, lda, tA ? M : K)) {
    throw new RangeError(`productBound: A of ${a.length} values with lda ${lda} cannot hold op(A) of ${M} x ${K}${tA ? " (transposed)" : ""}`);
  }
  if (ldb < (tB ? K : N) || b.length < need(tB ? N : K, ldb, tB ? K : N)) {
    throw new RangeError(`productBound: B of ${b.length} values with ldb ${ldb} cannot hold op(B) of ${K} x ${N}${tB ? " (transposed)" : ""}`);
  }
  const c = beta === 0 ? null : s.c;
  if (beta !== 0 && (c === undefined || c === null || c.length < need(M, ldc, N))) {
    throw new RangeError(`productBound: beta is ${beta}, so the initial C (${M} x ${N}, ldc ${ldc}) is needed`);
  }
  const eps = options.eps ?? 2 ** -24, tiny = options.tiny ?? 2 ** -149;
  const deterministic = (options.form ?? "deterministic") === "deterministic";
  const scale = deterministic ? gamma(K + 2, eps) : 8 * Math.sqrt(K + 1) * eps;
  const out = new Float64Array(M * ldc);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let magnitude = 0, sum = 0;
      for (let k = 0; k < K; k++) {
        const p = (tA ? a[k * lda + i]! : a[i * lda + k]!) * (tB ? b[j * ldb + k]! : b[k * ldb + j]!);
        magnitude += Math.abs(p);
        sum += p;
      }
      const c0 = c ? beta * c[i * ldc + j]! : 0;
      const total = Math.abs(alpha) * magnitude + Math.abs(c0);
      out[i * ldc + j] = scale * total + (deterministic ? 0 : 2 * eps * Math.abs(alpha * sum + c0)) + (K + 2) * tiny;
    }
  }
  return out;
}

function denseShape(aLength: number, bLength: number, K: number): GemmShape {
  if (!Number.isInteger(K) || K < 1 || aLength % K !== 0 || bLength % K !== 0) {
    throw new RangeError(`productBound: with K = ${K}, A of ${aLength} and B of ${bLength} values are not M x K and K x N (pass a GemmShape for K = 0 or strided layouts)`);
  }
  return { M: aLength / K, N: bLength / K, K };
}

// ---------------------------------------------------------------------------------------------
// Bit patterns.

/**
 * Passes when actual and expected have the same bit patterns: -0 differs from 0 and NaNs differ
 * by payload. A Float32Array compares as float32 bits and must be compared with a Float32Array;
 * numbers, plain arrays and other typed arrays compare as float64 bits (for integer arrays, the
 * same as equal values). Reports the first differing index, both values and their bits, and how
 * many elements differ.
 */
export function expectSameBits(actual: Numeric, expected: Numeric, options: CheckLabel = {}): void {
  const what = options.what;
  const [a, e] = pair(actual, expected, "expectSameBits", what);
  const aF32 = a instanceof Float32Array, eF32 = e instanceof Float32Array;
  if (aF32 !== eF32) {
    throw new CheckError(`${prefix(what)}expectSameBits: element types differ: actual is ${kind(a)}, expected is ${kind(e)} (float32 bits compare only with float32 bits)`,
      { actualType: kind(a), expectedType: kind(e) });
  }
  const ra = bitReader(a), re = bitReader(e);
  let first = -1, differ = 0;
  for (let i = 0; i < e.length; i++) {
    if (ra.lo(i) !== re.lo(i) || ra.hi(i) !== re.hi(i)) { if (first < 0) first = i; differ++; }
  }
  if (first >= 0) {
    const scalar = typeof actual === "number";
    const where = scalar ? "" : ` at index ${first}`;
    const many = scalar ? "the bits differ" : `${differ} of ${e.length} elements differ`;
    const aBits = ra.hex(first), eBits = re.hex(first);
    throw new CheckError(`${prefix(what)}expectSameBits: ${many} (${aF32 ? "float32" : "float64"} bit patterns)\n`
      + `  first${where}: actual ${fmt(a[first]!)} (bits ${aBits}), expected ${fmt(e[first]!)} (bits ${eBits})`,
    { index: first, actual: a[first], expected: e[first], actualBits: aBits, expectedBits: eBits, differ, length: e.length });
  }
}

interface BitReader {
  lo(i: number): number;
  hi(i: number): number;
  hex(i: number): string;
}

/**
 * The bits of element i. Float arrays are read through their buffers, since reading a NaN as a
 * number may quieten its payload; anything else is read as a number and stored as a float64.
 */
function bitReader(x: ArrayLike<number>): BitReader {
  const hex = (w: number) => w.toString(16).padStart(8, "0");
  if (x instanceof Float32Array) {
    const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
    return { lo: (i) => u[i]!, hi: () => 0, hex: (i) => `0x${hex(u[i]!)}` };
  }
  if (x instanceof Float64Array) {
    const u = new Uint32Array(x.buffer, x.byteOffset, 2 * x.length);
    return { lo: (i) => u[2 * i]!, hi: (i) => u[2 * i + 1]!, hex: (i) => `0x${hex(u[2 * i + 1]!)}${hex(u[2 * i]!)}` };
  }
  const f = new Float64Array(1), u = new Uint32Array(f.buffer);
  const lo = (i: number) => { f[0] = x[i]!; return u[0]!; }, hi = (i: number) => { f[0] = x[i]!; return u[1]!; };
  return { lo, hi, hex: (i) => `0x${hex(hi(i))}${hex(lo(i))}` };
}

function kind(x: ArrayLike<number>): string {
  return Array.isArray(x) ? "Array" : (x as object).constructor?.name ?? typeof x;
}

// ---------------------------------------------------------------------------------------------
// Shared by the checks.

/** Both sides as array-likes of one length; a CheckError when the shapes or lengths differ. */
function pair(actual: Numeric, expected: Numeric, check: string, what: string | undefined): [ArrayLike<number>, ArrayLike<number>] {
  const aNum = typeof actual === "number", eNum = typeof expected === "number";
  if (aNum !== eNum) {
    throw new CheckError(`${prefix(what)}${check}: actual is ${aNum ? "a number" : `an array of ${(actual as ArrayLike<number>).length}`}, `
      + `expected is ${eNum ? "a number" : `an array of ${(expected as ArrayLike<number>).length}`}`, { actual, expected });
  }
  const a = aNum ? [actual] : actual as ArrayLike<number>, e = eNum ? [expected] : expected as ArrayLike<number>;
  if (a.length !== e.length) {
    throw new CheckError(`${prefix(what)}${check}: lengths differ: actual has ${a.length} elements, expected ${e.length}`,
      { actualLength: a.length, expectedLength: e.length });
  }
  return [a, e];
}

/** The worst element under `allowed`; equal values and NaN against NaN pass. */
function scan(a: ArrayLike<number>, e: ArrayLike<number>, allowed: (i: number, expected: number) => number): Worst {
  let worst: Worst = { index: -1, actual: NaN, expected: NaN, error: 0, allowed: 0, ratio: 0, failures: 0, length: e.length };
  let failures = 0;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!, y = e[i]!;
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    const error = Math.abs(x - y);
    // A NaN on one side only, or an infinity the other side does not share, fails under any bound.
    const mismatch = Number.isNaN(error) || error === Infinity;
    const limit = mismatch ? allowed(i, Number.isNaN(y) ? x : y) : allowed(i, y);
    const ratio = mismatch ? Infinity : limit > 0 ? error / limit : error === 0 ? 0 : Infinity;
    if (mismatch || !(error <= limit)) failures++;
    if (ratio > worst.ratio || worst.index < 0) worst = { index: i, actual: x, expected: y, error, allowed: limit, ratio, failures: 0, length: e.length };
  }
  return { ...worst, failures };
}

function failure(head: string, w: Worst, scalar: boolean, errorText: (w: Worst) => string): CheckError {
  const nanNote = Number.isNaN(w.error) ? " (NaN on one side only)" : "";
  const where = scalar ? "" : ` at index ${w.index}`;
  return new CheckError(`${head}\n  worst${where}: actual ${fmt(w.actual)}, expected ${fmt(w.expected)}${nanNote}, `
    + `${errorText(w)}${Number.isFinite(w.ratio) ? ` (${short(w.ratio)} x allowed)` : ""}`, { ...w });
}

function count(w: Worst, scalar: boolean): string {
  return scalar ? "the values" : `${w.failures} of ${w.length} elements`;
}

const prefix = (what: string | undefined) => (what ? `${what}: ` : "");

/** A value as it is (shortest round-trip form). */
const fmt = (x: number) => (Object.is(x, -0) ? "-0" : String(x));

/** An error, a bound or a ratio to 4 significant digits. */
const short = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));
