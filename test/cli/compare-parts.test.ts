// The parts of `latent compare` below the command: reading --models, percentiles, the grid's
// codes, the nearest-neighbour distances (against brute force), and the new figures' layouts
// and marks (side by side, the grid manifold, the Gaussian contours).
import { beforeAll, describe, expect, it } from "vitest";
import { initSync } from "../../src/backend/default.js";
import { takeModels } from "../../src/cli/commands/compare.js";
import { meanNearest, percentile } from "../../src/cli/commands/compare-model.js";
import { normal, key } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";
import { getPixel, raster, type Raster } from "../../src/viz/raster.js";
import { gridManifold, planeGridCodes } from "../../src/viz/figures/grid-manifold.js";
import { sideBySide } from "../../src/viz/figures/side-by-side.js";
import { drawDataRect, drawGaussianContours } from "../../src/viz/figures/plot-overlays.js";
import { scatterPlot } from "../../src/viz/figures/scatter.js";
import { toPixel } from "../../src/viz/figures/axes.js";

beforeAll(() => { initSync(); });

describe("takeModels", () => {
  it("takes the files after --models up to the next flag", () => {
    expect(takeModels(["--models", "a", "b", "--n", "5"])).toEqual({ models: ["a", "b"], rest: ["--n", "5"] });
    expect(takeModels(["--out", "x", "--models", "a", "b", "c"])).toEqual({ models: ["a", "b", "c"], rest: ["--out", "x"] });
    expect(takeModels(["--models=a", "--models", "b"])).toEqual({ models: ["a", "b"], rest: [] });
    expect(takeModels(["--models", "--n", "3"])).toEqual({ models: [], rest: ["--n", "3"] });
  });
});

describe("percentile", () => {
  it("interpolates linearly between order statistics", () => {
    const v = [5, 1, 4, 2, 3];
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 50)).toBe(3);
    expect(percentile(v, 100)).toBe(5);
    expect(percentile(v, 25)).toBe(2);
    expect(percentile(v, 1)).toBeCloseTo(1.04, 12);
    expect(percentile(v, 99)).toBeCloseTo(4.96, 12);
  });
});

describe("planeGridCodes", () => {
  it("puts origin + x u + y v row-major, the top row at the highest y", () => {
    const z = planeGridCodes([1, 2, 3], [1, 0, 0], [-1, 0, 1], [0, 1, 0], [10, 20]);
    expect(z.shape).toEqual([6, 3]);
    expect(Array.from(z.data)).toEqual([0, 22, 3, 1, 22, 3, 2, 22, 3, 0, 12, 3, 1, 12, 3, 2, 12, 3]);
    // one row along u without v
    expect(Array.from(planeGridCodes([0, 0], [2, 1], [1, 2]).data)).toEqual([2, 1, 4, 2]);
  });
});

describe("meanNearest", () => {
  const pts = (seed: number, n: number, d: number) => tensor(normal(key(seed), n * d), [n, d]);
  function brute(refs: Float32Array, q: Float32Array, d: number, exceptOwn: boolean): number {
    const n = refs.length / d, m = q.length / d;
    let sum = 0;
    for (let i = 0; i < m; i++) {
      let best = Infinity;
      for (let j = 0; j < n; j++) {
        if (exceptOwn && j === i) continue;
        let s = 0;
        for (let k = 0; k < d; k++) s += (q[i * d + k]! - refs[j * d + k]!) ** 2;
        best = Math.min(best, Math.sqrt(s));
      }
      sum += best;
    }
    return sum / m;
  }
  it("is the mean distance to the nearest reference, or to the nearest other one", () => {
    const refs = pts(1, 60, 5), q = pts(2, 20, 5);
    expect(meanNearest(refs, q, false)).toBeCloseTo(brute(refs.data, q.data, 5, false), 5);
    // queries that are the first references themselves, or near them (reconstructions)
    const own = tensor(refs.data.slice(0, 20 * 5), [20, 5]);
    expect(meanNearest(refs, own, true)).toBeCloseTo(brute(refs.data, own.data, 5, true), 5);
    const near = tensor(own.data.map((v) => v + 0.01), [20, 5]);
    expect(meanNearest(refs, near, true)).toBeCloseTo(brute(refs.data, near.data, 5, true), 5);
    expect(meanNearest(refs, own, false)).toBe(0);
  });
  it("counts an exact duplicate of a query's own row as its nearest other", () => {
    const refs = tensor(Float32Array.from([0, 0, 0, 0, 3, 4]), [3, 2]);
    expect(meanNearest(refs, tensor(Float32Array.from([0, 0]), [1, 2]), true)).toBe(0);
    expect(meanNearest(refs, tensor(Float32Array.from([0, 0, 0, 0, 3, 4]), [3, 2]), true)).toBeCloseTo((0 + 0 + 5) / 3, 12);
  });
});

