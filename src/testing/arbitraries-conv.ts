/**
 * Convolution geometries for property tests: small and odd image sizes, kernels, strides and
 * dilations from 1, and every kind of padding latent takes ("same", "valid", one number, a
 * [height, width] pair, each side), only cases whose kernel fits the padded image.
 */
import fc from "fast-check";
import type { ConvGeometry } from "../backend/backend.js";
import { convGeometry, type Padding } from "../nn/conv-geometry.js";

/** One convolution: NHWC input [h, w, c] of `batch` images, kernel, stride, dilation, padding. */
export interface ConvCase {
  readonly batch: number;
  readonly input: readonly [number, number, number];
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: Padding;
}

export interface PaddingArbOptions {
  /** Largest explicit pad on a side (default 3). */
  readonly max?: number;
}

/**
 * Padding specs, in this order (a shrink goes towards the first): "same", "valid", one number
 * for every side, [height, width], and { top, bottom, left, right }; explicit pads in [0, max].
 */
export function paddingArb(o: PaddingArbOptions = {}): fc.Arbitrary<Padding> {
  const pad = fc.integer({ min: 0, max: o.max ?? 3 });
  return fc.oneof({ withCrossShrink: true },
    fc.constant("same" as const),
    fc.constant("valid" as const),
    pad,
    fc.tuple(pad, pad),
    fc.record({ top: pad, bottom: pad, left: pad, right: pad }),
  );
}

/** Geometry of a case (batch included), or null when the kernel does not fit the padded image. */
export function geometryOf(c: ConvCase): ConvGeometry | null {
  try {
    return convGeometry(c.input, c.kernel, { stride: c.stride, padding: c.padding, dilation: c.dilation }, c.batch);
  } catch {
    return null;
  }
}

export interface ConvCaseArbOptions {
  /** Input channels in [1, maxChannels] (default 5). */
  readonly maxChannels?: number;
  /** Images in [minBatch, maxBatch] (default [0, 3]). */
  readonly minBatch?: number;
  readonly maxBatch?: number;
  /** Image height and width in [1, maxSize] (default 9). */
  readonly maxSize?: number;
  /** Kernel height and width in [1, maxKernel] (default 4). */
  readonly maxKernel?: number;
  /** Strides in [1, maxStride] (default 3). */
  readonly maxStride?: number;
  /** Dilations in [1, maxDilation] (default 2). */
  readonly maxDilation?: number;
  /** Largest explicit pad on a side (default 3). */
  readonly maxPad?: number;
}

/**
 * Convolution cases within the bounds whose kernel fits the padded image (geometryOf is not
 * null). Every field shrinks towards 1 (batch towards minBatch, padding towards "same").
 */
export function convCaseArb(o: ConvCaseArbOptions = {}): fc.Arbitrary<ConvCase> {
  const upTo = (max: number | undefined, dflt: number, what: string) => {
    const m = max ?? dflt;
    if (!Number.isSafeInteger(m) || m < 1) throw new RangeError(`convCaseArb: ${what} must be an integer >= 1, got ${m}`);
    return fc.integer({ min: 1, max: m });
  };
  const pair = (a: fc.Arbitrary<number>) => fc.tuple(a, a);
  const minBatch = o.minBatch ?? 0, maxBatch = o.maxBatch ?? Math.max(3, minBatch);
  if (!Number.isSafeInteger(minBatch) || minBatch < 0 || !Number.isSafeInteger(maxBatch) || maxBatch < minBatch) {
    throw new RangeError(`convCaseArb: batch bounds must be integers with 0 <= minBatch <= maxBatch, got [${minBatch}, ${maxBatch}]`);
  }
  const side = upTo(o.maxSize, 9, "maxSize");
  return fc.record({
    batch: fc.integer({ min: minBatch, max: maxBatch }),
    input: fc.tuple(side, side, upTo(o.maxChannels, 5, "maxChannels")),
    kernel: pair(upTo(o.maxKernel, 4, "maxKernel")),
    stride: pair(upTo(o.maxStride, 3, "maxStride")),
    dilation: pair(upTo(o.maxDilation, 2, "maxDilation")),
    padding: paddingArb({ max: o.maxPad ?? 3 }),
  }).filter((c) => geometryOf(c) !== null);
}
