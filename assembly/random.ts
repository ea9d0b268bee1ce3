// Counter-based PRNG: Threefry-2x32 with 20 rounds (Salmon et al. 2011, Random123).
// Block i of a stream is threefry2x32(key = (k0, k1), counter = (i, stream)) and gives the
// words out[2i], out[2i + 1]; an odd n drops the last word. The SIMD build computes four
// blocks per step in i32x4 lanes; both builds produce identical words and floats.

const PARITY: u32 = 0x1bd11bda;

// The two words of the last scalar block.
let w0: u32 = 0;
let w1: u32 = 0;

/** One Threefry-2x32-20 block into (w0, w1); k2 = k0 ^ k1 ^ PARITY. */
@inline function block(k0: u32, k1: u32, k2: u32, c0: u32, c1: u32): void {
  let x0 = c0 + k0, x1 = c1 + k1;
  x0 += x1; x1 = rotl<u32>(x1, 13) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 15) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 26) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 6) ^ x0;
  x0 += k1; x1 += k2 + 1;
  x0 += x1; x1 = rotl<u32>(x1, 17) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 29) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 16) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 24) ^ x0;
  x0 += k2; x1 += k0 + 2;
  x0 += x1; x1 = rotl<u32>(x1, 13) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 15) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 26) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 6) ^ x0;
  x0 += k0; x1 += k1 + 3;
  x0 += x1; x1 = rotl<u32>(x1, 17) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 29) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 16) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 24) ^ x0;
  x0 += k1; x1 += k2 + 4;
  x0 += x1; x1 = rotl<u32>(x1, 13) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 15) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 26) ^ x0;
  x0 += x1; x1 = rotl<u32>(x1, 6) ^ x0;
  x0 += k2; x1 += k0 + 5;
  w0 = x0;
  w1 = x1;
}

@inline function rotv(x: v128, r: i32): v128 {
  return v128.or(i32x4.shl(x, r), i32x4.shr_u(x, 32 - r));
}

@inline function mixv(x0: v128, x1: v128, r: i32): v128 {
  return v128.xor(rotv(x1, r), x0);
}

/**
 * Four blocks b .. b + 3 of `stream`, stored as 8 words at p in block order (or, with
 * `asUnit`, as their uniform floats). Lane j of x0 / x1 is word 0 / 1 of block b + j.
 */
@inline function block4(k0: u32, k1: u32, k2: u32, b: u32, stream: u32, p: usize, asUnit: bool): void {
  const vk0 = i32x4.splat(k0), vk1 = i32x4.splat(k1), vk2 = i32x4.splat(k2);
  let x0 = i32x4.add(i32x4(b, b + 1, b + 2, b + 3), vk0);
  let x1 = i32x4.splat(stream + k1);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 13);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 15);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 26);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 6);
  x0 = i32x4.add(x0, vk1); x1 = i32x4.add(x1, i32x4.splat(k2 + 1));
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 17);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 29);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 16);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 24);
  x0 = i32x4.add(x0, vk2); x1 = i32x4.add(x1, i32x4.splat(k0 + 2));
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 13);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 15);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 26);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 6);
  x0 = i32x4.add(x0, vk0); x1 = i32x4.add(x1, i32x4.splat(k1 + 3));
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 17);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 29);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 16);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 24);
  x0 = i32x4.add(x0, vk1); x1 = i32x4.add(x1, i32x4.splat(k2 + 4));
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 13);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 15);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 26);
  x0 = i32x4.add(x0, x1); x1 = mixv(x0, x1, 6);
  x0 = i32x4.add(x0, vk2); x1 = i32x4.add(x1, i32x4.splat(k0 + 5));
  if (asUnit) { x0 = unitv(x0); x1 = unitv(x1); }
  v128.store(p, i32x4.shuffle(x0, x1, 0, 4, 1, 5));
  v128.store(p, i32x4.shuffle(x0, x1, 2, 6, 3, 7), 16);
}

/** The uniform [0, 1) float of a word: 23 high bits as the mantissa of [1, 2), minus 1. */
@inline function unit(w: u32): f32 {
  return reinterpret<f32>((w >>> 9) | 0x3f800000) - 1;
}

@inline function unitv(w: v128): v128 {
  return f32x4.sub(v128.or(i32x4.shr_u(w, 9), i32x4.splat(0x3f800000)), f32x4.splat(1));
}

export function random_bits_u32(k0: u32, k1: u32, stream: u32, n: i32, out: usize): void {
  if (n <= 0) return; // a negative count writes nothing (as in the optimizer loops)
  const k2 = k0 ^ k1 ^ PARITY;
  const blocks = <u32>n >>> 1;
  let b: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    for (; b + 4 <= blocks; b += 4) {
      block4(k0, k1, k2, b, stream, out + (<usize>b << 3), false);
    }
  }
  for (; b < blocks; b++) {
    block(k0, k1, k2, b, stream);
    const p = out + (<usize>b << 3);
    store<u32>(p, w0);
    store<u32>(p, w1, 4);
  }
  if (n & 1) {
    block(k0, k1, k2, blocks, stream);
    store<u32>(out + (<usize>blocks << 3), w0);
  }
}

export function random_uniform_f32(k0: u32, k1: u32, stream: u32, n: i32, out: usize): void {
  if (n <= 0) return; // a negative count writes nothing (as in the optimizer loops)
  const k2 = k0 ^ k1 ^ PARITY;
  const blocks = <u32>n >>> 1;
  let b: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    for (; b + 4 <= blocks; b += 4) {
      block4(k0, k1, k2, b, stream, out + (<usize>b << 3), true);
    }
  }
  for (; b < blocks; b++) {
    block(k0, k1, k2, b, stream);
    const p = out + (<usize>b << 3);
    store<f32>(p, unit(w0));
    store<f32>(p, unit(w1), 4);
  }
  if (n & 1) {
    block(k0, k1, k2, blocks, stream);
    store<f32>(out + (<usize>blocks << 3), unit(w0));
  }
}

const HALF_PI: f32 = 1.5707963267948966192;

export function random_normal_f32(k0: u32, k1: u32, stream: u32, n: i32, out: usize): void {
  if (n <= 0) return; // a negative count writes nothing (as in the optimizer loops)
  const k2 = k0 ^ k1 ^ PARITY;
  const blocks = (<u32>n + 1) >>> 1;
  for (let b: u32 = 0; b < blocks; b++) {
    block(k0, k1, k2, b, stream);
    const u1: f32 = 1 - unit(w0); // in (0, 1]: the log is finite
    const r = Mathf.sqrt(-2 * Mathf.log(u1));
    // theta = 2 pi u2 = (q + f) pi / 2 with q = nearest(4 u2) and f = 4 u2 - q, both exact
    // (u2 has 23 bits), so the angle f pi / 2 in [-pi/4, pi/4] is rounded relative to itself
    // and cos / sin keep a few-ulp relative accuracy even near their zeros.
    const q4 = unit(w1) * 4;
    const q = nearest<f32>(q4);
    Mathf.sincos((q4 - q) * HALF_PI);
    const s = Mathf.sincos_sin, c = Mathf.sincos_cos;
    const quadrant = <i32>q & 3;
    const cosT = quadrant == 0 ? c : quadrant == 1 ? -s : quadrant == 2 ? -c : s;
    const sinT = quadrant == 0 ? s : quadrant == 1 ? c : quadrant == 2 ? -s : -c;
    const p = out + (<usize>b << 3);
    store<f32>(p, r * cosT);
    if ((b << 1) + 1 < <u32>n) store<f32>(p, r * sinT, 4);
  }
}
