/**
 * 2-d transposed convolution over NHWC images (torch.nn.ConvTranspose2d semantics), as the
 * adjoint of the convolution from its output to its input: its forward is that convolution's
 * backward-to-input (gemm + col2im), its backward-to-input is that convolution's forward
 * (im2col + gemm), and its weight gradient is that convolution's weight gradient. The code is
 * the same as Conv2d's (conv2d.ts) with input and output swapped.
 *
 * Layouts. x is [batch, h, w, in] (NHWC), y is [batch, oh, ow, out]. The weight is stored as in
 * PyTorch's ConvTranspose2d, [in, out, kh, kw]: the row-major [in, out * kh * kw] matrix whose
 * columns are in im2col's (channel, ky, kx) order over the output image, so it is used directly.
 * Sizes: with explicit padding p and outputPadding op, oh = (h - 1) s - 2p + d (kh - 1) + op + 1
 * (PyTorch); "valid" is p = 0; "same" gives oh = h * s (Keras's Conv2DTranspose; see
 * convTransposeGeometry for how its windows differ from PyTorch's p, op).
 *
 * Forward: cols = x W ([batch * h * w, out * kh * kw]); y = col2im(cols) (+ b).
 * Backward: cols = im2col(dy); dW = x^T cols; db = sums of dy over batch and pixels; dx = cols W^T.
 * Both run over chunks of samples whose columns fit in cache (CHUNK_FLOATS), dW summed chunk by
 * chunk: the whole batch's column matrix would be written to memory and read back (29 MB for
 * the conv VAE's 14x14x64 -> 28x28x32 layer at batch 128). A one-channel output (the last layer
 * of an image decoder) runs the three products on the backend's conv1 kernels over the whole
 * batch, with no column matrix.
 */
import type { Backend, Buffer, ConvGeometry } from "../backend/backend.js";
import type { Key } from "../random/index.js";
import { checkFeatures, ConfigError, type Layer, type ParamSpec } from "./layer.js";
import { initSchemes, type InitScheme } from "./init.js";
import { convTransposeGeometry, withBatch, type ConvTransposeOptions, type ImageShape, type Padding, type Pair } from "./conv-geometry.js";
import { colsSize, convAdjoint, convInit, copyPadding, copyPair, isOneChannel, isPointwise, usesColumns } from "./conv2d.js";
import type { LayerSpec } from "./layer-spec.js";

/**
 * Samples per chunk: forward and backward run sample chunks whose column matrix fits in about
 * this many floats (512 KiB, half a typical L2), so the GEMM writes (or im2col writes) the
 * columns and col2im (or the GEMMs) read them back from cache, not from memory. For the conv
 * VAE's 14x14x64 -> 28x28x32 layer the whole batch's columns are 29 MB.
 */
const CHUNK_FLOATS = 1 << 17;
function chunkSamples(g: ConvGeometry, batch: number): number {
  const perSample = colsSize(g, 1);
  return Math.max(1, Math.min(batch, Math.floor(CHUNK_FLOATS / Math.max(1, perSample))));
}

export interface ConvTranspose2dConfig extends ConvTransposeOptions {
  /** [height, width, channels] of one input image. */
  readonly input: ImageShape;
  readonly outChannels: number;
  /** Kernel size: one number or [kh, kw]. */
  readonly kernel: Pair;
  /** Default true. */
  readonly bias?: boolean;
  /** Default "torch" (fans as PyTorch computes them for this weight: fan_in = out * kh * kw). */
  readonly init?: InitScheme;
}

/**
 * torch.nn.ConvTranspose2d on NHWC activations. Parameters: weight [in, out, kh, kw], bias [out]
 * (unless bias is false). inFeatures = h * w * in, outFeatures = oh * ow * out (`outShape`).
 */
export class ConvTranspose2d implements Layer {
  readonly kind = "convTranspose2d";
  readonly params: readonly ParamSpec[];
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The geometry of the adjoint convolution: over the output image (h, w, c = out) to the input (oh, ow). */
  readonly geometry: ConvGeometry;
  readonly inShape: ImageShape;
  readonly outShape: ImageShape;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly bias: boolean;
  readonly scheme: InitScheme;
  private readonly options: { readonly kernel: Pair; readonly stride: Pair; readonly padding: Padding; readonly dilation: Pair;
    readonly outputPadding: Pair };

  constructor(cfg: ConvTranspose2dConfig) {
    this.outChannels = checkFeatures(cfg.outChannels, "transposed convolution output channels");
    const { geometry, output } = convTransposeGeometry(cfg.input, cfg.outChannels, cfg.kernel, cfg);
    this.options = { kernel: copyPair(cfg.kernel), stride: copyPair(cfg.stride ?? 1), padding: copyPadding(cfg.padding ?? "valid"),
      dilation: copyPair(cfg.dilation ?? 1), outputPadding: copyPair(cfg.outputPadding ?? 0) };
    this.geometry = geometry;
    this.inShape = [cfg.input[0], cfg.input[1], cfg.input[2]];
    this.outShape = output;
    this.inChannels = cfg.input[2];
    this.bias = cfg.bias ?? true;
    this.scheme = cfg.init ?? "torch";
    if (!initSchemes.includes(this.scheme)) throw new ConfigError(`unknown init "${String(this.scheme)}"; one of ${initSchemes.join(", ")}`);
    this.inFeatures = this.inShape[0] * this.inShape[1] * this.inChannels;
    this.outFeatures = output[0] * output[1] * this.outChannels;
    const g = geometry;
    const weight = { name: "weight", shape: [this.inChannels, this.outChannels, g.kh, g.kw] };
    this.params = this.bias ? [weight, { name: "bias", shape: [this.outChannels] }] : [weight];
  }

