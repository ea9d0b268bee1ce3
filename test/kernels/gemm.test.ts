// gemm_f32 against the float64 reference, on both builds.
//
// Tolerance, per element of C (latent/testing's productBound, probabilistic form):
//   |kernel - reference| <= 4 * sqrt(K + 1) * eps * (|alpha| * S + |beta * c0|)
//                           + eps * |reference| + (K + 2) * 2^-149 (f32 underflow),
// with eps = 2^-23, S = sum_k |op(A)[i, k]| * |op(B)[k, j]| and c0 the initial C. Inputs are rounded to f32 first, so the reference sees exactly what the kernel sees.
// Elements outside the M x N matrix (row padding when ldc > N, guards) have the bound 0: they must not change.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, put, type Loaded } from "./harness.js";
import { gemm } from "../../src/kernels/reference/gemm.js";
import { embeddedBytes } from "../../src/kernels/module.js";
import { expectClose, expectSameBits, expectWithinBound, productBound } from "../../src/testing/index.js";

const GUARD = 64; // floats after the scratch area and after C that must stay untouched
const SENTINEL = -12345.5;

interface Case {
  tA: number; tB: number; M: number; N: number; K: number;
  alpha: number; beta: number; lda: number; ldb: number; ldc: number;
  a: Float64Array; b: Float64Array; c: Float64Array; // c includes GUARD trailing floats
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A case with uniform [-1, 1) entries; C is NaN-filled when beta == 0 (it must not be read). */
function makeCase(tA: number, tB: number, M: number, N: number, K: number, alpha: number, beta: number,
  pads: readonly [number, number, number], seed: number): Case {
  const rand = mulberry32(seed);
  const lda = (tA ? M : K) + pads[0], ldb = (tB ? K : N) + pads[1], ldc = N + pads[2];
  const fill = (n: number) => f32(Array.from({ length: n }, () => 2 * rand() - 1));
  const a = fill((tA ? K : M) * lda), b = fill((tB ? N : K) * ldb);
  const c = beta === 0 ? new Float64Array(M * ldc).fill(NaN) : fill(M * ldc);
  const cg = new Float64Array(M * ldc + GUARD).fill(SENTINEL);
  cg.set(c);
  return { tA, tB, M, N, K, alpha: Math.fround(alpha), beta: Math.fround(beta), lda, ldb, ldc, a, b, c: cg };
}

/** Runs the kernel; checks the scratch guard and that A and B are unchanged; returns C (with guard). */
function runKernel(m: Loaded, t: Case): Float64Array {
  const ws = m.k.gemm_f32_work_size(t.M, t.N, t.K);
  expect(ws).toBeGreaterThanOrEqual(0);
  expect(ws % 4).toBe(0);
  const pa = put(m, t.a), pb = put(m, t.b), pc = put(m, t.c);
  const work = m.arena.allocBytes(ws + 4 * GUARD);
  m.arena.f32(work, ws / 4).fill(NaN); // stale scratch must never leak into C
  m.arena.f32(work + ws, GUARD).fill(SENTINEL);
  m.k.gemm_f32(t.tA, t.tB, t.M, t.N, t.K, t.alpha, pa, t.lda, pb, t.ldb, t.beta, pc, t.ldc, work);
  const out = get(m, pc, t.c.length);
  expect(get(m, work + ws, GUARD).every((v) => v === SENTINEL)).toBe(true);
  expectSameBits(get(m, pa, t.a.length), t.a, { what: "A unchanged" });
  expectSameBits(get(m, pb, t.b.length), t.b, { what: "B unchanged" });
  for (const p of [pa, pb, pc, work]) m.arena.release(p);
  return out;
}

/** The reference result and the per-element tolerance (0 outside the M x N matrix). */
function expected(t: Case): { ref: Float64Array; tol: Float64Array } {
  const ref = t.c.slice();
  gemm(t.tA, t.tB, t.M, t.N, t.K, t.alpha, t.a, t.lda, t.b, t.ldb, t.beta, ref, t.ldc);
  const tol = new Float64Array(t.c.length); // C's guard keeps the bound 0
  tol.set(productBound(t.a, t.b, {
    M: t.M, N: t.N, K: t.K, transA: t.tA === 1, transB: t.tB === 1, lda: t.lda, ldb: t.ldb, ldc: t.ldc,
    alpha: t.alpha, beta: t.beta, c: t.c,
  }, { form: "probabilistic" }));
  return { ref, tol };
}

/** C against the reference within the tolerance; a CheckError names the worst element otherwise. */
function expectGemm(got: Float64Array, t: Case, what = describeCase(t), { ref, tol } = expected(t)): void {
  expectWithinBound(got, ref, tol, { what });
}

function describeCase(t: Case): string {
  return `tA=${t.tA} tB=${t.tB} M=${t.M} N=${t.N} K=${t.K} alpha=${t.alpha} beta=${t.beta}`
    + ` lda=${t.lda} ldb=${t.ldb} ldc=${t.ldc}`;
}

const dim = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 33), fc.integer({ min: 0, max: 70 }));
const scalar = (special: number[]) => fc.oneof(fc.constantFrom(...special),
  fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }));
const caseArb = fc.record({
  tA: fc.integer({ min: 0, max: 1 }), tB: fc.integer({ min: 0, max: 1 }),
  M: dim, N: dim, K: dim,
  alpha: scalar([1, 0, -1, 0.5]), beta: scalar([0, 1, -0.75]),
  pads: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })),
  seed: fc.integer(),
});

