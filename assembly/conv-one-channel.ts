// Convolutions between a one-channel image and a C-channel tensor without a column matrix: the
// first layer of an image encoder (Conv2d 1 -> C) and the last of its decoder (ConvTranspose2d
// C -> 1). Through im2col their GEMMs are K = kh * kw deep or wide (9 for 3 x 3), where the
// packed GEMM spends more on packing, tile edges and the column matrix than on arithmetic.
//
// Geometry as im2col_f32 (assembly/conv.ts) with c = 1. img [batch, h, w] is the one-channel
// image; window (oy, ox) of image b is row r = (b * oh + oy) * ow + ox of z [batch * oh * ow, C]
// (row stride C, or ldz); wgt is [C, K] row-major, tap p = ky * kw + kx. With
// col_r[p] = img[b, oy * sH - pT + ky * dH, ox * sW - pL + kx * dW] (0 outside the image):
//   conv1_apply_f32        z[r, o] = sum_p col_r[p] wgt[o, p] (+ bias[o])  (im2col(img) wgt^T, bias added to the sum)
//   conv1_adjoint_f32      img = col2im(z wgt): the pixel under tap p of window r gets sum_o z[r, o] wgt[o, p]
//   conv1_filter_grad_f32  gw[o, p] = sum_r z[r, o] col_r[p]                (z^T im2col(img)),
//                          and gb[o] = sum_r z[r, o] when gb is not 0 (the bias gradient)
// Every sum starts from 0 and adds its products one by one, each a multiply then an add: apply
// over p = 0..K-1, filter grad over r in increasing order, adjoint over o = 0..C-1, and each
// pixel of img receives its terms in (r, p) order. The scalar and SIMD builds (register tiles in
// conv-one-channel-tiles.ts) agree bit for bit; the relaxed build fuses each multiply-add.
//
// Work (conv1_work_size bytes): the weights as the tiles read them (apply: transposed [K, C];
// adjoint: [C, L], L taps per window with zeros past the real ones) or the filter gradient's
// accumulators [K, C]; the taps' byte offsets in the padded image (i32 [K]); one image copied
// into a zero-padded image of ph x pw pixels (and 8 more floats), so windows need no bounds
// checks; a scratch row. The adjoint's L is 4 kh, tap (ky, kx) at lane 4 ky + kx, when kw <= 4
// and dilationW is 1 (SIMD): a window's row of taps is then added into the padded image as one
// f32x4 (the lanes past kw add 0, which leaves every value's bits as they are: a sum that starts
// from +0 is never -0); else L = K4 = K rounded up to 4, tap p at lane p, added one by one.

import { adjointTile2x12, adjointTile2x4, applyTile4x4, applyTile4x8, gradTile4x1, gradTile4x4, gradTile8x1, gradTile8x4 } from "./conv-one-channel-tiles";

// @ts-ignore: decorator
@inline function align16(bytes: usize): usize { return (bytes + 15) & ~<usize>15; }

/** Rows (or columns) of the padded image: the windows reach (o - 1) * stride + (k - 1) * dilation. */
// @ts-ignore: decorator
@inline function paddedSide(o: i32, k: i32, stride: i32, dilation: i32): i32 { return o > 0 ? (o - 1) * stride + (k - 1) * dilation + 1 : 0; }

// The parts of the work area, in order: weights (or accumulators), offs, pim, spare.
// @ts-ignore: decorator
@inline function offsAt(work: usize, kh: i32, kw: i32, C: i32): usize { return work + align16(<usize>(maxLanes(kh, kw) * C) << 2); }
// @ts-ignore: decorator
@inline function pimAt(offs: usize, K: i32): usize { return offs + align16(<usize>K << 2); }
// @ts-ignore: decorator
@inline function spareAt(pim: usize, ph: i32, pw: i32): usize { return pim + align16(<usize>(ph * pw + 8) << 2); }

/** The most lanes a window's taps take in the adjoint's layouts (K rounded up to 4, or 4 kh). */
// @ts-ignore: decorator
@inline function maxLanes(kh: i32, kw: i32): i32 { return max<i32>((kh * kw + 3) & ~3, 4 * kh); }

