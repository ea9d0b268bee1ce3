import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import {
  bits, foldIn, key, keyData, keyFromData, normal, normalF64, split, threefry2x32, uniform, type Key,
} from "../src/random/index.js";

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const anyKey = fc.tuple(u32, u32).map(([a, b]) => keyFromData([a, b]));
const id = (k: Key) => `${k.k0},${k.k1}`;

/**
 * Random123 kat_vectors, threefry2x32 with 20 rounds. The file's columns are
 * "threefry2x32 20 ctr0 ctr1 key0 key1 out0 out1"; here as [key, ctr, out].
 */
const KAT: ReadonlyArray<readonly [[number, number], [number, number], [number, number]]> = [
  [[0x00000000, 0x00000000], [0x00000000, 0x00000000], [0x6b200159, 0x99ba4efe]],
  [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
  [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
];

describe("threefry2x32", () => {
  it("reproduces the Random123 known-answer vectors", () => {
    for (const [[k0, k1], [x0, x1], out] of KAT) expect(threefry2x32(k0, k1, x0, x1)).toEqual(out);
  });

  it("is a bijection of the counter (no collisions among nearby counters)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(threefry2x32(7, 9, i, i & 3).join(","));
    expect(seen.size).toBe(2000);
  });
});

describe("key", () => {
  it("puts the high 32 bits of the seed in k0 and the low 32 bits in k1", () => {
    expect(keyData(key(0))).toEqual([0, 0]);
    expect(keyData(key(42))).toEqual([0, 42]);
    expect(keyData(key(2 ** 32 + 5))).toEqual([1, 5]);
    expect(keyData(key(Number.MAX_SAFE_INTEGER))).toEqual([0x1fffff, 0xffffffff]);
  });

  it("rejects seeds that are not non-negative safe integers, naming the value", () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, -0.5]) {
      expect(() => key(bad)).toThrow(RangeError);
      expect(() => key(bad)).toThrow(String(bad));
    }
    expect(() => key("3" as unknown as number)).toThrow(RangeError);
  });

  it("is frozen and round-trips through keyData / keyFromData", () => {
    fc.assert(fc.property(fc.tuple(u32, u32), ([a, b]) => {
      const k = keyFromData([a, b]);
      expect(Object.isFrozen(k)).toBe(true);
      expect(keyData(k)).toEqual([a, b]);
      expect(() => { (k as { k0: number }).k0 = 1; }).toThrow(TypeError);
    }));
    expect(() => keyFromData([1, -1])).toThrow(RangeError);
    expect(() => keyFromData([1, 2, 3] as unknown as [number, number])).toThrow(RangeError);
    expect(() => keyFromData([2 ** 32, 0])).toThrow(RangeError);
  });

  it("functions refuse things that are not keys", () => {
    const notKeys = [{ k0: -1, k1: 0 }, { k0: 0.5, k1: 0 }, { k0: 0 }, null] as unknown as Key[];
    for (const k of notKeys) {
      expect(() => split(k)).toThrow(TypeError);
      expect(() => bits(k, 2)).toThrow(TypeError);
      expect(() => foldIn(k, 0)).toThrow(TypeError);
    }
  });
});