function solid(w: number, h: number, c: readonly [number, number, number]): Raster {
  return raster(w, h, c);
}

describe("sideBySide", () => {
  it("places the panels left to right under their labels, by the documented layout", () => {
    const r = sideBySide([solid(30, 20, [255, 0, 0]), solid(40, 50, [0, 0, 255])], { labels: ["a", "b"] });
    // 2 * padding 6 + 30 + 40 + gap 16; labels at scale 2 (9 * 2 + 8 high) above panels
    expect([r.width, r.height]).toEqual([98, 26 + 12 + 50]);
    expect(getPixel(r, 6, 32)).toEqual([255, 0, 0, 255]);
    expect(getPixel(r, 6 + 29, 32 + 19)).toEqual([255, 0, 0, 255]);
    expect(getPixel(r, 6 + 30, 32)).toEqual([255, 255, 255, 255]);
    expect(getPixel(r, 52, 32)).toEqual([0, 0, 255, 255]);
    expect(getPixel(r, 52 + 39, 32 + 49)).toEqual([0, 0, 255, 255]);
    // a label wider than its panel widens the slot, the panel centred in it, and drops to scale 1
    const wide = sideBySide([solid(10, 10, [255, 0, 0])], { labels: ["a rather long label"] });
    expect(wide.width).toBeGreaterThan(10 + 12);
    expect(() => sideBySide([solid(5, 5, [0, 0, 0])], { labels: [] })).toThrow(/one label per panel/);
    // a sublabel line (scale 1: 9 + 6 pixels) moves the panels down
    const sub = sideBySide([solid(30, 20, [255, 0, 0]), solid(40, 50, [0, 0, 255])], { labels: ["a", "b"], sublabels: ["x", "y"] });
    expect([sub.width, sub.height]).toEqual([98, 26 + 15 + 12 + 50]);
    expect(getPixel(sub, 6, 32 + 15)).toEqual([255, 0, 0, 255]);
    expect(getPixel(sub, 6, 32 + 14)).toEqual([255, 255, 255, 255]);
  });
});

describe("gridManifold", () => {
  it("lays the tiles out row-major at scale, the top row first", () => {
    // six 2 x 2 grey images, image i of level 40 * i, in a 3 x 2 grid at scale 2
    const decoded = tensor(Float32Array.from({ length: 24 }, (_, j) => (40 * Math.floor(j / 4)) / 255), [6, 4]);
    const r = gridManifold(decoded, { imageShape: [2, 2, 1], xValues: [0, 1, 2], yValues: [0, 1], scale: 2 });
    const x0 = r.width - 4 - 3 * 4, y0 = 4;
    for (let i = 0; i < 6; i++) {
      const x = x0 + (i % 3) * 4, y = y0 + Math.floor(i / 3) * 4;
      expect(getPixel(r, x, y).slice(0, 3), `tile ${i}`).toEqual([40 * i, 40 * i, 40 * i]);
      expect(getPixel(r, x + 3, y + 3).slice(0, 3), `tile ${i}`).toEqual([40 * i, 40 * i, 40 * i]);
    }
    expect(() => gridManifold(decoded, { imageShape: [2, 2, 1], xValues: [0, 1], yValues: [0, 1] })).toThrow(/a 2 x 2 grid/);
  });
});

describe("plot overlays", () => {
  it("draws the Gaussian's contours through m + r * sd along each axis, and a rectangle", () => {
    const plot = scatterPlot(Float32Array.from([2.9, -2.9]), null, { xRange: [-3, 3], yRange: [-3, 3], width: 300, height: 300 });
    const ink = (x: number, y: number): number => {
      const [px, py] = toPixel(plot.frame, x, y);
      return 255 - getPixel(plot, Math.round(px), Math.round(py))[1];
    };
    expect(ink(1.5, 0)).toBeLessThan(30); // at most a grid line before drawing
    drawGaussianContours(plot, [0.5, 0], [1, 0, 4], [1], [0, 0, 0]);
    // N((0.5, 0), diag(1, 4)), radius 1: through (1.5, 0), (-0.5, 0), (0.5, 2), (0.5, -2); not through the centre
    for (const [x, y] of [[1.5, 0], [-0.5, 0], [0.5, 2], [0.5, -2]] as const) expect(ink(x, y), `${x}, ${y}`).toBeGreaterThan(100);
    expect(ink(0.5, 0)).toBeLessThan(30);
    expect(ink(0.5, 1)).toBeLessThan(30);
    drawDataRect(plot, -2.5, 2.5, -2.5, 2.5, [0, 0, 0]);
    expect(ink(-2.5, 0)).toBeGreaterThan(100);
    expect(ink(0, 2.5)).toBeGreaterThan(100);
    expect(ink(-2.6, 0)).toBeLessThan(30);
  });
});
