// Retrieval figures: precision@k and AP@k on hand-computed rankings, leave-one-out search on a
// hand-worked line of points and against a brute-force full sort written here, and the picture.
import { beforeAll, describe, expect, it } from "vitest";
import { averagePrecisionAtK, chancePrecision, leaveOneOut, precisionAtK, retrievalGrid } from "../../src/apps/retrieve.js";
import { initSync } from "../../src/backend/default.js";
import { key, normalF64 } from "../../src/random/index.js";
import { tensor, type TensorLike } from "../../src/tensor/tensor.js";
import { getPixel } from "../../src/viz/raster.js";

beforeAll(() => { initSync(); });

const column = (v: number[]): TensorLike => tensor(Float32Array.from(v), [v.length, 1]);

describe("precision@k and AP@k", () => {
  it("precision@k counts the relevant among the first k", () => {
    const rel = [1, 0, 1, 1, 0];
    expect(precisionAtK(rel, 5)).toBe(0.6);
    expect(precisionAtK(rel, 3)).toBeCloseTo(2 / 3, 15);
    expect(precisionAtK([false, true], 1)).toBe(0);
    expect(() => precisionAtK(rel, 0)).toThrow(/k must be an integer in 1..5/);
    expect(() => precisionAtK(rel, 6)).toThrow(/k must be an integer in 1..5/);
  });

  it("AP@k sums precision at each relevant rank over min(k, R)", () => {
    // Relevant at ranks 1 and 3: (1/1 + 2/3) / min(5, R).
    expect(averagePrecisionAtK([1, 0, 1, 0, 0], 5, 2)).toBeCloseTo((1 + 2 / 3) / 2, 15);
    expect(averagePrecisionAtK([1, 0, 1, 0, 0], 5, 4)).toBeCloseTo((1 + 2 / 3) / 4, 15);
    expect(averagePrecisionAtK([1, 0, 1, 0, 0], 5, 9)).toBeCloseTo((1 + 2 / 3) / 5, 15);
    expect(averagePrecisionAtK([0, 1], 2, 1)).toBe(0.5);
    expect(averagePrecisionAtK([0, 0, 1, 1], 4, 2)).toBeCloseTo((1 / 3 + 2 / 4) / 2, 15);
    // All relevant, or as many as there are, first: 1.
    expect(averagePrecisionAtK([1, 1, 1], 3, 10)).toBe(1);
    expect(averagePrecisionAtK([1, 1, 0, 0], 4, 2)).toBe(1);
    // Nothing relevant anywhere: 0.
    expect(averagePrecisionAtK([0, 0, 0], 3, 0)).toBe(0);
    expect(() => averagePrecisionAtK([1, 1], 2, 1)).toThrow(/totalRelevant is 1/);
  });

  it("chance precision: the share of other rows with the query's label, averaged", () => {
    expect(chancePrecision([0, 0, 1])).toBeCloseTo(1 / 3, 15);
    expect(chancePrecision([2, 2, 2, 2])).toBe(1);
    expect(chancePrecision([0, 1, 2])).toBe(0);
  });
});

