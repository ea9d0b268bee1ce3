// Laplace NLL, continuous Bernoulli NLL with logits and the L1 penalty (assembly/likelihoods.ts)
// on every build against the float64 reference (src/kernels/reference/likelihoods.ts); the
// reference backward passes against central differences of the reference forward on the
// ReferenceBackend; the continuous Bernoulli normaliser against quadrature; the backends'
// uniform, mul and likelihood methods against each other.
//
// Tolerances (u = 2^-24, one f32 rounding; e = 2^-52 bounds one f64 rounding and a 1-ulp libm
// result, relative):
// - Laplace forward: kernel and reference sum the n = M N terms in different orders (the kernel
//   by columns, M (s + log 2) + exp(-s) A_j), so as for the Gaussian NLL each side is within
//   (n + N + 2) e/2 of sum |terms| and the two within (n + N + 4) e sum_ij (|p - t| exp(-s) + |s| + log 2).
// - Laplace dpred: f32(scale exp(-s)) with exp and the product in f64: u |r| plus 3 e |r|
//   (covered by 1.01 u). dlogscale: one f32 rounding of the f64 sum, u |r|, plus the f64 sums'
//   (n + 4) e sum |terms| (terms: the initial value and scale (1 + |t - p| exp(-s))).
// - Continuous Bernoulli forward: kernel and reference evaluate the same f64 expression in the
//   same order and differ only through libm (exp, log1p, log, atanh within 1 ulp on each side,
//   so 2 e between them): log1p(exp(-a)) then differs by <= 4 e, log a by 2 e, atanh(exp(-a)) by
//   <= 5 e (its condition number y / ((1 - y^2) artanh y) is <= 1.4 for y <= e^-1/2), each
//   relative to itself; the five additions per term add <= 5 e of the magnitudes; the series
//   branch is the same operations on both sides. So each term differs by <= 11 e mag_i, mag_i
//   the sum of the absolute values of its parts, and the running sums by <= n e sum mag_i:
//   bound (n + 16) e sum mag_i.
// - Continuous Bernoulli backward: the kernel rounds its f64 value once (u |r|); the f64 values
//   differ through exp (q) and, for |l| >= 1/2, through exp and expm1 in 1/a - 2 e^-a / (1 - e^-2a)
//   (parts bounded by 2/a): 16 e |scale| (2 + |t| + 2/a) covers both.
// - L1 forward: each |x| is exact in f64; the sums' orders differ: (n + 4) e sum |x|. L1 backward:
//   one f32 rounding of dx + scale sign(x): u |r|.
// 2^-146 absolute is added for f32 subnormal results.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { builds, f32, get, prng, scoped, type Loaded } from "./harness.js";
import { expectWithinBound } from "../../src/testing/index.js";
import { Arena } from "../../src/kernels/arena.js";
import { instantiateSync, relaxedSimdSupported, type Isa } from "../../src/kernels/module.js";
import * as ref from "../../src/kernels/reference/likelihoods.js";
import { WasmBackend } from "../../src/backend/wasm.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import type { Backend } from "../../src/backend/backend.js";
import { key, uniform as uniformDraws } from "../../src/random/index.js";
import { directionalCheck } from "../../src/testing/gradients.js";

const U = 2 ** -24;
const E52 = 2 ** -52;
const TINY = 2 ** -146;

function loadModule(isa: Isa) {
  const m = instantiateSync(undefined, { isa });
  if (E.isLeft(m)) throw m.left;
  return m.right;
}
function loadBuild(isa: Isa): Loaded {
  const m = loadModule(isa);
  return { isa, k: m.exports, arena: new Arena(m.exports) };
}

const uniform = (rand: () => number, n: number, lo: number, hi: number) =>
  f32(Array.from({ length: n }, () => lo + (hi - lo) * rand()));
const rel = (want: ArrayLike<number>, k: number) => Array.from(want, (r) => k * U * Math.abs(r) + TINY);
/** Sizes that always include the edge cases: 0, 1, odd sizes and the SIMD tails (n mod 4 = 1, 2, 3). */
const size = (max: number) => fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17), fc.integer({ min: 0, max }));
const scales = fc.constantFrom(1, 0.125, -0.37).map(Math.fround);
const vec = fc.record({ n: size(67), seed: fc.integer(), scale: scales });
const mat = fc.record({ M: size(9), N: size(23), seed: fc.integer(), scale: scales, lsStride: fc.constantFrom(0, 1) });

