/**
 * 2-d convolution over NHWC images, through im2col and the packed GEMM.
 *
 * Layouts. A sample is an image [h, w, c] flattened with channels last (NHWC), so x is
 * [batch, h * w * c] = [batch, h, w, c] and y is [batch, oh, ow, out] ([batch * oh * ow, out] as
 * a matrix). The weight is stored as in PyTorch's Conv2d, [out, c, kh, kw], which is the
 * row-major [out, c * kh * kw] matrix of filters; the column matrix of im2col
 * ([batch * oh * ow, c * kh * kw], columns in (ci, ky, kx) order) matches it, so no permutation
 * is ever made: saved weights load into PyTorch as they are.
 *
 * Forward: cols = im2col(x); y = cols W^T (+ b).
 * Backward: dW = dy^T cols (the batch and every pixel summed), db = column sums of dy,
 * dx = col2im(dy W). A one-channel input (the first layer of an image encoder) computes the same
 * three products on the backend's conv1 kernels, which read the image's windows in place and
 * write no column matrix.
 *
 * The same three products, with the roles of input and output swapped, are the transposed
 * convolution (conv-transpose2d.ts): the helpers below are shared.
 */
import type { Backend, Buffer, ConvGeometry } from "../backend/backend.js";
import { split, uniform, normal, type Key } from "../random/index.js";
import { checkFeatures, ConfigError, type Layer, type LayerContext, type ParamSpec } from "./layer.js";
import { initSchemes, type InitScheme } from "./init.js";
import { convGeometry, withBatch, type ConvOptions, type ImageShape, type Padding, type Pair } from "./conv-geometry.js";
import type { LayerSpec } from "./layer-spec.js";

// ---- The shared products of a convolution with geometry g and weight W [O, g.c * kh * kw] ----

/** Numbers in g's column matrix for a batch. */
export function colsSize(g: ConvGeometry, batch: number): number {
  return batch * g.oh * g.ow * g.c * g.kh * g.kw;
}

/** True when im2col is the identity (1x1 kernel, stride 1, no padding): x is its own column matrix. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0
    && g.oh === g.h && g.ow === g.w;
}

/**
 * True when the image side has one channel and a window of several pixels: the products then run
 * on the backend's conv1 kernels, which need no column matrix (Backend.conv1Apply and its kin).
 */
export function isOneChannel(g: ConvGeometry): boolean {
  return g.c === 1 && !isPointwise(g);
}

/** True when the products go through a column matrix (scratch of colsSize). */
export function usesColumns(g: ConvGeometry): boolean {
  return !isPointwise(g) && !isOneChannel(g);
}

/** y [rows, O] = im2col(x) W^T; cols is scratch of colsSize (unused when !usesColumns), left holding im2col(x). */
export function convApply<B extends Buffer>(be: Backend<B>, g: ConvGeometry, O: number, w: B, x: B, y: B, cols: B | null): void {
  if (isOneChannel(g)) { be.conv1Apply(g, O, w, x, y); return; }
  const rows = g.batch * g.oh * g.ow, K = g.c * g.kh * g.kw;
  let a = x;
  if (!isPointwise(g)) { be.im2col(g, x, cols!); a = cols!; }
  be.gemm(false, true, rows, O, K, 1, a, K, w, K, 0, y, O);
}

/** dx [batch, h, w, c] = col2im(dy W), dy [rows, O]; cols is scratch of colsSize (unused when !usesColumns). */
export function convAdjoint<B extends Buffer>(be: Backend<B>, g: ConvGeometry, O: number, w: B, dy: B, dx: B, cols: B | null): void {
  if (isOneChannel(g)) { be.conv1Adjoint(g, O, w, dy, dx); return; }
  const rows = g.batch * g.oh * g.ow, K = g.c * g.kh * g.kw;
  if (isPointwise(g)) { be.gemm(false, false, rows, K, O, 1, dy, O, w, K, 0, dx, K); return; }
  be.gemm(false, false, rows, K, O, 1, dy, O, w, K, 0, cols!, K);
  be.col2im(g, cols!, dx);
}

