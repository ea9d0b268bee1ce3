/**
 * The Backend over the WebAssembly kernels (f32). Buffers are pointers into the module's
 * linear memory, allocated from its arena; views are pointer offsets. GEMM scratch is one
 * block owned by the backend and grown on demand.
 */
import type { Backend, Buffer, ConvGeometry } from "./backend.js";
import type { ActivationCode, KernelExports, Ptr } from "../kernels/exports.js";
import type { KernelModule } from "../kernels/module.js";
import { Arena } from "../kernels/arena.js";
import { keyData, type Key } from "../random/index.js";

export interface WasmBuffer extends Buffer {
  readonly ptr: Ptr;
  readonly length: number;
}

/**
 * Elements per partial sum of the elementwise loss sums (BCE, squared error): the sum is that of
 * the blocks' f64 partial sums, added in block order. A thread pool computes the blocks wherever
 * it likes and adds them in the same order (ThreadedBackend), so the loss is the same bits on
 * any number of threads.
 */
export const REDUCE_BLOCK = 1 << 14;

/** sum over blocks [at, at + len) of [0, n), in order, of part(at, len). */
export function blockSum(n: number, part: (at: number, len: number) => number): number {
  let s = 0;
  for (let at = 0; at < n; at += REDUCE_BLOCK) s += part(at, Math.min(REDUCE_BLOCK, n - at));
  return s;
}

/**
 * The arguments of copyRows: M, N and the strides are non-negative integers, destination rows do
 * not overlap each other (ldd >= N when M > 1; source rows may), and both blocks lie inside their
 * buffers. False when there is nothing to copy (M or N is 0).
 */
export function checkRows(M: number, N: number, srcLength: number, lds: number, dstLength: number, ldd: number): boolean {
  const bad = !Number.isInteger(M) || M < 0 ? `M = ${M}` : !Number.isInteger(N) || N < 0 ? `N = ${N}`
    : !Number.isInteger(lds) || lds < 0 ? `lds = ${lds}` : !Number.isInteger(ldd) || ldd < 0 ? `ldd = ${ldd}` : null;
  if (bad !== null) throw new RangeError(`copyRows: sizes and strides must be non-negative integers, got ${bad}`);
  if (M === 0 || N === 0) return false;
  if (M > 1 && ldd < N) throw new RangeError(`copyRows: destination rows of ${N} at a stride of ${ldd} would overlap`);
  if ((M - 1) * lds + N > srcLength) throw new RangeError(`copyRows: a ${M} x ${N} block at row stride ${lds} reads past a source of ${srcLength}`);
  if ((M - 1) * ldd + N > dstLength) throw new RangeError(`copyRows: a ${M} x ${N} block at row stride ${ldd} writes past a destination of ${dstLength}`);
  return true;
}

export class WasmBackend implements Backend<WasmBuffer> {
  readonly name: string;
  readonly arena: Arena;
  /** The backstop that frees what nobody disposed; absent where the runtime has no FinalizationRegistry (older workerd compatibility dates). */
  readonly finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry<() => void>((release) => release()) : undefined;
  private readonly k: KernelExports;
  private work: Ptr = 0;
  private workBytes = -1;

  constructor(readonly module: KernelModule) {
    this.name = `wasm-${module.isa}`;
    this.k = module.exports;
    this.arena = new Arena(module.exports);
  }

  alloc(n: number): WasmBuffer {
    const ptr = this.arena.alloc(n);
    this.k.fill_f32(n, 0, ptr);
    return { ptr, length: n };
  }
  free(b: WasmBuffer): void { this.arena.release(b.ptr); }
  view(b: WasmBuffer, offset: number, length: number): WasmBuffer {
    if (offset < 0 || length < 0 || offset + length > b.length) throw new RangeError(`view [${offset}, ${offset + length}) outside a buffer of ${b.length}`);
    return { ptr: b.ptr + 4 * offset, length };
  }
  write(b: WasmBuffer, values: ArrayLike<number>, at = 0): void {
    if (at + values.length > b.length) throw new RangeError(`write of ${values.length} values at ${at} overflows a buffer of ${b.length}`);
    this.arena.f32(b.ptr, b.length).set(values, at);
  }
  read(b: WasmBuffer): Float32Array { return this.arena.f32(b.ptr, b.length).slice(); }
  /** A live view of b, valid until the memory grows (no copy). */
  f32(b: WasmBuffer): Float32Array { return this.arena.f32(b.ptr, b.length); }
  hostView(b: WasmBuffer): Float32Array { return this.arena.f32(b.ptr, b.length); }
  copy(src: WasmBuffer, dst: WasmBuffer): void {
    this.arena.f32(dst.ptr, src.length).set(this.arena.f32(src.ptr, src.length));
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    a: WasmBuffer, lda: number, b: WasmBuffer, ldb: number, beta: number, c: WasmBuffer, ldc: number): void {
    this.k.gemm_f32(transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, a.ptr, lda, b.ptr, ldb, beta, c.ptr, ldc,
      this.workOf(this.k.gemm_f32_work_size(M, N, K)));
  }

