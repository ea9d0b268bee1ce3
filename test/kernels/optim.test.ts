import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { builds, f32, get, put, type Loaded } from "./harness.js";
import { expectClose } from "../../src/testing/index.js";
import { embeddedBytes } from "../../src/kernels/module.js";
import { scaleByAdam, trace } from "../../src/kernels/reference/optim.js";

const fr = Math.fround;
/** Written after each array so that a write past n (a SIMD tail bug) is caught. */
const SENTINEL = [12345, -6789, 0.5, 42];

/** Copies values plus the sentinel into the module; returns the pointer. */
function putGuarded(m: Loaded, values: ArrayLike<number>): number {
  return put(m, [...Array.from(values), ...SENTINEL]);
}

/** Reads n values and checks the sentinel after them. */
function getGuarded(m: Loaded, ptr: number, n: number): Float64Array {
  expect(Array.from(get(m, ptr + 4 * n, SENTINEL.length))).toEqual(SENTINEL);
  return get(m, ptr, n);
}

/** A gradient value: 0, or +-[1e-3, 10] (no f32 underflow of g^2, which is f32's limit, not a bug). */
const gradValue = fc.oneof(
  fc.constant(0),
  fc.tuple(fc.boolean(), fc.double({ min: 1e-3, max: 10, noNaN: true })).map(([s, x]) => (s ? -x : x)),
);
/** Sizes 0..40 cover the empty case, a lone tail and every tail length around the 4-lane loop. */
const size = fc.integer({ min: 0, max: 40 });

describe("module", () => {
  it("has no imports in either build", () => {
    for (const isa of ["simd", "scalar"] as const) {
      expect(WebAssembly.Module.imports(new WebAssembly.Module(embeddedBytes(isa)))).toEqual([]);
    }
  });
});

describe.each(builds.map((m) => [m.isa, m] as const))("scale_by_adam_f32 (%s)", (_isa, m) => {
  const k = m.k;

  it("hand-computed: a constant gradient gives g / (|g| + eps) at every step", () => {
    // b1 = 1/2, b2 = 3/4 are exact in binary, so m / bc1 = g and v / bc2 = g^2 exactly.
    const b1 = 0.5, b2 = 0.75, eps = 2 ** -8;
    const g0 = [1, -3, 0, 0.25, 2];
    const pm = putGuarded(m, new Array(5).fill(0)), pv = putGuarded(m, new Array(5).fill(0));
    for (let t = 1; t <= 3; t++) {
      const pg = putGuarded(m, g0);
      k.scale_by_adam_f32(5, b1, b2, eps, 1 - b1 ** t, 1 - b2 ** t, pg, pm, pv);
      expect(Array.from(getGuarded(m, pg, 5))).toEqual(g0.map((g) => fr(g / fr(Math.abs(g) + eps))));
      m.arena.release(pg);
    }
    // After 3 steps: m = (1 - b1^3) g, v = (1 - b2^3) g^2, exact in f32.
    expect(Array.from(getGuarded(m, pm, 5))).toEqual(g0.map((g) => (1 - b1 ** 3) * g));
    expect(Array.from(getGuarded(m, pv, 5))).toEqual(g0.map((g) => (1 - b2 ** 3) * g * g));
    expect(1 / fr(1 + eps)).not.toBe(1); // eps is large enough to be seen
  });

  it("hand-computed: g = 1 at t = 1 with the usual hyperparameters gives 1/(1 + eps)", () => {
    // bc1, bc2 as the kernel's own f32 1 - b1, 1 - b2: then m / bc1 = v / bc2 = 1 exactly.
    const b1 = fr(0.9), b2 = fr(0.999), eps = 1e-3;
    const pg = put(m, [1]), pm = put(m, [0]), pv = put(m, [0]);
    k.scale_by_adam_f32(1, b1, b2, eps, fr(1 - b1), fr(1 - b2), pg, pm, pv);
    expect(get(m, pg, 1)[0]).toBe(fr(1 / fr(1 + fr(eps))));
    expect(get(m, pm, 1)[0]).toBe(fr(1 - b1));
    expect(get(m, pv, 1)[0]).toBe(fr(1 - b2));
  });

  it("matches the float64 reference over several steps, on every size", () => {
    fc.assert(fc.property(
      size, fc.integer({ min: 1, max: 4 }),
      fc.constantFrom([0.9, 0.999, 1e-8], [0.5, 0.99, 1e-3], [0.95, 0.9999, 1e-6], [0, 0.9, 1e-8]),
      fc.infiniteStream(gradValue),
      (n, steps, [b1, b2, eps], gen) => {
        const state = () => f32(Array.from({ length: n }, () => gen.next().value as number));
        const rm = state(), rv = f32(state().map((x) => x * x));
        const pm = putGuarded(m, rm), pv = putGuarded(m, rv);
        for (let t = 1; t <= steps; t++) {
          const g = state();
          const bc1 = fr(1 - fr(b1) ** t), bc2 = fr(1 - fr(b2) ** t);
          const pg = putGuarded(m, g);
          k.scale_by_adam_f32(n, b1, b2, eps, bc1, bc2, pg, pm, pv);
          scaleByAdam(n, fr(b1), fr(b2), fr(eps), bc1, bc2, g, rm, rv);
          // m has cancellation (b1 m + (1 - b1) g of either sign): an absolute floor at a few
          // ulp of |g| <= 10; the direction divides m's error by sqrt(v_hat) (>= ~1e-3 here).
          // Measured worst cases are 3-5 times inside these bounds.
          expectClose(getGuarded(m, pm, n), rm, { rtol: 2e-6, atol: 1e-6 });
          expectClose(getGuarded(m, pv, n), rv, { rtol: 2e-6, atol: 1e-30 });
          expectClose(getGuarded(m, pg, n), g, { rtol: 2e-6, atol: 1e-5 });
          m.arena.release(pg);
        }
        m.arena.release(pm);
        m.arena.release(pv);
      }), { numRuns: 150 });
  });
});

