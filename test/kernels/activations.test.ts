// Activations on both builds against the float64 reference, and the reference's derivatives
// against central differences. Tolerances, in u = 2^-24 (half an ulp at 1): forward within
// 4 u |r| (2 ulp: one libm call plus up to two roundings; measured worst 2.8 u), backward within
// 6 u |r| (3 ulp: exp plus four roundings and the product with dy; measured worst 4.1 u before
// the dy product), plus 2^-146 absolute (8 steps of 2^-149) for results in the f32 subnormal
// range, where relative precision is lost (e.g. sigmoid(-100) ~ 3.7e-44).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, put, type Loaded, prng, scoped } from "./harness.js";
import { expectWithinBound } from "../../src/testing/index.js";
import { Activation, type Ptr } from "../../src/kernels/exports.js";
import * as ref from "../../src/kernels/reference/activations.js";

const U = 2 ** -24;
const TINY = 2 ** -146;
const kinds = Object.entries(Activation) as [string, number][];

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */

/** Inputs: mostly [-8, 8], some tiny, some huge (saturation), and exact zeros. */
function inputs(rand: () => number, n: number): Float64Array {
  return f32(Array.from({ length: n }, () => {
    const r = rand(), s = rand() < 0.5 ? -1 : 1;
    if (r < 0.7) return s * 8 * rand();
    if (r < 0.8) return s * 1e-6 * rand();
    if (r < 0.95) return s * (20 + 1000 * rand());
    return 0;
  }));
}

const ulps = (want: Float64Array, k: number) => Array.from(want, (r) => k * U * Math.abs(r) + TINY);


const cases = fc.record({
  n: fc.integer({ min: 0, max: 67 }), seed: fc.integer(),
  alpha: fc.constantFrom(0.01, 0.2, 1, 1.7).map(Math.fround),
});

