/**
 * Explicit, splittable random keys in the style of JAX. A key is two u32 words; it is never
 * mutated and every function of a key is pure: the same key always gives the same numbers.
 * Streams (the second counter word) separate uses of one key:
 *   stream 0: the numbers themselves (bits, uniform, normal; also the kernels' default);
 *   stream 1: split (child j = threefry2x32(key, (j, 1)));
 *   stream 2: foldIn (threefry2x32(key, (data, 2))).
 * bits, uniform and normal of one key all read the same words of stream 0: split the key
 * before drawing twice. Block i of a stream is threefry2x32(key, (i, stream)) and gives the
 * words 2i and 2i + 1; an odd count drops the last word (as the kernels do).
 */
import { streamBits, streamNormalF64, streamUniform, threefry2x32 } from "./threefry.js";

/** A random key: a frozen object of two u32 words. Make one with `key`, `split`, `foldIn` or `keyFromData`. */
export interface Key {
  readonly k0: number;
  readonly k1: number;
}

const TWO_32 = 4294967296;

function isU32(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 0 && x < TWO_32;
}

function make(k0: number, k1: number): Key {
  return Object.freeze({ k0, k1 });
}

function check(k: Key): Key {
  if (k === null || typeof k !== "object" || !isU32(k.k0) || !isU32(k.k1)) {
    throw new TypeError(`not a random key (two u32 words k0, k1): ${String(k)}`);
  }
  return k;
}

function checkCount(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
  return n;
}

/** The key of a seed, a non-negative safe integer: k0 = its high 32 bits, k1 = its low 32 bits. */
export function key(seed: number): Key {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed must be a non-negative safe integer, got ${String(seed)}`);
  }
  return make(Math.floor(seed / TWO_32), seed >>> 0);
}

/** A key from its two words (for example, restored from a checkpoint); the inverse of keyData. */
export function keyFromData(data: readonly [number, number] | ArrayLike<number>): Key {
  const k0 = data[0], k1 = data[1];
  if (data.length !== 2 || !isU32(k0) || !isU32(k1)) {
    throw new RangeError(`key data must be two u32 words, got [${Array.from(data as ArrayLike<number>).join(", ")}]`);
  }
  return make(k0, k1);
}

/** The two words of a key, as passed to the kernels (k0, k1). */
export function keyData(k: Key): [number, number] {
  check(k);
  return [k.k0, k.k1];
}

/** n independent child keys (default 2): child j = threefry2x32(key, (j, 1)). */
export function split(k: Key, n = 2): Key[] {
  check(k);
  checkCount(n, "split count");
  const out: Key[] = [];
  for (let j = 0; j < n; j++) {
    const [a, b] = threefry2x32(k.k0, k.k1, j, 1);
    out.push(make(a, b));
  }
  return out;
}

/** A new key from a key and a u32 integer (a step number, a layer index): threefry2x32(key, (data, 2)). */
export function foldIn(k: Key, data: number): Key {
  check(k);
  if (!isU32(data)) throw new RangeError(`foldIn data must be a u32 integer, got ${String(data)}`);
  const [a, b] = threefry2x32(k.k0, k.k1, data, 2);
  return make(a, b);
}

/** n random u32 words (stream 0): the words of the kernel random_bits_u32(k0, k1, 0, n). */
export function bits(k: Key, n: number): Uint32Array {
  check(k);
  return streamBits(k.k0, k.k1, 0, checkCount(n, "count"));
}

/** n uniform floats in [0, 1) (stream 0): exactly the kernel random_uniform_f32(k0, k1, 0, n). */
export function uniform(k: Key, n: number): Float32Array {
  check(k);
  return streamUniform(k.k0, k.k1, 0, checkCount(n, "count"));
}

/** n standard normals (stream 0) by Box-Muller in float64: the reference of random_normal_f32. */
export function normalF64(k: Key, n: number): Float64Array {
  check(k);
  return streamNormalF64(k.k0, k.k1, 0, checkCount(n, "count"));
}

/**
 * n standard normals (stream 0): normalF64 rounded to f32. The kernel random_normal_f32
 * computes the same transform in f32, so its values may differ from these by a few ulp.
 */
export function normal(k: Key, n: number): Float32Array {
  return Float32Array.from(normalF64(k, n));
}