  /** The kernels' scratch (GEMM packing, conv1 padding), grown to at least `bytes`. */
  private workOf(bytes: number): Ptr {
    if (bytes > this.workBytes) {
      if (this.workBytes >= 0) this.arena.release(this.work);
      this.work = this.arena.allocBytes(bytes);
      this.workBytes = bytes;
    }
    return this.work;
  }
  biasAdd(M: number, N: number, bias: WasmBuffer, c: WasmBuffer, ldc: number): void { this.k.bias_add_f32(M, N, bias.ptr, c.ptr, ldc); }
  colSum(M: number, N: number, x: WasmBuffer, ldx: number, beta: number, out: WasmBuffer): void { this.k.col_sum_f32(M, N, x.ptr, ldx, beta, out.ptr); }
  add(x: WasmBuffer, y: WasmBuffer, out: WasmBuffer): void { this.k.add_f32(out.length, x.ptr, y.ptr, out.ptr); }
  scale(alpha: number, x: WasmBuffer, out: WasmBuffer): void { this.k.scale_f32(out.length, alpha, x.ptr, out.ptr); }
  axpy(alpha: number, x: WasmBuffer, y: WasmBuffer): void { this.k.axpy_f32(y.length, alpha, x.ptr, y.ptr); }
  fill(value: number, out: WasmBuffer): void { this.k.fill_f32(out.length, value, out.ptr); }
  sumSquares(x: WasmBuffer): number { return this.k.sum_squares_f32(x.length, x.ptr); }
  allFinite(x: WasmBuffer): boolean { return this.k.all_finite_f32(x.length, x.ptr) === 1; }

  actForward(kind: ActivationCode, alpha: number, x: WasmBuffer, y: WasmBuffer): void { this.k.act_forward_f32(kind, y.length, alpha, x.ptr, y.ptr); }
  actBackward(kind: ActivationCode, alpha: number, x: WasmBuffer, y: WasmBuffer, dy: WasmBuffer, dx: WasmBuffer): void {
    this.k.act_backward_f32(kind, dx.length, alpha, x.ptr, y.ptr, dy.ptr, dx.ptr);
  }

  bceLogitsForward(logits: WasmBuffer, target: WasmBuffer): number {
    return blockSum(logits.length, (at, len) => this.k.bce_logits_forward_f32(len, logits.ptr + 4 * at, target.ptr + 4 * at));
  }
  bceLogitsBackward(scale: number, logits: WasmBuffer, target: WasmBuffer, dlogits: WasmBuffer): void {
    this.k.bce_logits_backward_f32(logits.length, scale, logits.ptr, target.ptr, dlogits.ptr);
  }
  sqErrForward(pred: WasmBuffer, target: WasmBuffer): number {
    return blockSum(pred.length, (at, len) => this.k.sq_err_forward_f32(len, pred.ptr + 4 * at, target.ptr + 4 * at));
  }
  sqErrBackward(scale: number, pred: WasmBuffer, target: WasmBuffer, dpred: WasmBuffer): void {
    this.k.sq_err_backward_f32(pred.length, scale, pred.ptr, target.ptr, dpred.ptr);
  }
  gaussianNllForward(M: number, N: number, pred: WasmBuffer, target: WasmBuffer, logvar: WasmBuffer, lvStride: number): number {
    return this.k.gaussian_nll_forward_f32(M, N, pred.ptr, target.ptr, logvar.ptr, lvStride);
  }
  gaussianNllBackward(M: number, N: number, scale: number, pred: WasmBuffer, target: WasmBuffer, logvar: WasmBuffer,
    lvStride: number, dpred: WasmBuffer, dlogvar: WasmBuffer | null): void {
    this.k.gaussian_nll_backward_f32(M, N, scale, pred.ptr, target.ptr, logvar.ptr, lvStride, dpred.ptr, dlogvar ? dlogvar.ptr : 0);
  }
  klNormalForward(mu: WasmBuffer, logvar: WasmBuffer): number { return this.k.kl_normal_forward_f32(mu.length, mu.ptr, logvar.ptr); }
  klNormalBackward(scale: number, mu: WasmBuffer, logvar: WasmBuffer, dmu: WasmBuffer, dlogvar: WasmBuffer): void {
    this.k.kl_normal_backward_f32(mu.length, scale, mu.ptr, logvar.ptr, dmu.ptr, dlogvar.ptr);
  }
  reparamForward(mu: WasmBuffer, logvar: WasmBuffer, eps: WasmBuffer, z: WasmBuffer): void {
    this.k.reparam_forward_f32(z.length, mu.ptr, logvar.ptr, eps.ptr, z.ptr);
  }
  reparamBackward(logvar: WasmBuffer, eps: WasmBuffer, dz: WasmBuffer, dmu: WasmBuffer, dlogvar: WasmBuffer): void {
    this.k.reparam_backward_f32(dz.length, logvar.ptr, eps.ptr, dz.ptr, dmu.ptr, dlogvar.ptr);
  }

