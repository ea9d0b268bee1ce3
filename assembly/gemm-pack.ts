// Packing for gemm_f32 (assembly/gemm.ts): op(B) into 8-column panels and op(A) into 4-row
// panels, both k-major and zero-padded, so that the tile kernels (assembly/gemm-tiles.ts) read
// each operand through one pointer with constant offsets.
import { MR, NR } from "./gemm-tiles";
import { storeTransposed4 } from "./transpose";

/**
 * Packs op(B)[pc : pc + kc, jc : jc + nc] into ceil(nc / 8) panels of kc x 8 floats,
 * panel p holding columns 8p .. 8p + 7 (zero beyond nc). op(B)[k, j] is B[k, j] or B[j, k].
 */
export function packB(transB: i32, kc: i32, nc: i32, b: usize, ldb: i32, pc: i32, jc: i32, dst: usize): void {
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
        // narrowPanel (SIMD, w <= 4) reads only the w columns: no zero padding for it.
        const width = ASC_FEATURE_SIMD && w <= NR / 2 ? w : NR;
        for (let k = 0; k < kc; k++) {
          const d = panel + (<usize>k << 5);
          for (let j = 0; j < width; j++) {
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
  storeTransposed4(v128.load(s), v128.load(s + stride), v128.load(s + 2 * stride), v128.load(s + 3 * stride), d, ds);
}

/**
 * Packs op(A)[ic : ic + mc, pc : pc + kc] into ceil(mc / 4) panels of kc x 4 floats, k-major
 * (panel q holds rows 4q .. 4q + 3 at panel[k * 4 + i], zero beyond mc). op(A)[i, k] is A[i, k]
 * (rows contiguous in k: 4 x 4 transposes) or A[k, i] (A^T: a contiguous copy per k).
 * The microkernel then reads one pointer with constant offsets.
 */
export function packA(transA: i32, mc: i32, kc: i32, a: usize, lda: i32, ic: i32, pc: i32, dst: usize): void {
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
