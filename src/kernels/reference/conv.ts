/**
 * Float64 references of the convolution data-movement kernels (assembly/conv.ts): same names
 * (camelCase) and parameter order, a Float64Array in place of each pointer. Layouts, as in the
 * kernel contract (src/kernels/exports.ts): x [batch, h, w, c] (NHWC); cols
 * [batch * oh * ow, c * kh * kw] row-major, row (b * oh + oy) * ow + ox, column (ci * kh + ky) * kw + kx;
 * window (oy, ox) at (ky, kx) reads pixel iy = oy * strideH - padTop + ky * dilationH,
 * ix = ox * strideW - padLeft + kx * dilationW, zero outside the image.
 */

/** Writes cols = im2col(x). */
export function im2col(batch: number, h: number, w: number, c: number, kh: number, kw: number,
  strideH: number, strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
  oh: number, ow: number, x: Float64Array, cols: Float64Array): void {
  const K = c * kh * kw;
  for (let b = 0; b < batch; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const row = ((b * oh + oy) * ow + ox) * K;
    for (let ci = 0; ci < c; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * strideH - padTop + ky * dilationH;
      const ix = ox * strideW - padLeft + kx * dilationW;
      const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      cols[row + (ci * kh + ky) * kw + kx] = inside ? x[((b * h + iy) * w + ix) * c + ci]! : 0;
    }
  }
}

/** The adjoint of im2col: x (+)= im2col^T(cols); accumulate == 0 writes x, otherwise adds into it. */
export function col2im(batch: number, h: number, w: number, c: number, kh: number, kw: number,
  strideH: number, strideW: number, padTop: number, padLeft: number, dilationH: number, dilationW: number,
  oh: number, ow: number, cols: Float64Array, x: Float64Array, accumulate: number): void {
  if (accumulate === 0) x.fill(0, 0, batch * h * w * c);
  const K = c * kh * kw;
  for (let b = 0; b < batch; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const row = ((b * oh + oy) * ow + ox) * K;
    for (let ci = 0; ci < c; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * strideH - padTop + ky * dilationH;
      const ix = ox * strideW - padLeft + kx * dilationW;
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) x[((b * h + iy) * w + ix) * c + ci]! += cols[row + (ci * kh + ky) * kw + kx]!;
    }
  }
}