/** Bytes of work the three kernels need for this geometry and C channels. */
export function conv1_work_size(kh: i32, kw: i32, strideH: i32, strideW: i32, dilationH: i32, dilationW: i32,
  oh: i32, ow: i32, C: i32): usize {
  const K = kh * kw, L = maxLanes(kh, kw);
  const ph = paddedSide(oh, kh, strideH, dilationH), pw = paddedSide(ow, kw, strideW, dilationW);
  return align16(<usize>(L * C) << 2) + align16(<usize>K << 2) + align16(<usize>(ph * pw + 8) << 2) + align16(<usize>max<i32>(C, 2 * L) << 2);
}

/** offs[ky * kw + kx] = byte offset of tap (ky, kx) from its window's top-left in the padded image. */
function tapOffsets(kh: i32, kw: i32, dilationH: i32, dilationW: i32, pw: i32, offs: usize): void {
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) store<i32>(offs + (<usize>(ky * kw + kx) << 2), (ky * dilationH * pw + kx * dilationW) << 2);
  }
}

/** Copies image `src` [h, w] into `dst` [ph, pw] at (pT, pL), zeros around it (parts past ph, pw are dropped). */
function padImage(src: usize, h: i32, w: i32, pT: i32, pL: i32, ph: i32, pw: i32, dst: usize): void {
  for (let py = 0; py < ph; py++) {
    const y = py - pT;
    const d = dst + (<usize>(py * pw) << 2);
    if (<u32>y >= <u32>h) { memory.fill(d, 0, <usize>pw << 2); continue; }
    // Columns [0, left) zeros, [pL, pL + n) the row's first n pixels, the rest zeros.
    const left = min(pL, pw), n = max(0, min(w, pw - pL));
    memory.fill(d, 0, <usize>left << 2);
    memory.copy(d + (<usize>left << 2), src + (<usize>(y * w) << 2), <usize>n << 2);
    memory.fill(d + (<usize>(left + n) << 2), 0, <usize>(pw - left - n) << 2);
  }
}

/** The padded image's address of window r's top-left (windows of one image, row-major over oh x ow). */
// @ts-ignore: decorator
@inline function windowAt(pim: usize, r: i32, ow: i32, strideH: i32, strideW: i32, pw: i32): usize {
  const oy = r / ow, ox = r - oy * ow;
  return pim + (<usize>(oy * strideH * pw + ox * strideW) << 2);
}

/** The byte offset of tap p (offs: tapOffsets). */
// @ts-ignore: decorator
@inline function off(offs: usize, p: i32): usize { return <usize>load<i32>(offs + (<usize>p << 2)); }

/** Tap p of the window at a. */
// @ts-ignore: decorator
@inline function tap(a: usize, offs: usize, p: i32): f32 { return load<f32>(a + off(offs, p)); }

/**
 * z[r, o] for channels o >= from of the window at a (wt [K, C]): four channels at a time in
 * scalar accumulators, each sum in p order, then + bias[o] when bias is not 0.
 */
function applyScalar(a: usize, offs: usize, K: i32, wt: usize, C: i32, from: i32, bias: usize, zr: usize): void {
  const rowBytes = <usize>C << 2;
  let o = from;
  for (; o + 4 <= C; o += 4) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    let t = wt + (<usize>o << 2);
    for (let p = 0; p < K; p++, t += rowBytes) {
      const v = tap(a, offs, p);
      s0 += v * load<f32>(t); s1 += v * load<f32>(t, 4); s2 += v * load<f32>(t, 8); s3 += v * load<f32>(t, 12);
    }
    const d = zr + (<usize>o << 2);
    if (bias) {
      const b = bias + (<usize>o << 2);
      s0 += load<f32>(b); s1 += load<f32>(b, 4); s2 += load<f32>(b, 8); s3 += load<f32>(b, 12);
    }
    store<f32>(d, s0); store<f32>(d, s1, 4); store<f32>(d, s2, 8); store<f32>(d, s3, 12);
  }
  for (; o < C; o++) {
    let s: f32 = 0;
    let t = wt + (<usize>o << 2);
    for (let p = 0; p < K; p++, t += rowBytes) s += tap(a, offs, p) * load<f32>(t);
    if (bias) s += load<f32>(bias + (<usize>o << 2));
    store<f32>(zr + (<usize>o << 2), s);
  }
}