/** Logits from every regime: the series (|l| < 1/2) and its edge, moderate, large, zero. */
function logits(rand: () => number, n: number): Float64Array {
  return f32(Array.from({ length: n }, () => {
    const r = rand();
    if (r < 0.25) return 1.2 * rand() - 0.6;
    if (r < 0.3) return rand() < 0.5 ? 0.5 : -0.5;
    if (r < 0.35) return 0;
    if (r < 0.45) return (rand() < 0.5 ? -1 : 1) * (20 + 200 * rand());
    return 24 * rand() - 12;
  }));
}
const targets = (rand: () => number, n: number) => f32(Array.from({ length: n }, () => (rand() < 0.3 ? Math.round(rand()) : rand())));

/** |parts| of one continuous Bernoulli term, for the forward bound. */
function cbMag(l: number, t: number): number {
  const a = Math.abs(l);
  const logC = a < 0.5 ? ref.cbLogNormalizer(l) : Math.abs(Math.log(a)) + 2 * Math.atanh(Math.exp(-a));
  return Math.max(l, 0) + Math.abs(l * t) + Math.log1p(Math.exp(-a)) + logC;
}

/** The kernel tests on one build, loaded when a test first runs (a skipped block loads nothing). */
function kernelSuite(load: () => Loaded): void {

  it("laplace_nll forward and backward, shared (lsStride 0) or per-column (1) log-scale, match the reference", () => {
    const m = load(), k = m.k;
    fc.assert(fc.property(mat, fc.boolean(), ({ M, N, seed, scale, lsStride }, withDls) => scoped(m, (put) => {
      const rand = prng(seed), n = M * N, nls = lsStride === 0 ? 1 : N;
      const t = uniform(rand, n, -2, 2), p = t.map((ti) => (rand() < 0.15 ? ti : Math.fround(4 * rand() - 2)));
      const ls = uniform(rand, nls, -3, 3), dls0 = uniform(rand, nls, -1, 1);
      const pp = put(p), pt = put(t), pls = put(ls), pd = put(new Float64Array(n)), pdls = put(dls0);

      const want = ref.laplaceNllForward(M, N, p, t, ls, lsStride);
      let mag = 0;
      for (let i = 0; i < n; i++) {
        const s = ls[(i % N) * lsStride]!;
        mag += Math.abs(p[i]! - t[i]!) * Math.exp(-s) + Math.abs(s) + Math.LN2;
      }
      expect(Math.abs(k.laplace_nll_forward_f32(M, N, pp, pt, pls, lsStride) - want)).toBeLessThanOrEqual((n + N + 4) * E52 * mag);

      // Memory at address 0 stands in for the null dlogscale: it must not be written.
      const low = get(m, 0, 8);
      k.laplace_nll_backward_f32(M, N, scale, pp, pt, pls, lsStride, pd, withDls ? pdls : 0);
      expect(get(m, 0, 8)).toEqual(low);
      const d = new Float64Array(n), dls = dls0.slice();
      ref.laplaceNllBackward(M, N, scale, p, t, ls, lsStride, d, withDls ? dls : null);
      expectWithinBound(get(m, pd, n), d, rel(d, 1.01));
      for (let i = 0; i < n; i++) if (p[i] === t[i]) expect(get(m, pd + 4 * i, 1)[0]).toBe(0);
      const dlsMag = Array.from(dls0, (d0, j) => {
        let s = Math.abs(d0);
        for (let i = 0; i < n; i++) {
          if (lsStride === 0 || i % N === j) s += Math.abs(scale) * (1 + Math.abs(p[i]! - t[i]!) * Math.exp(-ls[j]!));
        }
        return s;
      });
      const b = Array.from(dls, (r, j) => U * Math.abs(r) + (n + 4) * E52 * dlsMag[j]! + TINY);
      expectWithinBound(get(m, pdls, nls), dls, b);
      if (!withDls) expect(get(m, pdls, nls)).toEqual(dls0);
    })));
  });

  it("laplace_nll backward may write dpred over pred, and gives 0 (not NaN) at p == t when exp(-s) overflows f32", () => {
    const m = load(), k = m.k;
    scoped(m, (put) => {
      const p = [1, 2, 2, -3, 0.5], t = [0, 2, 3, -3, 0.25];
      const pp = put(p);
      k.laplace_nll_backward_f32(1, 5, 1, pp, put(t), put([0]), 0, pp, 0);
      expect(Array.from(get(m, pp, 5))).toEqual([1, 0, -1, 0, 1]);
      const pd = put(new Float64Array(5));
      k.laplace_nll_backward_f32(1, 5, 1, put(p), put(t), put([-100]), 0, pd, 0);
      expect(Array.from(get(m, pd, 5))).toEqual([Infinity, 0, -Infinity, 0, Infinity]);
    });
  });

  it("cb_logits forward and backward match the reference at logits of every regime", () => {
    const m = load(), k = m.k;
    fc.assert(fc.property(vec, ({ n, seed, scale }) => scoped(m, (put) => {
      const rand = prng(seed);
      const l = logits(rand, n), t = targets(rand, n);
      const pl = put(l), pt = put(t), pd = put(new Float64Array(n));
      const want = ref.cbLogitsForward(n, l, t);
      let mag = 0;
      for (let i = 0; i < n; i++) mag += cbMag(l[i]!, t[i]!);
      expect(Math.abs(k.cb_logits_forward_f32(n, pl, pt) - want)).toBeLessThanOrEqual((n + 16) * E52 * mag);

      k.cb_logits_backward_f32(n, scale, pl, pt, pd);
      const d = new Float64Array(n);
      ref.cbLogitsBackward(n, scale, l, t, d);
      const b = Array.from(d, (r, i) => {
        const a = Math.abs(l[i]!);
        return U * Math.abs(r) + 16 * E52 * Math.abs(scale) * (2 + Math.abs(t[i]!) + (a >= 0.5 ? 2 / a : 0)) + TINY;
      });
      expectWithinBound(get(m, pd, n), d, b);
    })));
  });

  it("cb_logits is 0 at logit 0 for any target, and finite with its asymptotic values at huge logits", () => {
    const m = load(), k = m.k;
    scoped(m, (put) => {
      // l = 0: the uniform density, log 1 = 0, exactly (BCE log 2 minus log C = log 2); gradient 1/2 - t.
      const t0 = [0, 0.25, 0.5, 1];
      const pz = put([0, 0, 0, 0]), pt0 = put(t0), pd0 = put(new Float64Array(4));
      for (let i = 0; i < 4; i++) expect(k.cb_logits_forward_f32(1, pz + 4 * i, pt0 + 4 * i)).toBe(0);
      k.cb_logits_backward_f32(4, 1, pz, pt0, pd0);
      expect(Array.from(get(m, pd0, 4))).toEqual([0.5, 0.25, 0, -0.5]);

      // |l| >= 40: 2 e^-|l| is below half an ulp of log|l|, so log C = log|l| in f64, and
      // d log C / dl = 1/l; sigmoid(l) - t is (1 - t) - e^-l or e^-l - t.
      const l = [40, -40, 100, -100, 1e4, -1e4, 3e38, -3e38].map(Math.fround);
      for (const t of [0, 0.5, 1]) {
        const pl = put(l), pt = put(l.map(() => t)), pd = put(new Float64Array(l.length));
        k.cb_logits_backward_f32(l.length, 1, pl, pt, pd);
        const d = get(m, pd, l.length);
        l.forEach((li, i) => {
          const a = Math.abs(li), bce = Math.max(li, 0) - li * t + Math.log1p(Math.exp(-a));
          const got = k.cb_logits_forward_f32(1, pl + 4 * i, pt + 4 * i);
          expect(Number.isFinite(got)).toBe(true);
          expect(Math.abs(got - (bce - Math.log(a)))).toBeLessThanOrEqual(4 * E52 * (bce + Math.log(a)));
          const grad = (li > 0 ? 1 - t - Math.exp(-a) : Math.exp(-a) - t) - 1 / li;
          expect(Math.abs(d[i]! - grad)).toBeLessThanOrEqual(U * Math.abs(grad) + 1e-30);
        });
      }
    });
  });

  it("l1 forward and (accumulating) backward match the reference; backward may accumulate into x itself", () => {
    const m = load(), k = m.k;
    fc.assert(fc.property(vec, ({ n, seed, scale }) => scoped(m, (put) => {
      const rand = prng(seed);
      const x = f32(Array.from({ length: n }, () => (rand() < 0.1 ? 0 : 6 * rand() - 3)));
      const dx0 = uniform(rand, n, -1, 1);
      const px = put(x), pdx = put(dx0);
      const want = ref.l1Forward(n, x);
      expect(Math.abs(k.l1_forward_f32(n, px) - want)).toBeLessThanOrEqual((n + 4) * E52 * want);
      k.l1_backward_f32(n, scale, px, pdx);
      const dx = dx0.slice();
      ref.l1Backward(n, scale, x, dx);
      expectWithinBound(get(m, pdx, n), dx, rel(dx, 1));
      // In place: x += scale sign(x), index by index.
      k.l1_backward_f32(n, scale, px, px);
      const self = x.slice();
      ref.l1Backward(n, scale, x, self);
      expectWithinBound(get(m, px, n), self, rel(self, 1));
    })));
  });
}