  scaleByAdam(b1: number, b2: number, eps: number, bc1: number, bc2: number, g: WasmBuffer, m: WasmBuffer, v: WasmBuffer): void {
    this.k.scale_by_adam_f32(g.length, b1, b2, eps, bc1, bc2, g.ptr, m.ptr, v.ptr);
  }
  trace(decay: number, nesterov: boolean, g: WasmBuffer, t: WasmBuffer): void {
    this.k.trace_f32(g.length, decay, nesterov ? 1 : 0, g.ptr, t.ptr);
  }
  adamApply(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
    g: WasmBuffer, m: WasmBuffer, v: WasmBuffer, p: WasmBuffer): void {
    this.k.adam_apply_f32(p.length, b1, b2, eps, bc1, bc2, lr, wd, g.ptr, m.ptr, v.ptr, p.ptr);
  }
  adamStep(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
    g: WasmBuffer, m: WasmBuffer, v: WasmBuffer, p: WasmBuffer, mOut: WasmBuffer, vOut: WasmBuffer): number {
    return this.k.adam_step_f32(p.length, b1, b2, eps, bc1, bc2, lr, wd, g.ptr, m.ptr, v.ptr, p.ptr, mOut.ptr, vOut.ptr);
  }

  im2col(g: ConvGeometry, x: WasmBuffer, cols: WasmBuffer): void {
    this.k.im2col_f32(g.batch, g.h, g.w, g.c, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      g.dilationH, g.dilationW, g.oh, g.ow, x.ptr, cols.ptr);
  }
  col2im(g: ConvGeometry, cols: WasmBuffer, x: WasmBuffer, accumulate = false): void {
    this.k.col2im_f32(g.batch, g.h, g.w, g.c, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft,
      g.dilationH, g.dilationW, g.oh, g.ow, cols.ptr, x.ptr, accumulate ? 1 : 0);
  }

  conv1Apply(g: ConvGeometry, C: number, w: WasmBuffer, img: WasmBuffer, z: WasmBuffer, bias: WasmBuffer | null = null): void {
    this.k.conv1_apply_f32(...conv1Args(g), C, w.ptr, bias ? bias.ptr : 0, img.ptr, z.ptr, this.workOf(conv1WorkBytes(this.k, g, C)));
  }
  conv1Adjoint(g: ConvGeometry, C: number, w: WasmBuffer, z: WasmBuffer, img: WasmBuffer): void {
    this.k.conv1_adjoint_f32(...conv1Args(g), C, w.ptr, z.ptr, img.ptr, this.workOf(conv1WorkBytes(this.k, g, C)));
  }
  conv1FilterGrad(g: ConvGeometry, C: number, z: WasmBuffer, img: WasmBuffer, gw: WasmBuffer, gb: WasmBuffer | null = null): void {
    this.k.conv1_filter_grad_f32(...conv1Args(g), C, C, z.ptr, img.ptr, gw.ptr, gb ? gb.ptr : 0, this.workOf(conv1WorkBytes(this.k, g, C)));
  }

  normal(key: Key, out: WasmBuffer): void {
    const [k0, k1] = keyData(key);
    this.k.random_normal_f32(k0, k1, 0, out.length, out.ptr);
  }
  uniform(key: Key, out: WasmBuffer): void {
    const [k0, k1] = keyData(key);
    this.k.random_uniform_f32(k0, k1, 0, out.length, out.ptr);
  }