describe.each(builds.map((m) => [m.isa, m] as const))("trace_f32 (%s)", (_isa, m) => {
  const k = m.k;

  it("hand-computed momentum and Nesterov steps", () => {
    const g = [1, 2, -3, 0, 0.5], t0 = [0, 4, 1, -2, 0.25];
    for (const nesterov of [0, 1]) {
      const pg = putGuarded(m, g), pt = putGuarded(m, t0);
      k.trace_f32(5, 0.5, nesterov, pg, pt);
      const t1 = [1, 4, -2.5, -1, 0.625]; // 0.5 t + g
      expect(Array.from(getGuarded(m, pt, 5))).toEqual(t1);
      // Nesterov: g + 0.5 t1 = [1.5, 4, -4.25, -0.5, 0.8125]
      expect(Array.from(getGuarded(m, pg, 5))).toEqual(nesterov ? [1.5, 4, -4.25, -0.5, 0.8125] : t1);
      // A second momentum step from t1 with g = 1: t = 0.5 t1 + 1.
      const pg2 = putGuarded(m, new Array(5).fill(1));
      k.trace_f32(5, 0.5, nesterov, pg2, pt);
      const t2 = t1.map((x) => 0.5 * x + 1);
      expect(Array.from(getGuarded(m, pt, 5))).toEqual(t2);
      expect(Array.from(getGuarded(m, pg2, 5))).toEqual(nesterov ? t2.map((x) => 1 + 0.5 * x) : t2);
    }
  });

  it("matches the float64 reference over several steps, on every size", () => {
    fc.assert(fc.property(
      size, fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 0.5, 0.9, 0.99), fc.boolean(),
      fc.infiniteStream(gradValue),
      (n, steps, decay, nesterov, gen) => {
        const draw = () => f32(Array.from({ length: n }, () => gen.next().value as number));
        const rt = draw();
        const pt = putGuarded(m, rt);
        // Rounding bound per element: each f32 step adds at most ~2 ulps of the magnitudes
        // involved, so track mag = decay * mag + |g| (in float64) and allow 4 * 2^-24 * mag per step.
        // (A relative bound alone fails where decay * t and g cancel.)
        const mag = Float64Array.from(rt, Math.abs);
        const within = (got: Float64Array, want: Float64Array, slack: number) =>
          got.every((v, i) => Math.abs(v - want[i]!) <= 1e-12 + 4 * 2 ** -24 * slack * (mag[i]! + Math.abs(want[i]!)));
        for (let s = 0; s < steps; s++) {
          const g = draw();
          const pg = putGuarded(m, g);
          k.trace_f32(n, decay, nesterov ? 1 : 0, pg, pt);
          trace(n, fr(decay), nesterov, g, rt);
          for (let i = 0; i < n; i++) mag[i] = fr(decay) * mag[i]! + Math.abs(g[i]!);
          expect(within(getGuarded(m, pt, n), rt, s + 1)).toBe(true);
          expect(within(getGuarded(m, pg, n), g, s + 2)).toBe(true);
          m.arena.release(pg);
        }
        m.arena.release(pt);
      }), { numRuns: 150 });
  });
});

describe("simd and scalar builds", () => {
  it("give bit-identical results for Adam and trace", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 70 }), fc.infiniteStream(fc.float({ noNaN: true, min: -1e6, max: 1e6 })),
      (n, gen) => {
        const draw = () => Array.from({ length: n }, () => gen.next().value as number);
        const g = draw(), m0 = draw(), v0 = draw().map((x) => x * x), t0 = draw();
        const out = builds.map((b) => {
          const pg = put(b, g), pm = put(b, m0), pv = put(b, v0);
          b.k.scale_by_adam_f32(n, 0.9, 0.999, 1e-8, 0.1, 0.001, pg, pm, pv);
          const pg2 = put(b, g), pt = put(b, t0);
          b.k.trace_f32(n, 0.9, 1, pg2, pt);
          const bitsOf = (p: number) => Array.from(new Uint32Array(b.k.memory.buffer, p, n));
          const r = [pg, pm, pv, pg2, pt].map(bitsOf);
          for (const p of [pg, pm, pv, pg2, pt]) b.arena.release(p);
          return r;
        });
        expect(out[0]).toEqual(out[1]);
      }), { numRuns: 200 });
  });
});