describe.each(builds)("likelihood kernels ($isa)", (m) => kernelSuite(() => m));
// The relaxed build compiles these kernels from the same source (relaxed SIMD changes only the
// GEMM); Node 20 validates it only behind --experimental-wasm-relaxed-simd, so this block is
// skipped there and runs where the runtime accepts relaxed SIMD.
let relaxed: Loaded | null = null;
describe.runIf(relaxedSimdSupported())("likelihood kernels (relaxed)", () => kernelSuite(() => (relaxed ??= loadBuild("relaxed"))));

describe("likelihood kernels: the SIMD and scalar builds agree bit for bit", () => {
  it("on laplace_nll forward and dpred, cb_logits forward and backward, l1 backward", () => {
    const [simd, scalar] = builds as [Loaded, Loaded];
    fc.assert(fc.property(mat, ({ M, N, seed, scale, lsStride }) => {
      const run = (b: Loaded) => scoped(b, (put) => {
        const rand = prng(seed), n = M * N;
        const p = uniform(rand, n, -2, 2), t = uniform(rand, n, -2, 2), ls = uniform(rand, lsStride === 0 ? 1 : N, -3, 3);
        const l = logits(rand, n), tc = targets(rand, n), x = uniform(rand, n, -3, 3), dx = uniform(rand, n, -1, 1);
        const pp = put(p), pt = put(t), pls = put(ls), pd = put(new Float64Array(n));
        const pl = put(l), ptc = put(tc), pdl = put(new Float64Array(n)), px = put(x), pdx = put(dx);
        const sums = [b.k.laplace_nll_forward_f32(M, N, pp, pt, pls, lsStride), b.k.cb_logits_forward_f32(n, pl, ptc)];
        b.k.laplace_nll_backward_f32(M, N, scale, pp, pt, pls, lsStride, pd, 0);
        b.k.cb_logits_backward_f32(n, scale, pl, ptc, pdl);
        b.k.l1_backward_f32(n, scale, px, pdx);
        return { sums, dpred: get(b, pd, n), dl: get(b, pdl, n), dx: get(b, pdx, n) };
      });
      expect(run(scalar)).toEqual(run(simd));
    }));
  });
});