describe("split and foldIn", () => {
  it("split: child j is threefry2x32(key, (j, 1)); children distinct and different from the parent", () => {
    fc.assert(fc.property(anyKey, fc.integer({ min: 0, max: 40 }), (k, n) => {
      const children = split(k, n);
      expect(children.length).toBe(n);
      children.forEach((c, j) => {
        expect(keyData(c)).toEqual(threefry2x32(k.k0, k.k1, j, 1));
        expect(Object.isFrozen(c)).toBe(true);
      });
      expect(new Set([k, ...children].map(id)).size).toBe(n + 1);
    }));
    expect(split(key(1)).length).toBe(2);
    expect(() => split(key(1), -1)).toThrow(RangeError);
    expect(() => split(key(1), 1.5)).toThrow(RangeError);
  });

  it("is deterministic and pure: same input, same output; the input is untouched", () => {
    fc.assert(fc.property(anyKey, fc.integer({ min: 0, max: 8 }), u32, (k, n, d) => {
      const before = keyData(k);
      expect(split(k, n).map(keyData)).toEqual(split(k, n).map(keyData));
      expect(keyData(foldIn(k, d))).toEqual(keyData(foldIn(k, d)));
      // split(k, n) is a prefix of split(k, n + 3): adding children does not change the first.
      expect(split(k, n + 3).slice(0, n).map(keyData)).toEqual(split(k, n).map(keyData));
      expect(keyData(k)).toEqual(before);
      expect(Object.isFrozen(k)).toBe(true);
    }));
  });

  it("foldIn: threefry2x32(key, (data, 2)); distinct data give distinct keys, apart from split's", () => {
    const k = key(2024);
    const folded = Array.from({ length: 300 }, (_, d) => foldIn(k, d));
    folded.forEach((f, d) => expect(keyData(f)).toEqual(threefry2x32(k.k0, k.k1, d, 2)));
    const all = [k, ...folded, ...split(k, 300)].map(id);
    expect(new Set(all).size).toBe(601);
    expect(keyData(foldIn(k, 0xffffffff))).toEqual(threefry2x32(k.k0, k.k1, 0xffffffff, 2));
    for (const bad of [-1, 2 ** 32, 0.5, NaN]) expect(() => foldIn(k, bad)).toThrow(RangeError);
  });
});

describe("bits, uniform, normal", () => {
  it("bits: block i is threefry2x32(key, (i, 0)); a count n takes the first n words", () => {
    fc.assert(fc.property(anyKey, (k) => {
      const all = bits(k, 64);
      for (let i = 0; i < 32; i++) expect([all[2 * i], all[2 * i + 1]]).toEqual(threefry2x32(k.k0, k.k1, i, 0));
      for (const n of [0, 1, 2, 3, 17, 63]) expect(Array.from(bits(k, n))).toEqual(Array.from(all.subarray(0, n)));
    }), { numRuns: 30 });
    expect(() => bits(key(0), -2)).toThrow(RangeError);
  });

  it("uniform: (w >>> 9) * 2^-23 of the same words, in [0, 1)", () => {
    fc.assert(fc.property(anyKey, fc.integer({ min: 0, max: 99 }), (k, n) => {
      const w = bits(k, n), u = uniform(k, n);
      expect(u.length).toBe(n);
      for (let i = 0; i < n; i++) {
        expect(u[i]).toBe((w[i]! >>> 9) / 2 ** 23);
        expect(u[i]).toBeGreaterThanOrEqual(0);
        expect(u[i]).toBeLessThan(1);
      }
    }), { numRuns: 50 });
  });

  it("normal is normalF64 rounded to f32, and normalF64 is Box-Muller on the uniforms", () => {
    const k = key(7);
    const w = bits(k, 101), z = normalF64(k, 101);
    expect(Array.from(normal(k, 101))).toEqual(Array.from(Float32Array.from(z)));
    for (let i = 0; i + 1 < 101; i += 2) {
      const u1 = 1 - (w[i]! >>> 9) / 2 ** 23, u2 = (w[i + 1]! >>> 9) / 2 ** 23;
      const r = Math.sqrt(-2 * Math.log(u1));
      expect(z[i]).toBe(r * Math.cos(2 * Math.PI * u2));
      expect(z[i + 1]).toBe(r * Math.sin(2 * Math.PI * u2));
    }
    // An odd count drops the sine of the last block.
    expect(Array.from(normalF64(k, 100))).toEqual(Array.from(z.subarray(0, 100)));
  });

  it("bit frequencies are balanced over 100k words (each within 5 standard errors)", () => {
    const n = 100_000, w = bits(key(99), n);
    const counts = new Array<number>(32).fill(0);
    for (const x of w) for (let b = 0; b < 32; b++) counts[b]! += (x >>> b) & 1;
    const se = Math.sqrt(n * 0.25);
    for (const c of counts) expect(Math.abs(c - n / 2)).toBeLessThan(5 * se);
  });
});

describe("runtime neutrality", () => {
  it("src/random uses no Math.random and no node: imports", () => {
    const dir = new URL("../src/random/", import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), "utf8");
      expect(text).not.toMatch(/Math\.random\s*\(/);
      expect(text).not.toMatch(/from\s+["']node:/);
    }
  });
});
