/**
 * The one interface layers, models and optimizers compute through. Two implementations:
 * the WebAssembly kernels in f32 (wasm.ts) and a float64 reference in plain TypeScript
 * (reference.ts). Layer and model code is written once against this interface, so the float64
 * backend proves the rules by central differences and the kernel tests prove that the wasm
 * backend computes the same thing.
 *
 * A buffer `B` is an opaque handle to `length` numbers; `view` makes a sub-buffer that shares
 * storage. Matrices are row-major with a leading dimension (row stride) in elements.
 * Every method takes its destination last and allocates nothing.
 */
import type { ActivationCode } from "../kernels/exports.js";
import type { Key } from "../random/index.js";

/**
 * The geometry of a 2-d convolution over NHWC images, for im2col/col2im (computed by
 * src/nn/conv-geometry.ts). The image is [batch, h, w, c]; the column matrix is
 * [batch * oh * ow, c * kh * kw], columns in PyTorch's weight order (ci, ky, kx). Window
 * (oy, ox) at offset (ky, kx) reads pixel (oy * strideH - padTop + ky * dilationH,
 * ox * strideW - padLeft + kx * dilationW), zero outside the image. padBottom and padRight are
 * implied by oh and ow (kept for the record; the kernels do not read them).
 */
export interface ConvGeometry {
  readonly batch: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly kh: number;
  readonly kw: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly padBottom: number;
  readonly padRight: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly oh: number;
  readonly ow: number;
}

export interface Buffer {
  readonly length: number;
}

