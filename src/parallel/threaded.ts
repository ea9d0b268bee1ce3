/**
 * The wasm backend on several threads: every kernel whose outputs are independent of each other
 * is cut into parts, one per thread, that the pool runs at once on one shared memory.
 *
 * Bit-identical for any number of threads, by construction: each output element is computed by
 * exactly one thread with exactly the operations the single-threaded kernel would use.
 * - GEMM: C is cut into column blocks that are whole 8-column panels (or row blocks of whole
 *   4-row panels when C is taller than wide). The depth K is never cut, so every element's sum
 *   runs over the same k in the same order; the kernels' blocking over K depends on K alone.
 * - Elementwise kernels: ranges cut at multiples of 16 elements, so the SIMD bodies and the
 *   scalar tail (only in the last part) cover the same elements as in one call.
 * - Bias gradient (column sums): cut by columns at multiples of 16; bias add: by rows.
 * - im2col / col2im, conv1 apply and adjoint: cut by image (each image's columns, windows and
 *   pixels are its own); conv1 filter gradient: cut by channels at multiples of 8 (each channel's
 *   sums run over every window in order whatever the cut).
 * - The BCE and squared-error loss sums: one call per REDUCE_BLOCK elements (the single-thread
 *   backend sums the same blocks, blockSum), the f64 partial sums added in block order.
 * - Other reductions that return a number (KL, Gaussian NLL, sums of squares) stay on the host
 *   thread: they are small or their blocks would cut rows.
 * Small calls run on the host alone (below CutSizes the wake-up costs more
 * than it saves).
 */
import type { ConvGeometry } from "../backend/backend.js";
import { conv1Args, conv1WorkBytes, REDUCE_BLOCK, WasmBackend, type WasmBuffer } from "../backend/wasm.js";
import type { ActivationCode, KernelExports, Ptr } from "../kernels/exports.js";
import type { KernelModule } from "../kernels/module.js";
import type { Call, Pool } from "./pool.js";

/** Below these sizes a call runs on the host thread alone (tests set them to 0 to cut everything). */
export interface CutSizes {
  /** GEMMs below this many flops (2 M N K); default 2^19 (the VAE's 128 x 400 x 20 products are cut: 1.2-1.5x on 2 threads). */
  readonly minFlops: number;
  /** Elementwise calls below this many elements; default 2^15. */
  readonly minElements: number;
}
const defaultSizes: CutSizes = { minFlops: 1 << 19, minElements: 1 << 15 };
const ALIGN = 16;

/** Cuts [0, n) into at most `parts` ranges whose starts are multiples of `align`, as even as that allows. */
export function cut(n: number, parts: number, align: number): [number, number][] {
  const units = Math.ceil(n / align);
  const count = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  let at = 0;
  for (let t = 0; t < count; t++) {
    const u = Math.floor(units / count) + (t < units % count ? 1 : 0);
    const end = Math.min(n, at + u * align);
    if (end > at) out.push([at, end - at]);
    at = end;
  }
  return out;
}

export class ThreadedBackend extends WasmBackend {
  private readonly kernels: KernelExports;
  /** GEMM scratch of each thread: [ptr, bytes]. */
  private readonly works: [Ptr, number][] = [];

  /** singleThreadReason: why a pool was asked for but not started (null when it was, or was not asked for). */
  private readonly minFlops: number;
  private readonly minElements: number;

  constructor(module: KernelModule, private pool: Pool | null, readonly singleThreadReason: string | null = null,
    sizes: Partial<CutSizes> = {}) {
    super(module);
    ({ minFlops: this.minFlops, minElements: this.minElements } = { ...defaultSizes, ...sizes });
    this.kernels = module.exports;
  }

  get threads(): number { return this.pool ? this.pool.threads : 1; }

  /** Stops the workers; the backend then runs everything on this thread. */
  close(): void { this.pool?.close(); this.pool = null; }

  /** close(), for `using backend = await startThreads(...)`. */
  [Symbol.dispose](): void { this.close(); }

  /**
   * The calls of cut kernels that each thread claimed and ran since the pool started or the last
   * reset: this thread first, then worker 1, 2, ... (calls too small to cut run on this thread
   * outside the count). [0] without a pool (one thread, or after close()).
   */
  callsPerThread(): number[] { return this.pool ? this.pool.callsPerThread() : [0]; }

  /** Sets callsPerThread() to zeros. */
  resetCallsPerThread(): void { this.pool?.resetCallsPerThread(); }

