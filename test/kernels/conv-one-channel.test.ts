// The one-channel convolution kernels (assembly/conv-one-channel.ts) against the float64
// definition, im2col/col2im and a product (src/kernels/reference/conv.ts), on both builds, over
// fast-check geometries (batch 0 and 1, one-pixel images, strides, dilations, asymmetric
// padding) and channel counts around the SIMD tiles' widths (1..21: 8-channel tiles, a 4-channel
// tile, scalar tails).
// Each output is a sum of n products added one by one in f32, so |k - r| <= (n + 1) u sum|terms|
// (n: taps for apply; channels plus the windows adding into a pixel for the adjoint; windows for
// the filter gradient; one more for apply's bias); sum|terms| is the reference on absolute values. Outputs are written, never
// read (they start as NaN). The two builds add in the same order: identical bits. The bias:
// apply adds it after each sum; the filter gradient's kernel also sums z's columns (the bias gradient).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, prng, scoped, type Loaded } from "./harness.js";
import type { ConvGeometry } from "../../src/backend/backend.js";
import { convCaseArb, geometryOf } from "../../src/testing/index.js";
import { expectWithin, geo, reference, windowCounts } from "./conv-one-channel-support.js";

const values = (rand: () => number, n: number) => f32(Array.from({ length: n }, () => 2 * rand() - 1));

/** Runs the three kernels of build m; outputs start as NaN. */
function run(m: Loaded, g: ConvGeometry, C: number, w: Float64Array, img: Float64Array, z: Float64Array, bias: Float64Array | null = null) {
  return scoped(m, (put) => {
    const rows = g.batch * g.oh * g.ow, K = g.kh * g.kw, nImg = g.batch * g.h * g.w;
    const work = put(new Float64Array(Math.ceil(m.k.conv1_work_size(g.kh, g.kw, g.strideH, g.strideW, g.dilationH, g.dilationW, g.oh, g.ow, C) / 4)));
    const pw = put(w), pimg = put(img), pz = put(z);
    const zOut = put(new Float64Array(rows * C).fill(NaN)), imgOut = put(new Float64Array(nImg).fill(NaN)), gw = put(new Float64Array(C * K).fill(NaN));
    m.k.conv1_apply_f32(...geo(g), C, pw, bias ? put(bias) : 0, pimg, zOut, work);
    m.k.conv1_adjoint_f32(...geo(g), C, pw, pz, imgOut, work);
    const gb = bias ? put(new Float64Array(C).fill(NaN)) : 0;
    m.k.conv1_filter_grad_f32(...geo(g), C, C, pz, pimg, gw, gb, work);
    return { apply: get(m, zOut, rows * C), adjoint: get(m, imgOut, nImg), grad: get(m, gw, C * K), biasGrad: gb ? get(m, gb, C) : null };
  });
}

const cases = fc.record({ c: convCaseArb({ maxChannels: 1 }), C: fc.integer({ min: 1, max: 21 }), seed: fc.integer(), withBias: fc.boolean() });

function inputs({ c, C, seed, withBias }: { c: Parameters<typeof geometryOf>[0]; C: number; seed: number; withBias: boolean }) {
  const g = geometryOf(c)!;
  const rand = prng(seed);
  const K = g.kh * g.kw;
  return { g, C, w: values(rand, C * K), img: values(rand, g.batch * g.h * g.w), z: values(rand, g.batch * g.oh * g.ow * C),
    bias: withBias ? values(rand, C) : null };
}

describe("one-channel convolution kernels", () => {
  for (const m of builds) {
    it(`${m.isa}: apply, adjoint and filter gradient are the float64 products within (n + 1) u sum|terms|`, () => {
      fc.assert(fc.property(cases, (c) => {
        const { g, C, w, img, z, bias } = inputs(c);
        const got = run(m, g, C, w, img, z, bias);
        const want = reference(g, C, w, img, z, bias), mag = reference(g, C, w, img, z, bias, true);
        const K = g.kh * g.kw, rows = g.batch * g.oh * g.ow, count = windowCounts(g);
        expectWithin(got.apply, want.apply, mag.apply, () => K + (bias ? 1 : 0), "apply");
        expectWithin(got.adjoint, want.adjoint, mag.adjoint, (i) => C + count[i]!, "adjoint");
        expectWithin(got.grad, want.grad, mag.grad, () => rows, "filter gradient");
        if (bias) expectWithin(got.biasGrad!, want.biasGrad, mag.biasGrad, () => rows, "bias gradient");
        else expect(got.biasGrad).toBeNull();
      }), { numRuns: 200 });
    });
  }

  it("both builds give identical bits", () => {
    fc.assert(fc.property(cases, (c) => {
      const { g, C, w, img, z, bias } = inputs(c);
      const [a, b] = builds.map((m) => run(m, g, C, w, img, z, bias));
      expect(a).toEqual(b);
    }), { numRuns: 100 });
  });

  it("a hand-computed case: a 3 x 3 image, a 2 x 2 window, taps (0, 0) and (1, 1)", () => {
    const g = geometryOf({ batch: 1, input: [3, 3, 1], kernel: [2, 2], stride: [1, 1], dilation: [1, 1], padding: 0 })!;
    const img = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = Float64Array.from([1, 0, 0, 1]);
    for (const m of builds) {
      const got = run(m, g, 1, w, img, Float64Array.from([1, 10, 100, 1000]));
      expect(Array.from(got.apply)).toEqual([1 + 5, 2 + 6, 4 + 8, 5 + 9]);
      // Window r puts z[r] at its taps (0, 0) and (1, 1).
      expect(Array.from(got.adjoint)).toEqual([1, 10, 0, 100, 1001, 10, 0, 100, 1000]);
      // gw[0, p] = sum_r z[r] * (tap p of window r).
      expect(Array.from(got.grad)).toEqual([1 + 20 + 400 + 5000, 2 + 30 + 500 + 6000, 4 + 50 + 700 + 8000, 5 + 60 + 800 + 9000]);
      const withBias = run(m, g, 1, w, img, Float64Array.from([1, 10, 100, 1000]), Float64Array.from([0.5]));
      expect(Array.from(withBias.apply)).toEqual([6.5, 8.5, 12.5, 14.5]);
      expect(Array.from(withBias.biasGrad!)).toEqual([1111]);
    }
  });
});