// ---- the continuous Bernoulli normaliser and density, by quadrature ----

/** Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n from the Chebyshev-like guesses). */
function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n), w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
    let dp = 1;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = z;
      for (let k = 2; k <= n; k++) { const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
      dp = n * (z * p1 - p0) / (z * z - 1);
      const step = p1 / dp;
      z -= step;
      if (Math.abs(step) < 1e-17 && it > 2) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}
const GL = gaussLegendre(16);

/** int_0^1 f by 16-point Gauss-Legendre on `panels` equal panels; the nodes are passed through `node`. */
function integrate(f: (x: number) => number, panels: number, node: (x: number) => number = (x) => x): number {
  let s = 0;
  for (let p = 0; p < panels; p++) {
    let ps = 0;
    for (let i = 0; i < 16; i++) ps += GL.w[i]! * f(node((p + 0.5 + 0.5 * GL.x[i]!) / panels));
    s += ps / (2 * panels);
  }
  return s;
}

// lam = sigmoid(l): l = -30, -15 give lam = 9.4e-14, 3.1e-7 (near 0); +15, +30 near 1; 0 is
// lam = 1/2 exactly; +-1e-6 .. +-0.5 are near 1/2, on both sides of the series' edge |l| = 1/2.
const NORMALISER_LOGITS = [-30, -15, -6, -2, -0.7, -0.5, -0.49999997, -0.3, -0.01, -1e-6, 0,
  1e-6, 0.01, 0.3, 0.49999997, 0.5, 0.50000006, 0.7, 2, 6, 15, 30].map(Math.fround);