/** z = im2col(img) wgt^T (+ bias [C] when bias is not 0), z [batch * oh * ow, C] with row stride C. See the top of this file. */
export function conv1_apply_f32(batch: i32, h: i32, w: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32, oh: i32, ow: i32, C: i32,
  wgt: usize, bias: usize, img: usize, z: usize, work: usize): void {
  const K = kh * kw, n = oh * ow;
  const ph = paddedSide(oh, kh, strideH, dilationH), pw = paddedSide(ow, kw, strideW, dilationW);
  const wt = work, offs = offsAt(work, kh, kw, C), pim = pimAt(offs, K), spare = spareAt(pim, ph, pw);
  for (let o = 0; o < C; o++) {
    for (let p = 0; p < K; p++) store<f32>(wt + (<usize>(p * C + o) << 2), load<f32>(wgt + (<usize>(o * K + p) << 2)));
  }
  tapOffsets(kh, kw, dilationH, dilationW, pw, offs);
  const zRow = <usize>C << 2;
  for (let b = 0; b < batch; b++) {
    padImage(img + (<usize>(b * h * w) << 2), h, w, padTop, padLeft, ph, pw, pim);
    const zb = z + <usize>(b * n) * zRow;
    if (!ASC_FEATURE_SIMD) {
      for (let r = 0; r < n; r++) applyScalar(windowAt(pim, r, ow, strideH, strideW, pw), offs, K, wt, C, 0, bias, zb + <usize>r * zRow);
      continue;
    }
    for (let r = 0; r < n; r += 4) {
      // Four windows; past the last, the first window again, written to the spare row.
      const a0 = windowAt(pim, r, ow, strideH, strideW, pw);
      const a1 = r + 1 < n ? windowAt(pim, r + 1, ow, strideH, strideW, pw) : a0;
      const a2 = r + 2 < n ? windowAt(pim, r + 2, ow, strideH, strideW, pw) : a0;
      const a3 = r + 3 < n ? windowAt(pim, r + 3, ow, strideH, strideW, pw) : a0;
      const z0 = zb + <usize>r * zRow;
      const z1 = r + 1 < n ? z0 + zRow : spare, z2 = r + 2 < n ? z0 + 2 * zRow : spare, z3 = r + 3 < n ? z0 + 3 * zRow : spare;
      let o = 0;
      for (; o + 8 <= C; o += 8) {
        const at = <usize>o << 2;
        applyTile4x8(a0, a1, a2, a3, offs, K, wt + at, zRow, bias ? bias + at : 0, z0 + at, z1 + at, z2 + at, z3 + at);
      }
      if (o + 4 <= C) {
        const at = <usize>o << 2;
        applyTile4x4(a0, a1, a2, a3, offs, K, wt + at, zRow, bias ? bias + at : 0, z0 + at, z1 + at, z2 + at, z3 + at);
        o += 4;
      }
      if (o < C) {
        applyScalar(a0, offs, K, wt, C, o, bias, z0);
        if (r + 1 < n) applyScalar(a1, offs, K, wt, C, o, bias, z1);
        if (r + 2 < n) applyScalar(a2, offs, K, wt, C, o, bias, z2);
        if (r + 3 < n) applyScalar(a3, offs, K, wt, C, o, bias, z3);
      }
    }
  }
}

/** cols[p] = sum_o zr[o] wp[o, p] for p < K (wp [C, K4]): four taps at a time in scalar accumulators, each sum in o order. */
function adjointScalar(zr: usize, C: i32, wp: usize, K4: i32, K: i32, cols: usize): void {
  const wRow = <usize>K4 << 2;
  let p = 0;
  for (; p + 4 <= K; p += 4) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    let w = wp + (<usize>p << 2);
    for (let o = 0; o < C; o++, w += wRow) {
      const zo = load<f32>(zr + (<usize>o << 2));
      s0 += zo * load<f32>(w); s1 += zo * load<f32>(w, 4); s2 += zo * load<f32>(w, 8); s3 += zo * load<f32>(w, 12);
    }
    const d = cols + (<usize>p << 2);
    store<f32>(d, s0); store<f32>(d, s1, 4); store<f32>(d, s2, 8); store<f32>(d, s3, 12);
  }
  for (; p < K; p++) {
    let s: f32 = 0;
    let w = wp + (<usize>p << 2);
    for (let o = 0; o < C; o++, w += wRow) s += load<f32>(zr + (<usize>o << 2)) * load<f32>(w);
    store<f32>(cols + (<usize>p << 2), s);
  }
}

