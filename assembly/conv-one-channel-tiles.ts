// The SIMD register tiles of the one-channel convolutions (conv-one-channel.ts). Each is a small
// GEMM tile whose depth loop reads its operands where they lie: window taps from the zero-padded
// image (a window's base address plus the tap's byte offset offs[p]), weights from their
// transposed or padded copy, z rows in place; no column matrix is written. V8 issues all loads
// of a loop iteration first, so each tile keeps accumulators plus one iteration's loads within
// the 16 xmm registers (8 + 6, 6 + 5). Every element sums its products in the order
// conv-one-channel.ts states, starting from 0, a multiply then an add (relaxed: fused).

import { madd } from "./madd";

/**
 * Four windows (taps at a0..a3 + offs[p]) by eight channels: z_j[o..o+7] = sum_p tap_j(p) wt[p, o..o+7]
 * (+ bias[o..o+7] after the sum when bias is not 0), wt [K, C] (rows C * 4 bytes apart, already
 * offset to channel o, as bias is); z_j the windows' rows at channel o.
 */
export function applyTile4x8(a0: usize, a1: usize, a2: usize, a3: usize, offs: usize, K: i32, wt: usize, wRow: usize,
  bias: usize, z0: usize, z1: usize, z2: usize, z3: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let t = wt;
  for (let p = 0; p < K; p++, t += wRow) {
    const off = <usize>load<i32>(offs + (<usize>p << 2));
    const w0 = v128.load(t), w1 = v128.load(t, 16);
    const s0 = v128.load32_splat(a0 + off), s1 = v128.load32_splat(a1 + off);
    const s2 = v128.load32_splat(a2 + off), s3 = v128.load32_splat(a3 + off);
    c00 = madd(s0, w0, c00); c01 = madd(s0, w1, c01);
    c10 = madd(s1, w0, c10); c11 = madd(s1, w1, c11);
    c20 = madd(s2, w0, c20); c21 = madd(s2, w1, c21);
    c30 = madd(s3, w0, c30); c31 = madd(s3, w1, c31);
  }
  if (bias) {
    const b0 = v128.load(bias), b1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
    c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1); c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
  }
  v128.store(z0, c00); v128.store(z0, c01, 16);
  v128.store(z1, c10); v128.store(z1, c11, 16);
  v128.store(z2, c20); v128.store(z2, c21, 16);
  v128.store(z3, c30); v128.store(z3, c31, 16);
}

/** applyTile4x8 for four channels. */
export function applyTile4x4(a0: usize, a1: usize, a2: usize, a3: usize, offs: usize, K: i32, wt: usize, wRow: usize,
  bias: usize, z0: usize, z1: usize, z2: usize, z3: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let t = wt;
  for (let p = 0; p < K; p++, t += wRow) {
    const off = <usize>load<i32>(offs + (<usize>p << 2));
    const w = v128.load(t);
    c0 = madd(v128.load32_splat(a0 + off), w, c0);
    c1 = madd(v128.load32_splat(a1 + off), w, c1);
    c2 = madd(v128.load32_splat(a2 + off), w, c2);
    c3 = madd(v128.load32_splat(a3 + off), w, c3);
  }
  if (bias) {
    const b = v128.load(bias);
    c0 = f32x4.add(c0, b); c1 = f32x4.add(c1, b); c2 = f32x4.add(c2, b); c3 = f32x4.add(c3, b);
  }
  v128.store(z0, c0); v128.store(z1, c1); v128.store(z2, c2); v128.store(z3, c3);
}

/**
 * Eight channels by four taps (byte offsets f0..f3) over the n windows of one output row (window x
 * at a + x * step, its z row at z + x * ldz, z already offset to channel o):
 * g[k, o..o+7] += sum_x z_x[o..o+7] tap_x(k), g rows gRow bytes apart (the accumulators [K, C]).
 */