describe("continuous Bernoulli normaliser", () => {
  /** 1 / C = int_0^1 lam^x (1 - lam)^(1 - x) dx, lam and 1 - lam formed from l as two sigmoids. */
  const inverseC = (l: number, panels: number) => {
    const logLam = -Math.log1p(Math.exp(-l)), logOneMinus = -Math.log1p(Math.exp(l));
    return integrate((x) => Math.exp(x * logLam + (1 - x) * logOneMinus), panels);
  };

  it("matches -log of the numerical integral of lam^x (1 - lam)^(1 - x), near lam = 0, 1/2 and 1", () => {
    for (const l of NORMALISER_LOGITS) {
      // Quadrature converged: halving the panels changes the integral by < 1e-15 relative; the
      // integrand carries |l| 2^-52 relative rounding. 1e-13 covers both with room.
      const I = inverseC(l, 64);
      expect(Math.abs(inverseC(l, 32) - I)).toBeLessThanOrEqual(1e-15 * I);
      expect(Math.abs(ref.cbLogNormalizer(l) + Math.log(I))).toBeLessThanOrEqual(1e-13);
    }
  });

  it("the kernels' normaliser matches it too (read back as BCE(l, 0) minus the kernel's term)", () => {
    for (const m of builds) {
      scoped(m, (put) => {
        const pl = put(NORMALISER_LOGITS), pt = put(NORMALISER_LOGITS.map(() => 0));
        NORMALISER_LOGITS.forEach((l, i) => {
          const bce = Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
          const logC = bce - m.k.cb_logits_forward_f32(1, pl + 4 * i, pt + 4 * i);
          expect(Math.abs(logC + Math.log(inverseC(l, 64)))).toBeLessThanOrEqual(1e-13 + 8 * E52 * bce);
        });
      });
    }
  });

  it("is continuous across the series' edge |l| = 1/2, in value and derivative", () => {
    const below = 0.5 - 2 ** -54, at = 0.5;
    for (const sign of [1, -1]) {
      // The two forms are each within 5 ulp of log C and 56 ulp of its derivative (measured, see
      // assembly/likelihoods.ts); the step of 2^-54 changes the true values by far less.
      expect(Math.abs(ref.cbLogNormalizer(sign * below) - ref.cbLogNormalizer(sign * at))).toBeLessThanOrEqual(8 * E52);
      expect(Math.abs(ref.cbLogNormalizerGrad(sign * below) - ref.cbLogNormalizerGrad(sign * at))).toBeLessThanOrEqual(64 * E52);
    }
    expect(ref.cbLogNormalizer(0)).toBe(Math.LN2);
    expect(ref.cbLogNormalizerGrad(0)).toBe(0);
  });

  const DENSITY_LOGITS = [-50, -15, -2, -0.3, 0, 1e-4, 0.49999997, 0.5, 3, 15, 50].map(Math.fround);

  it("the reference density exp(-NLL(l, x)) integrates to 1 over x in [0, 1]", () => {
    const xs = new Float64Array(1), ls = new Float64Array(1);
    for (const l of DENSITY_LOGITS) {
      ls[0] = l;
      const total = integrate((x) => { xs[0] = x; return Math.exp(-ref.cbLogitsForward(1, ls, xs)); }, 64);
      expect(Math.abs(total - 1)).toBeLessThanOrEqual(1e-12);
    }
  });

  it("the kernels' density integrates to 1 within the rounding of the nodes to f32", () => {
    for (const m of builds) {
      scoped(m, (put) => {
        const pl = put([0]), px = put([0]);
        for (const l of DENSITY_LOGITS) {
          m.arena.f32(pl, 1)[0] = l;
          const density = (x: number) => { m.arena.f32(px, 1)[0] = x; return Math.exp(-m.k.cb_logits_forward_f32(1, pl, px)); };
          const total = integrate(density, 64, Math.fround);
          // Each node moves by <= 2^-25 (x <= 1), so the sum moves by <= 2^-25 int |p'| = 2^-25 |p(1) - p(0)|
          // (p is monotone in x); 2^-24 leaves room for the quadrature's own 1e-12.
          const tv = Math.abs(density(1) - density(0));
          expect(Math.abs(total - 1)).toBeLessThanOrEqual(2 ** -24 * tv + 1e-12);
        }
      });
    }
  });
});

