// Layer normalisation and dropout's mask (assembly/layernorm.ts) against the float64 references,
// on the SIMD and scalar builds (and the relaxed-SIMD build where this runtime validates it).
// Tolerances, u = 2^-24 (f32 unit roundoff), e = 2^-52 (twice the f64 unit roundoff):
// - dropout_mask: the comparison is exact and the kept value is one rounding of 1 / (1 - rate)
//   in f64, so the kernel equals fround(reference) exactly.
// - layer_norm forward: every value is computed in f64 and rounded once, so |k - r| <= u |r| plus
//   the f64 difference. The kernel sums a row in another order than the reference: each sum
//   differs by at most N e sum|terms|, so the mean by N e max|x|; the variance is a sum of
//   squares (relative error N e, and second order only in the mean's error), so rstd moves by at
//   most (N + 4) e relative. Then y moves by (|dmean| + |x - mean| |drstd / rstd|) rstd |gamma|
//   plus a few f64 roundings of |y|: bounded by 2 (N + 8) e ((max|x| + |x - mean|) rstd |gamma| + |beta|).
// - layer_norm backward, given the same mean and rstd: each dgamma and dbeta term is the same
//   f64 operations in the same row order in both, so they equal fround(reference) exactly. For dx
//   the two row sums are in another order: |d(sum g / N)| <= e sum|g| and
//   |d(sum g xhat / N)| <= e sum|g xhat|, which move dx by rstd (that + |xhat| that); the final
//   f64 formula adds a few roundings of its terms. Doubled for slack, plus u |dx|.
// The two builds sum in the same order and must agree bit for bit.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { builds, f32, get, prng, scoped, type Loaded } from "./harness.js";
import { expectWithinBound } from "../../src/testing/index.js";
import { instantiateSync, relaxedSimdSupported } from "../../src/kernels/module.js";
import { Arena } from "../../src/kernels/arena.js";
import * as ref from "../../src/kernels/reference/layernorm.js";
import { uniform as uniformDraws, key } from "../../src/random/index.js";

const U = 2 ** -24;
const E52 = 2 ** -52;
const TINY = 2 ** -146;

/**
 * Bounds with 0 in place of NaN. A bound is NaN where the expected value is (a row of equal
 * values with eps = 0, e.g. N = 1, gives rstd = 1/0 and y = 0 * Infinity); there the kernel must
 * give NaN too, and bound 0 asks exactly that (NaN matches NaN, and any other value fails).
 */
const defined = (bound: ArrayLike<number>) => Array.from(bound, (b) => (Number.isNaN(b) ? 0 : b));

function relaxed(): Loaded[] {
  if (!relaxedSimdSupported()) return [];
  const loaded = instantiateSync(undefined, { isa: "relaxed" });
  if (E.isLeft(loaded)) throw loaded.left;
  return [{ isa: "relaxed", k: loaded.right.exports, arena: new Arena(loaded.right.exports) }];
}
const all: readonly Loaded[] = [...builds, ...relaxed()];

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Sizes: 0, 1, odd, around the 4-lane blocks. */
const sizes = fc.record({
  M: fc.integer({ min: 0, max: 6 }),
  N: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33), fc.integer({ min: 0, max: 70 })),
  seed: fc.integer(),
  offset: fc.constantFrom(0, 3, -250),
  spread: fc.constantFrom(1, 1e-3, 40),
  eps: fc.constantFrom(1e-5, 0, 0.1),
});

interface Case { M: number; N: number; eps: number; x: Float64Array; gamma: Float64Array; beta: Float64Array; dy: Float64Array }

function makeCase({ M, N, seed, offset, spread, eps }: { M: number; N: number; seed: number; offset: number; spread: number; eps: number }): Case {
  const rand = prng(seed);
  const x = f32(Array.from({ length: M * N }, () => offset + spread * gauss(rand)));
  // A constant row (variance 0: rstd = 1 / sqrt(eps)) when eps > 0 and there are rows.
  if (eps > 0 && M > 1) for (let j = 0; j < N; j++) x[N + j] = x[N]!;
  const gamma = f32(Array.from({ length: N }, () => 1 + 0.5 * gauss(rand)));
  const beta = f32(Array.from({ length: N }, () => gauss(rand)));
  const dy = f32(Array.from({ length: M * N }, () => gauss(rand)));
  return { M, N, eps, x, gamma, beta, dy };
}

function forwardBound(c: Case, y: Float64Array, mean: Float64Array, rstd: Float64Array): number[] {
  const { M, N, x, gamma, beta } = c;
  const b: number[] = [];
  for (let i = 0; i < M; i++) {
    let amax = 0;
    for (let j = 0; j < N; j++) amax = Math.max(amax, Math.abs(x[i * N + j]!));
    for (let j = 0; j < N; j++) {
      const v = x[i * N + j]!;
      const f64 = 2 * (N + 8) * E52 * ((amax + Math.abs(v - mean[i]!)) * rstd[i]! * Math.abs(gamma[j]!) + Math.abs(beta[j]!));
      b.push(U * Math.abs(y[i * N + j]!) + f64 + TINY);
    }
  }
  return b;
}