  mul(x: WasmBuffer, y: WasmBuffer, out: WasmBuffer): void { this.k.mul_f32(out.length, x.ptr, y.ptr, out.ptr); }
  /**
   * Row by row over one Float32Array spanning both blocks. Overlapping blocks (buffers are all
   * in one memory) are copied as if src were read first: with equal strides every element moves
   * by the same distance, so rows run backwards when dst lies above src; with unequal strides
   * the src block is staged in a copy (the only case that allocates).
   */
  copyRows(M: number, N: number, src: WasmBuffer, lds: number, dst: WasmBuffer, ldd: number): void {
    if (!checkRows(M, N, src.length, lds, dst.length, ldd)) return;
    const sEnd = (M - 1) * lds + N, dEnd = (M - 1) * ldd + N;
    const lo = Math.min(src.ptr, dst.ptr);
    const mem = this.arena.f32(lo, (Math.max(src.ptr + 4 * sEnd, dst.ptr + 4 * dEnd) - lo) / 4);
    const s0 = (src.ptr - lo) / 4, d0 = (dst.ptr - lo) / 4;
    const overlap = s0 < d0 + dEnd && d0 < s0 + sEnd;
    if (!overlap || (lds === ldd && d0 <= s0)) {
      for (let i = 0; i < M; i++) mem.copyWithin(d0 + i * ldd, s0 + i * lds, s0 + i * lds + N);
    } else if (lds === ldd) {
      for (let i = M - 1; i >= 0; i--) mem.copyWithin(d0 + i * ldd, s0 + i * lds, s0 + i * lds + N);
    } else {
      const staged = mem.slice(s0, s0 + sEnd);
      for (let i = 0; i < M; i++) mem.set(staged.subarray(i * lds, i * lds + N), d0 + i * ldd);
    }
  }

  laplaceNllForward(M: number, N: number, pred: WasmBuffer, target: WasmBuffer, logscale: WasmBuffer, lsStride: number): number {
    return this.k.laplace_nll_forward_f32(M, N, pred.ptr, target.ptr, logscale.ptr, lsStride);
  }
  laplaceNllBackward(M: number, N: number, scale: number, pred: WasmBuffer, target: WasmBuffer, logscale: WasmBuffer,
    lsStride: number, dpred: WasmBuffer, dlogscale: WasmBuffer | null): void {
    this.k.laplace_nll_backward_f32(M, N, scale, pred.ptr, target.ptr, logscale.ptr, lsStride, dpred.ptr, dlogscale ? dlogscale.ptr : 0);
  }
  cbLogitsForward(logits: WasmBuffer, target: WasmBuffer): number {
    return this.k.cb_logits_forward_f32(logits.length, logits.ptr, target.ptr);
  }
  cbLogitsBackward(scale: number, logits: WasmBuffer, target: WasmBuffer, dlogits: WasmBuffer): void {
    this.k.cb_logits_backward_f32(logits.length, scale, logits.ptr, target.ptr, dlogits.ptr);
  }
  l1Forward(x: WasmBuffer): number { return this.k.l1_forward_f32(x.length, x.ptr); }
  l1Backward(scale: number, x: WasmBuffer, dx: WasmBuffer): void { this.k.l1_backward_f32(x.length, scale, x.ptr, dx.ptr); }

  dropoutMask(rate: number, u: WasmBuffer, mask: WasmBuffer): void { this.k.dropout_mask_f32(mask.length, rate, u.ptr, mask.ptr); }
  layerNormForward(M: number, N: number, eps: number, x: WasmBuffer, gamma: WasmBuffer, beta: WasmBuffer,
    y: WasmBuffer, mean: WasmBuffer, rstd: WasmBuffer): void {
    this.k.layer_norm_forward_f32(M, N, eps, x.ptr, gamma.ptr, beta.ptr, y.ptr, mean.ptr, rstd.ptr);
  }
  layerNormBackward(M: number, N: number, x: WasmBuffer, gamma: WasmBuffer, mean: WasmBuffer, rstd: WasmBuffer,
    dy: WasmBuffer, dx: WasmBuffer | null, dgamma: WasmBuffer, dbeta: WasmBuffer): void {
    this.k.layer_norm_backward_f32(M, N, x.ptr, gamma.ptr, mean.ptr, rstd.ptr, dy.ptr, dx ? dx.ptr : 0, dgamma.ptr, dbeta.ptr);
  }
}

/** The geometry arguments of the conv1 kernels: batch, h, w, kh, kw, strides, pads, dilations, oh, ow. */
export function conv1Args(g: ConvGeometry, batch = g.batch): [number, number, number, number, number, number, number,
  number, number, number, number, number, number] {
  return [batch, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow];
}

/** conv1_work_size for geometry g and C channels. */
export function conv1WorkBytes(k: KernelExports, g: ConvGeometry, C: number): number {
  return k.conv1_work_size(g.kh, g.kw, g.strideH, g.strideW, g.dilationH, g.dilationW, g.oh, g.ow, C);
}