/** The padded image at a receives cols[p] under tap p, p = 0..K-1. */
// @ts-ignore: decorator
@inline function scatter(a: usize, offs: usize, K: i32, cols: usize): void {
  for (let p = 0; p < K; p++) {
    const d = a + off(offs, p);
    store<f32>(d, load<f32>(d) + load<f32>(cols + (<usize>p << 2)));
  }
}

/** The padded image at a receives row ky of the window's taps, cols[4 ky .. 4 ky + 3], as one f32x4 per row. */
// @ts-ignore: decorator
@inline function scatterRows(a: usize, rowStep: usize, kh: i32, cols: usize): void {
  let d = a, c = cols;
  for (let ky = 0; ky < kh; ky++, d += rowStep, c += 16) v128.store(d, f32x4.add(v128.load(d), v128.load(c)));
}

/**
 * scatterRows for two neighbouring windows of one output row, the second `shift` pixels (1 or 2)
 * right of the first at a, their rows of taps (kw <= 4) combined in registers: per row one f32x4
 * load and store (two when kw + shift > 4) instead of two overlapping ones, each pixel still
 * receiving the first window's term, then the second's. Lanes beyond the windows add 0; the
 * padded image has 8 floats of slack for them.
 */
// @ts-ignore: decorator
@inline function scatterPair(a: usize, rowStep: usize, kh: i32, kw: i32, shift: i32, c0: usize, c1: usize): void {
  const zero = f32x4.splat(0);
  let d = a, p = c0, q = c1;
  for (let ky = 0; ky < kh; ky++, d += rowStep, p += 16, q += 16) {
    const r0 = v128.load(p), r1 = v128.load(q);
    if (shift == 1) {
      v128.store(d, f32x4.add(f32x4.add(v128.load(d), r0), v128.shuffle<f32>(zero, r1, 0, 4, 5, 6)));
      if (kw == 4) v128.store(d, f32x4.add(v128.load(d, 16), v128.shuffle<f32>(r1, zero, 3, 4, 4, 4)), 16);
    } else {
      v128.store(d, f32x4.add(f32x4.add(v128.load(d), r0), v128.shuffle<f32>(zero, r1, 0, 1, 4, 5)));
      if (kw >= 3) v128.store(d, f32x4.add(v128.load(d, 16), v128.shuffle<f32>(r1, zero, 2, 3, 4, 4)), 16);
    }
  }
}

