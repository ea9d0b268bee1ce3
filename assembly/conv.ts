// im2col / col2im for NHWC images: the two data movements that put conv2d and its transpose
// on the GEMM.
//
// Geometry (every argument is an element count or index):
//   x     [batch, h, w, c]                    the image, channels last, batch-major
//   cols  [batch * oh * ow, c * kh * kw]      row-major; row r = (b * oh + oy) * ow + ox,
//                                             column q = (ci * kh + ky) * kw + kx
//   cols[r, q] = x[b, iy, ix, ci] with iy = oy * strideH - padTop + ky * dilationH,
//                                       ix = ox * strideW - padLeft + kx * dilationW,
//   and 0 where (iy, ix) falls outside the image (zero padding).
// The column order (ci, ky, kx) is PyTorch's weight order: a conv2d weight [O, C, KH, KW] is a
// row-major [O, C * KH * KW] matrix whose rows are the filters, so y = cols * W^T with no
// permutation (and a conv-transpose weight [C_in, C_out, KH, KW] is [C_in, C_out * KH * KW]).
// Bottom/right padding is implied by oh and ow (windows past the image read zeros).
//
// Inside one row, the c * kh * kw values are gathered as 4 x 4 blocks (4 window positions x 4
// channels): four channel-contiguous f32x4 loads from x, one 4 x 4 transpose, four f32x4
// stores into the row (SIMD build); when the window's positions are not a multiple of 4 (3 x 3:
// 9), the last group is the 4 positions ending the window (im2col rewrites the overlap with the
// same values; col2im masks the positions already added). Channel tails, windows of fewer than 4
// positions, fewer than 4 channels, and the scalar build move one value at a time. col2im runs the same walk backwards and adds into x; within a row the
// positions touch distinct pixels, so every x element receives its terms in row order in both
// builds: the two builds give identical results.

import { storeTransposed4 } from "./transpose";

/** x[b, iy, ix, 0] as a byte address, or 0 (never a valid image address here) outside the image. */
// @ts-ignore: decorator
@inline function pixel(x: usize, b: i32, h: i32, w: i32, c: i32, iy: i32, ix: i32): usize {
  if (<u32>iy >= <u32>h || <u32>ix >= <u32>w) return 0;
  return x + ((((<usize>b * <usize>h + <usize>iy) * <usize>w + <usize>ix) * <usize>c) << 2);
}

/** x[b, iy, 0, 0] as a byte address, or 0 when row iy is outside the image. */
// @ts-ignore: decorator
@inline function imageRow(x: usize, b: i32, h: i32, w: i32, c: i32, iy: i32): usize {
  if (<u32>iy >= <u32>h) return 0;
  return x + (((<usize>b * <usize>h + <usize>iy) * <usize>w * <usize>c) << 2);
}

/**
 * Writes cols = im2col(x) (cols is not read). See the layout above. Rows of cols are
 * batch * oh * ow, columns c * kh * kw.
 */
export function im2col_f32(batch: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  oh: i32, ow: i32, x: usize, cols: usize): void {
  const P = kh * kw;
  const K = c * P;
  const colStride = <usize>P << 2; // bytes between channels ci and ci + 1 inside a row
  let dst = cols;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * strideH - padTop;
      for (let ox = 0; ox < ow; ox++, dst += <usize>K << 2) {
        const ix0 = ox * strideW - padLeft;
        if (!ASC_FEATURE_SIMD || c < 4) {
          // Window row by window row; one value per (channel, position).
          let d = dst;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * dilationH;
            const row = imageRow(x, b, h, w, c, iy); // x[b, iy, 0, 0], or 0 outside
            if (c == 1) { // one channel: the row's values are contiguous in cols
              for (let kx = 0; kx < kw; kx++, d += 4) {
                const ix = ix0 + kx * dilationW;
                store<f32>(d, row && <u32>ix < <u32>w ? load<f32>(row + (<usize>ix << 2)) : 0);
              }
              continue;
            }
            for (let kx = 0; kx < kw; kx++, d += 4) {
              const ix = ix0 + kx * dilationW;
              let q = d;
              if (row && <u32>ix < <u32>w) {
                const s = row + ((<usize>ix * <usize>c) << 2);
                for (let ci = 0; ci < c; ci++, q += colStride) store<f32>(q, load<f32>(s + (<usize>ci << 2)));
              } else {
                for (let ci = 0; ci < c; ci++, q += colStride) store<f32>(q, 0);
              }
            }
          }
          continue;
        }
        let p = 0, ky = 0, kx = 0; // position p = ky * kw + kx of the window
        if (ASC_FEATURE_SIMD && P >= 4) {
          for (; p < P; p += 4) {
            // A last group of fewer than 4 positions is taken as the 4 positions ending at P:
            // the overlap rewrites the same values.
            if (p + 4 > P) { p = P - 4; ky = p / kw; kx = p - ky * kw; }
            const s0 = pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            const s1 = pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            const s2 = pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            const s3 = pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            const zero = f32x4.splat(0);
            let d = dst + (<usize>p << 2);
            let ci = 0;
            for (; ci + 4 <= c; ci += 4, d += colStride << 2) {
              const o = <usize>ci << 2;
              const r0 = s0 ? v128.load(s0 + o) : zero;
              const r1 = s1 ? v128.load(s1 + o) : zero;
              const r2 = s2 ? v128.load(s2 + o) : zero;
              const r3 = s3 ? v128.load(s3 + o) : zero;
              // r_i holds channels ci..ci+3 at position p + i; store channel j's 4 positions.
              storeTransposed4(r0, r1, r2, r3, d, colStride);
            }
            for (; ci < c; ci++, d += colStride) {
              const o = <usize>ci << 2;
              store<f32>(d, s0 ? load<f32>(s0 + o) : 0);
              store<f32>(d, s1 ? load<f32>(s1 + o) : 0, 4);
              store<f32>(d, s2 ? load<f32>(s2 + o) : 0, 8);
              store<f32>(d, s3 ? load<f32>(s3 + o) : 0, 12);
            }
          }
        }
        // Remaining positions one at a time.
        for (; p < P; p++) {
          const s = pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
          if (++kx == kw) { kx = 0; ky++; }
          let d = dst + (<usize>p << 2);
          if (s) {
            for (let ci = 0; ci < c; ci++, d += colStride) store<f32>(d, load<f32>(s + (<usize>ci << 2)));
          } else {
            for (let ci = 0; ci < c; ci++, d += colStride) store<f32>(d, 0);
          }
        }
      }
    }
  }
}