// ---- reference gradients against central differences (ReferenceBackend) ----

describe("likelihood gradients on the ReferenceBackend against central differences", () => {
  const be = new ReferenceBackend();
  const sizes = fc.record({ M: fc.integer({ min: 1, max: 5 }), N: fc.integer({ min: 1, max: 9 }), seed: fc.integer() });

  it("laplaceNllBackward in pred and in the shared (lsStride 0) or per-column (1) log-scale", () => {
    fc.assert(fc.property(sizes, fc.constantFrom(0, 1), ({ M, N, seed }, lsStride) => {
      const rand = prng(seed), n = M * N, nls = lsStride === 0 ? 1 : N;
      // |p - t| >= 0.05, far beyond the steps (1e-4) of the differences: no kink in between.
      const t = Float64Array.from({ length: n }, () => 4 * rand() - 2);
      const p = t.map((ti) => ti + (rand() < 0.5 ? -1 : 1) * (0.05 + rand()));
      const ls = Float64Array.from({ length: nls }, () => 4 * rand() - 2);
      const x = new Float64Array(n + nls);
      x.set(p); x.set(ls, n);
      const f = (v: Float64Array) => be.laplaceNllForward(M, N, v.subarray(0, n), t, v.subarray(n), lsStride);
      const grad = new Float64Array(n + nls);
      be.laplaceNllBackward(M, N, 1, p, t, ls, lsStride, grad.subarray(0, n), grad.subarray(n));
      expect(directionalCheck(f, x, grad, seed >>> 0).ratio).toBeLessThanOrEqual(1);
    }));
  });

  it("cbLogitsBackward, at logits of every regime including near 0 and the series' edge", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer(), (n, seed) => {
      const rand = prng(seed);
      const l = logits(rand, n).map((v) => Math.max(-60, Math.min(60, v))), t = targets(rand, n);
      const grad = new Float64Array(n);
      be.cbLogitsBackward(1, l, t, grad);
      expect(directionalCheck((v) => be.cbLogitsForward(v, t), l, grad, seed >>> 0).ratio).toBeLessThanOrEqual(1);
    }));
  });

  it("l1Backward away from 0", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer(), (n, seed) => {
      const rand = prng(seed);
      const x = Float64Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * (0.01 + 3 * rand()));
      const grad = new Float64Array(n);
      be.l1Backward(1, x, grad);
      expect(directionalCheck((v) => be.l1Forward(v), x, grad, seed >>> 0).ratio).toBeLessThanOrEqual(1);
    }));
  });

  it("backward passes are linear in scale, and dlogscale accumulates", () => {
    const M = 2, N = 3, rand = prng(7);
    const p = Float64Array.from({ length: 6 }, rand), t = Float64Array.from({ length: 6 }, rand), ls = Float64Array.from({ length: 3 }, rand);
    const d1 = new Float64Array(6), g1 = new Float64Array(3), d2 = new Float64Array(6), g2 = Float64Array.of(1, 2, 3);
    be.laplaceNllBackward(M, N, 1, p, t, ls, 1, d1, g1);
    be.laplaceNllBackward(M, N, -2.5, p, t, ls, 1, d2, g2);
    d1.forEach((v, i) => expect(d2[i]).toBeCloseTo(-2.5 * v, 14));
    g1.forEach((v, j) => expect(g2[j]).toBeCloseTo(j + 1 - 2.5 * v, 14));
    const c1 = new Float64Array(6), c2 = new Float64Array(6);
    be.cbLogitsBackward(1, p, t, c1);
    be.cbLogitsBackward(0.5, p, t, c2);
    c1.forEach((v, i) => expect(c2[i]).toBeCloseTo(0.5 * v, 15));
  });
});

