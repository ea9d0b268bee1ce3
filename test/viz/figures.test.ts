import { describe, expect, it } from "vitest";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";
import {
  formatNumber, getPixel, imageSheet, interpolationStrips, inverseNormalCdf, latentGridCodes, latentManifold, lerp,
  lossCurve, niceTicks, normalQuantileGrid, PALETTE, reconstructionGrid, scatterPlot, slerp, TITLE_HEIGHT, toPixel,
  VizError, type Raster,
} from "../../src/viz/index.js";

/** n images of h*w*c values, image i filled with (i + 1) / (n + 1). */
function batch(n: number, h: number, w: number, c = 1): Tensor {
  const d = h * w * c;
  const v = new Float32Array(n * d);
  for (let i = 0; i < n; i++) v.fill((i + 1) / (n + 1), i * d, (i + 1) * d);
  return tensor(v, [n, d]);
}

function inked(r: Raster, x0: number, y0: number, w: number, h: number): number {
  let n = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) {
    const [a, b, c] = getPixel(r, x, y);
    if (a !== 255 || b !== 255 || c !== 255) n++;
  }
  return n;
}

function grey(r: Raster, x: number, y: number): number {
  return getPixel(r, x, y)[0];
}

describe("image grids", () => {
  it("reconstructionGrid: pairs of rows, wrapping at `columns`", () => {
    const [h, w] = [4, 3];
    const opts = { imageShape: [h, w, 1] as const, scale: 2, gap: 1, padding: 3, pairGap: 5, rowLabels: null };
    const a = batch(7, h, w), b = batch(7, h, w);
    const g = reconstructionGrid(a, b, { ...opts, columns: 3 });
    // 3 pairs of rows; widths: 3 tiles of 6 px
    expect(g.width).toBe(2 * 3 + 3 * 6 + 2 * 1);
    expect(g.height).toBe(2 * 3 + 3 * (2 * 8 + 1) + 2 * 5);
    // image 4 (second pair, second column): original at (3 + 7, 3 + 22), reconstruction one tile lower
    const v = Math.round((5 / 8) * 255);
    expect(grey(g, 3 + 7, 3 + 22)).toBe(v);
    expect(grey(g, 3 + 7 + 5, 3 + 22 + 8 + 1 + 7)).toBe(v);
    // one pair when n <= columns, and the columns shrink to n
    const one = reconstructionGrid(batch(2, h, w), batch(2, h, w), { ...opts, columns: 10 });
    expect([one.width, one.height]).toEqual([2 * 3 + 2 * 6 + 1, 2 * 3 + 2 * 8 + 1]);
    // row labels and a title add room
    const labelled = reconstructionGrid(a, b, { imageShape: [h, w, 1], columns: 3, scale: 2, gap: 1, padding: 3, pairGap: 5, title: "T" });
    expect(labelled.width).toBeGreaterThan(g.width);
    expect(labelled.height).toBe(g.height + TITLE_HEIGHT);
  });

  it("reconstructionGrid: rejects mismatched batches and wrong image sizes", () => {
    expect(() => reconstructionGrid(batch(3, 2, 2), batch(2, 2, 2), { imageShape: [2, 2, 1] })).toThrow(VizError);
    let err: unknown;
    try { reconstructionGrid(batch(3, 28, 28), batch(3, 28, 28), { imageShape: [28, 28, 4] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(VizError);
    expect(String(err)).toMatch(/3136/); // expected 28*28*4
    expect(String(err)).toMatch(/784/); // found
  });

  it("imageSheet: a square sheet by default", () => {
    const s = imageSheet(batch(9, 5, 5), { imageShape: [5, 5, 1], scale: 3, gap: 2, padding: 4 });
    expect([s.width, s.height]).toEqual([2 * 4 + 3 * 15 + 2 * 2, 2 * 4 + 3 * 15 + 2 * 2]);
    const t = imageSheet(batch(10, 5, 5), { imageShape: [5, 5, 1], columns: 4, scale: 1, gap: 0, padding: 0 });
    expect([t.width, t.height]).toEqual([20, 15]);
    // image 9 is at column 1 of row 2
    expect(grey(t, 5, 10)).toBe(Math.round((10 / 11) * 255));
    expect(grey(t, 12, 12)).toBe(255); // the empty slots are background
  });

  it("figures of zero images are empty but valid", () => {
    const none = tensor(new Float32Array(0), [0, 4]);
    for (const r of [
      imageSheet(none, { imageShape: [2, 2, 1] }),
      reconstructionGrid(none, none, { imageShape: [2, 2, 1] }),
      interpolationStrips([], { imageShape: [2, 2, 1] }),
      imageSheet(none, { imageShape: [2, 2, 1], padding: 0 }),
    ]) {
      expect(r.width).toBeGreaterThanOrEqual(1);
      expect(r.height).toBeGreaterThanOrEqual(1);
      expect(r.data.length).toBe(r.width * r.height * 4);
    }
  });

  it("NaN pixels show up in magenta, not as data", () => {
    const v = new Float32Array(4).fill(0.5);
    v[3] = NaN;
    const s = imageSheet(tensor(v, [1, 4]), { imageShape: [2, 2, 1], scale: 1, padding: 0 });
    expect(getPixel(s, 1, 1)).toEqual([255, 0, 255, 255]);
    expect(getPixel(s, 0, 0)).toEqual([128, 128, 128, 255]);
  });

  it("interpolationStrips: one strip per pair, as wide as the longest", () => {
    const r = interpolationStrips([batch(5, 3, 3), batch(7, 3, 3)], { imageShape: [3, 3, 1], scale: 2, gap: 1, padding: 2 });
    expect([r.width, r.height]).toEqual([2 * 2 + 7 * 6 + 6, 2 * 2 + 2 * 6 + 1]);
    expect(grey(r, 2 + 6 * 7, 2 + 7)).toBe(Math.round((7 / 8) * 255));
    const labelled = interpolationStrips([batch(5, 3, 3)], { imageShape: [3, 3, 1], labels: ["3 -> 8"] });
    expect(labelled.width).toBeGreaterThan(2 * 4 + 5 * 6 + 4 * 2);
  });

  it("a title wider than the grid widens the figure", () => {
    const r = imageSheet(batch(1, 2, 2), { imageShape: [2, 2, 1], title: "A long title for a tiny grid" });
    expect(r.width).toBeGreaterThan(200);
    expect(inked(r, 0, 0, r.width, TITLE_HEIGHT)).toBeGreaterThan(50);
  });
});

describe("latent manifold", () => {
  it("inverse normal CDF matches known quantiles", () => {
    expect(inverseNormalCdf(0.5)).toBe(0);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959963984540054, 6);
    expect(inverseNormalCdf(0.05)).toBeCloseTo(-1.6448536269514722, 6);
    expect(inverseNormalCdf(0.95)).toBeCloseTo(1.6448536269514722, 6);
    expect(inverseNormalCdf(0.9)).toBeCloseTo(1.2815515655446004, 6);
    expect(inverseNormalCdf(0.02425)).toBeCloseTo(-1.9729610513118845, 6); // the central/tail boundary of Acklam's split
    expect(inverseNormalCdf(1e-10)).toBeCloseTo(-6.361340902404056, 6);
    expect(inverseNormalCdf(1 - 1e-10)).toBeCloseTo(6.361340889697422, 5);
    expect(inverseNormalCdf(1e-300)).toBeCloseTo(-37.0470962993612, 5);
    expect(inverseNormalCdf(0)).toBe(-Infinity);
    expect(inverseNormalCdf(1)).toBe(Infinity);
    expect(inverseNormalCdf(1.5)).toBeNaN();
    expect(inverseNormalCdf(NaN)).toBeNaN();
    for (const p of [0.001, 0.2, 0.4, 0.6]) expect(inverseNormalCdf(1 - p)).toBeCloseTo(-inverseNormalCdf(p), 9);
  });

  it("normalQuantileGrid: centred probabilities or the Keras linspace", () => {
    const g = normalQuantileGrid(4);
    expect(Array.from(g)).toEqual(Array.from(Float32Array.from([0.125, 0.375, 0.625, 0.875].map(inverseNormalCdf))));
    expect(g[0]).toBeCloseTo(-1.15035, 4);
    const k = normalQuantileGrid(15, { range: [0.05, 0.95] });
    expect(k[0]).toBeCloseTo(-1.644854, 5);
    expect(k[7]).toBeCloseTo(0, 6);
    expect(k[14]).toBeCloseTo(1.644854, 5);
    expect(Array.from(normalQuantileGrid(1))).toEqual([0]);
    expect(() => normalQuantileGrid(0)).toThrow(VizError);
    expect(() => normalQuantileGrid(3, { range: [0, 1] })).toThrow(VizError);
  });

  it("latentGridCodes: row-major, top row = highest y", () => {
    const codes = latentGridCodes([-1, 0, 1]);
    expect(codes.shape).toEqual([9, 2]);
    expect(Array.from(codes.data.subarray(0, 2))).toEqual([-1, 1]); // top left
    expect(Array.from(codes.data.subarray(4, 6))).toEqual([1, 1]); // top right
    expect(Array.from(codes.data.subarray(16, 18))).toEqual([1, -1]); // bottom right
    const wide = latentGridCodes([-1, 1], { latent: 4, dims: [3, 1] });
    expect(Array.from(wide.data.subarray(0, 4))).toEqual([0, 1, 0, -1]);
    expect(() => latentGridCodes([0], { dims: [0, 0] })).toThrow(VizError);
  });

  it("latentManifold lays out gridSize^2 tiles without gaps", () => {
    const g = 3;
    const r = latentManifold(batch(9, 4, 4), { gridSize: g, imageShape: [4, 4, 1], scale: 2, padding: 0 });
    expect([r.width, r.height]).toEqual([24, 24]);
    // tile 5 = row 1, column 2
    expect(grey(r, 2 * 8 + 3, 8 + 3)).toBe(Math.round((6 / 10) * 255));
    expect(() => latentManifold(batch(8, 4, 4), { gridSize: 3, imageShape: [4, 4, 1] })).toThrow(/9 images/);
    const axes = latentManifold(batch(9, 4, 4), { gridSize: g, imageShape: [4, 4, 1], scale: 2, padding: 0, values: normalQuantileGrid(3) });
    expect(axes.width).toBeGreaterThan(24);
    expect(axes.height).toBeGreaterThan(24);
  });
});

describe("interpolation", () => {
  const a = Float32Array.from([1, 0, 0]), b = Float32Array.from([0, 1, 0]);

  it("lerp: both end points, straight steps", () => {
    const t = lerp(a, b, 5);
    expect(t.shape).toEqual([5, 3]);
    expect(Array.from(t.data.subarray(0, 3))).toEqual([1, 0, 0]);
    expect(Array.from(t.data.subarray(12, 15))).toEqual([0, 1, 0]);
    expect(Array.from(t.data.subarray(6, 9))).toEqual([0.5, 0.5, 0]);
    expect(() => lerp(a, Float32Array.from([1]), 3)).toThrow(VizError);
  });

  it("slerp: end points and unit norm all along", () => {
    const t = slerp(a, b, 7);
    expect(Array.from(t.data.subarray(0, 3))).toEqual([1, 0, 0]);
    const last = Array.from(t.data.subarray(18, 21));
    expect(last[0]).toBeCloseTo(0, 6);
    expect(last[1]).toBeCloseTo(1, 6);
    for (let i = 0; i < 7; i++) {
      const row = t.data.subarray(i * 3, i * 3 + 3);
      expect(Math.hypot(...row)).toBeCloseTo(1, 6);
    }
    // the midpoint is at 45 degrees
    expect(t.data[9]).toBeCloseTo(Math.SQRT1_2, 6);
    // random unit codes in 16 dimensions
    const u = new Float32Array(16), v = new Float32Array(16);
    for (let i = 0; i < 16; i++) { u[i] = Math.sin(i + 1); v[i] = Math.cos(3 * i); }
    const nu = Math.hypot(...u), nv = Math.hypot(...v);
    u.forEach((x, i) => (u[i] = x / nu)); v.forEach((x, i) => (v[i] = x / nv));
    const s = slerp(u, v, 9);
    for (let i = 0; i < 9; i++) expect(Math.hypot(...s.data.subarray(i * 16, (i + 1) * 16))).toBeCloseTo(1, 5);
  });

  it("slerp falls back to lerp for (nearly) parallel or zero codes", () => {
    expect(slerp(a, a, 3).data).toEqual(lerp(a, a, 3).data);
    const z = new Float32Array(3);
    expect(Array.from(slerp(z, b, 3).data)).toEqual(Array.from(lerp(z, b, 3).data));
    expect(slerp(a, b, 1).shape).toEqual([1, 3]);
  });
});

describe("plots", () => {
  it("niceTicks and formatNumber give round, readable ticks", () => {
    expect(niceTicks(0, 1, 5).values).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    expect(niceTicks(-3.2, 7.9, 5).values).toEqual([-2, 0, 2, 4, 6]);
    expect(formatNumber(0.6000000000000001, 0.2)).toBe("0.6");
    expect(formatNumber(-0, 1)).toBe("0");
    expect(formatNumber(250, 50)).toBe("250");
    expect(formatNumber(0.00003, 0.00001)).toBe("3e-5");
    expect(formatNumber(-1.6448536, 0)).toBe("-1.645");
    expect(formatNumber(NaN)).toBe("NaN");
  });

  it("scatterPlot puts each point at its pixel", () => {
    const pts = Float32Array.from([0, 0, 10, 10, 5, 2.5]);
    const p = scatterPlot(pts, Uint8Array.from([0, 1, 3]), {
      xRange: [0, 10], yRange: [0, 10], width: 300, height: 240, alpha: 1, markerSize: 2, title: "T", xLabel: "x", yLabel: "y",
    });
    expect([p.width, p.height]).toEqual([300, 240]);
    const f = p.frame;
    expect(toPixel(f, 0, 0)).toEqual([f.left, f.top + f.height - 1]);
    expect(toPixel(f, 10, 10)).toEqual([f.left + f.width - 1, f.top]);
    const [fx, fy] = toPixel(f, 5, 2.5);
    const [mx, my] = [Math.round(fx), Math.round(fy)];
    expect(getPixel(p, mx, my).slice(0, 3)).toEqual([...PALETTE[3]!]);
    // the marker is centred: its ink in the 9x9 box around (mx, my) balances
    let sx = 0, sy = 0, n = 0;
    for (let y = my - 4; y <= my + 4; y++) for (let x = mx - 4; x <= mx + 4; x++) {
      const [r, g, b] = getPixel(p, x, y);
      if (r === PALETTE[3]![0] && g === PALETTE[3]![1] && b === PALETTE[3]![2]) { sx += x; sy += y; n++; }
    }
    expect(n).toBeGreaterThan(5);
    expect(Math.abs(sx / n - fx)).toBeLessThan(0.35);
    expect(Math.abs(sy / n - fy)).toBeLessThan(0.35);
    // the top-right point, clipped to the frame but present
    expect(getPixel(p, f.left + f.width - 1, f.top).slice(0, 3)).toEqual([...PALETTE[1]!]);
    // the legend (right of the frame) holds the three class colours; the title box has ink
    const legendInk = new Set<string>();
    for (let y = f.top; y < f.top + 60; y++) for (let x = f.left + f.width + 2; x < p.width; x++) legendInk.add(getPixel(p, x, y).slice(0, 3).join(","));
    for (const k of [0, 1, 3]) expect(legendInk.has(PALETTE[k]!.join(","))).toBe(true);
    expect(legendInk.has(PALETTE[2]!.join(","))).toBe(false);
    expect(inked(p, 0, 0, p.width, f.top - 2)).toBeGreaterThan(10);
  });

  it("scatterPlot chooses a range around the data and takes [n, 2] tensors", () => {
    const t = tensor(Float32Array.from([-2, 4, 2, 8, NaN, 1]), [3, 2]);
    const p = scatterPlot(t, null, { width: 200, height: 160 });
    expect(p.frame.xRange[0]).toBeLessThan(-2);
    expect(p.frame.xRange[1]).toBeGreaterThan(2);
    expect(p.frame.yRange[0]).toBeLessThan(4);
    const [x, y] = toPixel(p.frame, 2, 8).map(Math.round) as [number, number];
    expect(getPixel(p, x, y).slice(0, 3)).not.toEqual([255, 255, 255]);
    const wide = tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(scatterPlot(wide, null, { dims: [0, 2] }).frame.yRange[1]).toBeGreaterThan(6);
    expect(() => scatterPlot(Float32Array.from([1, 2, 3]), null)).toThrow(VizError);
    expect(() => scatterPlot(Float32Array.from([1, 2]), Uint8Array.from([1, 2]))).toThrow(/1 labels/);
    expect(() => scatterPlot(tensor(new Float32Array(3), [3]), null)).toThrow(VizError);
    // nothing to plot: axes only
    const empty = scatterPlot(new Float32Array(0), null, { width: 100, height: 80 });
    expect([empty.width, empty.height]).toEqual([100, 80]);
  });

  it("scatterPlot uses class names in the legend", () => {
    const pts = Float32Array.from([0, 0, 1, 1]);
    const plain = scatterPlot(pts, Uint8Array.from([0, 1]), { width: 300, height: 200 });
    const named = scatterPlot(pts, Uint8Array.from([0, 1]), { width: 300, height: 200, classNames: ["a long class name", "b"] });
    // a wider legend leaves a narrower frame
    expect(named.frame.width).toBeLessThan(plain.frame.width);
  });

  it("lossCurve draws each series in its colour, with a legend", () => {
    const train = [5, 3, 2, 1.5, 1.2, 1.1], test = [5.5, 3.6, 2.8, 2.6, 2.7, NaN];
    const p = lossCurve([{ name: "train", values: train }, { name: "test", values: test }], { title: "Loss", width: 320, height: 240 });
    const f = p.frame;
    expect(f.xRange[0]).toBeLessThan(1);
    expect(f.xRange[1]).toBeGreaterThan(6);
    for (const [k, s] of [[0, train], [1, test]] as const) {
      for (let i = 0; i < 5; i++) {
        const [x, y] = toPixel(f, i + 1, s[i]!).map(Math.round) as [number, number];
        expect(getPixel(p, x, y).slice(0, 3), `series ${k} point ${i}`).toEqual([...PALETTE[k]!]);
      }
    }
    // the test line stops at its last finite value
    const [x5, y5] = toPixel(f, 5.5, 2.7).map(Math.round) as [number, number];
    expect(getPixel(p, x5, y5).slice(0, 3)).not.toEqual([...PALETTE[1]!]);
    expect(inked(p, 0, 0, p.width, f.top - 2)).toBeGreaterThan(10);
    // empty and degenerate series still give valid plots
    expect(lossCurve([], {}).width).toBe(560);
    expect(lossCurve([{ name: "one", values: [3] }], { width: 200, height: 150 }).frame.yRange[0]).toBeLessThan(3);
    expect(() => lossCurve([{ name: "x", values: [1, 2], x: [1] }])).toThrow(VizError);
    expect(() => lossCurve([{ name: "x", values: [1, 2] }], { width: 10 })).toThrow(VizError);
  });
});

describe("tick labels", () => {
  it("never print a negative zero", async () => {
    const { formatNumber } = await import("../../src/viz/figures/ticks.js");
    expect(formatNumber(-1e-9, 0.01)).toBe("0.00");
    expect(formatNumber(-0.004, 0.01)).toBe("0.00");
    expect(formatNumber(-0.006, 0.01)).toBe("-0.01");
  });
});
