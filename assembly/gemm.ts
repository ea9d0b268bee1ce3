// f32 GEMM: C = alpha * op(A) * op(B) + beta * C. Row-major; op(A) is M x K, op(B) is K x N,
// C is M x N, and the K dimension is summed.
//
// Blocking (GotoBLAS order): for each block of NC columns and KC depth, op(B) is packed into
// 8-column panels, k-major (panel[k * 8 + j]), zero-padded to 8 columns; B^T is packed by 4 x 4
// transposes, so every transpose case feeds the same panels. op(A) is packed per MC rows into
// 4-row k-major panels (panel[k * 4 + i]), zero-padded to 4 rows: A^T by contiguous copies, A by
// 4 x 4 transposes. The microkernel holds a 4 x 8 tile of C in 8 f32x4 accumulators, A
// broadcast by load32_splat, B loaded as two f32x4 per k, each operand read through one pointer
// with constant offsets (the scalar build runs four 2 x 4 scalar tiles instead). Whole tiles are
// written straight to C; edge tiles (fewer than 4 rows or 8 columns) go through a scratch tile,
// except, in the SIMD build, edge tiles at most 4 columns wide (N = 9, a 1-channel 3 x 3
// convolution, leaves a 1-column panel): those run a kernel with one f32x4 of A per k and one
// accumulator per column, and write C from the lanes (same sums in the same order).
// The first k-block applies beta (C is not read when beta == 0); later ones add to C. Both
// builds sum in the same order, so they give identical results.
//
// Speed (V8, x64): the loop body is 6 loads, 8 mul and 8 add per k with 15 xmm registers live;
// V8 hoists all loads of an iteration, so a larger tile or an unrolled loop spills. Reading A in
// place (4 row pointers with a stride) instead of from a packed panel cost 10-15%.

const MR = 4; // rows of the register tile
const NR = 8; // columns of the register tile (two f32x4)
// KC covers the conv VAE's depths (K = 288, 576: 32 or 64 channels x 3 x 3) in one block, so C is
// not read back per block; NC keeps the packed B block (kc x nc floats) at 576 KiB at most.
const KC = 576; // depth of a packed block
const NC = 256; // columns of a packed B block
const MC = 128; // rows of a packed A^T block

// @ts-ignore: decorator
@inline function ceilDiv(x: i32, y: i32): i32 {
  return (x + y - 1) / y;
}

// @ts-ignore: decorator
@inline function roundUp(x: i32, y: i32): i32 {
  return ceilDiv(x, y) * y;
}

/** Block depth: K split into equal blocks of at most KC. */
// @ts-ignore: decorator
@inline function kcStep(K: i32): i32 {
  return K <= 0 ? 0 : ceilDiv(K, ceilDiv(K, KC));
}

/** Block width: N split into equal blocks of at most NC, each a whole number of panels. */
// @ts-ignore: decorator
@inline function ncStep(N: i32): i32 {
  return N <= 0 ? 0 : roundUp(ceilDiv(N, ceilDiv(N, NC)), NR);
}

/** Block height: M split into equal blocks of at most MC, each a whole number of panels. */
// @ts-ignore: decorator
@inline function mcStep(M: i32): i32 {
  return M <= 0 ? 0 : roundUp(ceilDiv(M, ceilDiv(M, MC)), MR);
}

/** Scratch bytes: packed B (kc x nc), packed A^T (mc x kc), one MR x NR edge tile. */
export function gemm_f32_work_size(M: i32, N: i32, K: i32): i32 {
  const kc = kcStep(K);
  return 4 * (kc * ncStep(N) + mcStep(M) * kc + MR * NR);
}

