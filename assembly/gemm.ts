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
// except, in the SIMD build, edge tiles at most 4 columns wide (N = 20, a VAE's latent head,
// leaves a 4-column panel; N = 9 a 1-column one): those run a kernel with one f32x4 of A per k and one
// accumulator per column, and write C from the lanes (same sums in the same order).
// The first k-block applies beta (C is not read when beta == 0); later ones add to C. Both
// builds sum in the same order, so they give identical results.
//
// Files: this one (blocking and the loop over tiles), gemm-pack.ts (packing), gemm-tiles.ts (the
// register tiles).

import { MR, NR, narrowPanel, panelTiles } from "./gemm-tiles";
import { packA, packB } from "./gemm-pack";

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
 * All tiles of an mc x nc block of C from packed A (4-row panels) and packed B (8-column
 * panels): the whole tiles down each B panel in one call (panelTiles); in the SIMD build a panel
 * at most 4 columns wide in one call too (narrowPanel), writing C in place; other edge tiles
 * (fewer than 4 rows, or 5 to 7 columns) through `tile`. The B panel (kc x 8) stays in L1 while
 * the A panels stream past it.
 */
function macroKernel(mc: i32, nc: i32, kc: i32, alpha: f32, beta: f32, readC: bool,
  apack: usize, bpack: usize, c: usize, ldc: i32, tile: usize): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const w = min(NR, nc - j0);
    const bp = bpack + (<usize>(j0 * kc) << 2);
    const cj = c + (<usize>j0 << 2);
    if (ASC_FEATURE_SIMD && w <= NR / 2) {
      narrowPanel(mc, kc, w, apack, bp, alpha, beta, readC, cj, ldc);
      continue;
    }
    const whole = w == NR ? mc / MR : 0;
    if (whole > 0) panelTiles(whole, kc, apack, bp, alpha, beta, readC, cj, ldc);
    for (let i0 = whole * MR; i0 < mc; i0 += MR) {
      const h = min(MR, mc - i0);
      const ct = cj + (<usize>i0 * ldc << 2);
      panelTiles(1, kc, apack + (<usize>(i0 * kc) << 2), bp, alpha, 0, false, tile, NR);
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
