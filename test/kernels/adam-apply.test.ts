// adam_apply_f32 (Adam or AdamW plus the parameter update in one pass) against the chain it
// replaces, scale_by_adam_f32 -> axpy_f32(wd) -> scale_f32(-lr) -> axpy_f32(1): bit for bit on
// both builds, for every length 0..40 (the SIMD tails) and several steps in a row; against the
// float64 reference within f32 rounding; and adam_step_f32, the guarded form the Trainer uses,
// which must equal adam_apply_f32 when all is finite and otherwise stop where it says, so that
// the state before the step can be restored exactly.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, get, put, type Loaded } from "./harness.js";
import { adamApply, adamStep } from "../../src/kernels/reference/optim.js";

const fr = Math.fround;
const SENTINEL = [12345, -6789, 0.5, 42];

function putGuarded(m: Loaded, values: ArrayLike<number>): number {
  return put(m, [...Array.from(values), ...SENTINEL]);
}
function bits(m: Loaded, ptr: number, n: number): number[] {
  return Array.from(new Uint32Array(m.k.memory.buffer, ptr, n + SENTINEL.length));
}

interface Hyper { b1: number; b2: number; eps: number; lr: number; wd: number }

/** One step of the fused kernel and of the chain on copies of the same arrays; returns both states' bits. */
function stepBoth(m: Loaded, h: Hyper, t: number, g: number[], st: { m: number[]; v: number[]; p: number[] }) {
  const n = g.length, k = m.k;
  const bc1 = 1 - Math.pow(h.b1, t), bc2 = 1 - Math.pow(h.b2, t);
  // Fused.
  const fg = putGuarded(m, g), fm = putGuarded(m, st.m), fv = putGuarded(m, st.v), fp = putGuarded(m, st.p);
  k.adam_apply_f32(n, h.b1, h.b2, h.eps, bc1, bc2, h.lr, h.wd, fg, fm, fv, fp);
  // Chain (as src/optim does it: scaleByAdam, addDecayedWeights when wd != 0, scaleByLearningRate, apply).
  const cg = putGuarded(m, g), cm = putGuarded(m, st.m), cv = putGuarded(m, st.v), cp = putGuarded(m, st.p);
  k.scale_by_adam_f32(n, h.b1, h.b2, h.eps, bc1, bc2, cg, cm, cv);
  if (h.wd !== 0) k.axpy_f32(n, h.wd, cp, cg);
  k.scale_f32(n, -h.lr, cg, cg);
  k.axpy_f32(n, 1, cg, cp);
  const out = {
    fused: { g: bits(m, fg, n), m: bits(m, fm, n), v: bits(m, fv, n), p: bits(m, fp, n) },
    chain: { m: bits(m, cm, n), v: bits(m, cv, n), p: bits(m, cp, n) },
    next: { m: Array.from(get(m, fm, n)), v: Array.from(get(m, fv, n)), p: Array.from(get(m, fp, n)) },
  };
  for (const ptr of [fg, fm, fv, fp, cg, cm, cv, cp]) m.arena.release(ptr);
  return out;
}

const value = (max: number) => fc.oneof(fc.constant(0), fc.constant(-0),
  fc.tuple(fc.boolean(), fc.double({ min: 1e-4, max, noNaN: true })).map(([s, x]) => fr(s ? -x : x)));
const hyper = fc.record({
  b1: fc.constantFrom(0.9, 0.5, 0, 0.99),
  b2: fc.constantFrom(0.999, 0.75, 0.9),
  eps: fc.constantFrom(1e-8, 1e-3, 0.5),
  lr: fc.constantFrom(1e-3, 0.25, 3),
  wd: fc.constantFrom(0, 0, 1e-4, 0.5),
});

