// The t-SNE kernels (assembly/tsne.ts) against their float64 references (src/kernels/reference/tsne.ts)
// and the exact objective (src/analysis/tsne-objective.ts), on the SIMD and scalar builds.
// Tolerances, e = 2^-52:
// - tsne_exact_f64, tsne_attractive_2d_f64: f64 like the references, summed in another order:
//   |k - r| <= 4 (n + 4) e times the sum of the terms' magnitudes (computed here).
// - tsne_bh_repulsive_2d: the same tree and summaries as the reference, the far field in f32 on
//   leaf-relative coordinates: each force and the per-point sums of w within 2e-5 of the sum of
//   their terms' magnitudes (f32's 6e-8 per operation over a few hundred terms, with slack).
// - tsne_step_f64: the same f64 operations in the same order: bit for bit.
// Every output is followed by a sentinel that the kernel must not touch.
import { describe, expect, it } from "vitest";
import { builds, prng, type Loaded } from "./harness.js";
import { expectSameBits, expectWithinBound } from "../../src/testing/index.js";
import * as ref from "../../src/kernels/reference/tsne.js";
import { tsneGradient } from "../../src/analysis/tsne-objective.js";

const E = 2 ** -52;
const SENTINEL = [12345.5, -6789.25];

function putF64(m: Loaded, v: ArrayLike<number>, extra = SENTINEL): number {
  const ptr = m.arena.allocBytes(8 * (v.length + extra.length));
  const view = new Float64Array(m.k.memory.buffer, ptr, v.length + extra.length);
  view.set(v); view.set(extra, v.length);
  return ptr;
}
function putI32(m: Loaded, v: ArrayLike<number>): number {
  const ptr = m.arena.allocBytes(4 * Math.max(v.length, 1));
  new Int32Array(m.k.memory.buffer, ptr, v.length).set(v);
  return ptr;
}
/** n values at ptr, after checking the sentinel behind them. */
function getF64(m: Loaded, ptr: number, n: number): Float64Array {
  expect(Array.from(new Float64Array(m.k.memory.buffer, ptr + 8 * n, SENTINEL.length))).toEqual(SENTINEL);
  return new Float64Array(m.k.memory.buffer, ptr, n).slice();
}
function withArena<T>(m: Loaded, body: () => T): T {
  const before = m.arena.allocatedBytes;
  const ptrs: number[] = [];
  const alloc = m.arena.allocBytes.bind(m.arena);
  m.arena.allocBytes = (b: number) => { const p = alloc(b); ptrs.push(p); return p; };
  try { return body(); } finally {
    m.arena.allocBytes = alloc;
    for (const p of ptrs) m.arena.release(p);
    expect(m.arena.allocatedBytes).toBe(before);
  }
}

function randomY(seed: number, n: number, dims: number, spread: number): Float64Array {
  const r = prng(seed);
  return Float64Array.from({ length: n * dims }, () => (r() - 0.5) * spread);
}
/** A symmetric non-negative P [n, n] with a (non-zero) diagonal the kernels must ignore. */
function randomP(seed: number, n: number): Float64Array {
  const r = prng(seed), p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) { const v = r() / (n * n); p[i * n + j] = v; p[j * n + i] = v; }
  return p;
}
/** sum over j != i of |term|: for attr pscale p w |d|, for rep w^2 |d|, per coordinate; and of w. */
function magnitudes(n: number, dims: number, y: ArrayLike<number>, p: ((i: number, j: number) => number) | null) {
  const a = new Float64Array(n * dims), r = new Float64Array(n * dims), w = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    if (i === j) continue;
    let d2 = 0;
    for (let c = 0; c < dims; c++) d2 += (y[i * dims + c]! - y[j * dims + c]!) ** 2;
    const q = 1 / (1 + d2);
    w[i] = w[i]! + q;
    for (let c = 0; c < dims; c++) {
      const d = Math.abs(y[i * dims + c]! - y[j * dims + c]!);
      if (p) a[i * dims + c] = a[i * dims + c]! + p(i, j) * q * d;
      r[i * dims + c] = r[i * dims + c]! + q * q * d;
    }
  }
  return { a, r, w };
}

