/**
 * The float64 Backend: every operation is the plain-loop reference of its kernel
 * (src/kernels/reference), buffers are Float64Arrays and views are subarrays. Slow and exact
 * enough for central differences; the oracle the wasm backend is tested against.
 */
import type { Backend, ConvGeometry } from "./backend.js";
import type { ActivationCode } from "../kernels/exports.js";
import { gemm } from "../kernels/reference/gemm.js";
import * as el from "../kernels/reference/elementwise.js";
import * as act from "../kernels/reference/activations.js";
import * as loss from "../kernels/reference/losses.js";
import * as opt from "../kernels/reference/optim.js";
import * as conv from "../kernels/reference/conv.js";
import * as lk from "../kernels/reference/likelihoods.js";
import { checkRows } from "./wasm.js";
import * as ln from "../kernels/reference/layernorm.js";
import { normalF64, uniform, type Key } from "../random/index.js";

type F = Float64Array;

export class ReferenceBackend implements Backend<F> {
  readonly name = "f64";
  alloc(n: number): F { return new Float64Array(n); }
  free(_b: F): void {}
  view(b: F, offset: number, length: number): F {
    if (offset < 0 || length < 0 || offset + length > b.length) throw new RangeError(`view [${offset}, ${offset + length}) outside a buffer of ${b.length}`);
    return b.subarray(offset, offset + length);
  }
  write(b: F, values: ArrayLike<number>, at = 0): void { b.set(values, at); }
  read(b: F): F { return b.slice(); }
  copy(src: F, dst: F): void { dst.set(src); }
  hostView(b: F): F { return b; }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    a: F, lda: number, b: F, ldb: number, beta: number, c: F, ldc: number): void {
    gemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  biasAdd(M: number, N: number, bias: F, c: F, ldc: number): void { el.biasAdd(M, N, bias, c, ldc); }
  colSum(M: number, N: number, x: F, ldx: number, beta: number, out: F): void { el.colSum(M, N, x, ldx, beta, out); }
  add(x: F, y: F, out: F): void { el.add(out.length, x, y, out); }
  scale(alpha: number, x: F, out: F): void { el.scale(out.length, alpha, x, out); }
  axpy(alpha: number, x: F, y: F): void { el.axpy(y.length, alpha, x, y); }
  fill(value: number, out: F): void { el.fill(out.length, value, out); }
  sumSquares(x: F): number { return el.sumSquares(x.length, x); }
  allFinite(x: F): boolean { return Boolean(el.allFinite(x.length, x)); }

  actForward(kind: ActivationCode, alpha: number, x: F, y: F): void { act.actForward(kind, y.length, alpha, x, y); }
  actBackward(kind: ActivationCode, alpha: number, x: F, y: F, dy: F, dx: F): void { act.actBackward(kind, dx.length, alpha, x, y, dy, dx); }

  bceLogitsForward(logits: F, target: F): number { return loss.bceLogitsForward(logits.length, logits, target); }
  bceLogitsBackward(scale: number, logits: F, target: F, dlogits: F): void { loss.bceLogitsBackward(logits.length, scale, logits, target, dlogits); }
  sqErrForward(pred: F, target: F): number { return loss.sqErrForward(pred.length, pred, target); }
  sqErrBackward(scale: number, pred: F, target: F, dpred: F): void { loss.sqErrBackward(pred.length, scale, pred, target, dpred); }
  gaussianNllForward(M: number, N: number, pred: F, target: F, logvar: F, lvStride: number): number {
    return loss.gaussianNllForward(M, N, pred, target, logvar, lvStride);
  }
  gaussianNllBackward(M: number, N: number, scale: number, pred: F, target: F, logvar: F, lvStride: number, dpred: F, dlogvar: F | null): void {
    loss.gaussianNllBackward(M, N, scale, pred, target, logvar, lvStride, dpred, dlogvar);
  }
  klNormalForward(mu: F, logvar: F): number { return loss.klNormalForward(mu.length, mu, logvar); }
  klNormalBackward(scale: number, mu: F, logvar: F, dmu: F, dlogvar: F): void { loss.klNormalBackward(mu.length, scale, mu, logvar, dmu, dlogvar); }
  reparamForward(mu: F, logvar: F, eps: F, z: F): void { loss.reparamForward(z.length, mu, logvar, eps, z); }
  reparamBackward(logvar: F, eps: F, dz: F, dmu: F, dlogvar: F): void { loss.reparamBackward(dz.length, logvar, eps, dz, dmu, dlogvar); }

  scaleByAdam(b1: number, b2: number, eps: number, bc1: number, bc2: number, g: F, m: F, v: F): void {
    opt.scaleByAdam(g.length, b1, b2, eps, bc1, bc2, g, m, v);
  }
  trace(decay: number, nesterov: boolean, g: F, t: F): void { opt.trace(g.length, decay, nesterov ? 1 : 0, g, t); }
  adamApply(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number, g: F, m: F, v: F, p: F): void {
    opt.adamApply(p.length, b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p);
  }
  adamStep(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number, g: F, m: F, v: F, p: F, mOut: F, vOut: F): number {
    return opt.adamStep(p.length, b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p, mOut, vOut);
  }

  im2col(g: ConvGeometry, x: F, cols: F): void {
    conv.im2col(g.batch, g.h, g.w, g.c, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow, x, cols);
  }
  col2im(g: ConvGeometry, cols: F, x: F, accumulate = false): void {
    conv.col2im(g.batch, g.h, g.w, g.c, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow,
      cols, x, accumulate ? 1 : 0);
  }

  /** Through im2col/col2im and gemm in float64 (the definition). */
  conv1Apply(g: ConvGeometry, C: number, w: F, img: F, z: F, bias: F | null = null): void {
    const rows = g.batch * g.oh * g.ow, K = g.kh * g.kw, cols = new Float64Array(rows * K);
    this.im2col(g, img, cols);
    this.gemm(false, true, rows, C, K, 1, cols, K, w, K, 0, z, C);
    if (bias) this.biasAdd(rows, C, bias, z, C);
  }
  conv1Adjoint(g: ConvGeometry, C: number, w: F, z: F, img: F): void {
    const rows = g.batch * g.oh * g.ow, K = g.kh * g.kw, cols = new Float64Array(rows * K);
    this.gemm(false, false, rows, K, C, 1, z, C, w, K, 0, cols, K);
    this.col2im(g, cols, img);
  }
  conv1FilterGrad(g: ConvGeometry, C: number, z: F, img: F, gw: F, gb: F | null = null): void {
    const rows = g.batch * g.oh * g.ow, K = g.kh * g.kw, cols = new Float64Array(rows * K);
    this.im2col(g, img, cols);
    this.gemm(true, false, C, K, rows, 1, z, C, cols, K, 0, gw, K);
    if (gb) this.colSum(rows, C, z, C, 0, gb);
  }

  normal(key: Key, out: F): void { out.set(normalF64(key, out.length)); }
  /** Exactly the values of the kernel random_uniform_f32 (src/random's uniform is its reference). */
  uniform(key: Key, out: F): void { out.set(uniform(key, out.length)); }

  mul(x: F, y: F, out: F): void { el.mul(out.length, x, y, out); }
  /** Element by element; views of one buffer that overlap read a copy of the source block. */
  copyRows(M: number, N: number, src: F, lds: number, dst: F, ldd: number): void {
    if (!checkRows(M, N, src.length, lds, dst.length, ldd)) return;
    const sEnd = (M - 1) * lds + N, dEnd = (M - 1) * ldd + N;
    const overlap = src.buffer === dst.buffer && src.byteOffset < dst.byteOffset + 8 * dEnd && dst.byteOffset < src.byteOffset + 8 * sEnd;
    const s = overlap ? src.slice(0, sEnd) : src;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) dst[i * ldd + j] = s[i * lds + j]!;
  }

  laplaceNllForward(M: number, N: number, pred: F, target: F, logscale: F, lsStride: number): number {
    return lk.laplaceNllForward(M, N, pred, target, logscale, lsStride);
  }
  laplaceNllBackward(M: number, N: number, scale: number, pred: F, target: F, logscale: F, lsStride: number, dpred: F, dlogscale: F | null): void {
    lk.laplaceNllBackward(M, N, scale, pred, target, logscale, lsStride, dpred, dlogscale);
  }
  cbLogitsForward(logits: F, target: F): number { return lk.cbLogitsForward(logits.length, logits, target); }
  cbLogitsBackward(scale: number, logits: F, target: F, dlogits: F): void { lk.cbLogitsBackward(logits.length, scale, logits, target, dlogits); }
  l1Forward(x: F): number { return lk.l1Forward(x.length, x); }
  l1Backward(scale: number, x: F, dx: F): void { lk.l1Backward(x.length, scale, x, dx); }

  dropoutMask(rate: number, u: F, mask: F): void { ln.dropoutMask(mask.length, rate, u, mask); }
  layerNormForward(M: number, N: number, eps: number, x: F, gamma: F, beta: F, y: F, mean: F, rstd: F): void {
    ln.layerNormForward(M, N, eps, x, gamma, beta, y, mean, rstd);
  }
  layerNormBackward(M: number, N: number, x: F, gamma: F, mean: F, rstd: F, dy: F, dx: F | null, dgamma: F, dbeta: F): void {
    ln.layerNormBackward(M, N, x, gamma, mean, rstd, dy, dx, dgamma, dbeta);
  }
}
