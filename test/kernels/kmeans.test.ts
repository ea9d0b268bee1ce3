// kmeans_assign_f32 and kmeans_sums_f64 (assembly/kmeans.ts) on the SIMD and scalar builds
// against their references (src/kernels/reference/kmeans.ts): the same bits for sizes 0, 1 and
// odd, k across the 4- and 8-centre tiles, tied centres; and nothing left allocated.
import { describe, expect, it } from "vitest";
import { builds, f32, prng } from "./harness.js";
import { kmeansAssign, kmeansSums } from "../../src/kernels/reference/kmeans.js";

const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

describe.each(builds.map((m) => [m.isa, m] as const))("kmeans kernels (%s)", (_isa, m) => {
  it("kmeans_assign_f32 equals the reference bit for bit (labels, distances, ties to the lower centre)", () => {
    for (const d of [1, 2, 3, 20]) for (const k of [1, 2, 3, 4, 5, 8, 9, 10, 13]) for (const n of [0, 1, 2, 3, 4, 5, 7, 17]) {
      const r = prng(n * 1000 + k * 10 + d), kp = (k + 3) & ~3;
      const x = f32(Array.from({ length: n * d }, () => (r() - 0.5) * 4));
      const c = f32(Array.from({ length: k * d }, () => (r() - 0.5) * 4));
      if (k > 2) c.copyWithin(2 * d, 0, d); // centre 2 repeats centre 0: ties must go to 0
      const ct = new Float64Array(d * kp);
      for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) ct[t * kp + j] = c[j * d + t]!;
      const xsq = Float64Array.from({ length: n }, (_, i) => x.subarray(i * d, i * d + d).reduce((s, v) => s + v * v, 0));
      const csq = new Float64Array(kp);
      for (let j = 0; j < k; j++) csq[j] = c.subarray(j * d, j * d + d).reduce((s, v) => s + v * v, 0);
      const wantL = new Int32Array(n), wantD = new Float64Array(n);
      kmeansAssign(n, d, k, x, ct, xsq, csq, wantL, wantD);
      const before = m.arena.allocatedBytes;
      const px = m.arena.allocBytes(4 * n * d), pct = m.arena.allocBytes(4 * d * kp), pxsq = m.arena.allocBytes(8 * n);
      const pcsq = m.arena.allocBytes(8 * kp), pl = m.arena.allocBytes(4 * (n + 1)), pd = m.arena.allocBytes(8 * (n + 1));
      const mem = m.k.memory.buffer;
      new Float32Array(mem, px, n * d).set(x); new Float32Array(mem, pct, d * kp).set(ct);
      new Float64Array(mem, pxsq, n).set(xsq); new Float64Array(mem, pcsq, kp).set(csq);
      new Int32Array(mem, pl, n + 1).fill(-7); new Float64Array(mem, pd, n + 1).fill(-7);
      m.k.kmeans_assign_f32(n, d, k, px, pct, pxsq, pcsq, pl, pd);
      const gotL = new Int32Array(m.k.memory.buffer, pl, n + 1), gotD = new Float64Array(m.k.memory.buffer, pd, n + 1);
      const tag = `n ${n} d ${d} k ${k}`;
      expect(same(gotL.subarray(0, n), wantL), tag).toBe(true);
      expect(same(gotD.subarray(0, n), wantD), tag).toBe(true);
      expect([gotL[n], gotD[n]], tag).toEqual([-7, -7]); // nothing written past the rows
      for (const p of [px, pct, pxsq, pcsq, pl, pd]) m.arena.release(p);
      expect(m.arena.allocatedBytes).toBe(before);
    }
  });

  it("kmeans_assign_f32 picks the lowest of exactly tied centres", () => {
    const d = 3, k = 9, kp = 12, n = 5;
    const before = m.arena.allocatedBytes;
    const px = m.arena.allocBytes(4 * n * d), pct = m.arena.allocBytes(4 * d * kp), pxsq = m.arena.allocBytes(8 * n);
    const pcsq = m.arena.allocBytes(8 * kp), pl = m.arena.allocBytes(4 * n), pd = m.arena.allocBytes(8 * n);
    const mem = m.k.memory.buffer;
    new Float32Array(mem, px, n * d).fill(1); // every row (1, 1, 1), xsq 3
    new Float64Array(mem, pxsq, n).fill(3);
    // Centres 0..4 at (5, 5, 5), 5..8 at (1, 1, 1): rows tie between 5, 6, 7 and 8.
    const ct = new Float32Array(mem, pct, d * kp), csq = new Float64Array(mem, pcsq, kp);
    for (let j = 0; j < k; j++) { const v = j < 5 ? 5 : 1; for (let t = 0; t < d; t++) ct[t * kp + j] = v; csq[j] = 3 * v * v; }
    m.k.kmeans_assign_f32(n, d, k, px, pct, pxsq, pcsq, pl, pd);
    expect(Array.from(new Int32Array(m.k.memory.buffer, pl, n))).toEqual([5, 5, 5, 5, 5]);
    expect(Array.from(new Float64Array(m.k.memory.buffer, pd, n))).toEqual([0, 0, 0, 0, 0]);
    for (const p of [px, pct, pxsq, pcsq, pl, pd]) m.arena.release(p);
    expect(m.arena.allocatedBytes).toBe(before);
  });

  it("kmeans_sums_f64 equals the float64 loop bit for bit", () => {
    for (const d of [1, 2, 3, 20]) for (const k of [1, 3, 10]) for (const n of [0, 1, 2, 5, 17]) {
      const r = prng(n * 100 + k * 7 + d);
      const x = Float64Array.from({ length: n * d }, () => (r() - 0.5) * 1e3);
      const labels = Int32Array.from({ length: n }, () => Math.floor(r() * k));
      const wantS = new Float64Array(k * d), wantC = new Int32Array(k);
      kmeansSums(n, d, k, x, labels, wantS, wantC);
      const before = m.arena.allocatedBytes;
      const px = m.arena.allocBytes(8 * n * d), pl = m.arena.allocBytes(4 * n);
      const ps = m.arena.allocBytes(8 * k * d), pc = m.arena.allocBytes(4 * k);
      const mem = m.k.memory.buffer;
      new Float64Array(mem, px, n * d).set(x); new Int32Array(mem, pl, n).set(labels);
      new Float64Array(mem, ps, k * d).fill(Number.NaN); new Int32Array(mem, pc, k).fill(-1); // written, not read
      m.k.kmeans_sums_f64(n, d, k, px, pl, ps, pc);
      const tag = `n ${n} d ${d} k ${k}`;
      expect(same(new Float64Array(m.k.memory.buffer, ps, k * d), wantS), tag).toBe(true);
      expect(same(new Int32Array(m.k.memory.buffer, pc, k), wantC), tag).toBe(true);
      for (const p of [px, pl, ps, pc]) m.arena.release(p);
      expect(m.arena.allocatedBytes).toBe(before);
    }
  });
});
