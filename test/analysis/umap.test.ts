import { beforeAll, describe, expect, it } from "vitest";
import { knnAccuracy, trustworthiness, umap } from "../../src/analysis/index.js";
import { initSync } from "../../src/backend/default.js";
import { ConfigError } from "../../src/nn/layer.js";
import { key, normalF64 } from "../../src/random/index.js";
import { ShapeError, type TensorLike } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

const mat = (data: ArrayLike<number>, n: number, d: number): TensorLike => ({ data, shape: [n, d], stride: [d, 1], offset: 0 });

/** perClass points around each of 3 centres 8 apart on axes 0, 1 and 2 of d dimensions (unit spread). */
function blobs(seed: number, perClass: number, d: number) {
  const n = 3 * perClass, z = normalF64(key(seed), n * d);
  const x = new Float32Array(n * d), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let j = 0; j < d; j++) x[i * d + j] = z[i * d + j]! + (j === y[i] ? 8 : 0);
  }
  return { x: mat(x, n, d), y, n, d };
}

const bitsOf = (t: { data: Float32Array }) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));

describe("umap", () => {
  const data = blobs(1, 50, 10);
  const base = { key: key(7), nNeighbors: 10, nEpochs: 90 };
  let fit: ReturnType<typeof umap>;
  beforeAll(() => { fit = umap(data.x, base); });

  it("returns [n, nComponents] and [m, nComponents]", () => {
    expect(fit.embedding.shape).toEqual([150, 2]);
    expect(fit.embedding.data.every(Number.isFinite)).toBe(true);
    const three = umap(data.x, { ...base, nComponents: 3 });
    expect(three.embedding.shape).toEqual([150, 3]);
    expect(three.transform(mat(new Float32Array(20), 2, 10)).shape).toEqual([2, 3]);
    expect(fit.transform(mat(new Float32Array(0), 0, 10)).shape).toEqual([0, 2]);
  });

  it("is a function of the key: the same key gives the same bits, another key other values", () => {
    expect(bitsOf(umap(data.x, base).embedding)).toEqual(bitsOf(fit.embedding));
    expect(bitsOf(umap(data.x, { ...base, key: key(8) }).embedding)).not.toEqual(bitsOf(fit.embedding));
  });

  it("keeps three separated blobs apart", () => {
    expect(trustworthiness(data.x, fit.embedding, 5)).toBeGreaterThan(0.9);
    expect(knnAccuracy(fit.embedding, data.y, fit.embedding, data.y, 5)).toBe(1);
  });

  it("places new points near their blob, deterministically", () => {
    const fresh = blobs(2, 10, 10);
    const moved = fit.transform(fresh.x);
    expect(moved.shape).toEqual([30, 2]);
    expect(knnAccuracy(fit.embedding, data.y, moved, fresh.y, 5)).toBe(1);
    expect(bitsOf(fit.transform(fresh.x))).toEqual(bitsOf(moved));
  });

  it("leaves the fitted embedding in place for a batch of exactly n rows", () => {
    const before = bitsOf(fit.embedding);
    const fresh = blobs(3, 50, 10);
    const moved = fit.transform(fresh.x);
    expect(knnAccuracy(fit.embedding, data.y, moved, fresh.y, 5)).toBe(1);
    expect(bitsOf(fit.embedding)).toEqual(before);
    const probe = blobs(2, 10, 10);
    expect(bitsOf(fit.transform(probe.x))).toEqual(bitsOf(fit.transform(probe.x)));
  });

  it("runs supervised with labels (and -1 for unlabelled rows)", () => {
    const labels = Array.from(data.y, (v, i) => (i % 5 === 0 ? -1 : v));
    const sup = umap(data.x, { ...base, labels, targetWeight: 0.8 });
    expect(sup.embedding.shape).toEqual([150, 2]);
    expect(knnAccuracy(sup.embedding, data.y, sup.embedding, data.y, 5)).toBe(1);
    expect(bitsOf(sup.embedding)).not.toEqual(bitsOf(fit.embedding));
  });

  it("rounds nEpochs up to a multiple of 3, so transform returns", () => {
    const small = blobs(4, 10, 4);
    for (const nEpochs of [1, 20, 31]) {
      const u = umap(small.x, { key: key(1), nNeighbors: 5, nEpochs });
      expect(u.transform(blobs(5, 2, 4).x).shape).toEqual([6, 2]);
    }
  });

  it("refuses bad inputs and options with typed errors", () => {
    const small = blobs(4, 4, 3);
    const k = key(0);
    expect(() => umap(mat(new Float32Array(6), 6, 1), { key: k, nNeighbors: 6 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k })).toThrow(/nNeighbors \(15\) must be smaller than the number of rows \(12\)/);
    expect(() => umap(mat(new Float32Array(3), 1, 3), { key: k, nNeighbors: 2 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 1 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 2.5 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, nComponents: 0 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, minDist: -0.1 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, minDist: Number.NaN })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, nEpochs: 0 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, targetWeight: 0.5 })).toThrow(/targetWeight needs labels/);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, labels: small.y, targetWeight: 0 })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, labels: [1, 2] })).toThrow(ShapeError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, labels: Array.from(small.y, () => 0.5) })).toThrow(ConfigError);
    expect(() => umap(small.x, { key: k, nNeighbors: 4, labels: Array.from(small.y, () => -2) })).toThrow(ConfigError);
    expect(() => umap(small.x, { nNeighbors: 4 } as never)).toThrow(ConfigError);
    const nan = Float32Array.from(small.x.data as Float32Array);
    nan[3 * 3 + 1] = Number.NaN;
    expect(() => umap(mat(nan, 12, 3), { key: k, nNeighbors: 4 })).toThrow(/row 3/);
    expect(() => umap(mat(nan, 12, 3), { key: k, nNeighbors: 4 })).toThrow(ConfigError);
    expect(() => umap({ data: small.x.data, shape: [36], stride: [1], offset: 0 }, { key: k })).toThrow(ShapeError);
    expect(() => umap(mat(new Float32Array(0), 12, 0), { key: k, nNeighbors: 4 })).toThrow(ShapeError);
    expect(() => umap(null as never, { key: k })).toThrow(ShapeError);
    const u = umap(small.x, { key: k, nNeighbors: 4, nEpochs: 3 });
    expect(() => u.transform(mat(new Float32Array(4), 1, 4))).toThrow(ShapeError);
    expect(() => u.transform(mat([Number.POSITIVE_INFINITY, 0, 0], 1, 3))).toThrow(/row 0/);
  });
});