export interface Backend<B extends Buffer = Buffer> {
  readonly name: string;
  /**
   * The backstop for memory nobody disposed: owners of buffers (programs, steps, valueAndGrad
   * functions) register a release here, and it runs when they are collected. Disposing
   * explicitly is the rule; absent where buffers are ordinary garbage (the float64 reference).
   */
  readonly finalizer?: FinalizationRegistry<() => void>;
  /** A zero-filled buffer of n numbers. */
  alloc(n: number): B;
  /** Returns a buffer made by alloc (not a view). */
  free(b: B): void;
  view(b: B, offset: number, length: number): B;
  /** Copies values (rounded to the backend's precision) into b starting at `at`. */
  write(b: B, values: ArrayLike<number>, at?: number): void;
  /** Copies b out as f32 (the wasm backend) or f64 (the reference). */
  read(b: B): Float32Array | Float64Array;
  copy(src: B, dst: B): void;
  /**
   * A live array over b's storage, for filling it without a staging copy (the wasm backend:
   * a Float32Array over linear memory, valid until the memory grows). Optional.
   */
  hostView?(b: B): Float32Array | Float64Array;

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    a: B, lda: number, b: B, ldb: number, beta: number, c: B, ldc: number): void;
  biasAdd(M: number, N: number, bias: B, c: B, ldc: number): void;
  colSum(M: number, N: number, x: B, ldx: number, beta: number, out: B): void;
  add(x: B, y: B, out: B): void;
  scale(alpha: number, x: B, out: B): void;
  axpy(alpha: number, x: B, y: B): void;
  fill(value: number, out: B): void;
  sumSquares(x: B): number;
  allFinite(x: B): boolean;

  actForward(kind: ActivationCode, alpha: number, x: B, y: B): void;
  actBackward(kind: ActivationCode, alpha: number, x: B, y: B, dy: B, dx: B): void;

  bceLogitsForward(logits: B, target: B): number;
  bceLogitsBackward(scale: number, logits: B, target: B, dlogits: B): void;
  sqErrForward(pred: B, target: B): number;
  sqErrBackward(scale: number, pred: B, target: B, dpred: B): void;
  gaussianNllForward(M: number, N: number, pred: B, target: B, logvar: B, lvStride: number): number;
  gaussianNllBackward(M: number, N: number, scale: number, pred: B, target: B, logvar: B, lvStride: number,
    dpred: B, dlogvar: B | null): void;
  klNormalForward(mu: B, logvar: B): number;
  klNormalBackward(scale: number, mu: B, logvar: B, dmu: B, dlogvar: B): void;
  reparamForward(mu: B, logvar: B, eps: B, z: B): void;
  reparamBackward(logvar: B, eps: B, dz: B, dmu: B, dlogvar: B): void;

  scaleByAdam(b1: number, b2: number, eps: number, bc1: number, bc2: number, g: B, m: B, v: B): void;
  trace(decay: number, nesterov: boolean, g: B, t: B): void;
  /**
   * Adam (AdamW when wd != 0) and params += updates in one pass: m, v and p are written, g is
   * only read. Equal to scaleByAdam -> (axpy(wd, p, g) when wd != 0) -> scale(-lr) -> axpy(1, g, p),
   * bit for bit on the wasm backend.
   */
  adamApply(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number, g: B, m: B, v: B, p: B): void;
  /**
   * adamApply guarded, for training: new moments to mOut, vOut (m, v only read), p in place with
   * its old values saved in g; stops before the first element (a group of 4 on the SIMD build)
   * whose new m, v or p would not be finite and returns its index, or n when all were finite.
   */
  adamStep(b1: number, b2: number, eps: number, bc1: number, bc2: number, lr: number, wd: number, g: B, m: B, v: B, p: B, mOut: B, vOut: B): number;

  /** Writes cols [g.batch * oh * ow, c * kh * kw] = im2col(x), x [g.batch, h, w, c] (see ConvGeometry). */
  im2col(g: ConvGeometry, x: B, cols: B): void;
  /** The adjoint of im2col: x = col2im(cols), or x += col2im(cols) when accumulate. */
  col2im(g: ConvGeometry, cols: B, x: B, accumulate?: boolean): void;

  /**
   * The three products of a convolution whose image side has one channel (g.c === 1: the first
   * layer of an image encoder, the last of its decoder), without a column matrix. img is
   * [g.batch, h, w], z [g.batch * oh * ow, C], w [C, kh * kw].
   * conv1Apply: z = im2col(img) w^T (+ bias [C] on every row, added after the sum, as biasAdd
   * would). conv1Adjoint: img = col2im(z w). conv1FilterGrad: gw = z^T im2col(img), and
   * gb = the column sums of z (the bias gradient, as colSum) when given.
   * Equal (up to rounding) to im2col/col2im and gemm with the same geometry.
   */
  conv1Apply(g: ConvGeometry, C: number, w: B, img: B, z: B, bias?: B | null): void;
  conv1Adjoint(g: ConvGeometry, C: number, w: B, z: B, img: B): void;
  conv1FilterGrad(g: ConvGeometry, C: number, z: B, img: B, gw: B, gb?: B | null): void;

  /** Fills out with standard normal draws from key (stream 0). */
  normal(key: Key, out: B): void;
  /** Fills out with uniform [0, 1) draws from key (stream 0). */
  uniform(key: Key, out: B): void;

  // ---- Added for composed models and objectives (kernels in assembly/, references in src/kernels/reference) ----
  /** out = x * y, elementwise. */
  mul(x: B, y: B, out: B): void;
  /** dst[i, j] = src[i, j] for an M x N block: row strides lds and ldd (a column slice of a wider matrix, or into one). */
  copyRows(M: number, N: number, src: B, lds: number, dst: B, ldd: number): void;
  /**
   * Dropout's mask from uniform draws u (may alias mask): mask = u >= rate ? 1 / (1 - rate) : 0;
   * rate in [0, 1) (rate 0 gives a mask of ones).
   */
  dropoutMask(rate: number, u: B, mask: B): void;
  /**
   * Layer normalisation over each row of x [M, N]: y = (x - mean) * rstd * gamma + beta, with
   * mean and the biased variance of the row, rstd = 1 / sqrt(var + eps). Writes mean [M] and
   * rstd [M] for the backward pass. Statistics in f64.
   */
  layerNormForward(M: number, N: number, eps: number, x: B, gamma: B, beta: B, y: B, mean: B, rstd: B): void;
  /**
   * The vector-Jacobian product of layerNormForward: writes dx [M, N] (when not null) and, not
   * accumulated, dgamma [N] = sum_rows dy * xhat and dbeta [N] = sum_rows dy (rows summed in f64).
   */
  layerNormBackward(M: number, N: number, x: B, gamma: B, mean: B, rstd: B, dy: B, dx: B | null, dgamma: B, dbeta: B): void;
  /**
   * Laplace negative log-likelihood summed over an M x N matrix, in f64:
   * sum |t - p| exp(-s_j) + s_j + log 2, where s_j = logscale[j * lsStride] is the log of the scale b.
   */
  laplaceNllForward(M: number, N: number, pred: B, target: B, logscale: B, lsStride: number): number;
  /**
   * dpred = scale * sign(p - t) exp(-s_j) (0 where p == t); dlogscale[j * lsStride] += scale *
   * sum_i (1 - |t - p| exp(-s_j)), accumulated as in gaussianNllBackward (lsStride 0: one shared
   * value receives the sum). dlogscale null skips it.
   */
  laplaceNllBackward(M: number, N: number, scale: number, pred: B, target: B, logscale: B, lsStride: number,
    dpred: B, dlogscale: B | null): void;
  /**
   * Continuous Bernoulli negative log-likelihood with logits l (Loaiza-Ganem & Cunningham 2019),
   * summed, in f64: BCE-with-logits(l, t) - log C(sigmoid(l)), where
   * C(lam) = 2 artanh(1 - 2 lam) / (1 - 2 lam) (and 2 at lam = 1/2, with its Taylor series near it).
   */
  cbLogitsForward(logits: B, target: B): number;
  /** dlogits = scale * d/dl [BCE(l, t) - log C(sigmoid(l))]. */
  cbLogitsBackward(scale: number, logits: B, target: B, dlogits: B): void;
  /** sum |x|, in f64. */
  l1Forward(x: B): number;
  /** Accumulates dx += scale * sign(x) (sign(0) = 0). */
  l1Backward(scale: number, x: B, dx: B): void;
}