/**
 * gw [O, K] = dy^T cols, dy [rows, O], cols = im2col(x) [rows, K] (or x itself when pointwise).
 * A one-channel geometry's filter gradient is Backend.conv1FilterGrad, which reads x's windows.
 */
export function convFilterGrad<B extends Buffer>(be: Backend<B>, g: ConvGeometry, O: number, dy: B, cols: B, gw: B): void {
  const rows = g.batch * g.oh * g.ow, K = g.c * g.kh * g.kw;
  be.gemm(true, false, O, K, rows, 1, dy, O, cols, K, 0, gw, K);
}

/**
 * Initial weight and bias of a convolution, from the fans PyTorch computes for the weight
 * (fan_in = weight.size(1) * kh * kw, fan_out = weight.size(0) * kh * kw):
 * - "torch": PyTorch's default (kaiming_uniform with a = sqrt(5)): weight and bias ~ U(+-1/sqrt(fan_in));
 * - "glorot": weight ~ U(+-sqrt(6 / (fan_in + fan_out))), bias 0;
 * - "he": weight ~ N(0, 2 / fan_in), bias 0.
 * The key is split in two (weight, bias) as in denseInit. Without a bias only the weight is returned.
 */
export function convInit(scheme: InitScheme, key: Key, weightCount: number, biasCount: number,
  fanIn: number, fanOut: number): Float32Array[] {
  if (!initSchemes.includes(scheme)) throw new ConfigError(`unknown init "${String(scheme)}"; one of ${initSchemes.join(", ")}`);
  const [kw, kb] = split(key, 2) as [Key, Key];
  const range = (k: Key, n: number, bound: number): Float32Array => {
    const u = uniform(k, n);
    for (let i = 0; i < n; i++) u[i] = (2 * u[i]! - 1) * bound;
    return u;
  };
  let weight: Float32Array, bias: Float32Array;
  switch (scheme) {
    case "torch":
      weight = range(kw, weightCount, 1 / Math.sqrt(fanIn));
      bias = range(kb, biasCount, 1 / Math.sqrt(fanIn));
      break;
    case "glorot":
      weight = range(kw, weightCount, Math.sqrt(6 / (fanIn + fanOut)));
      bias = new Float32Array(biasCount);
      break;
    case "he": {
      weight = normal(kw, weightCount);
      const sd = Math.sqrt(2 / fanIn);
      for (let i = 0; i < weightCount; i++) weight[i] = weight[i]! * sd;
      bias = new Float32Array(biasCount);
      break;
    }
  }
  return biasCount > 0 ? [weight, bias] : [weight];
}

/** A copy of a kernel size, stride or dilation (arrays are not shared with the caller). */
export function copyPair(v: Pair): Pair {
  return typeof v === "number" ? v : [v[0], v[1]];
}
/** A copy of a padding spec. */
export function copyPadding(v: Padding): Padding {
  if (typeof v === "string" || typeof v === "number") return v;
  if (Array.isArray(v)) return [v[0] as number, v[1] as number];
  const p = v as { top: number; bottom: number; left: number; right: number };
  return { top: p.top, bottom: p.bottom, left: p.left, right: p.right };
}

export interface Conv2dConfig extends ConvOptions {
  /** [height, width, channels] of one input image. */
  readonly input: ImageShape;
  readonly outChannels: number;
  /** Kernel size: one number or [kh, kw]. */
  readonly kernel: Pair;
  /** Default true. */
  readonly bias?: boolean;
  /** Default "torch". */
  readonly init?: InitScheme;
}

/**
 * torch.nn.Conv2d on NHWC activations. Parameters: weight [out, in, kh, kw], bias [out] (unless
 * bias is false). inFeatures = h * w * in, outFeatures = oh * ow * out; the output image is
 * [oh, ow, out] (`outShape`). Options: stride, padding ("valid" (default), "same" as TensorFlow,
 * a number or [ph, pw] on both sides, or {top, bottom, left, right}), dilation.
 */
export class Conv2d implements Layer {
  readonly kind = "conv2d";
  readonly params: readonly ParamSpec[];
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The geometry for batch 0 (layers set the batch per call). */
  readonly geometry: ConvGeometry;
  readonly inShape: ImageShape;
  readonly outShape: ImageShape;
  readonly outChannels: number;
  readonly bias: boolean;
  readonly scheme: InitScheme;
  private readonly options: { readonly kernel: Pair; readonly stride: Pair; readonly padding: Padding; readonly dilation: Pair };

