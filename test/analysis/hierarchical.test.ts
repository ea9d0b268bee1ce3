import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { checkLinkage, cut, linkage, type LinkageMethod } from "../../src/analysis/index.js";
import { ConfigError } from "../../src/nn/layer.js";
import { ShapeError, tensor } from "../../src/tensor/tensor.js";
import { dendrogram, getPixel, type Raster } from "../../src/viz/index.js";

const METHODS: readonly LinkageMethod[] = ["ward", "average", "complete", "single"];

function rows(values: readonly number[][]) {
  const d = values[0]!.length;
  return { data: Float64Array.from(values.flat()), shape: [values.length, d], stride: [d, 1], offset: 0 };
}

/** The linkage matrix as rows, for readable comparisons. */
function table(z: Float64Array): number[][] {
  return Array.from({ length: z.length / 4 }, (_, i) => Array.from(z.subarray(i * 4, i * 4 + 4)));
}

describe("linkage: four points on a line, by hand", () => {
  // points 3, 0, 7, 1: pairwise distances d01 = 3, d02 = 4, d03 = 2, d12 = 7, d13 = 1, d23 = 6
  const x = rows([[3], [0], [7], [1]]);
  const expected: Record<LinkageMethod, number[][]> = {
    // {1,3} at 1; then 0 joins at min(3, 2) = 2; then 2 at min(4, 7, 6) = 4
    single: [[1, 3, 1, 2], [0, 4, 2, 3], [2, 5, 4, 4]],
    // {1,3} at 1; d(0, {1,3}) = max(3, 2) = 3 < d(0, 2) = 4; d(2, {0,1,3}) = max(4, 7, 6) = 7
    complete: [[1, 3, 1, 2], [0, 4, 3, 3], [2, 5, 7, 4]],
    // {1,3} at 1; d(0, {1,3}) = (3 + 2) / 2 = 2.5; d(2, {0,1,3}) = (4 + 7 + 6) / 3 = 17/3
    average: [[1, 3, 1, 2], [0, 4, 2.5, 3], [2, 5, 17 / 3, 4]],
    // Ward: sqrt(2 |A| |B| / (|A| + |B|)) * |centroid(A) - centroid(B)|:
    // {1,3} at 1 (centroid 0.5); 0 joins at sqrt(4/3) * 2.5 (centroid 4/3); 2 at sqrt(3/2) * 17/3
    ward: [[1, 3, 1, 2], [0, 4, Math.sqrt(4 / 3) * 2.5, 3], [2, 5, Math.sqrt(3 / 2) * (17 / 3), 4]],
  };
  for (const method of METHODS) {
    it(method, () => {
      const l = linkage(x, method);
      expect(l.n).toBe(4);
      expect(l.method).toBe(method);
      const got = table(l.matrix), want = expected[method];
      for (let i = 0; i < 3; i++) {
        expect(got[i]!.slice(0, 2)).toEqual(want[i]!.slice(0, 2));
        expect(got[i]![2]).toBeCloseTo(want[i]![2]!, 12);
        expect(got[i]![3]).toBe(want[i]![3]);
      }
      expect(Array.from(cut(l, 2))).toEqual([0, 0, 1, 0]);
      expect(Array.from(cut(l, 3))).toEqual([0, 1, 2, 1]);
      expect(Array.from(cut(l, 1))).toEqual([0, 0, 0, 0]);
      expect(Array.from(cut(l, 4))).toEqual([0, 1, 2, 3]);
    });
  }

  it("two points: one merge at their distance, for every method", () => {
    for (const method of METHODS) expect(table(linkage(rows([[0, 0], [3, 4]]), method).matrix)).toEqual([[0, 1, 5, 2]]);
  });

  it("reads float32 tensors and strided views", () => {
    const t = tensor(Float32Array.from([3, 9, 0, 9, 7, 9, 1, 9]), [4, 2]);
    const column0 = { data: t.data, shape: [4, 1], stride: [2, 1], offset: 0 };
    expect(table(linkage(column0, "complete").matrix)).toEqual(expected.complete);
  });
});

describe("linkage: errors", () => {
  it("names what is wrong", () => {
    const x = rows([[0], [1], [2]]);
    expect(() => linkage(x, "centroid" as LinkageMethod)).toThrow(ConfigError);
    expect(() => linkage(rows([[1, 2]]), "ward")).toThrow(ConfigError);
    expect(() => linkage({ data: new Float64Array(6), shape: [6], stride: [1], offset: 0 }, "ward")).toThrow(ShapeError);
    expect(() => linkage({ data: new Float64Array(3), shape: [3, 2], stride: [2, 1], offset: 0 }, "ward")).toThrow(ShapeError);
    expect(() => linkage(rows([[0, 1], [2, 3], [NaN, 1]]), "average")).toThrow(/row 2/);
    expect(() => linkage(rows([[0, 1], [2, 3], [NaN, 1]]), "single")).toThrow(ConfigError);
    const l = linkage(x, "single");
    for (const k of [0, 4, 1.5, NaN]) expect(() => cut(l, k)).toThrow(ConfigError);
    expect(() => cut(new Float64Array([0, 0, 1, 2]), 1)).toThrow(ConfigError);
    expect(() => checkLinkage(new Float64Array(5))).toThrow(ConfigError);
  });
});

