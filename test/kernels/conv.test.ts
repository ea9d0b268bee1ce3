// im2col / col2im against the float64 reference on both builds, over fast-check geometries.
// - im2col moves values: the kernel equals the reference exactly (on f32-rounded input), also
//   where cols held NaN before (cols is not read) and in the zero padding.
// - col2im sums at most ceil(kh / s) * ceil(kw / s) terms per pixel in f32:
//   |k - r| <= (n + 2) u sum|terms| (n terms, plus the old x when accumulating); with accumulate == 0 the old x (NaN here) is not read.
//   Both builds sum in the same order: their results are identical.
// - The references are adjoint: <im2col(x), y> = <x, col2im(y)> in float64.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, prng, put, type Loaded, scoped } from "./harness.js";
import * as ref from "../../src/kernels/reference/conv.js";
import type { ConvGeometry } from "../../src/backend/backend.js";
import type { Ptr } from "../../src/kernels/exports.js";
import { convCaseArb, geometryOf } from "../../src/testing/index.js";

const U = 2 ** -24;

const values = (rand: () => number, n: number) => f32(Array.from({ length: n }, () => 2 * rand() - 1));

function sizes(g: ConvGeometry) {
  return { nx: g.batch * g.h * g.w * g.c, ncols: g.batch * g.oh * g.ow * g.c * g.kh * g.kw };
}
function args(g: ConvGeometry) {
  return [g.batch, g.h, g.w, g.c, g.kh, g.kw, g.strideH, g.strideW, g.padTop, g.padLeft, g.dilationH, g.dilationW, g.oh, g.ow] as const;
}


const cases = fc.record({ c: convCaseArb({ maxChannels: 9 }), seed: fc.integer() });

describe("im2col / col2im kernels", () => {
  for (const m of builds) {
    it(`${m.isa}: im2col equals the reference exactly, padding is zero, cols is not read`, () => {
      fc.assert(fc.property(cases, ({ c, seed }) => scoped(m, (put) => {
        const g = geometryOf(c)!;
        const { nx, ncols } = sizes(g);
        const x = values(prng(seed), nx);
        const pc = put(new Float64Array(ncols).fill(NaN));
        m.k.im2col_f32(...args(g), put(x), pc);
        const want = new Float64Array(ncols);
        ref.im2col(...args(g), x, want);
        expect(get(m, pc, ncols)).toEqual(want);
      })), { numRuns: 300 });
    });

    it(`${m.isa}: col2im is the reference's sum within (n + 2) u, written or accumulated`, () => {
      fc.assert(fc.property(cases, fc.boolean(), ({ c, seed }, accumulate) => scoped(m, (put) => {
        const g = geometryOf(c)!;
        const { nx, ncols } = sizes(g);
        const rand = prng(seed);
        const cols = values(rand, ncols);
        const x0 = accumulate ? values(rand, nx) : new Float64Array(nx).fill(NaN);
        const px = put(x0);
        m.k.col2im_f32(...args(g), put(cols), px, accumulate ? 1 : 0);
        const want = x0.slice();
        ref.col2im(...args(g), cols, want, accumulate ? 1 : 0);
        // sum|terms| and the term count per pixel, by the reference on |cols| and on ones.
        const mag = accumulate ? x0.map(Math.abs) : new Float64Array(nx);
        ref.col2im(...args(g), cols.map(Math.abs), mag, 1);
        const count = new Float64Array(nx);
        ref.col2im(...args(g), new Float64Array(ncols).fill(1), count, 1);
        const got = get(m, px, nx);
        for (let i = 0; i < nx; i++) {
          const bound = (count[i]! + 2) * U * mag[i]!;
          if (!(Math.abs(got[i]! - want[i]!) <= bound)) expect({ i, got: got[i], want: want[i], bound }).toBeUndefined();
        }
      })), { numRuns: 300 });
    });
  }

  it("both builds give identical col2im sums, and identical im2col", () => {
    fc.assert(fc.property(cases, ({ c, seed }) => {
      const g = geometryOf(c)!;
      const { nx, ncols } = sizes(g);
      const rand = prng(seed);
      const cols = values(rand, ncols), x = values(rand, nx);
      const out = builds.map((m) => scoped(m, (put) => {
        const px = put(x), pc = put(cols);
        m.k.col2im_f32(...args(g), pc, px, 1);
        const pc2 = put(new Float64Array(ncols));
        m.k.im2col_f32(...args(g), px, pc2);
        return [get(m, px, nx), get(m, pc2, ncols)];
      }));
      expect(out[0]).toEqual(out[1]);
    }), { numRuns: 100 });
  });

  it("the float64 references are adjoint: <im2col(x), y> = <x, col2im(y)>", () => {
    fc.assert(fc.property(cases, ({ c, seed }) => {
      const g = geometryOf(c)!;
      const { nx, ncols } = sizes(g);
      const rand = prng(seed);
      const x = Float64Array.from({ length: nx }, () => 2 * rand() - 1);
      const y = Float64Array.from({ length: ncols }, () => 2 * rand() - 1);
      const cx = new Float64Array(ncols), xy = new Float64Array(nx);
      ref.im2col(...args(g), x, cx);
      ref.col2im(...args(g), y, xy, 0);
      let lhs = 0, rhs = 0, mag = 0;
      for (let i = 0; i < ncols; i++) { lhs += cx[i]! * y[i]!; mag += Math.abs(cx[i]! * y[i]!); }
      for (let i = 0; i < nx; i++) rhs += x[i]! * xy[i]!;
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-13 * (mag + 1));
    }), { numRuns: 300 });
  });

  it("the kernels are adjoint too: col2im of a unit column is the pixel im2col reads there", () => {
    // For every column entry q of a small strided, dilated, asymmetrically padded geometry:
    // col2im(e_q) must be e_p for the pixel p that im2col copies into q (or 0 in the padding).
    const g = geometryOf({ batch: 2, input: [5, 6, 5], kernel: [3, 2], stride: [2, 3], dilation: [2, 1],
      padding: { top: 2, bottom: 1, left: 0, right: 3 } })!;
    const { nx, ncols } = sizes(g);
    for (const m of builds) scoped(m, (put) => {
      const x = Float64Array.from({ length: nx }, (_, i) => i + 1); // pixel ids
      const pc = put(new Float64Array(ncols));
      m.k.im2col_f32(...args(g), put(x), pc);
      const ids = get(m, pc, ncols);
      const unit = new Float64Array(ncols);
      const pu = put(unit), px = put(new Float64Array(nx));
      for (let q = 0; q < ncols; q++) {
        m.arena.f32(pu, ncols).fill(0);
        m.arena.f32(pu, ncols)[q] = 1;
        m.k.col2im_f32(...args(g), pu, px, 0);
        const back = get(m, px, nx);
        const want = new Float64Array(nx);
        if (ids[q]! > 0) want[ids[q]! - 1] = 1;
        expect(back).toEqual(want);
      }
    });
  });
});
