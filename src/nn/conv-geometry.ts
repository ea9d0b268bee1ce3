/**
 * The geometry of a 2-d convolution over NHWC images, computed once per layer by the output
 * size rules of PyTorch and TensorFlow:
 * - explicit padding (pt, pb, pl, pr): out = floor((in + pt + pb - d (k - 1) - 1) / s) + 1 (PyTorch);
 * - "valid": explicit padding 0;
 * - "same": out = ceil(in / s), total pad = max((out - 1) s + (k - 1) d + 1 - in, 0), split
 *   top = floor(total / 2), bottom = the rest (TensorFlow's rule: the extra pixel goes to the
 *   bottom/right; PyTorch's padding="same" for stride 1 agrees).
 * A transposed convolution is the adjoint of the convolution from its output to its input, so
 * its geometry is that convolution's: `convTransposeGeometry` returns it together with the
 * output shape.
 */
import type { ConvGeometry } from "../backend/backend.js";
import { ConfigError } from "./layer.js";

export type { ConvGeometry } from "../backend/backend.js";

/** One number for both axes, or [height, width]. */
export type Pair = number | readonly [number, number];
/** Explicit padding: one number or [h, w] pads both sides (PyTorch); an object pads each side. */
export type Padding = "same" | "valid" | Pair | { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number };
/** An image's shape without the batch: [height, width, channels]. */
export type ImageShape = readonly [number, number, number];

export interface ConvOptions {
  /** Default 1. */
  readonly stride?: Pair;
  /** Default "valid" (PyTorch's default padding 0). */
  readonly padding?: Padding;
  /** Default 1. */
  readonly dilation?: Pair;
}

export interface ConvTransposeOptions extends ConvOptions {
  /**
   * PyTorch's output_padding: extra rows/columns at the bottom/right of the output, each
   * 0 <= op < max(stride, dilation); only with explicit or "valid" padding. Default 0.
   */
  readonly outputPadding?: Pair;
}