  toSpec(): LayerSpec {
    const o = this.options;
    return { type: "convTranspose2d", input: [...this.inShape], outChannels: this.outChannels, kernel: copyPair(o.kernel),
      stride: copyPair(o.stride), padding: copyPadding(o.padding), dilation: copyPair(o.dilation),
      outputPadding: copyPair(o.outputPadding), bias: this.bias, init: this.scheme };
  }

  init(key: Key): Float32Array[] {
    const g = this.geometry, kk = g.kh * g.kw;
    return convInit(this.scheme, key, this.inChannels * this.outChannels * kk, this.bias ? this.outChannels : 0,
      this.outChannels * kk, this.inChannels * kk);
  }

  /**
   * The column matrix of one chunk of samples (0 when pointwise): h * w * out * kh * kw numbers
   * a sample, for as many samples as fit in 2^17 numbers (at least one, at most the batch).
   */
  workspace(batch: number): number {
    return usesColumns(this.geometry) ? colsSize(this.geometry, chunkSamples(this.geometry, batch)) : 0;
  }

  forward<B extends Buffer>(be: Backend<B>, p: readonly B[], batch: number, x: B, y: B, ws?: B): void {
    const g = withBatch(this.geometry, batch);
    const need = this.workspace(batch);
    const cols = usesColumns(g) ? ws ?? be.alloc(need) : null;
    if (!cols) { // pointwise, or one channel (convAdjoint runs conv1Adjoint)
      convAdjoint(be, g, this.inChannels, p[0]!, x, y, null);
    } else {
      // Chunk by chunk of samples: the chunk's columns stay in cache between the GEMM and col2im.
      const step = chunkSamples(g, batch), nIn = this.inFeatures, nOut = this.outFeatures;
      for (let b0 = 0; b0 < batch; b0 += step) {
        const nb = Math.min(step, batch - b0), gc = withBatch(this.geometry, nb);
        convAdjoint(be, gc, this.inChannels, p[0]!, be.view(x, b0 * nIn, nb * nIn), be.view(y, b0 * nOut, nb * nOut),
          be.view(cols, 0, colsSize(gc, nb)));
      }
    }
    if (this.bias) be.biasAdd(batch * g.h * g.w, this.outChannels, p[1]!, y, this.outChannels);
    if (cols && cols !== ws) be.free(cols);
  }

  backward<B extends Buffer>(be: Backend<B>, p: readonly B[], gr: readonly B[], batch: number,
    x: B, _y: B, dy: B, dx: B | null, ws?: B): void {
    const g = withBatch(this.geometry, batch);
    const ci = this.inChannels, K = g.c * g.kh * g.kw;
    if (isOneChannel(g)) {
      // gw = x^T im2col(dy), dx = im2col(dy) W^T, the windows of dy read in place.
      be.conv1FilterGrad(g, ci, x, dy, gr[0]!);
      if (dx) be.conv1Apply(g, ci, p[0]!, dy, dx);
      if (this.bias) be.colSum(batch * g.h * g.w, this.outChannels, dy, this.outChannels, 0, gr[1]!);
      return;
    }
    const need = this.workspace(batch);
    const cols = isPointwise(g) ? null : ws ?? be.alloc(need);
    // Per chunk of samples: cols = im2col(dy) (the adjoint convolution's column matrix; dy
    // itself when pointwise), gw (+)= x^T cols (the first chunk writes, later ones add), and
    // dx = cols W^T; the chunk's columns stay in cache for both products.
    const step = cols ? chunkSamples(g, batch) : Math.max(1, batch), nIn = this.inFeatures, nOut = this.outFeatures;
    for (let b0 = 0; b0 < batch; b0 += step) {
      const nb = Math.min(step, batch - b0), gc = withBatch(this.geometry, nb);
      const rows = nb * g.oh * g.ow;
      const dyc = be.view(dy, b0 * nOut, nb * nOut);
      let a = dyc;
      if (cols) { a = be.view(cols, 0, colsSize(gc, nb)); be.im2col(gc, dyc, a); }
      be.gemm(true, false, ci, K, rows, 1, be.view(x, b0 * nIn, nb * nIn), ci, a, K, b0 === 0 ? 0 : 1, gr[0]!, K);
      if (dx) be.gemm(false, true, rows, ci, K, 1, a, K, p[0]!, K, 0, be.view(dx, b0 * nIn, nb * nIn), ci);
    }
    if (batch === 0) be.gemm(true, false, ci, K, 0, 1, x, ci, dy, K, 0, gr[0]!, K); // no samples: gw = 0
    if (this.bias) be.colSum(batch * g.h * g.w, this.outChannels, dy, this.outChannels, 0, gr[1]!);
    if (cols && cols !== ws) be.free(cols);
  }
}