export function gemm_f32(transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, work: usize): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) { // BLAS convention: with alpha == 0, A and B are not read
    scaleC(M, N, beta, c, ldc);
    return;
  }
  const kcs = kcStep(K), ncs = ncStep(N), mcs = mcStep(M);
  const bpack = work;
  const apack = bpack + (<usize>(kcs * ncs) << 2);
  const tile = apack + (<usize>(mcs * kcs) << 2);
  for (let jc = 0; jc < N; jc += ncs) {
    const nc = min(ncs, N - jc);
    for (let pc = 0; pc < K; pc += kcs) {
      const kc = min(kcs, K - pc);
      packB(transB, kc, nc, b, ldb, pc, jc, bpack);
      // The first k-block scales C by beta (not reading it when beta == 0); later ones add.
      const readC = pc > 0 || beta != 0;
      const betaEff: f32 = pc > 0 ? 1 : beta;
      for (let ic = 0; ic < M; ic += mcs) {
        const mc = min(mcs, M - ic);
        packA(transA, mc, kc, a, lda, ic, pc, apack);
        macroKernel(mc, nc, kc, alpha, betaEff, readC, apack, bpack, c + ((<usize>ic * ldc + jc) << 2), ldc, tile);
      }
    }
  }
}

/** C = beta * C (0 when beta == 0, without reading C). */
function scaleC(M: i32, N: i32, beta: f32, c: usize, ldc: i32): void {
  if (beta == 1) return;
  for (let i = 0; i < M; i++) {
    const row = c + (<usize>i * ldc << 2);
    for (let j = 0; j < N; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
    }
  }
}

/**
 * Packs op(B)[pc : pc + kc, jc : jc + nc] into ceil(nc / 8) panels of kc x 8 floats,
 * panel p holding columns 8p .. 8p + 7 (zero beyond nc). op(B)[k, j] is B[k, j] or B[j, k].
 */
function packB(transB: i32, kc: i32, nc: i32, b: usize, ldb: i32, pc: i32, jc: i32, dst: usize): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = min(NR, nc - j0);
    const panel = dst + (<usize>(j0 * kc) << 2);
    if (transB == 0) {
      // Row k of the panel is 8 contiguous values of row pc + k of B.
      let src = b + ((<usize>pc * ldb + jc + j0) << 2);
      const stride = <usize>ldb << 2;
      if (w == NR) {
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 5);
          if (ASC_FEATURE_SIMD) {
            v128.store(d, v128.load(src));
            v128.store(d, v128.load(src, 16), 16);
          } else {
            store<u64>(d, load<u64>(src));
            store<u64>(d, load<u64>(src, 8), 8);
            store<u64>(d, load<u64>(src, 16), 16);
            store<u64>(d, load<u64>(src, 24), 24);
          }
          src += stride;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 5);
          for (let j = 0; j < NR; j++) {
            store<f32>(d + (<usize>j << 2), j < w ? load<f32>(src + (<usize>j << 2)) : 0);
          }
          src += stride;
        }
      }
    } else if (ASC_FEATURE_SIMD && w == NR) {
      // Rows jc + j0 .. + 7 of B, 4 k at a time: two 4 x 4 transposes per step.
      const src = b + ((<usize>(jc + j0) * ldb + pc) << 2);
      const stride = <usize>ldb << 2;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const s = src + (<usize>k << 2), d = panel + (<usize>k << 5);
        transpose4(s, stride, d, 32);
        transpose4(s + 4 * stride, stride, d + 16, 32);
      }
      for (; k < kc; k++) {
        for (let j = 0; j < NR; j++) {
          store<f32>(panel + (<usize>(k * NR + j) << 2), load<f32>(src + <usize>j * stride + (<usize>k << 2)));
        }
      }
    } else {
      // Column j of the panel is row jc + j0 + j of B, contiguous in k.
      for (let j = 0; j < NR; j++) {
        const d = panel + (<usize>j << 2);
        if (j < w) {
          const src = b + ((<usize>(jc + j0 + j) * ldb + pc) << 2);
          for (let k = 0; k < kc; k++) store<f32>(d + (<usize>k << 5), load<f32>(src + (<usize>k << 2)));
        } else {
          for (let k = 0; k < kc; k++) store<f32>(d + (<usize>k << 5), 0);
        }
      }
    }
  }
}

/**
 * Reads 4 x 4 floats (4 rows of `stride` bytes at s) and stores the columns at d, d + ds,
 * d + 2 ds, d + 3 ds.
 */