function int(v: number, min: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(`${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

function pair(v: Pair | undefined, dflt: number, min: number, what: string): [number, number] {
  const [a, b] = v === undefined ? [dflt, dflt] : typeof v === "number" ? [v, v] : v;
  return [int(a, min, `${what} (height)`), int(b, min, `${what} (width)`)];
}

function image(shape: ImageShape, what: string): [number, number, number] {
  if (shape.length !== 3) throw new ConfigError(`${what} must be [height, width, channels], got [${shape.join(", ")}]`);
  return [int(shape[0], 1, `${what} height`), int(shape[1], 1, `${what} width`), int(shape[2], 1, `${what} channels`)];
}

/** Explicit (top, bottom, left, right) pads of a padding spec other than "same". */
function explicitPads(padding: Exclude<Padding, "same">): [number, number, number, number] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (typeof padding === "number" || Array.isArray(padding)) {
    const [ph, pw] = pair(padding as Pair, 0, 0, "padding");
    return [ph, ph, pw, pw];
  }
  const p = padding as { top: number; bottom: number; left: number; right: number };
  return [int(p.top, 0, "padding top"), int(p.bottom, 0, "padding bottom"), int(p.left, 0, "padding left"), int(p.right, 0, "padding right")];
}

/** TensorFlow's "same": [out, before, after]. */
function same(n: number, k: number, s: number, d: number): [number, number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
  const before = Math.floor(total / 2);
  return [out, before, total - before];
}

function outSize(n: number, k: number, s: number, d: number, before: number, after: number): number {
  return Math.floor((n + before + after - d * (k - 1) - 1) / s) + 1;
}

/**
 * The geometry of a convolution of an image of `input` shape [h, w, c] with a kh x kw kernel.
 * `batch` is a placeholder for the record (layers set it per call with `withBatch`).
 */
export function convGeometry(input: ImageShape, kernel: Pair, options: ConvOptions = {}, batch = 0): ConvGeometry {
  const [h, w, c] = image(input, "convolution input");
  const [kh, kw] = pair(kernel, 1, 1, "kernel size");
  const [strideH, strideW] = pair(options.stride, 1, 1, "stride");
  const [dilationH, dilationW] = pair(options.dilation, 1, 1, "dilation");
  const padding = options.padding ?? "valid";
  let oh: number, ow: number, padTop: number, padBottom: number, padLeft: number, padRight: number;
  if (padding === "same") {
    [oh, padTop, padBottom] = same(h, kh, strideH, dilationH);
    [ow, padLeft, padRight] = same(w, kw, strideW, dilationW);
  } else {
    [padTop, padBottom, padLeft, padRight] = explicitPads(padding);
    oh = outSize(h, kh, strideH, dilationH, padTop, padBottom);
    ow = outSize(w, kw, strideW, dilationW, padLeft, padRight);
  }
  if (oh < 1 || ow < 1) {
    throw new ConfigError(`a ${kh}x${kw} kernel (dilation ${dilationH}x${dilationW}) does not fit a ${h}x${w} image padded by `
      + `top ${padTop}, bottom ${padBottom}, left ${padLeft}, right ${padRight}`);
  }
  return { batch: int(batch, 0, "batch"), h, w, c, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, oh, ow };
}

export interface ConvTransposeShape {
  /** The convolution whose adjoint the transposed convolution is: over the output image
   * (h, w = output size, c = output channels) to the input (oh, ow = input size). Its padBottom
   * and padRight are pb - output_padding and may be negative: the output rows past every window
   * receive only the bias, as in PyTorch. */
  readonly geometry: ConvGeometry;
  /** [height, width, channels] of the output. */
  readonly output: ImageShape;
}

/**
 * The output shape and geometry of a transposed convolution of an image of `input` shape
 * [h, w, c_in] to `outChannels` channels.
 * - explicit padding p and output_padding op (PyTorch's ConvTranspose2d):
 *   out = (in - 1) s - pt - pb + d (k - 1) + op + 1;
 * - "valid": p = 0 (Keras's Conv2DTranspose "valid" when op = 0);
 * - "same": out = in * s (Keras's Conv2DTranspose "same"), the adjoint of the "same" convolution
 *   over out (TensorFlow's pads, the extra at the bottom/right). Its output shape equals
 *   PyTorch's padding = (k - 1) d / 2, output_padding = s - 1 for odd kernels, but the windows
 *   sit one pixel apart when TensorFlow's total pad is odd (e.g. 3x3 stride 2: TF pads top 0,
 *   PyTorch top 1).
 */
export function convTransposeGeometry(input: ImageShape, outChannels: number, kernel: Pair,
  options: ConvTransposeOptions = {}, batch = 0): ConvTransposeShape {
  const [ih, iw] = image(input, "transposed convolution input");
  int(outChannels, 1, "transposed convolution output channels");
  const [kh, kw] = pair(kernel, 1, 1, "kernel size");
  const [sh, sw] = pair(options.stride, 1, 1, "stride");
  const [dh, dw] = pair(options.dilation, 1, 1, "dilation");
  const [oph, opw] = pair(options.outputPadding, 0, 0, "output padding");
  const padding = options.padding ?? "valid";
  let geometry: ConvGeometry;
  if (padding === "same") {
    if (oph !== 0 || opw !== 0) throw new ConfigError(`output padding needs explicit or "valid" padding, not "same"`);
    geometry = convGeometry([ih * sh, iw * sw, outChannels], [kh, kw], { stride: [sh, sw], padding: "same", dilation: [dh, dw] }, batch);
  } else {
    if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw)) {
      throw new ConfigError(`output padding ${oph}x${opw} must be smaller than the stride or the dilation (${sh}x${sw}, ${dh}x${dw})`);
    }
    const [pt, pb, pl, pr] = explicitPads(padding);
    const oh = (ih - 1) * sh - pt - pb + dh * (kh - 1) + oph + 1;
    const ow = (iw - 1) * sw - pl - pr + dw * (kw - 1) + opw + 1;
    if (oh < 1 || ow < 1) throw new ConfigError(`transposed convolution output would be ${oh}x${ow}: the padding is larger than the image`);
    geometry = {
      batch: int(batch, 0, "batch"), h: oh, w: ow, c: outChannels, kh, kw, strideH: sh, strideW: sw,
      padTop: pt, padLeft: pl, padBottom: pb - oph, padRight: pr - opw, dilationH: dh, dilationW: dw, oh: ih, ow: iw,
    };
  }
  if (geometry.oh !== ih || geometry.ow !== iw) {
    throw new Error(`internal: transposed geometry maps ${geometry.h}x${geometry.w} to ${geometry.oh}x${geometry.ow}, not ${ih}x${iw}`);
  }
  return { geometry, output: [geometry.h, geometry.w, outChannels] };
}

/** The same geometry for another batch size. */
export function withBatch(g: ConvGeometry, batch: number): ConvGeometry {
  return g.batch === batch ? g : { ...g, batch };
}