describe.each(builds)("activations ($isa)", (m) => {
  const k = m.k;

  it.each(kinds)("%s forward and backward match the reference (4 u and 6 u)", (_, kind) => {
    fc.assert(fc.property(cases, ({ n, seed, alpha }) => scoped(m, (put) => {
      const rand = prng(seed);
      const x = inputs(rand, n), dy = f32(Array.from({ length: n }, () => rand() * 4 - 2));
      const px = put(x), py = put(new Float64Array(n)), pdy = put(dy), pdx = put(new Float64Array(n));
      k.act_forward_f32(kind, n, alpha, px, py);
      const y = new Float64Array(n);
      ref.actForward(kind, n, alpha, x, y);
      expectWithinBound(get(m, py, n), y, ulps(y, 4));

      k.act_backward_f32(kind, n, alpha, px, py, pdy, pdx);
      const dx = new Float64Array(n);
      ref.actBackward(kind, n, alpha, x, get(m, py, n), dy, dx);
      expectWithinBound(get(m, pdx, n), dx, ulps(dx, 6));

      // In place: y over x, dx over dy; same results.
      const fy = get(m, py, n), fdx = get(m, pdx, n);
      k.act_backward_f32(kind, n, alpha, px, py, pdy, pdy);
      expect(get(m, pdy, n)).toEqual(fdx);
      k.act_forward_f32(kind, n, alpha, px, px);
      expect(get(m, px, n)).toEqual(fy);
    })));
  });

  it("saturates without overflow at |x| = 100 and 1000, and keeps tiny derivatives relative", () => {
    scoped(m, (put) => {
      const x = f32([-1000, -100, -30, 30, 100, 1000, 0, -0]);
      const n = x.length, alpha = 1;
      const px = put(x), py = put(new Float64Array(n)), pd = put(new Float64Array(n).fill(1));
      const pdx = put(new Float64Array(n));
      for (const [name, kind] of kinds) {
        k.act_forward_f32(kind, n, alpha, px, py);
        k.act_backward_f32(kind, n, alpha, px, py, pd, pdx);
        const y = get(m, py, n), dx = get(m, pdx, n);
        expect(k.all_finite_f32(n, py), name).toBe(1);
        expect(k.all_finite_f32(n, pdx), name).toBe(1);
        const wy = new Float64Array(n), wdx = new Float64Array(n);
        ref.actForward(kind, n, alpha, x, wy);
        ref.actBackward(kind, n, alpha, x, wy, new Float64Array(n).fill(1), wdx);
        expectWithinBound(y, wy, ulps(wy, 4), { what: name });
        expectWithinBound(dx, wdx, ulps(wdx, 6), { what: name });
      }
      // Spot values: sigmoid(+-1000) = 1, 0; softplus(1000) = 1000; sigmoid'(30) = e^-30 (1 + e^-30)^-2.
      k.act_forward_f32(Activation.sigmoid, n, 0, px, py);
      expect(get(m, py, 1)[0]).toBe(0);
      expect(get(m, py + 20, 1)[0]).toBe(1);
      k.act_forward_f32(Activation.softplus, n, 0, px, py);
      expect(get(m, py + 20, 1)[0]).toBe(1000);
      expect(get(m, py, 1)[0]).toBe(0);
      k.act_backward_f32(Activation.sigmoid, n, 0, px, py, pd, pdx);
      const s30 = Math.exp(-30) / (1 + Math.exp(-30)) ** 2;
      expect(Math.abs(get(m, pdx + 12, 1)[0]! - s30)).toBeLessThanOrEqual(6 * U * s30);
    });
  });

  it("relu, leaky relu and elu take the left derivative at 0; NaN propagates through the forward pass", () => {
    scoped(m, (put) => {
      const x = f32([0, -0, NaN, 2, -2]);
      const px = put(x), py = put(new Float64Array(5)), pd = put([3, 3, 3, 3, 3]), pdx = put(new Float64Array(5));
      const alpha = 0.25;
      const left = { [Activation.relu]: 0, [Activation.leakyRelu]: 0.75, [Activation.elu]: 0.75 };
      for (const [kind, d0] of Object.entries(left)) {
        k.act_backward_f32(Number(kind), 5, alpha, px, py, pd, pdx);
        const dx = get(m, pdx, 5);
        expect(dx[0]).toBe(d0);
        expect(dx[1]).toBe(d0);
        expect(dx[3]).toBe(3);
        k.act_forward_f32(Number(kind), 5, alpha, px, py);
        expect(Number.isNaN(get(m, py, 5)[2]!)).toBe(true);
      }
    });
  });
});

describe("reference activation derivatives", () => {
  it.each(kinds)("%s: actBackward matches central differences of actForward", (_, kind) => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer(), fc.double({ min: 0.01, max: 2, noNaN: true }),
      (n, seed, alpha) => {
        const rand = prng(seed);
        // Away from the kinks at 0 (|x| >= 0.01) and inside the range where f' is not negligible.
        const x = Float64Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * (0.01 + 6 * rand()));
        const dy = Float64Array.from({ length: n }, () => rand() * 2 - 1);
        const v = Float64Array.from({ length: n }, () => rand() * 2 - 1);
        const loss = (h: number) => {
          const xs = x.map((xi, i) => xi + h * v[i]!), y = new Float64Array(n);
          ref.actForward(kind, n, alpha, xs, y);
          return y.reduce((s, yi, i) => s + dy[i]! * yi, 0);
        };
        const dx = new Float64Array(n);
        ref.actBackward(kind, n, alpha, x, new Float64Array(n), dy, dx);
        const analytic = dx.reduce((s, d, i) => s + d * v[i]!, 0);
        const mag = dx.reduce((s, d, i) => s + Math.abs(d * v[i]!), 0);
        const eps = 1e-4;
        const numeric = (loss(eps) - loss(-eps)) / (2 * eps);
        expect(Math.abs(numeric - analytic)).toBeLessThanOrEqual(1e-6 * mag + 1e-10);
      }));
  });
});