describe.each(all)("layer_norm and dropout_mask ($isa)", (m) => {
  const k = m.k;

  it("layer_norm forward matches the reference (y, mean, rstd)", () => {
    fc.assert(fc.property(sizes, (s) => scoped(m, (put) => {
      const c = makeCase(s), { M, N, eps } = c;
      const py = put(new Float64Array(M * N)), pm = put(new Float64Array(M)), pr = put(new Float64Array(M));
      k.layer_norm_forward_f32(M, N, eps, put(c.x), put(c.gamma), put(c.beta), py, pm, pr);
      const y = new Float64Array(M * N), mean = new Float64Array(M), rstd = new Float64Array(M);
      ref.layerNormForward(M, N, eps, c.x, c.gamma, c.beta, y, mean, rstd);
      expectWithinBound(get(m, py, M * N), y, defined(forwardBound(c, y, mean, rstd)));
      const meanBound = Array.from(mean, (mu, i) => {
        let amax = 0;
        for (let j = 0; j < N; j++) amax = Math.max(amax, Math.abs(c.x[i * N + j]!));
        return U * Math.abs(mu) + (N + 2) * E52 * amax + TINY;
      });
      expectWithinBound(get(m, pm, M), mean, defined(meanBound));
      expectWithinBound(get(m, pr, M), rstd, defined(Array.from(rstd, (r) => U * r + (N + 8) * E52 * r)));
    })), { numRuns: 200 });
  });

  it("layer_norm backward matches the reference: dgamma and dbeta exactly, dx within the bound", () => {
    fc.assert(fc.property(sizes, fc.boolean(), (s, withDx) => scoped(m, (put) => {
      const c = makeCase(s), { M, N, eps } = c;
      const px = put(c.x), pg = put(c.gamma), pm = put(new Float64Array(M)), pr = put(new Float64Array(M));
      k.layer_norm_forward_f32(M, N, eps, px, pg, put(c.beta), put(new Float64Array(M * N)), pm, pr);
      const mean = get(m, pm, M), rstd = get(m, pr, M); // the stored statistics, f32
      const dx0 = new Float64Array(M * N).fill(7);
      const pdx = put(dx0), pdg = put(new Float64Array(N).fill(NaN)), pdb = put(new Float64Array(N).fill(NaN));
      k.layer_norm_backward_f32(M, N, px, pg, pm, pr, put(c.dy), withDx ? pdx : 0, pdg, pdb);
      const dx = new Float64Array(M * N), dgamma = new Float64Array(N), dbeta = new Float64Array(N);
      ref.layerNormBackward(M, N, c.x, c.gamma, mean, rstd, c.dy, dx, dgamma, dbeta);
      expect(get(m, pdg, N)).toEqual(f32(dgamma));
      expect(get(m, pdb, N)).toEqual(f32(dbeta));
      if (!withDx) { expect(get(m, pdx, M * N)).toEqual(dx0); return; }
      const bound: number[] = [];
      for (let i = 0; i < M; i++) {
        const r = rstd[i]!;
        let sg = 0, sgx = 0, a = 0, cc = 0;
        for (let j = 0; j < N; j++) {
          const g = c.dy[i * N + j]! * c.gamma[j]!, xh = (c.x[i * N + j]! - mean[i]!) * r;
          sg += Math.abs(g); sgx += Math.abs(g * xh); a += g; cc += g * xh;
        }
        a /= N; cc /= N;
        for (let j = 0; j < N; j++) {
          const g = c.dy[i * N + j]! * c.gamma[j]!, xh = Math.abs((c.x[i * N + j]! - mean[i]!) * r);
          const f64 = 2 * r * (2 * E52 * (sg + Math.abs(a)) + xh * 2 * E52 * (sgx + Math.abs(cc)) + 8 * E52 * (Math.abs(g) + Math.abs(a) + xh * Math.abs(cc)));
          bound.push(U * Math.abs(dx[i * N + j]!) + f64 + TINY);
        }
      }
      expectWithinBound(get(m, pdx, M * N), dx, defined(bound));
    })), { numRuns: 200 });
  });

  it("layer_norm backward writes the same dx when dx aliases dy, and the forward the same y when y aliases x", () => {
    scoped(m, (put) => {
      const c = makeCase({ M: 3, N: 13, seed: 5, offset: 3, spread: 1, eps: 1e-5 }), { M, N, eps } = c;
      const pg = put(c.gamma), pb = put(c.beta), pm = put(new Float64Array(M)), pr = put(new Float64Array(M));
      const px = put(c.x), py = put(new Float64Array(M * N));
      k.layer_norm_forward_f32(M, N, eps, px, pg, pb, py, pm, pr);
      const pxy = put(c.x);
      k.layer_norm_forward_f32(M, N, eps, pxy, pg, pb, pxy, pm, pr);
      expect(get(m, pxy, M * N)).toEqual(get(m, py, M * N));
      const pdx = put(new Float64Array(M * N)), g1 = put(new Float64Array(N)), b1 = put(new Float64Array(N));
      k.layer_norm_backward_f32(M, N, px, pg, pm, pr, put(c.dy), pdx, g1, b1);
      const pdy = put(c.dy), g2 = put(new Float64Array(N)), b2 = put(new Float64Array(N));
      k.layer_norm_backward_f32(M, N, px, pg, pm, pr, pdy, pdy, g2, b2);
      expect(get(m, pdy, M * N)).toEqual(get(m, pdx, M * N));
      expect(get(m, g2, N)).toEqual(get(m, g1, N));
      expect(get(m, b2, N)).toEqual(get(m, b1, N));
    });
  });

  it("layer_norm of rows [1, 2, 3] and [5, 5, 5] by hand", () => {
    scoped(m, (put) => {
      const eps = 1e-5;
      const py = put(new Float64Array(6)), pm = put(new Float64Array(2)), pr = put(new Float64Array(2));
      k.layer_norm_forward_f32(2, 3, eps, put([1, 2, 3, 5, 5, 5]), put([1, 2, 1]), put([0, 0, 1]), py, pm, pr);
      const r = 1 / Math.sqrt(2 / 3 + eps);
      expect(get(m, pm, 2)).toEqual(f32([2, 5]));
      expect(get(m, pr, 2)).toEqual(f32([r, 1 / Math.sqrt(eps)]));
      expect(get(m, py, 6)).toEqual(f32([-r, 0, r + 1, 0, 0, 1]));
    });
  });

  it("dropout_mask keeps exactly the u >= rate, as fround(1 / (1 - rate)), also with u at the threshold", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 70 }), fc.integer(), fc.oneof(fc.constantFrom(0, 0.5, 0.1, 0.3, 0.9),
      fc.double({ min: 0, max: 0.999, noNaN: true })), (n, seed, rate) => scoped(m, (put) => {
      const rand = prng(seed);
      const t = Math.fround(rate), up = t < rate ? nextUp(t) : t;
      // Uniform draws (multiples of 2^-23) and values at and around the f32 neighbours of rate.
      const u = f32(Array.from({ length: n }, (_, i) => [rand(), t, up, nextDown(t), nextUp(up), rate, NaN][i % 7]!));
      const pu = put(u), pmask = put(new Float64Array(n).fill(9));
      k.dropout_mask_f32(n, rate, pu, pmask);
      const want = new Float64Array(n);
      ref.dropoutMask(n, rate, u, want);
      expect(get(m, pmask, n)).toEqual(f32(want));
      k.dropout_mask_f32(n, rate, pu, pu); // in place
      expect(get(m, pu, n)).toEqual(f32(want));
    })), { numRuns: 300 });
  });

  it("dropout_mask of rate 0 is all ones; of uniform draws keeps about 1 - rate", () => {
    scoped(m, (put) => {
      const n = 4099, u = Float64Array.from(uniformDraws(key(11), n));
      const pmask = put(new Float64Array(n));
      k.dropout_mask_f32(n, 0, put(u), pmask);
      expect(get(m, pmask, n).every((v) => v === 1)).toBe(true);
      k.dropout_mask_f32(n, 0.25, put(u), pmask);
      const mask = get(m, pmask, n);
      const kept = mask.filter((v) => v !== 0).length;
      expect(mask.every((v) => v === 0 || v === Math.fround(1 / 0.75))).toBe(true);
      // Binomial(n, 0.75): sd = sqrt(n 0.25 0.75) ~ 27.7; 6 sd.
      expect(Math.abs(kept - 0.75 * n)).toBeLessThanOrEqual(6 * Math.sqrt(n * 0.25 * 0.75));
    });
  });
});

