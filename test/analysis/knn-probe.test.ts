import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { knnAccuracy, knnPredict, linearProbe, nearestNeighbours } from "../../src/analysis/index.js";
import { initSync } from "../../src/backend/default.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { ConfigError } from "../../src/nn/layer.js";
import { key, normalF64, uniform } from "../../src/random/index.js";
import { ShapeError, type TensorLike } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

const mat = (data: ArrayLike<number>, n: number, d: number): TensorLike => ({ data, shape: [n, d], stride: [d, 1], offset: 0 });

/** n points per class around `classes` centres spaced `gap` apart on the first axis, in d dimensions. */
function blobs(seed: number, perClass: number, classes: number, d: number, gap: number, spread: number) {
  const n = perClass * classes, z = normalF64(key(seed), n * d);
  const x = new Float32Array(n * d), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let j = 0; j < d; j++) x[i * d + j] = spread * z[i * d + j]! + (j === 0 ? gap * y[i]! : j === 1 ? gap * (y[i]! % 2) : 0);
  }
  return { x, y, n };
}

/** Brute-force float64 kNN: sort every training row by (distance, index). */
function bruteNeighbours(x: ArrayLike<number>, n: number, q: ArrayLike<number>, m: number, d: number, k: number): number[][] {
  return Array.from({ length: m }, (_, i) => {
    const dist = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let c = 0; c < d; c++) s += (q[i * d + c]! - x[j * d + c]!) ** 2;
      return s;
    });
    return [...Array(n).keys()].sort((a, b) => dist[a]! - dist[b]! || a - b).slice(0, k).map((j) => j);
  });
}

function bruteVote(neighbours: number[], y: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (const j of neighbours) counts.set(y[j]!, (counts.get(y[j]!) ?? 0) + 1);
  const most = Math.max(...counts.values());
  return y[neighbours.find((j) => counts.get(y[j]!) === most)!]!;
}

describe("nearestNeighbours", () => {
  it("equals brute-force float64 neighbours (ties to the lower index) on both backends", () => {
    const ref = new ReferenceBackend();
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 1e6 }), fc.boolean(), (n, m, d, seed, grid) => {
        // grid: small integer coordinates, so many distances tie exactly.
        const raw = normalF64(key(seed), (n + m) * d).map((v) => (grid ? Math.round(v * 1.5) : v * 10 + 100));
        const x = raw.subarray(0, n * d), q = raw.subarray(n * d);
        const k = 1 + (seed % n);
        const want = bruteNeighbours(x, n, q, m, d, k);
        for (const options of [{}, { backend: ref }]) {
          const got = nearestNeighbours(mat(x, n, d), mat(q, m, d), k, options);
          for (let i = 0; i < m; i++) {
            expect(Array.from(got.indices.subarray(i * k, (i + 1) * k))).toEqual(want[i]);
            for (let t = 0; t < k; t++) {
              let s = 0;
              for (let c = 0; c < d; c++) s += (q[i * d + c]! - x[want[i]![t]! * d + c]!) ** 2;
              expect(got.distances[i * k + t]).toBe(Math.sqrt(s));
            }
          }
        }
      }), { numRuns: 80 });
  });

  it("finds each point itself first when queried with its own rows", () => {
    const x = normalF64(key(4), 30 * 3);
    const nb = nearestNeighbours(mat(x, 30, 3), mat(x, 30, 3), 3);
    for (let i = 0; i < 30; i++) { expect(nb.indices[i * 3]).toBe(i); expect(nb.distances[i * 3]).toBe(0); }
  });
});