// ---- the backends' new methods against each other ----

describe.each(["simd", "scalar"] as const)("WasmBackend (%s) and ReferenceBackend", (isa) => {
  const wasm = new WasmBackend(loadModule(isa));
  const f64 = new ReferenceBackend();

  it("uniform gives the same values for the same key (the reference exactly), all in [0, 1)", () => {
    fc.assert(fc.property(size(133), fc.integer({ min: 0, max: 2 ** 40 }), (n, seed) => {
      const k = key(seed);
      const bw = wasm.alloc(n), br = f64.alloc(n);
      wasm.uniform(k, bw);
      f64.uniform(k, br);
      const w = wasm.read(bw);
      wasm.free(bw);
      expect(Array.from(br)).toEqual(Array.from(w));
      expect(Array.from(w)).toEqual(Array.from(uniformDraws(k, n)));
      for (const v of w) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThan(1); }
    }));
  });

  it("uniform draws stream 0, as normal does: two keys differ, one key repeats", () => {
    const a = wasm.alloc(9), b = wasm.alloc(9);
    wasm.uniform(key(1), a); wasm.uniform(key(2), b);
    expect(wasm.read(a)).not.toEqual(wasm.read(b));
    wasm.uniform(key(1), b);
    expect(wasm.read(a)).toEqual(wasm.read(b));
    wasm.free(a); wasm.free(b);
  });

  it("mul, laplace, continuous Bernoulli and l1 agree within their kernel tolerances", () => {
    fc.assert(fc.property(mat, ({ M, N, seed, scale, lsStride }) => {
      const rand = prng(seed), n = M * N, nls = lsStride === 0 ? 1 : N;
      const vals = { x: uniform(rand, n, -3, 3), y: uniform(rand, n, -3, 3), ls: uniform(rand, nls, -2, 2),
        l: logits(rand, n), t: targets(rand, n), g: uniform(rand, nls, -1, 1) };
      const run = <B extends { length: number }>(be: Backend<B>) => {
        const put = (v: Float64Array) => { const b = be.alloc(v.length); be.write(b, v); return b; };
        const x = put(vals.x), y = put(vals.y), ls = put(vals.ls), l = put(vals.l), t = put(vals.t);
        const out = be.alloc(n), dp = be.alloc(n), dls = put(vals.g), dl = be.alloc(n), dx = put(vals.y);
        be.mul(x, y, out);
        const sums = [be.laplaceNllForward(M, N, x, y, ls, lsStride), be.cbLogitsForward(l, t), be.l1Forward(x)];
        be.laplaceNllBackward(M, N, scale, x, y, ls, lsStride, dp, dls);
        be.cbLogitsBackward(scale, l, t, dl);
        be.l1Backward(scale, x, dx);
        const read = (b: B) => Float64Array.from(be.read(b));
        const res = { sums, mul: read(out), dp: read(dp), dls: read(dls), dl: read(dl), dx: read(dx) };
        for (const b of [x, y, ls, l, t, out, dp, dls, dl, dx]) be.free(b);
        return res;
      };
      const w = run(wasm), r = run(f64);
      // Loose here (the kernel tests above hold the tight bounds): wiring mistakes (a swapped
      // argument, a wrong length) give errors of order 1.
      w.sums.forEach((s, i) => expect(Math.abs(s - r.sums[i]!)).toBeLessThanOrEqual(1e-9 * (1 + n) * (1 + Math.abs(r.sums[i]!))));
      for (const name of ["mul", "dp", "dls", "dl", "dx"] as const) {
        expectWithinBound(w[name], r[name], Array.from(r[name], (v) => 4 * U * Math.abs(v) + 1e-6 * (1 + n)), { what: name });
      }
      // mul is one f32 rounding of the exact product.
      expect(Array.from(w.mul)).toEqual(Array.from(r.mul, Math.fround));
    }));
  });
});
