// fast-check geometries for the convolution tests: small and odd image sizes, kernels 1..4,
// strides 1..3, dilations 1..2, padding "same", "valid", symmetric or asymmetric explicit.
import fc from "fast-check";
import { convGeometry, type Padding } from "../../src/nn/conv-geometry.js";
import type { ConvGeometry } from "../../src/backend/backend.js";

export interface ConvCase {
  readonly batch: number;
  readonly input: readonly [number, number, number];
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: Padding;
}

export const paddingArb: fc.Arbitrary<Padding> = fc.oneof(
  fc.constant("same" as const),
  fc.constant("valid" as const),
  fc.integer({ min: 0, max: 2 }),
  fc.record({ top: fc.integer({ min: 0, max: 3 }), bottom: fc.integer({ min: 0, max: 3 }),
    left: fc.integer({ min: 0, max: 3 }), right: fc.integer({ min: 0, max: 3 }) }),
);

/** Geometry of a case, or null when the kernel does not fit the padded image. */
export function geometryOf(c: ConvCase): ConvGeometry | null {
  try {
    return convGeometry(c.input, c.kernel, { stride: c.stride, padding: c.padding, dilation: c.dilation }, c.batch);
  } catch {
    return null;
  }
}

export function convCaseArb(maxChannels = 5, maxBatch = 3, maxSize = 9): fc.Arbitrary<ConvCase> {
  return fc.record({
    batch: fc.integer({ min: 0, max: maxBatch }),
    input: fc.tuple(fc.integer({ min: 1, max: maxSize }), fc.integer({ min: 1, max: maxSize }), fc.integer({ min: 1, max: maxChannels })),
    kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: paddingArb,
  }).filter((c) => geometryOf(c) !== null);
}