describe.each(builds)("gemm_f32 ($isa)", (m) => {
  it("matches the float64 reference on drawn shapes, transposes, strides, alpha and beta", () => {
    fc.assert(fc.property(caseArb, (d) => {
      const t = makeCase(d.tA, d.tB, d.M, d.N, d.K, d.alpha, d.beta, d.pads, d.seed);
      expectGemm(runKernel(m, t), t);
    }), { numRuns: 400 });
  });

  it("with beta = 0 never reads C: NaN-filled C gives finite results, also for K = 0 and alpha = 0", () => {
    for (const [M, N, K, alpha] of [[9, 13, 5, 1], [4, 8, 0, 1], [6, 3, 7, 0], [67, 45, 300, 2]] as const) {
      for (const [tA, tB] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const t = makeCase(tA, tB, M, N, K, alpha, 0, [1, 2, 3], M * 1000 + N);
        expect(t.c.subarray(0, M * t.ldc).every(Number.isNaN)).toBe(true);
        const out = runKernel(m, t);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) expect(Number.isFinite(out[i * t.ldc + j]!)).toBe(true);
        }
        expectGemm(out, t);
      }
    }
  });

  it("handles empty shapes without touching C", () => {
    for (const [M, N, K] of [[0, 5, 3], [5, 0, 3], [0, 0, 0]] as const) {
      const t = makeCase(0, 0, M, N, K, 1, 0.5, [0, 0, 1], 7);
      expectSameBits(runKernel(m, t), t.c, { what: "C untouched" });
    }
    const t = makeCase(1, 1, 5, 6, 0, 1, -2, [0, 0, 1], 8); // K = 0: C = beta * C
    expectGemm(runKernel(m, t), t);
  });

  it("is correct across cache blocks (K, N and M beyond one block) with odd tails and strides", () => {
    for (const [tA, tB] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
      const t = makeCase(tA, tB, 133, 523, 601, 0.75, 0.5, [3, 5, 7], 100 + 2 * tA + tB);
      expectGemm(runKernel(m, t), t);
    }
  });
});

describe("gemm_f32 with narrow column tails (N mod 8 in 1..4: the 4-column and 1-column edge kernels)", () => {
  // The SIMD build computes edge panels of at most 4 columns with a kernel of its own (e.g. N = 9,
  // the 3 x 3 window of a 1-channel convolution); it sums in the same order, so the builds agree exactly.
  const cases: Case[] = [];
  let seed = 500;
  for (const N of [1, 2, 3, 4, 9, 10, 11, 12, 17, 20])
    for (const [M, K] of [[5, 9], [67, 32], [13, 300], [4, 1]] as const)
      for (const [tA, tB] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const)
        cases.push(makeCase(tA, tB, M, N, K, seed % 3 === 0 ? 0.5 : 1, seed % 2 === 0 ? 0 : -0.75, [seed % 3, seed % 4, seed % 5], seed++));
  it("match the float64 reference on both builds, and each other bit for bit", () => {
    for (const t of cases) {
      const e = expected(t);
      const [simd, scalarOut] = builds.map((m) => runKernel(m, t));
      expectGemm(simd!, t, `simd, ${describeCase(t)}`, e);
      expectGemm(scalarOut!, t, `scalar, ${describeCase(t)}`, e);
      expectSameBits(simd!, scalarOut!, { what: describeCase(t) });
    }
  });
});

describe("gemm_f32 on the shapes of a 784-400-20 VAE at batch 128", () => {
  // Forward Y = X W^T (X [128, 784], W [400, 784]); backward dW = dY^T X and dX = dY W.
  const cases = [
    makeCase(0, 1, 128, 400, 784, 1, 0, [0, 0, 0], 1),
    makeCase(1, 0, 400, 784, 128, 1, 1, [0, 0, 0], 2),
    makeCase(0, 0, 128, 784, 400, 1, 0, [0, 0, 0], 3),
  ];
  it.each(cases.map((t) => [describeCase(t), t] as const))("%s: builds match the reference and each other", (_, t) => {
    const e = expected(t), ref = e.ref;
    const [simd, scalarOut] = builds.map((m) => runKernel(m, t));
    expectGemm(simd!, t, "simd", e);
    expectGemm(scalarOut!, t, "scalar", e);
    // The two builds sum in the same order, so they agree to rounding (in fact exactly).
    const scale = ref.subarray(0, t.M * t.ldc).reduce((s, v) => Math.max(s, Math.abs(v)), 0);
    expectClose(simd!, scalarOut!, { rtol: 1e-6, atol: 1e-6 * scale });
  });
});

describe("the kernel modules", () => {
  it("import nothing (no allocator, no host functions)", () => {
    for (const isa of ["simd", "scalar"] as const) {
      expect(WebAssembly.Module.imports(new WebAssembly.Module(embeddedBytes(isa)))).toEqual([]);
    }
  });
});

describe("gemm_f32_work_size", () => {
  it("is a modest, non-negative byte count", () => {
    for (const m of builds) {
      expect(m.k.gemm_f32_work_size(0, 0, 0)).toBeGreaterThanOrEqual(0);
      // Bounded by the cache blocks, not by the problem: under 1 MiB even for 4096^3.
      expect(m.k.gemm_f32_work_size(4096, 4096, 4096)).toBeLessThan(1 << 20);
    }
  });
});