// @ts-ignore: decorator
@inline function transpose4(s: usize, stride: usize, d: usize, ds: usize): void {
  const r0 = v128.load(s), r1 = v128.load(s + stride), r2 = v128.load(s + 2 * stride), r3 = v128.load(s + 3 * stride);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(d + ds, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(d + 2 * ds, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(d + 3 * ds, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/**
 * Packs op(A)[ic : ic + mc, pc : pc + kc] into ceil(mc / 4) panels of kc x 4 floats, k-major
 * (panel q holds rows 4q .. 4q + 3 at panel[k * 4 + i], zero beyond mc). op(A)[i, k] is A[i, k]
 * (rows contiguous in k: 4 x 4 transposes) or A[k, i] (A^T: a contiguous copy per k).
 * The microkernel then reads one pointer with constant offsets.
 */
function packA(transA: i32, mc: i32, kc: i32, a: usize, lda: i32, ic: i32, pc: i32, dst: usize): void {
  const stride = <usize>lda << 2;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const h = min(MR, mc - i0);
    const panel = dst + (<usize>(i0 * kc) << 2);
    if (transA != 0) {
      let src = a + ((<usize>pc * lda + ic + i0) << 2);
      if (h == MR) {
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 4);
          if (ASC_FEATURE_SIMD) {
            v128.store(d, v128.load(src));
          } else {
            store<u64>(d, load<u64>(src));
            store<u64>(d, load<u64>(src, 8), 8);
          }
          src += stride;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 4);
          for (let i = 0; i < MR; i++) {
            store<f32>(d + (<usize>i << 2), i < h ? load<f32>(src + (<usize>i << 2)) : 0);
          }
          src += stride;
        }
      }
    } else {
      // Row ic + i0 + i of A is contiguous in k: it becomes column i of the panel.
      const src = a + ((<usize>(ic + i0) * lda + pc) << 2);
      let k = 0;
      if (ASC_FEATURE_SIMD && h == MR) {
        for (; k + 4 <= kc; k += 4) transpose4(src + (<usize>k << 2), stride, panel + (<usize>k << 4), 16);
      }
      for (let i = 0; i < MR; i++) {
        const d = panel + (<usize>i << 2);
        if (i < h) {
          const s = src + <usize>i * stride;
          for (let kk = k; kk < kc; kk++) store<f32>(d + (<usize>kk << 4), load<f32>(s + (<usize>kk << 2)));
        } else {
          for (let kk = k; kk < kc; kk++) store<f32>(d + (<usize>kk << 4), 0);
        }
      }
    }
  }
}

/**
 * All tiles of an mc x nc block of C from packed A (4-row panels) and packed B (8-column
 * panels): whole tiles in place, edge tiles through `tile`. The B panel (kc x 8) stays in L1
 * while the A panels stream past it.
 */
function macroKernel(mc: i32, nc: i32, kc: i32, alpha: f32, beta: f32, readC: bool,
  apack: usize, bpack: usize, c: usize, ldc: i32, tile: usize): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = min(NR, nc - j0);
    const bp = bpack + (<usize>(j0 * kc) << 2);
    for (let i0 = 0; i0 < mc; i0 += MR) {
      const h = min(MR, mc - i0);
      const ap = apack + (<usize>(i0 * kc) << 2);
      const ct = c + ((<usize>i0 * ldc + j0) << 2);
      if (h == MR && w == NR) {
        microKernel(kc, ap, bp, alpha, beta, readC, ct, ldc);
      } else if (ASC_FEATURE_SIMD && w <= NR / 2) {
        microKernelNarrow(kc, w, h, ap, bp, alpha, beta, readC, ct, ldc);
      } else {
        microKernel(kc, ap, bp, alpha, 0, false, tile, NR);
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) {
            const p = ct + ((<usize>i * ldc + j) << 2);
            const t = load<f32>(tile + (<usize>(i * NR + j) << 2));
            store<f32>(p, readC ? t + beta * load<f32>(p) : t);
          }
        }
      }
    }
  }
}

/**
 * One 4 x 8 tile: C = alpha * (A panel * B panel) + beta * C, C read only when readC.
 * ap: kc x 4 floats (k-major), bp: kc x 8 floats (k-major).
 */
