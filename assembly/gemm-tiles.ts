// The register tiles of gemm_f32 (assembly/gemm.ts): C tile = alpha * (A panel * B panel) +
// beta * C, from panels packed by assembly/gemm-pack.ts (A: kc x 4 floats, B: kc x 8 floats,
// both k-major). Every element sums over k in order, a multiply then an add (relaxed build: one
// fused multiply-add), then alpha * sum + beta * C: the SIMD and scalar builds agree bit for bit.
//
// Speed (V8, x64, plain SIMD): the k loop is 6 loads, 8 mul and 8 add with 15 xmm registers
// live; V8 hoists all loads of an iteration, so a larger tile or an unrolled loop spills. The
// plain loop is bound by instructions issued per cycle, not by the arithmetic: written as the
// inner loop of a loop over tiles (panelTiles), V8 computes the broadcasts' addresses outside it
// and the loop runs about 17% faster than the same loop alone in a function called per tile.

import { madd } from "./madd";

export const MR = 4; // rows of the register tile
export const NR = 8; // columns of the register tile (two f32x4)

/**
 * `tiles` whole 4 x 8 tiles down one B panel: tile t reads the A panel at ap + t * kc * 16 bytes
 * and writes rows 4t .. 4t + 3 of C (c is the panel's first column). C is read only when readC.
 */
export function panelTiles(tiles: i32, kc: i32, ap: usize, bp0: usize, alpha: f32, beta: f32, readC: bool,
  c: usize, ldc: i32): void {
  const stride = <usize>ldc << 2;
  if (!ASC_FEATURE_SIMD) { // four 2 x 4 scalar tiles per tile
    for (let t = 0; t < tiles; t++) {
      const c2 = c + (stride << 1);
      microKernelScalar(kc, ap, bp0, alpha, beta, readC, c, ldc);
      microKernelScalar(kc, ap, bp0 + 16, alpha, beta, readC, c + 16, ldc);
      microKernelScalar(kc, ap + 8, bp0, alpha, beta, readC, c2, ldc);
      microKernelScalar(kc, ap + 8, bp0 + 16, alpha, beta, readC, c2 + 16, ldc);
      ap += <usize>kc << 4;
      c += stride << 2;
    }
    return;
  }
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  const end = bp0 + (<usize>kc << 5);
  for (let t = 0; t < tiles; t++) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let bp = bp0;
    while (bp < end) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let x = v128.load32_splat(ap);
      c00 = madd(x, b0, c00);
      c01 = madd(x, b1, c01);
      x = v128.load32_splat(ap, 4);
      c10 = madd(x, b0, c10);
      c11 = madd(x, b1, c11);
      x = v128.load32_splat(ap, 8);
      c20 = madd(x, b0, c20);
      c21 = madd(x, b1, c21);
      x = v128.load32_splat(ap, 12);
      c30 = madd(x, b0, c30);
      c31 = madd(x, b1, c31);
      ap += 16;
      bp += 32;
    }
    storeRow(c, c00, c01, va, vb, readC); c += stride;
    storeRow(c, c10, c11, va, vb, readC); c += stride;
    storeRow(c, c20, c21, va, vb, readC); c += stride;
    storeRow(c, c30, c31, va, vb, readC); c += stride;
  }
}

/**
 * A B panel at most 4 columns wide (w <= 4; N = 9, a 1-channel convolution's 3 x 3 window,
 * leaves a 1-column panel), all mc rows of it, 4 at a time: the 4 rows of A as one f32x4 per k,
 * one broadcast of B per column, one accumulator per column (the 4 x 8 kernel would spend 8
 * multiply-adds per k on at most 4 useful columns and go through the scratch tile). Writes rows
 * < h (4, or what is left at the end), columns < w of C straight from the lanes. Every C element
 * sums alpha * (sum over k in order of a * b) + beta * C, as the 4 x 8 kernel and the scalar
 * build do, so the results are bit-identical to theirs. One call per panel, the tiles looped
 * inside (as panelTiles: V8 keeps the loop's address arithmetic out of the k loop).
 */