  private threadWork(t: number, bytes: number): Ptr {
    const have = this.works[t];
    if (have && have[1] >= bytes) return have[0];
    if (have) this.arena.release(have[0]);
    const ptr = this.arena.allocBytes(bytes);
    this.works[t] = [ptr, bytes];
    return ptr;
  }

  private run(calls: Call[]): number[] { return this.pool!.run(calls); }

  /** Runs kernel `fn` over [0, n) in parts: args(start, length) gives each part's arguments. */
  private elementwise(n: number, fn: Call["fn"], args: (at: number, len: number) => number[]): number[] | null {
    if (!this.pool || n < this.minElements) return null;
    const parts = cut(n, this.pool.threads, ALIGN);
    return this.run(parts.map(([at, len]) => ({ fn, args: args(at, len) })));
  }

  /** blockSum's sum, its blocks handed out one call each (rounds of at most `slots`) and added in block order. */
  private reduce(n: number, fn: Call["fn"], args: (at: number, len: number) => number[]): number | null {
    if (!this.pool || n < this.minElements || n <= REDUCE_BLOCK) return null;
    const blocks: [number, number][] = [];
    for (let at = 0; at < n; at += REDUCE_BLOCK) blocks.push([at, Math.min(REDUCE_BLOCK, n - at)]);
    let s = 0;
    for (let b = 0; b < blocks.length; b += this.pool.slots) {
      for (const r of this.run(blocks.slice(b, b + this.pool.slots).map(([at, len]) => ({ fn, args: args(at, len) })))) s += r;
    }
    return s;
  }

  override bceLogitsForward(logits: WasmBuffer, target: WasmBuffer): number {
    return this.reduce(logits.length, "bce_logits_forward_f32", (at, len) => [len, logits.ptr + 4 * at, target.ptr + 4 * at])
      ?? super.bceLogitsForward(logits, target);
  }

  override sqErrForward(pred: WasmBuffer, target: WasmBuffer): number {
    return this.reduce(pred.length, "sq_err_forward_f32", (at, len) => [len, pred.ptr + 4 * at, target.ptr + 4 * at])
      ?? super.sqErrForward(pred, target);
  }