// @ts-ignore: decorator
@inline function microKernel(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, readC: bool, c: usize, ldc: i32): void {
  if (ASC_FEATURE_SIMD) {
    microKernelSimd(kc, ap, bp, alpha, beta, readC, c, ldc);
  } else {
    const c2 = c + (<usize>ldc << 3);
    microKernelScalar(kc, ap, bp, alpha, beta, readC, c, ldc);
    microKernelScalar(kc, ap, bp + 16, alpha, beta, readC, c + 16, ldc);
    microKernelScalar(kc, ap + 8, bp, alpha, beta, readC, c2, ldc);
    microKernelScalar(kc, ap + 8, bp + 16, alpha, beta, readC, c2 + 16, ldc);
  }
}

// The loop keeps 8 accumulators, 2 B vectors and the broadcasts in registers (V8 schedules
// all loads of an iteration first: 4 broadcasts + 2 B + 8 accumulators + 1 product = 15 of
// the 15 xmm registers it allocates). One pointer per operand with constant offsets, and the
// loop bound as an end pointer, keep the integer work per k to two adds and a compare.
function microKernelSimd(kc: i32, ap: usize, bp: usize, alpha: f32, beta: f32, readC: bool, c: usize, ldc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = bp + (<usize>kc << 5);
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
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  const stride = <usize>ldc << 2;
  storeRow(c, c00, c01, va, vb, readC); c += stride;
  storeRow(c, c10, c11, va, vb, readC); c += stride;
  storeRow(c, c20, c21, va, vb, readC); c += stride;
  storeRow(c, c30, c31, va, vb, readC);
}

/**
 * An edge tile at most 4 columns wide (w <= 4; N = 9, a 1-channel convolution's 3 x 3 window,
 * leaves a 1-column panel): the 4 rows of A as one f32x4 per k, one broadcast of B per column,
 * one accumulator per column (the 4 x 8 kernel would spend 8 multiply-adds per k on at most 4
 * useful columns and go through the scratch tile). Writes rows < h, columns < w of C straight
 * from the lanes. Every C element sums alpha * (sum over k in order of a * b) + beta * C, as
 * the 4 x 8 kernel and the scalar build do, so the results are bit-identical to theirs.
 */
function microKernelNarrow(kc: i32, w: i32, h: i32, ap: usize, bp: usize, alpha: f32, beta: f32, readC: bool,
  c: usize, ldc: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = ap + (<usize>kc << 4);
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
  const va = f32x4.splat(alpha);
  const stride = <usize>ldc << 2;
  storeCol(c, f32x4.mul(va, c0), h, stride, beta, readC);
  if (w > 1) storeCol(c + 4, f32x4.mul(va, c1), h, stride, beta, readC);
  if (w > 2) storeCol(c + 8, f32x4.mul(va, c2), h, stride, beta, readC);
  if (w > 3) storeCol(c + 12, f32x4.mul(va, c3), h, stride, beta, readC);
}

/** Lanes 0 .. h - 1 of x down one column of C (stride bytes apart), plus beta * C when readC. */
// @ts-ignore: decorator
@inline function storeCol(c: usize, x: v128, h: i32, stride: usize, beta: f32, readC: bool): void {
  store<f32>(c, readC ? f32x4.extract_lane(x, 0) + beta * load<f32>(c) : f32x4.extract_lane(x, 0));
  if (h > 1) { c += stride; store<f32>(c, readC ? f32x4.extract_lane(x, 1) + beta * load<f32>(c) : f32x4.extract_lane(x, 1)); }
  if (h > 2) { c += stride; store<f32>(c, readC ? f32x4.extract_lane(x, 2) + beta * load<f32>(c) : f32x4.extract_lane(x, 2)); }
  if (h > 3) { c += stride; store<f32>(c, readC ? f32x4.extract_lane(x, 3) + beta * load<f32>(c) : f32x4.extract_lane(x, 3)); }
}

/**
 * c + a * b: a multiply and an add, each rounded (the SIMD build, bit-exact with the scalar
 * one); in a relaxed-SIMD build (target "relaxed" in asconfig.json) f32x4.relaxed_madd, which
 * V8 on x64 runs as one fused multiply-add: half the arithmetic instructions, no longer
 * bit-identical to the other builds (one rounding instead of two).
 */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
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
