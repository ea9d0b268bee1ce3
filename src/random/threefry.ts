/**
 * Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror, Shaw 2011; the Random123 reference):
 * a keyed bijection of 64-bit counters. All words are u32 held in JS numbers; additions are
 * `(a + b) >>> 0` and rotations are shifts, so the result is exact in every runtime.
 */

/** Rotation constants R_32x2 of Random123, used cyclically (round r uses R[r mod 8]). */
const R = [13, 15, 26, 6, 17, 29, 16, 24] as const;
/** The key-schedule parity constant (SKEIN_KS_PARITY32). */
const PARITY = 0x1bd11bda;

/** threefry2x32(key = (k0, k1), counter = (x0, x1)) -> two u32 words. Inputs are taken mod 2^32. */
export function threefry2x32(k0: number, k1: number, x0: number, x1: number): [number, number] {
  const ks0 = k0 >>> 0, ks1 = k1 >>> 0;
  const ks = [ks0, ks1, (ks0 ^ ks1 ^ PARITY) >>> 0];
  let a = (x0 + ks0) >>> 0, b = (x1 + ks1) >>> 0;
  for (let r = 0; r < 20; r++) {
    const s = R[r & 7]!;
    a = (a + b) >>> 0;
    b = (((b << s) | (b >>> (32 - s))) ^ a) >>> 0;
    if ((r & 3) === 3) {
      // Key injection j after every 4 rounds: the key words rotate, the counter adds j.
      const j = (r + 1) >>> 2;
      a = (a + ks[j % 3]!) >>> 0;
      b = (b + ks[(j + 1) % 3]! + j) >>> 0;
    }
  }
  return [a, b];
}

// Streams: block i of `stream` under key (k0, k1) is threefry2x32(k0, k1, i, stream) and gives
// the words 2i and 2i + 1; an odd count drops the last word. These are the exact (or, for
// normals, float64) counterparts of the kernels random_bits_u32, random_uniform_f32 and
// random_normal_f32.

/** n u32 words of a stream. */
export function streamBits(k0: number, k1: number, stream: number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0, b = 0; i < n; i += 2, b++) {
    const [w0, w1] = threefry2x32(k0, k1, b, stream);
    out[i] = w0;
    if (i + 1 < n) out[i + 1] = w1;
  }
  return out;
}

/** 2^-23: a word's 23 high bits scaled to [0, 1). */
const ULP1 = 1 / 8388608;

/** The uniform [0, 1) value of a word: (w >>> 9) * 2^-23, exactly the kernel's f32. */
export function unitOf(w: number): number {
  return (w >>> 9) * ULP1;
}

/** n uniform [0, 1) values of a stream, exact (every value is an f32). */
export function streamUniform(k0: number, k1: number, stream: number, n: number): Float32Array {
  const w = streamBits(k0, k1, stream, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = unitOf(w[i]!);
  return out;
}

/**
 * n standard normals of a stream by Box-Muller in float64: block i's words (w0, w1) give
 * u1 = 1 - unit(w0) in (0, 1], u2 = unit(w1), r = sqrt(-2 log u1), theta = 2 pi u2, and the
 * values r cos(theta), r sin(theta).
 */
export function streamNormalF64(k0: number, k1: number, stream: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0, b = 0; i < n; i += 2, b++) {
    const [w0, w1] = threefry2x32(k0, k1, b, stream);
    const r = Math.sqrt(-2 * Math.log(1 - unitOf(w0)));
    const theta = 2 * Math.PI * unitOf(w1);
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