export function gradTile8x4(a: usize, step: usize, n: i32, f0: usize, f1: usize, f2: usize, f3: usize,
  z: usize, ldz: usize, g: usize, gRow: usize): void {
  let g00 = v128.load(g), g01 = v128.load(g, 16), g10 = v128.load(g + gRow), g11 = v128.load(g + gRow, 16);
  let g20 = v128.load(g + 2 * gRow), g21 = v128.load(g + 2 * gRow, 16), g30 = v128.load(g + 3 * gRow), g31 = v128.load(g + 3 * gRow, 16);
  let b = a, zr = z;
  for (let x = 0; x < n; x++, b += step, zr += ldz) {
    const v0 = v128.load(zr), v1 = v128.load(zr, 16);
    const s0 = v128.load32_splat(b + f0), s1 = v128.load32_splat(b + f1);
    const s2 = v128.load32_splat(b + f2), s3 = v128.load32_splat(b + f3);
    g00 = madd(v0, s0, g00); g01 = madd(v1, s0, g01);
    g10 = madd(v0, s1, g10); g11 = madd(v1, s1, g11);
    g20 = madd(v0, s2, g20); g21 = madd(v1, s2, g21);
    g30 = madd(v0, s3, g30); g31 = madd(v1, s3, g31);
  }
  v128.store(g, g00); v128.store(g, g01, 16); v128.store(g + gRow, g10); v128.store(g + gRow, g11, 16);
  v128.store(g + 2 * gRow, g20); v128.store(g + 2 * gRow, g21, 16); v128.store(g + 3 * gRow, g30); v128.store(g + 3 * gRow, g31, 16);
}

/** gradTile8x4 for four channels and four taps. */
export function gradTile4x4(a: usize, step: usize, n: i32, f0: usize, f1: usize, f2: usize, f3: usize,
  z: usize, ldz: usize, g: usize, gRow: usize): void {
  let g0 = v128.load(g), g1 = v128.load(g + gRow), g2 = v128.load(g + 2 * gRow), g3 = v128.load(g + 3 * gRow);
  let b = a, zr = z;
  for (let x = 0; x < n; x++, b += step, zr += ldz) {
    const v = v128.load(zr);
    g0 = madd(v, v128.load32_splat(b + f0), g0);
    g1 = madd(v, v128.load32_splat(b + f1), g1);
    g2 = madd(v, v128.load32_splat(b + f2), g2);
    g3 = madd(v, v128.load32_splat(b + f3), g3);
  }
  v128.store(g, g0); v128.store(g + gRow, g1); v128.store(g + 2 * gRow, g2); v128.store(g + 3 * gRow, g3);
}

/** gradTile8x4 for eight channels and one tap. */
export function gradTile8x1(a: usize, step: usize, n: i32, f0: usize, z: usize, ldz: usize, g: usize): void {
  let g0 = v128.load(g), g1 = v128.load(g, 16);
  let b = a, zr = z;
  for (let x = 0; x < n; x++, b += step, zr += ldz) {
    const s = v128.load32_splat(b + f0);
    g0 = madd(v128.load(zr), s, g0);
    g1 = madd(v128.load(zr, 16), s, g1);
  }
  v128.store(g, g0); v128.store(g, g1, 16);
}

/** gradTile8x1 for four channels. */
export function gradTile4x1(a: usize, step: usize, n: i32, f0: usize, z: usize, ldz: usize, g: usize): void {
  let g0 = v128.load(g);
  let b = a, zr = z;
  for (let x = 0; x < n; x++, b += step, zr += ldz) g0 = madd(v128.load(zr), v128.load32_splat(b + f0), g0);
  v128.store(g, g0);
}

/**
 * Two windows (z rows z0, z1) by twelve taps: cols_j[p..p+11] = sum_o z_j[o] wp[o, p..p+11] over
 * o < C, wp rows wRow bytes apart (already offset to tap p), cols_j at d0 and d1.
 */
export function adjointTile2x12(z0: usize, z1: usize, C: i32, wp: usize, wRow: usize, d0: usize, d1: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let t = wp;
  for (let o = 0; o < C; o++, t += wRow) {
    const at = <usize>o << 2;
    const s0 = v128.load32_splat(z0 + at), s1 = v128.load32_splat(z1 + at);
    const w0 = v128.load(t), w1 = v128.load(t, 16), w2 = v128.load(t, 32);
    c00 = madd(s0, w0, c00); c01 = madd(s0, w1, c01); c02 = madd(s0, w2, c02);
    c10 = madd(s1, w0, c10); c11 = madd(s1, w1, c11); c12 = madd(s1, w2, c12);
  }
  v128.store(d0, c00); v128.store(d0, c01, 16); v128.store(d0, c02, 32);
  v128.store(d1, c10); v128.store(d1, c11, 16); v128.store(d1, c12, 32);
}

/** adjointTile2x12 for four taps. */
export function adjointTile2x4(z0: usize, z1: usize, C: i32, wp: usize, wRow: usize, d0: usize, d1: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let t = wp;
  for (let o = 0; o < C; o++, t += wRow) {
    const at = <usize>o << 2;
    const w = v128.load(t);
    c0 = madd(v128.load32_splat(z0 + at), w, c0);
    c1 = madd(v128.load32_splat(z1 + at), w, c1);
  }
  v128.store(d0, c0); v128.store(d1, c1);
}