  override gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    a: WasmBuffer, lda: number, b: WasmBuffer, ldb: number, beta: number, c: WasmBuffer, ldc: number): void {
    if (!this.pool || 2 * M * N * K < this.minFlops) { super.gemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc); return; }
    const tA = transA ? 1 : 0, tB = transB ? 1 : 0;
    const byColumns = N >= M;
    const parts = cut(byColumns ? N : M, this.pool.threads, byColumns ? 8 : 4);
    if (parts.length < 2) { super.gemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc); return; }
    this.run(parts.map(([at, len], t) => {
      if (byColumns) {
        const bPtr = b.ptr + 4 * (transB ? at * ldb : at);
        const work = this.threadWork(t, this.kernels.gemm_f32_work_size(M, len, K));
        return { fn: "gemm_f32", args: [tA, tB, M, len, K, alpha, a.ptr, lda, bPtr, ldb, beta, c.ptr + 4 * at, ldc, work] };
      }
      const aPtr = a.ptr + 4 * (transA ? at : at * lda);
      const work = this.threadWork(t, this.kernels.gemm_f32_work_size(len, N, K));
      return { fn: "gemm_f32", args: [tA, tB, len, N, K, alpha, aPtr, lda, b.ptr, ldb, beta, c.ptr + 4 * at * ldc, ldc, work] };
    }));
  }

  override biasAdd(M: number, N: number, bias: WasmBuffer, c: WasmBuffer, ldc: number): void {
    if (!this.pool || M * N < this.minElements || M < 2) { super.biasAdd(M, N, bias, c, ldc); return; }
    this.run(cut(M, this.pool.threads, 1).map(([at, len]) => ({ fn: "bias_add_f32", args: [len, N, bias.ptr, c.ptr + 4 * at * ldc, ldc] })));
  }

  override colSum(M: number, N: number, x: WasmBuffer, ldx: number, beta: number, out: WasmBuffer): void {
    if (!this.pool || M * N < this.minElements || N < 2 * ALIGN) { super.colSum(M, N, x, ldx, beta, out); return; }
    this.run(cut(N, this.pool.threads, ALIGN).map(([at, len]) => ({ fn: "col_sum_f32", args: [M, len, x.ptr + 4 * at, ldx, beta, out.ptr + 4 * at] })));
  }

  override add(x: WasmBuffer, y: WasmBuffer, out: WasmBuffer): void {
    this.elementwise(out.length, "add_f32", (o, n) => [n, x.ptr + 4 * o, y.ptr + 4 * o, out.ptr + 4 * o]) ?? super.add(x, y, out);
  }
  override scale(alpha: number, x: WasmBuffer, out: WasmBuffer): void {
    this.elementwise(out.length, "scale_f32", (o, n) => [n, alpha, x.ptr + 4 * o, out.ptr + 4 * o]) ?? super.scale(alpha, x, out);
  }
  override axpy(alpha: number, x: WasmBuffer, y: WasmBuffer): void {
    this.elementwise(y.length, "axpy_f32", (o, n) => [n, alpha, x.ptr + 4 * o, y.ptr + 4 * o]) ?? super.axpy(alpha, x, y);
  }
  override fill(value: number, out: WasmBuffer): void {
    this.elementwise(out.length, "fill_f32", (o, n) => [n, value, out.ptr + 4 * o]) ?? super.fill(value, out);
  }
  override actForward(kind: ActivationCode, alpha: number, x: WasmBuffer, y: WasmBuffer): void {
    this.elementwise(y.length, "act_forward_f32", (o, n) => [kind, n, alpha, x.ptr + 4 * o, y.ptr + 4 * o]) ?? super.actForward(kind, alpha, x, y);
  }
  override actBackward(kind: ActivationCode, alpha: number, x: WasmBuffer, y: WasmBuffer, dy: WasmBuffer, dx: WasmBuffer): void {
    this.elementwise(dx.length, "act_backward_f32", (o, n) => [kind, n, alpha, x.ptr + 4 * o, y.ptr + 4 * o, dy.ptr + 4 * o, dx.ptr + 4 * o])
      ?? super.actBackward(kind, alpha, x, y, dy, dx);
  }
  override bceLogitsBackward(scale: number, logits: WasmBuffer, target: WasmBuffer, dlogits: WasmBuffer): void {
    this.elementwise(logits.length, "bce_logits_backward_f32", (o, n) => [n, scale, logits.ptr + 4 * o, target.ptr + 4 * o, dlogits.ptr + 4 * o])
      ?? super.bceLogitsBackward(scale, logits, target, dlogits);
  }
  override sqErrBackward(scale: number, pred: WasmBuffer, target: WasmBuffer, dpred: WasmBuffer): void {
    this.elementwise(pred.length, "sq_err_backward_f32", (o, n) => [n, scale, pred.ptr + 4 * o, target.ptr + 4 * o, dpred.ptr + 4 * o])
      ?? super.sqErrBackward(scale, pred, target, dpred);
  }
  override scaleByAdam(b1: number, b2: number, eps: number, bc1: number, bc2: number, g: WasmBuffer, m: WasmBuffer, v: WasmBuffer): void {
    this.elementwise(g.length, "scale_by_adam_f32", (o, n) => [n, b1, b2, eps, bc1, bc2, g.ptr + 4 * o, m.ptr + 4 * o, v.ptr + 4 * o])
      ?? super.scaleByAdam(b1, b2, eps, bc1, bc2, g, m, v);
  }
  override trace(decay: number, nesterov: boolean, g: WasmBuffer, t: WasmBuffer): void {
    this.elementwise(g.length, "trace_f32", (o, n) => [n, decay, nesterov ? 1 : 0, g.ptr + 4 * o, t.ptr + 4 * o]) ?? super.trace(decay, nesterov, g, t);
  }
  override adamApply(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
    g: WasmBuffer, m: WasmBuffer, v: WasmBuffer, p: WasmBuffer): void {
    this.elementwise(p.length, "adam_apply_f32", (o, n) => [n, b1, b2, eps, bc1, bc2, lr, wd, g.ptr + 4 * o, m.ptr + 4 * o, v.ptr + 4 * o, p.ptr + 4 * o])
      ?? super.adamApply(b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p);
  }

  /**
   * As on one thread: returns the first index whose group would not be finite (or n), having
   * updated p before it (the caller puts p[0, i) back from g). Parts after that index that did
   * update are put back here, so the caller's restore leaves p exactly as before the step.
   */
  override adamStep(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number,
    g: WasmBuffer, m: WasmBuffer, v: WasmBuffer, p: WasmBuffer, mOut: WasmBuffer, vOut: WasmBuffer): number {
    const n = p.length;
    if (!this.pool || n < this.minElements) return super.adamStep(b1, b2, eps, bc1, bc2, lr, wd, g, m, v, p, mOut, vOut);
    const parts = cut(n, this.pool.threads, ALIGN);
    const done = this.run(parts.map(([o, len]) => ({ fn: "adam_step_f32",
      args: [len, b1, b2, eps, bc1, bc2, lr, wd, g.ptr + 4 * o, m.ptr + 4 * o, v.ptr + 4 * o, p.ptr + 4 * o, mOut.ptr + 4 * o, vOut.ptr + 4 * o] })));
    const failed = parts.findIndex(([, len], t) => done[t]! < len);
    if (failed < 0) return n;
    for (let t = failed + 1; t < parts.length; t++) {
      const [o] = parts[t]!;
      if (done[t]! > 0) this.copy(this.view(g, o, done[t]!), this.view(p, o, done[t]!));
    }
    return parts[failed]![0] + done[failed]!;
  }

  override im2col(g: ConvGeometry, x: WasmBuffer, cols: WasmBuffer): void {
    const per = g.oh * g.ow * g.c * g.kh * g.kw;
    if (!this.pool || g.batch < 2 || g.batch * per < this.minElements) { super.im2col(g, x, cols); return; }
    const img = g.h * g.w * g.c;
    this.run(cut(g.batch, this.pool.threads, 1).map(([at, len]) => ({ fn: "im2col_f32", args: [len, g.h, g.w, g.c, g.kh, g.kw,
      g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow, x.ptr + 4 * at * img, cols.ptr + 4 * at * per] })));
  }

  override col2im(g: ConvGeometry, cols: WasmBuffer, x: WasmBuffer, accumulate = false): void {
    const per = g.oh * g.ow * g.c * g.kh * g.kw;
    if (!this.pool || g.batch < 2 || g.batch * per < this.minElements) { super.col2im(g, cols, x, accumulate); return; }
    const img = g.h * g.w * g.c;
    this.run(cut(g.batch, this.pool.threads, 1).map(([at, len]) => ({ fn: "col2im_f32", args: [len, g.h, g.w, g.c, g.kh, g.kw,
      g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow, cols.ptr + 4 * at * per, x.ptr + 4 * at * img, accumulate ? 1 : 0] })));
  }

  override conv1Apply(g: ConvGeometry, C: number, w: WasmBuffer, img: WasmBuffer, z: WasmBuffer, bias: WasmBuffer | null = null): void {
    const per = g.oh * g.ow;
    if (!this.pool || g.batch < 2 || 2 * g.batch * per * C * g.kh * g.kw < this.minFlops) { super.conv1Apply(g, C, w, img, z, bias); return; }
    const bytes = conv1WorkBytes(this.kernels, g, C), img1 = g.h * g.w;
    this.run(cut(g.batch, this.pool.threads, 1).map(([at, len], t) => ({ fn: "conv1_apply_f32",
      args: [...conv1Args(g, len), C, w.ptr, bias ? bias.ptr : 0, img.ptr + 4 * at * img1, z.ptr + 4 * at * per * C, this.threadWork(t, bytes)] })));
  }

  override conv1Adjoint(g: ConvGeometry, C: number, w: WasmBuffer, z: WasmBuffer, img: WasmBuffer): void {
    const per = g.oh * g.ow;
    if (!this.pool || g.batch < 2 || 2 * g.batch * per * C * g.kh * g.kw < this.minFlops) { super.conv1Adjoint(g, C, w, z, img); return; }
    const bytes = conv1WorkBytes(this.kernels, g, C), img1 = g.h * g.w;
    this.run(cut(g.batch, this.pool.threads, 1).map(([at, len], t) => ({ fn: "conv1_adjoint_f32",
      args: [...conv1Args(g, len), C, w.ptr, z.ptr + 4 * at * per * C, img.ptr + 4 * at * img1, this.threadWork(t, bytes)] })));
  }

  override conv1FilterGrad(g: ConvGeometry, C: number, z: WasmBuffer, img: WasmBuffer, gw: WasmBuffer, gb: WasmBuffer | null = null): void {
    const K = g.kh * g.kw;
    const parts = this.pool && 2 * g.batch * g.oh * g.ow * C * K >= this.minFlops ? cut(C, this.pool.threads, 8) : [];
    if (parts.length < 2) { super.conv1FilterGrad(g, C, z, img, gw, gb); return; }
    this.run(parts.map(([at, len], t) => ({ fn: "conv1_filter_grad_f32",
      args: [...conv1Args(g), len, C, z.ptr + 4 * at, img.ptr, gw.ptr + 4 * at * K, gb ? gb.ptr + 4 * at : 0,
        this.threadWork(t, conv1WorkBytes(this.kernels, g, len))] })));
  }
}