describe("linkage: properties", () => {
  // coordinates from a small integer grid (many ties) or arbitrary doubles
  const coord = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -100, max: 100, noNaN: true }));
  const data = fc.integer({ min: 2, max: 17 }).chain((n) => fc.integer({ min: 1, max: 3 }).chain((d) =>
    fc.array(fc.array(coord, { minLength: d, maxLength: d }), { minLength: n, maxLength: n })));

  for (const method of METHODS) {
    it(`${method}: SciPy's numbering, sizes, monotone distances, cuts into exactly k`, () => {
      fc.assert(fc.property(data, fc.nat(), (pts, pick) => {
        const n = pts.length;
        const { matrix } = linkage(rows(pts), method);
        expect(matrix.length).toBe((n - 1) * 4);
        const size = new Array<number>(2 * n - 1).fill(1);
        const used = new Set<number>();
        for (let i = 0; i < n - 1; i++) {
          const [a, b, dist, s] = matrix.subarray(i * 4, i * 4 + 4) as unknown as number[];
          expect(Number.isInteger(a) && Number.isInteger(b) && a! < b! && b! < n + i).toBe(true);
          expect(used.has(a!) || used.has(b!)).toBe(false);
          used.add(a!); used.add(b!);
          expect(s).toBe(size[a!]! + size[b!]!);
          size[n + i] = s!;
          expect(dist).toBeGreaterThanOrEqual(0);
          if (i > 0) expect(dist).toBeGreaterThanOrEqual(matrix[(i - 1) * 4 + 2]!);
        }
        expect(matrix[(n - 2) * 4 + 3]).toBe(n);
        const k = 1 + (pick % n);
        const labels = cut(matrix, k);
        expect(new Set(labels).size).toBe(k);
        expect(Math.max(...labels)).toBe(k - 1);
        expect(Array.from(cut(matrix, n))).toEqual(Array.from({ length: n }, (_, i) => i));
      }), { numRuns: 150 });
    });
  }
});

describe("linkage: SciPy's results on 300 x 5 points", () => {
  const fixture = JSON.parse(readFileSync(new URL("../fixtures/hierarchical/linkage.json", import.meta.url), "utf8")) as {
    n: number; d: number; k: number; x: number[]; methods: Record<LinkageMethod, { linkage: number[]; fcluster: number[] }>;
  };
  const x = { data: Float64Array.from(fixture.x), shape: [fixture.n, fixture.d], stride: [fixture.d, 1], offset: 0 };
  for (const method of METHODS) {
    it(`${method}: the same merges and the same ${fixture.k} flat clusters`, () => {
      const want = fixture.methods[method];
      const { matrix } = linkage(x, method);
      expect(matrix.length).toBe(want.linkage.length);
      let worst = 0;
      for (let i = 0; i < fixture.n - 1; i++) {
        expect([matrix[i * 4], matrix[i * 4 + 1], matrix[i * 4 + 3]]).toEqual([want.linkage[i * 4], want.linkage[i * 4 + 1], want.linkage[i * 4 + 3]]);
        const w = want.linkage[i * 4 + 2]!;
        worst = Math.max(worst, Math.abs(matrix[i * 4 + 2]! - w) / Math.max(Math.abs(w), 1e-300));
      }
      expect(worst).toBeLessThan(1e-9);
      // the same partition up to renaming: a bijection between the two labellings
      const labels = cut(matrix, fixture.k);
      const ours = new Map<number, number>(), theirs = new Map<number, number>();
      labels.forEach((a, i) => {
        const b = want.fcluster[i]!;
        expect(ours.get(a) ?? b).toBe(b);
        expect(theirs.get(b) ?? a).toBe(a);
        ours.set(a, b); theirs.set(b, a);
      });
      expect(ours.size).toBe(fixture.k);
    });
  }
});

function inked(r: Raster): number {
  let count = 0;
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) {
    const [a, b, c] = getPixel(r, x, y);
    if (a !== 255 || b !== 255 || c !== 255) count++;
  }
  return count;
}

describe("dendrogram", () => {
  const pts = Array.from({ length: 40 }, (_, i) => [Math.sin(i * 1.7) * 10 + (i % 3) * 20, Math.cos(i * 0.9) * 5]);
  const l = linkage(rows(pts), "ward");
  it("draws the last p merges (p below n - 1) at the requested size", () => {
    const r = dendrogram(l, { lastP: 8, width: 400, height: 300, title: "ward" });
    expect([r.width, r.height, r.data.length]).toEqual([400, 300, 400 * 300 * 4]);
    expect(inked(r)).toBeGreaterThan(500);
  });
  it("draws the whole tree when p is at least n - 1, with defaults 560 x 360", () => {
    for (const lastP of [39, 40, 200]) {
      const r = dendrogram(l.matrix, { lastP });
      expect([r.width, r.height]).toEqual([560, 360]);
      expect(inked(r)).toBeGreaterThan(500);
    }
  });
  it("a single leaf, two points, and bad options", () => {
    expect(inked(dendrogram(l, { lastP: 1 }))).toBeGreaterThan(50);
    expect(inked(dendrogram(linkage(rows([[0], [1]]), "single"), { width: 64, height: 64 }))).toBeGreaterThan(20);
    expect(() => dendrogram(l, { lastP: 0 })).toThrow();
    expect(() => dendrogram(l, { width: 10 })).toThrow();
  });
});