/** img = col2im(z wgt), img [batch, h, w] written (pixels no window reaches get 0). See the top of this file. */
export function conv1_adjoint_f32(batch: i32, h: i32, w: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32, oh: i32, ow: i32, C: i32,
  wgt: usize, z: usize, img: usize, work: usize): void {
  const K = kh * kw, K4 = (K + 3) & ~3, n = oh * ow;
  const ph = paddedSide(oh, kh, strideH, dilationH), pw = paddedSide(ow, kw, strideW, dilationW);
  const byRows = ASC_FEATURE_SIMD && kw <= 4 && dilationW == 1, L = byRows ? 4 * kh : K4;
  const pairs = strideW == 1 || strideW == 2; // scatterPair's shifts
  const wp = work, offs = offsAt(work, kh, kw, C), pim = pimAt(offs, K), cols0 = spareAt(pim, ph, pw), cols1 = cols0 + (<usize>L << 2);
  for (let o = 0; o < C; o++) {
    for (let q = 0; q < L; q++) {
      const ky = byRows ? q >> 2 : 0, kx = byRows ? q & 3 : q; // lane q holds tap (ky, kx) of the weight row, or 0
      const real = byRows ? kx < kw : q < K;
      store<f32>(wp + (<usize>(o * L + q) << 2), real ? load<f32>(wgt + (<usize>(o * K + ky * kw + kx) << 2)) : 0);
    }
  }
  tapOffsets(kh, kw, dilationH, dilationW, pw, offs);
  const zRow = <usize>C << 2, wRow = <usize>L << 2, rowStep = <usize>(dilationH * pw) << 2;
  for (let b = 0; b < batch; b++) {
    memory.fill(pim, 0, <usize>(ph * pw + 8) << 2);
    const zb = z + <usize>(b * n) * zRow;
    for (let r = 0; r < n; r += 2) {
      const z0 = zb + <usize>r * zRow, two = r + 1 < n;
      if (ASC_FEATURE_SIMD) {
        const z1 = two ? z0 + zRow : z0; // past the last window, the last again (not scattered)
        let t = 0;
        for (; t + 12 <= L; t += 12) adjointTile2x12(z0, z1, C, wp + (<usize>t << 2), wRow, cols0 + (<usize>t << 2), cols1 + (<usize>t << 2));
        for (; t < L; t += 4) adjointTile2x4(z0, z1, C, wp + (<usize>t << 2), wRow, cols0 + (<usize>t << 2), cols1 + (<usize>t << 2));
        if (byRows) {
          const a0 = windowAt(pim, r, ow, strideH, strideW, pw);
          if (two && pairs && r % ow + 1 < ow) { scatterPair(a0, rowStep, kh, kw, strideW, cols0, cols1); continue; }
          scatterRows(a0, rowStep, kh, cols0);
          if (two) scatterRows(windowAt(pim, r + 1, ow, strideH, strideW, pw), rowStep, kh, cols1);
          continue;
        }
      } else {
        adjointScalar(z0, C, wp, K4, K, cols0);
        if (two) adjointScalar(z0 + zRow, C, wp, K4, K, cols1);
      }
      scatter(windowAt(pim, r, ow, strideH, strideW, pw), offs, K, cols0);
      if (two) scatter(windowAt(pim, r + 1, ow, strideH, strideW, pw), offs, K, cols1);
    }
    // The padded image's pixels back into img (those outside it get 0).
    const dst = img + (<usize>(b * h * w) << 2);
    const n = max(0, min(w, pw - padLeft)); // pixels x < n of a row lie in the padded image
    for (let y = 0; y < h; y++) {
      const py = y + padTop, d = dst + (<usize>(y * w) << 2);
      const m = py < ph ? n : 0;
      if (m > 0) memory.copy(d, pim + (<usize>(py * pw + padLeft) << 2), <usize>m << 2);
      memory.fill(d + (<usize>m << 2), 0, <usize>(w - m) << 2);
    }
  }
}

/**
 * g[p, o] += z_x[o] tap_x(p) for the n windows x of one row (at a + x * step, z rows at z + x * ldz),
 * channels o >= from; g [K, C]. Four channels at a time in scalar accumulators, windows in order.
 */
function gradScalar(a: usize, step: usize, n: i32, offs: usize, K: i32, z: usize, ldz: usize, C: i32, from: i32, g: usize): void {
  for (let p = 0; p < K; p++) {
    const f = off(offs, p), gp = g + (<usize>(p * C) << 2);
    let o = from;
    for (; o + 4 <= C; o += 4) {
      const d = gp + (<usize>o << 2);
      let a0 = load<f32>(d), a1 = load<f32>(d, 4), a2 = load<f32>(d, 8), a3 = load<f32>(d, 12);
      let b = a + f, zr = z + (<usize>o << 2);
      for (let x = 0; x < n; x++, b += step, zr += ldz) {
        const t = load<f32>(b);
        a0 += load<f32>(zr) * t; a1 += load<f32>(zr, 4) * t; a2 += load<f32>(zr, 8) * t; a3 += load<f32>(zr, 12) * t;
      }
      store<f32>(d, a0); store<f32>(d, a1, 4); store<f32>(d, a2, 8); store<f32>(d, a3, 12);
    }
    for (; o < C; o++) {
      const d = gp + (<usize>o << 2);
      let s = load<f32>(d), b = a + f, zr = z + (<usize>o << 2);
      for (let x = 0; x < n; x++, b += step, zr += ldz) s += load<f32>(zr) * load<f32>(b);
      store<f32>(d, s);
    }
  }
}


