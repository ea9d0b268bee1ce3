// Losses, KL and reparameterisation on both builds against the float64 reference; the
// reference backward passes against central differences of the reference forward; the KL
// closed form against Monte Carlo; BCE at extreme logits. Tolerances, u = 2^-24:
// - forward sums (f64 results): (n + 4) 2^-52 sum|terms|, plus for BCE 4 u per f32
//   log1p(exp(-|x|)) term (that part is the f32 polynomial of assembly/simd-math.ts; the 4 u
//   is derived in test/kernels/bce-simd.test.ts).
// - backward: the sum of the f32 roundings of each formula (e.g. 3 u for gaussian dpred, 2 u
//   for sq_err); 1 rounding (u) plus f64 error where the kernel works in f64 and rounds once
//   (KL, reparam, dlogvar); 2^-146 absolute for f32 subnormal results.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, put, type Loaded, prng, scoped } from "./harness.js";
import type { Ptr } from "../../src/kernels/exports.js";
import * as ref from "../../src/kernels/reference/losses.js";
import { expectMonteCarlo, expectWithinBound } from "../../src/testing/index.js";

const U = 2 ** -24;
const E52 = 2 ** -52;
const TINY = 2 ** -146; // 8 steps of the f32 subnormal spacing
const LOG_2PI = Math.log(2 * Math.PI);

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
/** Standard normal by Box-Muller over prng. */
function gauss(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
const uniform = (rand: () => number, n: number, lo: number, hi: number) =>
  f32(Array.from({ length: n }, () => lo + (hi - lo) * rand()));

const rel = (want: ArrayLike<number>, k: number) => Array.from(want, (r) => k * U * Math.abs(r) + TINY);


const vec = fc.record({ n: fc.integer({ min: 0, max: 67 }), seed: fc.integer(), scale: fc.constantFrom(1, 0.125, -0.37).map(Math.fround) });
const mat = fc.record({ M: fc.integer({ min: 0, max: 9 }), N: fc.integer({ min: 0, max: 23 }), seed: fc.integer(),
  scale: fc.constantFrom(1, 0.125, -0.37).map(Math.fround), lvStride: fc.constantFrom(0, 1) });

describe.each(builds)("losses ($isa)", (m) => {
  const k = m.k;

  it("bce_logits forward and backward match the reference", () => {
    fc.assert(fc.property(vec, ({ n, seed, scale }) => scoped(m, (put) => {
      const rand = prng(seed);
      const x = uniform(rand, n, -12, 12);
      const t = f32(Array.from({ length: n }, () => (rand() < 0.3 ? Math.round(rand()) : rand())));
      const px = put(x), pt = put(t), pd = put(new Float64Array(n));
      const want = ref.bceLogitsForward(n, x, t);
      let bound = 0;
      for (let i = 0; i < n; i++) {
        const tail = Math.log1p(Math.exp(-Math.abs(x[i]!)));
        bound += 4 * U * tail + (n + 4) * E52 * (Math.abs(x[i]!) * (1 + t[i]!) + tail);
      }
      expect(Math.abs(k.bce_logits_forward_f32(n, px, pt) - want)).toBeLessThanOrEqual(bound + 1e-300);

      k.bce_logits_backward_f32(n, scale, px, pt, pd);
      const d = new Float64Array(n);
      ref.bceLogitsBackward(n, scale, x, t, d);
      // Rounding errors: fl(1 - t) (x >= 0 only) <= u |1 - t|; q = e / (1 + e) <= 3.75 u q (the
      // polynomial exp 1.75 u, sum, quotient); the difference and the product with scale <= u |r| each.
      const b = Array.from(d, (r, i) => {
        const xi = x[i]!, q = 1 / (1 + Math.exp(Math.abs(xi)));
        return U * Math.abs(scale) * ((xi >= 0 ? Math.abs(1 - t[i]!) : 0) + 4 * q) + 2.01 * U * Math.abs(r) + TINY;
      });
      expectWithinBound(get(m, pd, n), d, b);
    })));
  });

  it("bce_logits is exact and finite at logits +-100 and +-1000", () => {
    scoped(m, (put) => {
      const x = [100, -100, 100, -100, 100, -100, 1000, -1000, 1000, -1000, 1000];
      const t = [0, 1, 1, 0, 0.5, 0.5, 0, 1, 1, 0, 0.5];
      const tail100 = Math.log1p(Math.exp(-100)); // 3.720075976020836e-44; f32 keeps it to 2^-149
      // Exact values: max(x,0) - x t + log1p(exp(-|x|)); at |x| = 1000 the tail is 0 even in f64.
      const exact = [100, 100, tail100, tail100, 50, 50, 1000, 1000, 0, 0, 500];
      const px = put(x), pt = put(t), pd = put(new Float64Array(x.length));
      for (let i = 0; i < x.length; i++) {
        const got = k.bce_logits_forward_f32(1, px + 4 * i, pt + 4 * i);
        expect(Number.isFinite(got)).toBe(true);
        // Where the exact value is the tail alone (a f32 subnormal), within 1 subnormal step; else exact in f64.
        expect(Math.abs(got - exact[i]!)).toBeLessThanOrEqual(exact[i]! < 1e-30 ? 2 ** -149 : 0);
      }
      expect(k.bce_logits_forward_f32(11, px, pt)).toBe(100 + 100 + 50 + 50 + 1000 + 1000 + 500);
      // Backward: scale (sigmoid(x) - t) -> 0 - 1, 1 - 0, -tail, +tail, ... all finite.
      k.bce_logits_backward_f32(x.length, 2, px, pt, pd);
      const d = get(m, pd, x.length);
      expect(k.all_finite_f32(x.length, pd)).toBe(1);
      expect(Array.from(d.subarray(0, 2))).toEqual([2, -2]);
      expect(Math.abs(d[2]! + 2 * tail100)).toBeLessThanOrEqual(2 ** -148); // -2 e^-100, a subnormal, not 0
      expect(d[2]).toBeLessThan(0);
      expect(Math.abs(d[3]! - 2 * tail100)).toBeLessThanOrEqual(2 ** -148);
      expect(Array.from(d.subarray(4))).toEqual([1, -1, 2, -2, 0, 0, 1]);
    });
  });

  it("sq_err forward (f64) and backward match the reference", () => {
    fc.assert(fc.property(vec, ({ n, seed, scale }) => scoped(m, (put) => {
      const rand = prng(seed);
      const p = uniform(rand, n, -3, 3), t = uniform(rand, n, -3, 3);
      const pp = put(p), pt = put(t), pd = put(new Float64Array(n));
      const want = ref.sqErrForward(n, p, t);
      expect(Math.abs(k.sq_err_forward_f32(n, pp, pt) - want)).toBeLessThanOrEqual((n + 4) * E52 * want);
      k.sq_err_backward_f32(n, scale, pp, pt, pd);
      const d = new Float64Array(n);
      ref.sqErrBackward(n, scale, p, t, d);
      expectWithinBound(get(m, pd, n), d, rel(d, 2));
    })));
  });

  it("gaussian_nll with a shared (lvStride 0) or per-column (1) log-variance matches the reference", () => {
    fc.assert(fc.property(mat, fc.boolean(), ({ M, N, seed, scale, lvStride }, withDlv) => scoped(m, (put) => {
      const rand = prng(seed), n = M * N, nlv = lvStride === 0 ? 1 : N;
      const p = uniform(rand, n, -2, 2), t = uniform(rand, n, -2, 2), lv = uniform(rand, nlv, -3, 3);
      const dlv0 = uniform(rand, nlv, -1, 1);
      const pp = put(p), pt = put(t), plv = put(lv), pd = put(new Float64Array(n)), pdlv = put(dlv0);

      const want = ref.gaussianNllForward(M, N, p, t, lv, lvStride);
      let mag = 0;
      for (let i = 0; i < n; i++) {
        const l = lv[(i % N) * lvStride]!, dd = p[i]! - t[i]!;
        mag += 0.5 * (LOG_2PI + Math.abs(l) + dd * dd * Math.exp(-l));
      }
      expect(Math.abs(k.gaussian_nll_forward_f32(M, N, pp, pt, plv, lvStride) - want)).toBeLessThanOrEqual((n + N + 4) * E52 * mag);

      // Memory at address 0 stands in for the null dlogvar: it must not be written.
      const low = get(m, 0, 8);
      k.gaussian_nll_backward_f32(M, N, scale, pp, pt, plv, lvStride, pd, withDlv ? pdlv : 0);
      expect(get(m, 0, 8)).toEqual(low);
      const d = new Float64Array(n), dlv = dlv0.slice();
      ref.gaussianNllBackward(M, N, scale, p, t, lv, lvStride, d, withDlv ? dlv : null);
      expectWithinBound(get(m, pd, n), d, rel(d, 3.01)); // 3 roundings
      const dlvMag = Array.from(dlv0, (d0, j) => {
        let s = Math.abs(d0);
        for (let i = 0; i < n; i++) {
          if (lvStride === 0 || i % N === j) { const dd = p[i]! - t[i]!; s += Math.abs(scale) * 0.5 * (1 + dd * dd * Math.exp(-lv[j]!)); }
        }
        return s;
      });
      const b = Array.from(dlv, (r, j) => U * Math.abs(r) + (n + 4) * E52 * dlvMag[j]! + TINY);
      expectWithinBound(get(m, pdlv, nlv), dlv, b);
      if (!withDlv) expect(get(m, pdlv, nlv)).toEqual(dlv0);
    })));
  });

  it("gaussian_nll with lvStride 0 gives the shared log-variance the sum over all elements", () => {
    scoped(m, (put) => {
      const M = 3, N = 5, n = M * N;
      const p = f32(Array.from({ length: n }, (_, i) => i / 4)), t = new Float64Array(n);
      const lv = f32([0.5]), pd = put(new Float64Array(n)), pdlv = put([0.25]);
      k.gaussian_nll_backward_f32(M, N, 1, put(p), put(t), put(lv), 0, pd, pdlv);
      const w = Math.exp(-lv[0]!);
      const sum = p.reduce((s, pi) => s + 0.5 * (1 - pi * pi * w), 0.25);
      expect(Math.abs(get(m, pdlv, 1)[0]! - sum)).toBeLessThanOrEqual(U * Math.abs(sum) + 1e-12);
      const nll = p.reduce((s, pi) => s + 0.5 * (LOG_2PI + lv[0]! + pi * pi * w), 0);
      expect(k.gaussian_nll_forward_f32(M, N, put(p), put(t), put(lv), 0)).toBeCloseTo(nll, 12);
    });
  });

  it("kl_normal forward and (accumulating) backward match the reference", () => {
    fc.assert(fc.property(vec, ({ n, seed, scale }) => scoped(m, (put) => {
      const rand = prng(seed);
      const mu = uniform(rand, n, -3, 3), lv = f32(Array.from({ length: n }, () => (rand() < 0.2 ? 1e-4 : 4) * (2 * rand() - 1)));
      const dmu0 = uniform(rand, n, -1, 1), dlv0 = uniform(rand, n, -1, 1);
      const pmu = put(mu), plv = put(lv), pdmu = put(dmu0), pdlv = put(dlv0);
      const want = ref.klNormalForward(n, mu, lv);
      let mag = 0;
      for (let i = 0; i < n; i++) mag += 0.5 * (mu[i]! ** 2 + Math.abs(Math.expm1(lv[i]!)) + Math.abs(lv[i]!));
      expect(Math.abs(k.kl_normal_forward_f32(n, pmu, plv) - want)).toBeLessThanOrEqual((n + 4) * E52 * mag);

      k.kl_normal_backward_f32(n, scale, pmu, plv, pdmu, pdlv);
      const dmu = dmu0.slice(), dlv = dlv0.slice();
      ref.klNormalBackward(n, scale, mu, lv, dmu, dlv);
      const b = (r: Float64Array, d0: Float64Array) => Array.from(r, (ri, i) => U * Math.abs(ri) + 4 * E52 * (Math.abs(d0[i]!) + Math.abs(ri - d0[i]!)) + TINY);
      expectWithinBound(get(m, pdmu, n), dmu, b(dmu, dmu0));
      expectWithinBound(get(m, pdlv, n), dlv, b(dlv, dlv0));
    })));
  });

  it("kl_normal has the known values 0, 0.5 and 0.5 (2 - 1 - log 2)", () => {
    scoped(m, (put) => {
      const at = (mu: number, lv: number) => k.kl_normal_forward_f32(1, put([mu]), put([lv]));
      expect(at(0, 0)).toBe(0);
      expect(at(1, 0)).toBe(0.5);
      expect(at(-1, 0)).toBe(0.5);
      // lv = fround(log 2) differs from log 2 by < 2^-25, and dKL/dlv = 0.5 there.
      expect(Math.abs(at(0, Math.LN2) - 0.5 * (2 - 1 - Math.LN2))).toBeLessThanOrEqual(2 ** -25);
      const lv = Math.fround(Math.LN2);
      expect(at(0, lv)).toBeCloseTo(0.5 * (Math.exp(lv) - 1 - lv), 15);
      // Tiny lv: expm1 keeps the second-order value lv^2 / 4 that exp(lv) - 1 - lv would lose in f32.
      const small = Math.fround(1e-4);
      expect(Math.abs(at(0, small) - small * small / 4) / (small * small / 4)).toBeLessThan(1e-3);
    });
  });

  it("kl_normal agrees with a Monte Carlo estimate of E_q[log q(z) - log p(z)] within 5 standard errors", () => {
    const pairs: [number, number][] = [[0, 0], [1, 0], [0.5, -1], [-1.5, 0.7], [2, -2], [0, 1.5]];
    const rand = prng(12345), normal = gauss(rand), S = 100_000;
    scoped(m, (put) => {
      for (const [mu0, lv0] of pairs) {
        const mu = Math.fround(mu0), lv = Math.fround(lv0), sd = Math.exp(0.5 * lv);
        const kl = k.kl_normal_forward_f32(1, put([mu]), put([lv]));
        // log q(z) - log p(z) = -0.5 lv - 0.5 e^2 + 0.5 z^2 (the log 2pi terms cancel).
        expectMonteCarlo(() => {
          const e = normal(), z = mu + sd * e;
          return -0.5 * lv - 0.5 * e * e + 0.5 * z * z;
        }, kl, { draws: S, k: 5, atol: 1e-12, what: `mu ${mu}, lv ${lv}` });
      }
    });
  });

  it("reparam forward and backward match the reference; backward may write dmu over dz", () => {
    fc.assert(fc.property(vec, ({ n, seed }) => scoped(m, (put) => {
      const rand = prng(seed), normal = gauss(rand);
      const mu = uniform(rand, n, -3, 3), lv = uniform(rand, n, -6, 4), eps = f32(Array.from({ length: n }, normal));
      const dz = uniform(rand, n, -2, 2);
      const pmu = put(mu), plv = put(lv), peps = put(eps), pz = put(new Float64Array(n));
      k.reparam_forward_f32(n, pmu, plv, peps, pz);
      const z = new Float64Array(n);
      ref.reparamForward(n, mu, lv, eps, z);
      const bz = Array.from(z, (r, i) => U * Math.abs(r) + 4 * E52 * (Math.abs(mu[i]!) + Math.abs(r - mu[i]!)) + TINY);
      expectWithinBound(get(m, pz, n), z, bz);

      const pdz = put(dz), pdlv = put(new Float64Array(n).fill(NaN));
      k.reparam_backward_f32(n, plv, peps, pdz, pdz, pdlv); // dmu aliases dz
      const dmu = new Float64Array(n), dlv = new Float64Array(n);
      ref.reparamBackward(n, lv, eps, dz, dmu, dlv);
      expect(get(m, pdz, n)).toEqual(dmu);
      expectWithinBound(get(m, pdlv, n), dlv, rel(dlv, 1.01));
    })));
  });
});

/** Checks grad . v against (L(x + h v) - L(x - h v)) / 2h for a loss over several f64 arrays. */
function gradCheck(xs: Float64Array[], grads: Float64Array[], loss: (xs: Float64Array[]) => number, rand: () => number): void {
  const vs = xs.map((x) => x.map(() => rand() * 2 - 1));
  const at = (h: number) => loss(xs.map((x, a) => x.map((xi, i) => xi + h * vs[a]![i]!)));
  let analytic = 0, mag = 0;
  grads.forEach((g, a) => g.forEach((gi, i) => { analytic += gi * vs[a]![i]!; mag += Math.abs(gi * vs[a]![i]!); }));
  const h = 1e-4;
  const numeric = (at(h) - at(-h)) / (2 * h);
  expect(Math.abs(numeric - analytic)).toBeLessThanOrEqual(1e-6 * mag + 1e-9);
}

describe("reference loss gradients against central differences", () => {
  const sizes = fc.record({ n: fc.integer({ min: 1, max: 30 }), seed: fc.integer() });

  it("bceLogitsBackward", () => {
    fc.assert(fc.property(sizes, ({ n, seed }) => {
      const rand = prng(seed);
      const x = Float64Array.from({ length: n }, () => 10 * rand() - 5), t = Float64Array.from({ length: n }, rand);
      const g = new Float64Array(n);
      ref.bceLogitsBackward(n, 1, x, t, g);
      gradCheck([x], [g], ([xx]) => ref.bceLogitsForward(n, xx!, t), rand);
    }));
  });

  it("sqErrBackward", () => {
    fc.assert(fc.property(sizes, ({ n, seed }) => {
      const rand = prng(seed);
      const p = Float64Array.from({ length: n }, () => 4 * rand() - 2), t = Float64Array.from({ length: n }, rand);
      const g = new Float64Array(n);
      ref.sqErrBackward(n, 1, p, t, g);
      gradCheck([p], [g], ([pp]) => ref.sqErrForward(n, pp!, t), rand);
    }));
  });

  it("gaussianNllBackward, in pred and in the shared or per-column log-variance", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(0, 1), fc.integer(),
      (M, N, lvStride, seed) => {
        const rand = prng(seed), n = M * N;
        const p = Float64Array.from({ length: n }, () => 4 * rand() - 2), t = Float64Array.from({ length: n }, rand);
        const lv = Float64Array.from({ length: lvStride === 0 ? 1 : N }, () => 4 * rand() - 2);
        const gp = new Float64Array(n), glv = new Float64Array(lv.length);
        ref.gaussianNllBackward(M, N, 1, p, t, lv, lvStride, gp, glv);
        gradCheck([p, lv], [gp, glv], ([pp, ll]) => ref.gaussianNllForward(M, N, pp!, t, ll!, lvStride), rand);
      }));
  });

  it("klNormalBackward, in mu and logvar", () => {
    fc.assert(fc.property(sizes, ({ n, seed }) => {
      const rand = prng(seed);
      const mu = Float64Array.from({ length: n }, () => 4 * rand() - 2), lv = Float64Array.from({ length: n }, () => 6 * rand() - 3);
      const gmu = new Float64Array(n), glv = new Float64Array(n);
      ref.klNormalBackward(n, 1, mu, lv, gmu, glv);
      gradCheck([mu, lv], [gmu, glv], ([a, b]) => ref.klNormalForward(n, a!, b!), rand);
    }));
  });

  it("reparamBackward, in mu and logvar, of L = sum dz * z", () => {
    fc.assert(fc.property(sizes, ({ n, seed }) => {
      const rand = prng(seed), normal = gauss(rand);
      const mu = Float64Array.from({ length: n }, () => 4 * rand() - 2), lv = Float64Array.from({ length: n }, () => 6 * rand() - 3);
      const eps = Float64Array.from({ length: n }, normal), dz = Float64Array.from({ length: n }, () => 2 * rand() - 1);
      const gmu = new Float64Array(n), glv = new Float64Array(n);
      ref.reparamBackward(n, lv, eps, dz, gmu, glv);
      gradCheck([mu, lv], [gmu, glv], ([a, b]) => {
        const z = new Float64Array(n);
        ref.reparamForward(n, a!, b!, eps, z);
        return z.reduce((s, zi, i) => s + dz[i]! * zi, 0);
      }, rand);
    }));
  });
});
