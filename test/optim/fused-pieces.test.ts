// The guarded fused Adam update run piece by piece (`pieces`: the parameter tensors' sizes, so a
// thread pool cuts each tensor the way the GEMMs cut its rows) gives the bits of the one-pass
// update, and on a value that would not be finite it leaves params and the moments as they were,
// wherever in the vector that value falls.
import { beforeAll, describe, expect, it } from "vitest";
import { defaultBackend, initSync } from "../../src/backend/default.js";
import type { Backend, Buffer } from "../../src/backend/backend.js";
import { adam, adamw } from "../../src/optim/index.js";
import { key, uniform } from "../../src/random/index.js";

beforeAll(() => { initSync(); });

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/** g, m, v (v >= 0), params and two spare moment buffers of n values. */
function setup(be: Backend<Buffer>, n: number, seed: number) {
  const [g, m, v, p] = [0, 1, 2, 3].map((i) => Float32Array.from(uniform(key(seed + i), n), (u) => (i === 2 ? u : 2 * u - 1)));
  const buf = (x: Float32Array) => { const b = be.alloc(n); be.write(b, x); return b; };
  return { g: buf(g!), m: buf(m!), v: buf(v!), p: buf(p!), next: [be.alloc(n), be.alloc(n)], host: { m: m!, v: v!, p: p! } };
}
const read = (be: Backend<Buffer>, b: Buffer) => Float32Array.from(be.read(b));

describe("applyFused with pieces", () => {
  const pieceSets = [[5, 17, 9], [31], [0, 31], [1, 0, 29, 1], [16, 15]];
  for (const opt of [adam({ learningRate: 1e-2 }), adamw({ learningRate: 3e-2, weightDecay: 0.1, b1: 0.8 })]) {
    it.each(pieceSets)(`${opt.transform.name}: pieces %j give the one-pass bits`, (...pieces) => {
      const be = defaultBackend() as unknown as Backend<Buffer>;
      const n = 31, count = 4;
      const a = setup(be, n, 7), b = setup(be, n, 7);
      expect(opt.transform.applyFused!(be, a.g, [a.m, a.v], a.p, count, a.next)).toBe(true);
      expect(opt.transform.applyFused!(be, b.g, [b.m, b.v], b.p, count, b.next, pieces)).toBe(true);
      for (const [x, y] of [[a.p, b.p], [a.next[0]!, b.next[0]!], [a.next[1]!, b.next[1]!], [a.g, b.g]] as const) {
        expect(bits(read(be, y))).toEqual(bits(read(be, x)));
      }
    });
  }

  it("pieces that do not add up to the length are ignored (one pass)", () => {
    const be = defaultBackend() as unknown as Backend<Buffer>;
    const opt = adam({ learningRate: 1e-2 });
    const a = setup(be, 20, 3), b = setup(be, 20, 3);
    opt.transform.applyFused!(be, a.g, [a.m, a.v], a.p, 0, a.next);
    opt.transform.applyFused!(be, b.g, [b.m, b.v], b.p, 0, b.next, [7, 7]);
    expect(bits(read(be, b.p))).toEqual(bits(read(be, a.p)));
  });

  it.each([0, 4, 12, 19])("a gradient that overflows v at element %i: false, params and moments untouched", (bad) => {
    const be = defaultBackend() as unknown as Backend<Buffer>;
    const opt = adam({ learningRate: 1e-2 });
    const s = setup(be, 20, 11);
    const g = read(be, s.g);
    g[bad] = 3e38; // v = b2 v + (1 - b2) g^2 overflows to infinity
    be.write(s.g, g);
    expect(opt.transform.applyFused!(be, s.g, [s.m, s.v], s.p, 2, s.next, [3, 6, 0, 11])).toBe(false);
    expect(bits(read(be, s.p))).toEqual(bits(s.host.p));
    expect(bits(read(be, s.m))).toEqual(bits(s.host.m));
    expect(bits(read(be, s.v))).toEqual(bits(s.host.v));
  });
});