/** gb[o] += z_x[o] for the n rows x of z (ldz bytes apart), o < C, rows in order. */
function biasRows(z: usize, ldz: usize, n: i32, C: i32, gb: usize): void {
  let o = 0;
  if (ASC_FEATURE_SIMD) {
    for (; o + 4 <= C; o += 4) {
      const at = <usize>o << 2;
      let v = v128.load(gb + at), q = z + at;
      for (let x = 0; x < n; x++, q += ldz) v = f32x4.add(v, v128.load(q));
      v128.store(gb + at, v);
    }
  }
  for (; o < C; o++) {
    const at = <usize>o << 2;
    let s = load<f32>(gb + at), q = z + at;
    for (let x = 0; x < n; x++, q += ldz) s += load<f32>(q);
    store<f32>(gb + at, s);
  }
}

/**
 * gw = z^T im2col(img): gw [C, K] (row stride K) written, and gb [C] = the column sums of z when
 * gb is not 0; z [batch * oh * ow, C] with row stride ldz (a column slice of a wider z when the
 * channels are cut between threads). See the top of this file.
 */
export function conv1_filter_grad_f32(batch: i32, h: i32, w: i32, kh: i32, kw: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32, oh: i32, ow: i32, C: i32, ldz: i32,
  z: usize, img: usize, gw: usize, gb: usize, work: usize): void {
  const K = kh * kw;
  const ph = paddedSide(oh, kh, strideH, dilationH), pw = paddedSide(ow, kw, strideW, dilationW);
  const acc = work, offs = offsAt(work, kh, kw, C), pim = pimAt(offs, K);
  memory.fill(acc, 0, <usize>(K * C) << 2);
  if (gb) memory.fill(gb, 0, <usize>C << 2);
  tapOffsets(kh, kw, dilationH, dilationW, pw, offs);
  const zStride = <usize>ldz << 2, gRow = <usize>C << 2, step = <usize>strideW << 2;
  let zr = z;
  for (let b = 0; b < batch; b++) {
    padImage(img + (<usize>(b * h * w) << 2), h, w, padTop, padLeft, ph, pw, pim);
    for (let oy = 0; oy < oh; oy++, zr += <usize>ow * zStride) {
      const a = pim + (<usize>(oy * strideH * pw) << 2);
      let o = 0;
      if (ASC_FEATURE_SIMD) {
        for (; o + 8 <= C; o += 8) {
          const zo = zr + (<usize>o << 2), g = acc + (<usize>o << 2);
          let p = 0;
          for (; p + 4 <= K; p += 4) {
            gradTile8x4(a, step, ow, off(offs, p), off(offs, p + 1), off(offs, p + 2), off(offs, p + 3), zo, zStride, g + <usize>p * gRow, gRow);
          }
          for (; p < K; p++) gradTile8x1(a, step, ow, off(offs, p), zo, zStride, g + <usize>p * gRow);
        }
        if (o + 4 <= C) {
          const zo = zr + (<usize>o << 2), g = acc + (<usize>o << 2);
          let p = 0;
          for (; p + 4 <= K; p += 4) {
            gradTile4x4(a, step, ow, off(offs, p), off(offs, p + 1), off(offs, p + 2), off(offs, p + 3), zo, zStride, g + <usize>p * gRow, gRow);
          }
          for (; p < K; p++) gradTile4x1(a, step, ow, off(offs, p), zo, zStride, g + <usize>p * gRow);
          o += 4;
        }
      }
      if (o < C) gradScalar(a, step, ow, offs, K, zr, zStride, C, o, acc);
      if (gb) biasRows(zr, zStride, ow, C, gb); // the row's z again, from cache
    }
  }
  for (let o = 0; o < C; o++) {
    for (let p = 0; p < K; p++) store<f32>(gw + (<usize>(o * K + p) << 2), load<f32>(acc + (<usize>(p * C + o) << 2)));
  }
}