  constructor(cfg: Conv2dConfig) {
    this.geometry = convGeometry(cfg.input, cfg.kernel, cfg);
    this.options = { kernel: copyPair(cfg.kernel), stride: copyPair(cfg.stride ?? 1), padding: copyPadding(cfg.padding ?? "valid"),
      dilation: copyPair(cfg.dilation ?? 1) };
    const g = this.geometry;
    this.outChannels = checkFeatures(cfg.outChannels, "conv2d output channels");
    this.bias = cfg.bias ?? true;
    this.scheme = cfg.init ?? "torch";
    if (!initSchemes.includes(this.scheme)) throw new ConfigError(`unknown init "${String(this.scheme)}"; one of ${initSchemes.join(", ")}`);
    this.inShape = [g.h, g.w, g.c];
    this.outShape = [g.oh, g.ow, this.outChannels];
    this.inFeatures = g.h * g.w * g.c;
    this.outFeatures = g.oh * g.ow * this.outChannels;
    const weight = { name: "weight", shape: [this.outChannels, g.c, g.kh, g.kw] };
    this.params = this.bias ? [weight, { name: "bias", shape: [this.outChannels] }] : [weight];
  }

  toSpec(): LayerSpec {
    const o = this.options;
    return { type: "conv2d", input: [...this.inShape], outChannels: this.outChannels, kernel: copyPair(o.kernel),
      stride: copyPair(o.stride), padding: copyPadding(o.padding), dilation: copyPair(o.dilation), bias: this.bias, init: this.scheme };
  }

  init(key: Key): Float32Array[] {
    const g = this.geometry, O = this.outChannels, kk = g.kh * g.kw;
    return convInit(this.scheme, key, O * g.c * kk, this.bias ? O : 0, g.c * kk, O * kk);
  }

  /** The column matrix: batch * oh * ow * in * kh * kw numbers (0 for a pointwise or one-channel convolution). */
  workspace(batch: number): number {
    return usesColumns(this.geometry) ? colsSize(this.geometry, batch) : 0;
  }

  forward<B extends Buffer>(be: Backend<B>, p: readonly B[], batch: number, x: B, y: B, ws?: B): void {
    const g = withBatch(this.geometry, batch), O = this.outChannels;
    if (isOneChannel(g)) { be.conv1Apply(g, O, p[0]!, x, y, this.bias ? p[1]! : null); return; } // the bias added in the kernel
    const cols = usesColumns(g) ? ws ?? be.alloc(this.workspace(batch)) : null;
    convApply(be, g, O, p[0]!, x, y, cols);
    if (this.bias) be.biasAdd(batch * g.oh * g.ow, O, p[1]!, y, O);
    if (cols && cols !== ws) be.free(cols);
  }

  /**
   * Reads the columns of x from ws when ctx.wsHoldsForward (the forward of this x left them
   * there), else writes them there first. With dx, ws is then overwritten (convAdjoint's scratch).
   */
  backward<B extends Buffer>(be: Backend<B>, p: readonly B[], gr: readonly B[], batch: number,
    x: B, _y: B, dy: B, dx: B | null, ws?: B, ctx?: LayerContext): void {
    const g = withBatch(this.geometry, batch), O = this.outChannels;
    const need = this.workspace(batch);
    let cols: B | null = null;
    if (usesColumns(g)) {
      cols = ws ?? be.alloc(need);
      if (!(ws && ctx?.wsHoldsForward)) be.im2col(g, x, cols);
    }
    if (isOneChannel(g)) be.conv1FilterGrad(g, O, dy, x, gr[0]!, this.bias ? gr[1]! : null); // with the bias gradient
    else {
      convFilterGrad(be, g, O, dy, cols ?? x, gr[0]!);
      if (this.bias) be.colSum(batch * g.oh * g.ow, O, dy, O, 0, gr[1]!);
    }
    if (dx) convAdjoint(be, g, O, p[0]!, dy, dx, cols);
    if (cols && cols !== ws) be.free(cols);
  }
}