describe.each(builds.map((m) => [m.isa, m] as const))("adam_apply_f32 (%s)", (_isa, m) => {
  it("equals the chained kernels bit for bit, for every length 0..40 and 3 steps in a row", () => {
    fc.assert(fc.property(hyper, fc.integer({ min: 0, max: 40 }), fc.integer(), (h, n, seed) => {
      const draw = (max: number, s: number) => fc.sample(fc.array(value(max), { minLength: n, maxLength: n }), { seed: seed + s, numRuns: 1 })[0]!;
      let st = { m: new Array<number>(n).fill(0), v: new Array<number>(n).fill(0), p: draw(2, 1) };
      for (let t = 1; t <= 3; t++) {
        const out = stepBoth(m, h, t, draw(10, 10 + t), st);
        expect(out.fused.m).toEqual(out.chain.m);
        expect(out.fused.v).toEqual(out.chain.v);
        expect(out.fused.p).toEqual(out.chain.p);
        st = out.next;
      }
    }), { numRuns: 300 });
  });

  it("leaves g unchanged and writes nothing past n", () => {
    const n = 11, g = Array.from({ length: n }, (_, i) => fr(Math.sin(i + 1)));
    const pg = putGuarded(m, g), pm = putGuarded(m, new Array(n).fill(0)), pv = putGuarded(m, new Array(n).fill(0));
    const pp = putGuarded(m, new Array(n).fill(1));
    m.k.adam_apply_f32(n, 0.9, 0.999, 1e-8, 0.1, 0.001, 1e-3, 0.01, pg, pm, pv, pp);
    expect(Array.from(get(m, pg, n + 4))).toEqual([...g, ...SENTINEL]);
    for (const ptr of [pm, pv, pp]) expect(Array.from(get(m, ptr + 4 * n, 4))).toEqual(SENTINEL);
  });

  it("matches the float64 reference within f32 rounding", () => {
    const n = 37, h = { b1: 0.9, b2: 0.999, eps: 1e-8, lr: 1e-2, wd: 1e-2 };
    const g = Array.from({ length: n }, (_, i) => fr(Math.cos(3 * i) * 2));
    const p = Array.from({ length: n }, (_, i) => fr(Math.sin(i)));
    const out = stepBoth(m, h, 1, g, { m: new Array(n).fill(0), v: new Array(n).fill(0), p });
    const rm = new Float64Array(n), rv = new Float64Array(n), rp = Float64Array.from(p);
    adamApply(n, fr(h.b1), fr(h.b2), fr(h.eps), fr(1 - h.b1), fr(1 - h.b2), fr(h.lr), fr(h.wd), Float64Array.from(g), rm, rv, rp);
    for (let i = 0; i < n; i++) {
      expect(Math.abs(out.next.p[i]! - rp[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(rp[i]!) + 1e-6);
      expect(Math.abs(out.next.m[i]! - rm[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(rm[i]!));
      expect(Math.abs(out.next.v[i]! - rv[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(rv[i]!));
    }
  });
});

describe.each(builds.map((m) => [m.isa, m] as const))("adam_step_f32 (%s)", (_isa, m) => {
  /**
   * Runs adam_step_f32 and, on copies, adam_apply_f32. When every value adam_apply_f32 writes is
   * finite, adam_step_f32 must give the same m, v (in mOut, vOut) and p bit for bit, the old p in
   * g, and return n. Otherwise it must return the first index of the group (4 in the SIMD body,
   * 1 in the tail) holding the first non-finite value, and restoring p[0, i) from g must give
   * back p exactly, with m and v untouched. Returns what adam_step_f32 returned.
   */
  function agree(h: Hyper, g: number[], st: { m: number[]; v: number[]; p: number[] }, compareRef = true): number {
    const n = g.length, k = m.k, bc1 = 1 - h.b1, bc2 = 1 - h.b2;
    const ag = putGuarded(m, g), am = putGuarded(m, st.m), av = putGuarded(m, st.v), ap = putGuarded(m, st.p);
    k.adam_apply_f32(n, h.b1, h.b2, h.eps, bc1, bc2, h.lr, h.wd, ag, am, av, ap);
    const bad = Array.from({ length: n }, (_, i) => i).find((i) =>
      [am, av, ap].some((ptr) => !Number.isFinite(get(m, ptr + 4 * i, 1)[0]!))) ?? n;
    const pg = putGuarded(m, g), pm = putGuarded(m, st.m), pv = putGuarded(m, st.v), pp = putGuarded(m, st.p);
    const mo = putGuarded(m, new Array(n).fill(7)), vo = putGuarded(m, new Array(n).fill(7));
    const before = { g: bits(m, pg, n), m: bits(m, pm, n), v: bits(m, pv, n), p: bits(m, pp, n) };
    const done = k.adam_step_f32(n, h.b1, h.b2, h.eps, bc1, bc2, h.lr, h.wd, pg, pm, pv, pp, mo, vo);
    expect(bits(m, pm, n)).toEqual(before.m);
    expect(bits(m, pv, n)).toEqual(before.v);
    for (const ptr of [pg, pp, mo, vo]) expect(Array.from(get(m, ptr + 4 * n, 4))).toEqual(SENTINEL);
    if (bad === n) {
      expect(done).toBe(n);
      expect(bits(m, mo, n)).toEqual(bits(m, am, n));
      expect(bits(m, vo, n)).toEqual(bits(m, av, n));
      expect(bits(m, pp, n)).toEqual(bits(m, ap, n));
      expect(bits(m, pg, n)).toEqual(before.p);
    } else {
      const body = m.isa === "simd" ? n - (n % 4) : 0;
      expect(done).toBe(bad < body ? bad - (bad % 4) : bad);
      expect(bits(m, pg, n).slice(done, n)).toEqual(before.g.slice(done, n)); // g untouched from the stop on
      m.arena.f32(pp, done).set(m.arena.f32(pg, done));
      expect(bits(m, pp, n)).toEqual(before.p);
    }
    if (compareRef) { // the float64 reference stops at the same element (where f32 overflow is not the cause)
      const ref = adamStep(n, h.b1, h.b2, h.eps, bc1, bc2, h.lr, h.wd, Float64Array.from(g), Float64Array.from(st.m),
        Float64Array.from(st.v), Float64Array.from(st.p), new Float64Array(n), new Float64Array(n));
      expect(ref).toBe(bad);
    }
    for (const ptr of [ag, am, av, ap, pg, pm, pv, pp, mo, vo]) m.arena.release(ptr);
    return done;
  }
  const h = { b1: 0.9, b2: 0.999, eps: 1e-8, lr: 1e-3, wd: 0 };

  it("equals adam_apply_f32 bit for bit when all is finite, for every length 0..40, with and without decay", () => {
    fc.assert(fc.property(hyper, fc.integer({ min: 0, max: 40 }), fc.integer(), (hh, n, seed) => {
      const draw = (max: number, s: number) => fc.sample(fc.array(value(max), { minLength: n, maxLength: n }), { seed: seed + s, numRuns: 1 })[0]!;
      const st = { m: draw(1, 1), v: draw(1, 2).map(Math.abs), p: draw(2, 3) };
      expect(agree(hh, draw(10, 4), st, false)).toBe(n);
    }), { numRuns: 200 });
  });

  it("stops at a NaN or infinite gradient, an overflowing g^2 and a 0/0 update, in the SIMD body and the tail", () => {
    for (const n of [4, 7, 9, 13]) {
      for (const at of [0, 1, 5, n - 1].filter((i) => i < n)) {
        for (const [bad, hh] of [[NaN, h], [Infinity, h], [-Infinity, h], [3e19, h], [0, { ...h, eps: 0 }]] as const) {
          const g = Array.from({ length: n }, (_, i) => (i === at ? bad : fr(0.5 + i)));
          const st = { m: g.map(() => 0), v: g.map(() => 0), p: g.map(() => 1) };
          const done = agree(hh, g, st, bad !== 3e19);
          expect(done, `n=${n} at=${at} g=${bad} eps=${hh.eps}`).toBeLessThan(n);
        }
      }
    }
  });

  it("stops at parameters pushed past the f32 range, with weight decay", () => {
    const g = [1, 2, 3, 4, 5, 6];
    const p = [1, 1, 1, 1, 1, -3e38];
    expect(agree({ ...h, lr: 3e38, wd: 0.5 }, g, { m: g.map(() => 0), v: g.map(() => 0), p }, false)).toBeLessThan(6);
  });
});