describe("knnAccuracy", () => {
  it("is 1 on well separated blobs", () => {
    const train = blobs(1, 40, 4, 5, 20, 1), test = blobs(2, 25, 4, 5, 20, 1);
    for (const k of [1, 5, 15]) expect(knnAccuracy(mat(train.x, train.n, 5), train.y, mat(test.x, test.n, 5), test.y, k)).toBe(1);
  });

  it("equals a hand-written brute-force float64 kNN on overlapping blobs", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 12 }), (seed, k) => {
      const train = blobs(seed, 20, 3, 3, 2, 1.5), test = blobs(seed + 1, 10, 3, 3, 2, 1.5);
      const want = bruteNeighbours(train.x, train.n, test.x, test.n, 3, k).map((nb) => bruteVote(nb, train.y));
      const got = knnPredict(mat(train.x, train.n, 3), train.y, mat(test.x, test.n, 3), k);
      expect(Array.from(got)).toEqual(want);
      const acc = want.filter((c, i) => c === test.y[i]).length / test.n;
      expect(knnAccuracy(mat(train.x, train.n, 3), train.y, mat(test.x, test.n, 3), test.y, k)).toBe(acc);
    }), { numRuns: 30 });
  });

  it("breaks a tie between labels by the nearest neighbour", () => {
    const x = mat([0, 1, 3, 4], 4, 1);
    // Query 1.8: neighbours 1 (label 7), 3 (label 2), 0 (label 2), 4 (label 7): k = 2 and k = 4 tie.
    expect(Array.from(knnPredict(x, [2, 7, 2, 7], mat([1.8], 1, 1), 2))).toEqual([7]);
    expect(Array.from(knnPredict(x, [2, 7, 2, 7], mat([1.8], 1, 1), 4))).toEqual([7]);
    expect(Array.from(knnPredict(x, [2, 7, 2, 7], mat([1.8], 1, 1), 3))).toEqual([2]);
  });

  it("throws typed errors for bad k, mismatched lengths and NaN rows", () => {
    const x = mat([0, 1, 3, 4], 4, 1), q = mat([1], 1, 1);
    expect(() => knnAccuracy(x, [0, 1, 0, 1], q, [0], 0)).toThrow(ConfigError);
    expect(() => knnAccuracy(x, [0, 1, 0, 1], q, [0], 5)).toThrow(/k must be an integer in 1..4/);
    expect(() => knnAccuracy(x, [0, 1, 0], q, [0], 1)).toThrow(ShapeError);
    expect(() => knnAccuracy(x, [0, 1, 0, 1], q, [0, 1], 1)).toThrow(ShapeError);
    expect(() => knnAccuracy(x, [0, 1, 0, 1], mat([1, 2], 1, 2), [0], 1)).toThrow(ShapeError);
    expect(() => knnAccuracy(mat([0, 1, NaN, 4], 4, 1), [0, 1, 0, 1], q, [0], 1)).toThrow(/row 2/);
    expect(() => nearestNeighbours(x, mat([1, NaN], 2, 1), 1)).toThrow(/queries: row 1/);
  });
});

describe("linearProbe", () => {
  const train = blobs(11, 60, 3, 4, 6, 0.7), test = blobs(12, 30, 3, 4, 6, 0.7);
  const run = (seed: number, epochs = 40) => linearProbe(mat(train.x, train.n, 4), train.y, mat(test.x, test.n, 4), test.y,
    { classes: 3, epochs, learningRate: 0.05, key: key(seed) });

  it("reaches 100% on linearly separable data and its loss decreases", () => {
    const probe = run(1);
    expect(probe.trainAccuracy).toBe(1);
    expect(probe.testAccuracy).toBe(1);
    expect(probe.params.weight!.shape).toEqual([3, 4]);
    expect(probe.params.bias!.shape).toEqual([3]);
    expect(probe.losses[0]).toBeGreaterThan(0.5);
    expect(probe.losses[probe.losses.length - 1]!).toBeLessThan(probe.losses[0]! / 10);
    for (let e = 5; e < probe.losses.length; e += 5) expect(probe.losses[e]!).toBeLessThan(probe.losses[e - 5]!);
  });

  it("is a function of its key; weight decay keeps the weights smaller", () => {
    const a = run(3, 10), b = run(3, 10), c = run(4, 10);
    expect(Array.from(a.params.weight!.data)).toEqual(Array.from(b.params.weight!.data));
    expect(Array.from(a.params.weight!.data)).not.toEqual(Array.from(c.params.weight!.data));
    const decayed = linearProbe(mat(train.x, train.n, 4), train.y, mat(test.x, test.n, 4), test.y,
      { classes: 3, epochs: 10, learningRate: 0.05, key: key(3), weightDecay: 1, backend: new ReferenceBackend() });
    const norm = (w: ArrayLike<number>) => Array.from(w).reduce((s, v) => s + v * v, 0);
    expect(norm(decayed.params.weight!.data)).toBeLessThan(norm(a.params.weight!.data));
  });

  it("throws typed errors for labels out of range and bad options", () => {
    const x = mat(uniform(key(1), 8), 4, 2);
    const base = { classes: 2, epochs: 1, learningRate: 0.1, key: key(0) };
    expect(() => linearProbe(x, [0, 1, 2, 0], x, [0, 1, 0, 1], base)).toThrow(/label 2 is 2/);
    expect(() => linearProbe(x, [0, 1, 1, 0], x, [0, 1], base)).toThrow(ShapeError);
    expect(() => linearProbe(x, [0, 1, 1, 0], x, [0, 1, 0, 1], { ...base, epochs: 0 })).toThrow(ConfigError);
    expect(() => linearProbe(x, [0, 1, 1, 0], x, [0, 1, 0, 1], { ...base, learningRate: NaN })).toThrow(ConfigError);
    expect(() => linearProbe(mat([1, 2, NaN, 4], 2, 2), [0, 1], x, [0, 1, 0, 1], base)).toThrow(/trainX: row 1/);
  });
});