describe("builds agree bit for bit", () => {
  it("layer_norm forward and backward: simd = scalar", () => {
    const [a, b] = builds as [Loaded, Loaded];
    fc.assert(fc.property(sizes, (s) => {
      const run = (m: Loaded) => scoped(m, (put) => {
        const c = makeCase(s), { M, N, eps } = c;
        const px = put(c.x), pg = put(c.gamma), py = put(new Float64Array(M * N)), pm = put(new Float64Array(M)), pr = put(new Float64Array(M));
        m.k.layer_norm_forward_f32(M, N, eps, px, pg, put(c.beta), py, pm, pr);
        const pdx = put(new Float64Array(M * N)), pdg = put(new Float64Array(N)), pdb = put(new Float64Array(N));
        m.k.layer_norm_backward_f32(M, N, px, pg, pm, pr, put(c.dy), pdx, pdg, pdb);
        return [get(m, py, M * N), get(m, pm, M), get(m, pr, M), get(m, pdx, M * N), get(m, pdg, N), get(m, pdb, N)];
      });
      expect(run(a)).toEqual(run(b));
    }), { numRuns: 100 });
  });
});

function nextUp(v: number): number {
  const f = new Float32Array([v]), i = new Int32Array(f.buffer);
  if (v === 0) return 2 ** -149;
  i[0]! += v > 0 ? 1 : -1;
  return f[0]!;
}
function nextDown(v: number): number {
  if (v === 0) return -(2 ** -149);
  const f = new Float32Array([v]), i = new Int32Array(f.buffer);
  i[0]! += v > 0 ? -1 : 1;
  return f[0]!;
}
