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

export class WasmBackend implements Backend<WasmBuffer> {
  readonly name: string;
  readonly arena: Arena;
  readonly finalizer = new FinalizationRegistry<() => void>((release) => release());
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
    const need = this.k.gemm_f32_work_size(M, N, K);
    if (need > this.workBytes) {
      if (this.workBytes >= 0) this.arena.release(this.work);
      this.work = this.arena.allocBytes(need);
      this.workBytes = need;
    }
    this.k.gemm_f32(transA ? 1 : 0, transB ? 1 : 0, M, N, K, alpha, a.ptr, lda, b.ptr, ldb, beta, c.ptr, ldc, this.work);
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

  normal(key: Key, out: WasmBuffer): void {
    const [k0, k1] = keyData(key);
    this.k.random_normal_f32(k0, k1, 0, out.length, out.ptr);
  }
}