describe("leaveOneOut", () => {
  it("ranks the other points of a hand-worked line (k = 2), a tie going to the lower index", () => {
    // x:      0  1  3  6  10  10.5      labels: 0 0 1 1 0 1
    const r = leaveOneOut(column([0, 1, 3, 6, 10, 10.5]), [0, 0, 1, 1, 0, 1], 2);
    // Query 2 (x = 3) has 0 and 3 both at distance 3: 0 comes first.
    expect(Array.from(r.neighbours)).toEqual([1, 2, 0, 2, 1, 0, 2, 4, 5, 3, 4, 3]);
    expect(Array.from(r.precisionPerQuery)).toEqual([0.5, 0.5, 0, 0.5, 0, 0.5]);
    // R = 2 for every query; query 5's only hit is at rank 2: (1/2) / 2.
    expect(Array.from(r.apPerQuery)).toEqual([0.5, 0.5, 0, 0.5, 0, 0.25]);
    expect(r.precision).toBeCloseTo(2 / 6, 15);
    expect(r.map).toBeCloseTo(1.75 / 6, 15);
  });

  it("excludes the query itself even when duplicates of it come first", () => {
    const r = leaveOneOut(column([5, 5, 5, 0]), [0, 1, 0, 1], 1);
    // Rows 0, 1, 2 coincide: each finds the lowest other one (row 2: row 0, not itself); row 3 finds row 0.
    expect(Array.from(r.neighbours)).toEqual([1, 0, 0, 0]);
    expect(Array.from(r.precisionPerQuery)).toEqual([0, 0, 1, 0]);
  });

  it("agrees with a brute-force full sort on random blobs, and AP@(n-1) is the full average precision", () => {
    const n = 60, d = 5, z = normalF64(key(3), n * d);
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const x = Float32Array.from(z, (v, i) => v + (Math.floor(i / d) % 3) * (i % d === 0 ? 1.5 : 0));
    for (const k of [1, 7, n - 1]) {
      const r = leaveOneOut(tensor(x, [n, d]), labels, k);
      let sp = 0, sa = 0, full = 0;
      for (let q = 0; q < n; q++) {
        const dist = (j: number) => { let s = 0; for (let c = 0; c < d; c++) s += (x[q * d + c]! - x[j * d + c]!) ** 2; return s; };
        const order = Array.from({ length: n }, (_, j) => j).filter((j) => j !== q).sort((a, b) => dist(a) - dist(b) || a - b);
        expect(Array.from(r.neighbours.subarray(q * k, (q + 1) * k))).toEqual(order.slice(0, k));
        const rel = order.map((j) => labels[j] === labels[q]);
        const R = rel.filter(Boolean).length;
        let hits = 0, ap = 0, apFull = 0;
        rel.forEach((v, i) => { if (v) { hits++; if (i < k) ap += hits / (i + 1); apFull += hits / (i + 1); } });
        sp += rel.slice(0, k).filter(Boolean).length / k;
        sa += ap / Math.min(k, R);
        full += apFull / R;
      }
      expect(r.precision).toBeCloseTo(sp / n, 12);
      expect(r.map).toBeCloseTo(sa / n, 12);
      if (k === n - 1) expect(r.map).toBeCloseTo(full / n, 12);
    }
  });

  it("refuses k outside 1..n - 1", () => {
    expect(() => leaveOneOut(column([0, 1, 2]), [0, 0, 1], 3)).toThrow(/k must be an integer in 1..2/);
    expect(() => leaveOneOut(column([0, 1, 2]), [0, 0, 1], 0)).toThrow(/k must be an integer in 1..2/);
    expect(() => leaveOneOut(column([0, 1, 2]), [0, 0], 1)).toThrow(/2 labels for 3 rows/);
  });
});

describe("retrievalGrid", () => {
  it("lays out a row per query: the query, a gap, then its neighbours framed by relevance", () => {
    const shape = [4, 5, 1] as const, d = 20;
    const queries = tensor(new Float32Array(2 * d).fill(0.5), [2, d]);
    const nb = tensor(Float32Array.from({ length: 6 * d }, (_, i) => Math.floor(i / d) / 5), [6, d]);
    const r = retrievalGrid(queries, nb, [1, 0, 1, 0, 0, 1], { imageShape: shape, scale: 2 });
    // padding 4, frames 2: cells 14 x 12; query cell, a 12-pixel gap, 3 cells 2 apart.
    expect([r.width, r.height]).toEqual([4 + 14 + 12 + 3 * 14 + 2 * 2 + 4, 4 + 2 * 12 + 2 + 4]);
    const x0 = 4 + 14 + 12;
    expect(getPixel(r, x0, 4).slice(0, 3)).toEqual([30, 150, 60]); // row 0, neighbour 0: relevant
    expect(getPixel(r, x0 + 16, 4).slice(0, 3)).toEqual([210, 40, 40]); // row 0, neighbour 1: not
    expect(getPixel(r, x0 + 2 * 16, 4 + 12 + 2).slice(0, 3)).toEqual([30, 150, 60]); // row 1, neighbour 2
    // Inside the frame: the neighbour's grey (row 1, neighbour 2 is image 5: 1.0 -> 255).
    expect(getPixel(r, x0 + 2 * 16 + 2, 4 + 12 + 2 + 2).slice(0, 3)).toEqual([255, 255, 255]);
    expect(getPixel(r, x0 + 2, 4 + 2).slice(0, 3)).toEqual([0, 0, 0]); // image 0: 0.0
    expect(() => retrievalGrid(queries, tensor(new Float32Array(5 * d), [5, d]), null, { imageShape: shape })).toThrow(/not k for each of 2 queries/);
  });
});