/**
 * The adjoint of im2col_f32 with the same geometry: x[b, iy, ix, ci] receives the sum of
 * every cols[r, q] that im2col would have read from it (overlapping windows add; entries that
 * fall in the padding are dropped). accumulate == 0 writes x (x is zeroed first, not read);
 * accumulate != 0 adds into x. cols is not modified.
 */
export function col2im_f32(batch: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  oh: i32, ow: i32, cols: usize, x: usize, accumulate: i32): void {
  if (accumulate == 0) memory.fill(x, 0, (<usize>batch * <usize>h * <usize>w * <usize>c) << 2);
  const P = kh * kw;
  const K = c * P;
  const colStride = <usize>P << 2;
  let src = cols;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * strideH - padTop;
      for (let ox = 0; ox < ow; ox++, src += <usize>K << 2) {
        const ix0 = ox * strideW - padLeft;
        if (!ASC_FEATURE_SIMD || c < 4) {
          let q0 = src;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * dilationH;
            const row = imageRow(x, b, h, w, c, iy); // x[b, iy, 0, 0], or 0 outside
            if (!row) { q0 += <usize>kw << 2; continue; }
            if (c == 1) {
              for (let kx = 0; kx < kw; kx++, q0 += 4) {
                const ix = ix0 + kx * dilationW;
                if (<u32>ix >= <u32>w) continue;
                const d = row + (<usize>ix << 2);
                store<f32>(d, load<f32>(d) + load<f32>(q0));
              }
              continue;
            }
            for (let kx = 0; kx < kw; kx++, q0 += 4) {
              const ix = ix0 + kx * dilationW;
              if (<u32>ix >= <u32>w) continue;
              const s = row + ((<usize>ix * <usize>c) << 2);
              let q = q0;
              for (let ci = 0; ci < c; ci++, q += colStride) {
                const d = s + (<usize>ci << 2);
                store<f32>(d, load<f32>(d) + load<f32>(q));
              }
            }
          }
          continue;
        }
        let p = 0, ky = 0, kx = 0; // position p = ky * kw + kx of the window
        if (ASC_FEATURE_SIMD && P >= 4) {
          for (; p < P; p += 4) {
            // A last group of fewer than 4 positions is taken as the 4 positions ending at P,
            // with the positions already added (the first `skip`) masked off as if in the padding.
            let skip = 0;
            if (p + 4 > P) { skip = p + 4 - P; p = P - 4; ky = p / kw; kx = p - ky * kw; }
            const s0: usize = skip > 0 ? 0 : pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            const s1: usize = skip > 1 ? 0 : pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            const s2: usize = skip > 2 ? 0 : pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            const s3 = pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
            if (++kx == kw) { kx = 0; ky++; }
            if (!(s0 | s1 | s2 | s3)) continue;
            let q = src + (<usize>p << 2);
            let ci = 0;
            for (; ci + 4 <= c; ci += 4, q += colStride << 2) {
              // r_j holds positions p..p+3 of channel ci + j; transpose to 4 pixels' channels.
              const r0 = v128.load(q), r1 = v128.load(q + colStride);
              const r2 = v128.load(q + 2 * colStride), r3 = v128.load(q + 3 * colStride);
              const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
              const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
              const o = <usize>ci << 2;
              if (s0) v128.store(s0 + o, f32x4.add(v128.load(s0 + o), v128.shuffle<f32>(t0, t1, 0, 1, 4, 5)));
              if (s1) v128.store(s1 + o, f32x4.add(v128.load(s1 + o), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7)));
              if (s2) v128.store(s2 + o, f32x4.add(v128.load(s2 + o), v128.shuffle<f32>(t2, t3, 0, 1, 4, 5)));
              if (s3) v128.store(s3 + o, f32x4.add(v128.load(s3 + o), v128.shuffle<f32>(t2, t3, 2, 3, 6, 7)));
            }
            for (; ci < c; ci++, q += colStride) {
              const o = <usize>ci << 2;
              if (s0) store<f32>(s0 + o, load<f32>(s0 + o) + load<f32>(q));
              if (s1) store<f32>(s1 + o, load<f32>(s1 + o) + load<f32>(q, 4));
              if (s2) store<f32>(s2 + o, load<f32>(s2 + o) + load<f32>(q, 8));
              if (s3) store<f32>(s3 + o, load<f32>(s3 + o) + load<f32>(q, 12));
            }
          }
        }
        for (; p < P; p++) {
          const s = pixel(x, b, h, w, c, iy0 + ky * dilationH, ix0 + kx * dilationW);
          if (++kx == kw) { kx = 0; ky++; }
          if (!s) continue;
          let q = src + (<usize>p << 2);
          for (let ci = 0; ci < c; ci++, q += colStride) {
            const d = s + (<usize>ci << 2);
            store<f32>(d, load<f32>(d) + load<f32>(q));
          }
        }
      }
    }
  }
}