describe.each(builds.map((m) => [m.isa, m] as const))("tsne kernels (%s)", (_isa, m) => {
  const k = m.k;

  it("tsne_exact_f64 equals the reference and 4 (attr - rep / Z) is tsneGradient (n 0..33, dims 1..3)", () => {
    for (const dims of [1, 2, 3]) for (const n of [0, 1, 2, 5, 8, 17, 33]) withArena(m, () => {
      const y = randomY(n * 10 + dims, n, dims, 6), p = randomP(n + dims, n), ps = 1.5;
      const ws = k.tsne_exact_work_size(n, dims) / 8, work = putF64(m, new Float64Array(ws));
      const py = putF64(m, y), pp = putF64(m, p), pa = putF64(m, new Float64Array(n * dims)), pr = putF64(m, new Float64Array(n * dims));
      const z = k.tsne_exact_f64(n, dims, pp, ps, py, work, pa, pr);
      const attr = getF64(m, pa, n * dims), rep = getF64(m, pr, n * dims);
      getF64(m, work, ws);
      const ra = new Float64Array(n * dims), rr = new Float64Array(n * dims);
      const rz = ref.exactForces(n, dims, p, ps, y, ra, rr);
      const mag = magnitudes(n, dims, y, (i, j) => ps * p[i * n + j]!);
      const tol = 4 * (n + 4) * E;
      expectWithinBound(attr, ra, mag.a.map((v) => tol * v), { what: `attr n ${n} dims ${dims}` });
      expectWithinBound(rep, rr, mag.r.map((v) => tol * v), { what: `rep n ${n} dims ${dims}` });
      expect(Math.abs(z - rz)).toBeLessThanOrEqual(tol * rz);
      if (n === 0) expect(z).toBe(0);
      if (n === 1) { expect(z).toBe(0); expect(Array.from(attr)).toEqual(new Array(dims).fill(0)); }
      if (n >= 2) {
        // Against the independent oracle, with P zero on the diagonal as tsneGradient expects.
        const p0 = p.map((v, t) => (t % (n + 1) === 0 ? 0 : v));
        const want = tsneGradient(p0, y, n, dims), got = attr.map((a, t) => 4 * (a / ps - rep[t]! / z));
        const bound = mag.a.map((v, t) => 16 * tol * (v / ps + mag.r[t]! / z));
        expectWithinBound(got, want, bound, { what: `gradient n ${n} dims ${dims}` });
      }
    });
  });

  it("tsne_attractive_2d_f64 equals the reference over upper-triangle CSR rows of 0..9 entries (n 0, 1, 2, 7, 40)", () => {
    for (const n of [0, 1, 2, 7, 40]) withArena(m, () => {
      const r = prng(n + 3), y = randomY(n, n, 2, 4);
      const rowPtr = [0], cols: number[] = [], vals: number[] = [];
      for (let i = 0; i < n; i++) {
        const row = new Set<number>();
        const len = Math.floor(r() * 10);
        for (let t = 0; t < len && i + 1 < n; t++) row.add(i + 1 + Math.floor(r() * (n - i - 1)));
        for (const j of [...row].sort((a, b) => a - b)) { cols.push(j); vals.push(r() * 1e-3); }
        rowPtr.push(cols.length);
      }
      const pa = putF64(m, new Float64Array(2 * n).fill(7)); // written, not accumulated
      k.tsne_attractive_2d_f64(n, putI32(m, rowPtr), putI32(m, cols), putF64(m, vals), 12, putF64(m, y), pa);
      const want = new Float64Array(2 * n);
      ref.attractive2d(n, rowPtr, cols, vals, 12, y, want);
      // Each pair's term, in magnitude, on both of its rows.
      const bound = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) for (let t = rowPtr[i]!; t < rowPtr[i + 1]!; t++) for (let c = 0; c < 2; c++) {
        const b = 12 * 4 * 16 * E * vals[t]! * Math.abs(y[2 * i + c]! - y[2 * cols[t]! + c]!);
        bound[2 * i + c] = bound[2 * i + c]! + b; bound[2 * cols[t]! + c] = bound[2 * cols[t]! + c]! + b;
      }
      expectWithinBound(getF64(m, pa, 2 * n), want, bound, { what: `n ${n}` });
      // Against the full symmetric sum, written out here.
      const full = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) for (let t = rowPtr[i]!; t < rowPtr[i + 1]!; t++) {
        const j = cols[t]!, dx = y[2 * i]! - y[2 * j]!, dy = y[2 * i + 1]! - y[2 * j + 1]!, pw = 12 * vals[t]! / (1 + dx * dx + dy * dy);
        full[2 * i] = full[2 * i]! + pw * dx; full[2 * i + 1] = full[2 * i + 1]! + pw * dy;
        full[2 * j] = full[2 * j]! - pw * dx; full[2 * j + 1] = full[2 * j + 1]! - pw * dy;
      }
      expectWithinBound(want, full, bound, { what: `reference n ${n}` });
    });
  });

  it("tsne_bh_repulsive_2d equals the reference tree to f32 accuracy (theta 0, 0.5, 1.2; leaves 1, 4, 16)", () => {
    for (const n of [0, 1, 2, 3, 7, 33, 130, 257]) for (const leaf of [1, 4, 16]) for (const theta of [0, 0.5, 1.2]) withArena(m, () => {
      const y = randomY(n * 7 + leaf, n, 2, n > 100 ? 30 : 5);
      if (n > 100) for (let t = 0; t < 6; t++) { y[2 * (n - 1 - t)] = y[2 * t]!; y[2 * (n - 1 - t) + 1] = y[2 * t + 1]!; } // duplicates
      const ws = k.tsne_bh_work_size(n) / 8, work = putF64(m, new Float64Array(ws)), pr = putF64(m, new Float64Array(2 * n));
      const z = k.tsne_bh_repulsive_2d(n, putF64(m, y), theta, leaf, work, pr);
      getF64(m, work, ws); // the scratch's sentinel: it stays within tsne_bh_work_size
      const rep = getF64(m, pr, 2 * n), want = new Float64Array(2 * n);
      const rz = ref.bhRepulsive2d(n, y, theta, leaf, want);
      const mag = magnitudes(n, 2, y, null);
      const what = `n ${n} leaf ${leaf} theta ${theta}`;
      expectWithinBound(rep, want, mag.r.map((v) => 2e-5 * v), { what });
      expect(Math.abs(z - rz), what).toBeLessThanOrEqual(2e-5 * mag.w.reduce((s, v) => s + v, 0));
      if (n <= 1) expect(z).toBe(0);
      if (theta === 0) {
        const ea = new Float64Array(2 * n), er = new Float64Array(2 * n);
        const ez = ref.exactForces(n, 2, new Float64Array(n * n), 0, y, ea, er);
        expectWithinBound(rep, er, mag.r.map((v) => 2e-5 * v), { what: `exact ${what}` });
        expect(Math.abs(z - ez)).toBeLessThanOrEqual(2e-5 * ez);
      }
    });
  });

  it("tsne_bh_repulsive_2d: coincident points give Z = n (n - 1) and no force; a far pair is exact", () => {
    withArena(m, () => {
      const n = 5, y = new Float64Array(2 * n).fill(3.25), pr = putF64(m, new Float64Array(2 * n));
      expect(k.tsne_bh_repulsive_2d(n, putF64(m, y), 0.5, 1, m.arena.allocBytes(k.tsne_bh_work_size(n)), pr)).toBe(20);
      expect(Array.from(getF64(m, pr, 2 * n))).toEqual(new Array(2 * n).fill(0));
      // Two points 3 apart on x: w = 1/10, rep = +-w^2 * 3 on x, Z = 2 w.
      const p2 = putF64(m, new Float64Array(4));
      const z = k.tsne_bh_repulsive_2d(2, putF64(m, [0, 1, 3, 1]), 0.5, 1, m.arena.allocBytes(k.tsne_bh_work_size(2)), p2);
      expect(Math.abs(z - 0.2)).toBeLessThan(1e-7);
      const r = getF64(m, p2, 4);
      expect(Math.abs(r[0]! + 0.03)).toBeLessThan(1e-8); expect(Math.abs(r[2]! - 0.03)).toBeLessThan(1e-8);
      expect(r[1]).toBe(0); expect(r[3]).toBe(0);
    });
  });

  it("tsne_step_f64 is bit-identical to the reference over several steps (n 0..9, dims 1..3)", () => {
    for (const dims of [1, 2, 3]) for (const n of [0, 1, 2, 5, 9]) withArena(m, () => {
      const r = prng(n * 3 + dims), len = n * dims;
      const gains = new Float64Array(len).fill(1), update = new Float64Array(len), y = randomY(n + 50, n, dims, 1);
      const pg = putF64(m, gains), pu = putF64(m, update), py = putF64(m, y);
      for (let t = 0; t < 4; t++) {
        // Some zero gradients (attr = rep = 0) so that sign(0) == sign(0) is exercised.
        const attr = Float64Array.from({ length: len }, (_, i) => (i % 4 === 1 ? 0 : r() - 0.5));
        const rep = Float64Array.from({ length: len }, (_, i) => (i % 4 === 1 ? 0 : r() - 0.5));
        const mom = t < 2 ? 0.5 : 0.8;
        k.tsne_step_f64(n, dims, putF64(m, attr), putF64(m, rep), 0.37, mom, 200, pg, pu, py);
        ref.step(n, dims, attr, rep, 0.37, mom, 200, gains, update, y);
        expectSameBits(getF64(m, pg, len), gains); expectSameBits(getF64(m, pu, len), update); expectSameBits(getF64(m, py, len), y);
      }
      if (len > 0) expect(gains.some((g) => g !== 1)).toBe(true);
    });
  });
});