export function narrowPanel(mc: i32, kc: i32, w: i32, ap: usize, bp0: usize, alpha: f32, beta: f32, readC: bool,
  c: usize, ldc: i32): void {
  const va = f32x4.splat(alpha);
  const stride = <usize>ldc << 2;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const h = min(MR, mc - i0);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    const end = ap + (<usize>kc << 4);
    let bp = bp0;
    if (w == 1) {
      while (ap < end) {
        c0 = madd(v128.load(ap), v128.load32_splat(bp), c0);
        ap += 16;
        bp += 32;
      }
    } else if (w == 2) {
      while (ap < end) {
        const x = v128.load(ap);
        c0 = madd(x, v128.load32_splat(bp), c0);
        c1 = madd(x, v128.load32_splat(bp, 4), c1);
        ap += 16;
        bp += 32;
      }
    } else {
      while (ap < end) {
        const x = v128.load(ap);
        c0 = madd(x, v128.load32_splat(bp), c0);
        c1 = madd(x, v128.load32_splat(bp, 4), c1);
        c2 = madd(x, v128.load32_splat(bp, 8), c2);
        c3 = madd(x, v128.load32_splat(bp, 12), c3);
        ap += 16;
        bp += 32;
      }
    }
    storeCol(c, f32x4.mul(va, c0), h, stride, beta, readC);
    if (w > 1) storeCol(c + 4, f32x4.mul(va, c1), h, stride, beta, readC);
    if (w > 2) storeCol(c + 8, f32x4.mul(va, c2), h, stride, beta, readC);
    if (w > 3) storeCol(c + 12, f32x4.mul(va, c3), h, stride, beta, readC);
    c += stride << 2;
  }
}

/** Lanes 0 .. h - 1 of x down one column of C (stride bytes apart), plus beta * C when readC. */
// @ts-ignore: decorator
@inline function storeCol(c: usize, x: v128, h: i32, stride: usize, beta: f32, readC: bool): void {
  store<f32>(c, readC ? f32x4.extract_lane(x, 0) + beta * load<f32>(c) : f32x4.extract_lane(x, 0));
  if (h > 1) { c += stride; store<f32>(c, readC ? f32x4.extract_lane(x, 1) + beta * load<f32>(c) : f32x4.extract_lane(x, 1)); }
  if (h > 2) { c += stride; store<f32>(c, readC ? f32x4.extract_lane(x, 2) + beta * load<f32>(c) : f32x4.extract_lane(x, 2)); }
  if (h > 3) { c += stride; store<f32>(c, readC ? f32x4.extract_lane(x, 3) + beta * load<f32>(c) : f32x4.extract_lane(x, 3)); }
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, x0: v128, x1: v128, va: v128, vb: v128, readC: bool): void {
  x0 = f32x4.mul(va, x0);
  x1 = f32x4.mul(va, x1);
  if (readC) {
    x0 = f32x4.add(x0, f32x4.mul(vb, v128.load(c)));
    x1 = f32x4.add(x1, f32x4.mul(vb, v128.load(c, 16)));
  }
  v128.store(c, x0);
  v128.store(c, x1, 16);
}

/** Rows 0-1 (ap) or 2-3 (ap + 8) and columns 0..3 (bp) or 4..7 (bp + 16) of a tile, in scalars. */
function microKernelScalar(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, readC: bool, c: usize, ldc: i32): void {
  let c00: f32 = 0, c01: f32 = 0, c02: f32 = 0, c03: f32 = 0;
  let c10: f32 = 0, c11: f32 = 0, c12: f32 = 0, c13: f32 = 0;
  const end = bp + (<usize>kc << 5);
  while (bp < end) {
    const b0 = load<f32>(bp), b1 = load<f32>(bp, 4), b2 = load<f32>(bp, 8), b3 = load<f32>(bp, 12);
    let x = load<f32>(ap);
    c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
    x = load<f32>(ap, 4);
    c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
    ap += 16;
    bp += 32;
  }
  storeRow4(c, c00, c01, c02, c03, alpha, beta, readC);
  storeRow4(c + (<usize>ldc << 2), c10, c11, c12, c13, alpha, beta, readC);
}

// @ts-ignore: decorator
@inline function storeRow4(c: usize, x0: f32, x1: f32, x2: f32, x3: f32, alpha: f32, beta: f32, readC: bool): void {
  x0 *= alpha; x1 *= alpha; x2 *= alpha; x3 *= alpha;
  if (readC) {
    x0 += beta * load<f32>(c); x1 += beta * load<f32>(c, 4);
    x2 += beta * load<f32>(c, 8); x3 += beta * load<f32>(c, 12);
  }
  store<f32>(c, x0); store<f32>(c, x1, 4); store<f32>(c, x2, 8); store<f32>(c, x3, 12);
}
