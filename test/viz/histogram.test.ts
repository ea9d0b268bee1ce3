// Histograms: counts in equal-width bins (numpy's edges: half-open bins, the last closed), checked
// by hand and against a linear scan over the edges; out-of-range, non-finite and clamped values;
// densities of area 1; and the figure's bars where the counts put them.
import { describe, expect, it } from "vitest";
import * as fc from "fast-check";
import { binEdges, histogram, histogramCounts, valueRange } from "../../src/viz/figures/histogram.js";
import { toPixel } from "../../src/viz/figures/axes.js";
import { getPixel, PALETTE, VizError } from "../../src/viz/raster.js";

/** Bin of v by scanning the edges: the last k with edges[k] <= v (the top edge belongs to the last bin); -1 / bins outside. */
function scan(edges: Float64Array, v: number): number {
  const b = edges.length - 1;
  if (v < edges[0]! || v > edges[b]!) return -1;
  if (v === edges[b]) return b - 1;
  let k = 0;
  while (k + 1 < b && edges[k + 1]! <= v) k++;
  return k;
}

describe("histogramCounts", () => {
  it("bins by hand: [lo, e1), ..., [e3, hi]; values outside and NaN counted apart", () => {
    const h = histogramCounts([0, 0.5, 1, 1.5, 2, 2, 3, -1, NaN, Infinity, 0.49], { bins: 4, range: [0, 2] });
    expect(Array.from(h.edges)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(Array.from(h.counts)).toEqual([2, 1, 1, 3]);
    expect([h.below, h.above, h.nonFinite]).toEqual([1, 1, 2]);
  });

  it("clamps out-of-range values (and infinities) into the end bins", () => {
    const h = histogramCounts([-5, 0.2, 9, Infinity, -Infinity, NaN], { bins: 2, range: [0, 1], overflow: "clamp" });
    expect(Array.from(h.counts)).toEqual([3, 2]);
    expect([h.below, h.above, h.nonFinite]).toEqual([0, 0, 1]);
  });

  it("defaults to the finite range, one distinct value to [v - 0.5, v + 0.5]", () => {
    expect(valueRange([[3, -1, NaN], [Infinity, 2]])).toEqual([-1, 3]);
    expect(valueRange([[2, 2]])).toEqual([1.5, 2.5]);
    expect(valueRange([[]])).toEqual([0, 1]);
    const h = histogramCounts([1, 2, 3, 4], { bins: 3 });
    expect(Array.from(h.counts)).toEqual([1, 1, 2]);
  });

  it("agrees with a scan over the edges, values on the edges included", () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 17 }), fc.double({ min: -3, max: 0, noNaN: true }), fc.double({ min: 0.01, max: 5, noNaN: true }),
      (values, bins, lo, span) => {
        const edges = binEdges(lo, lo + span, bins);
        const all = [...values, ...edges]; // every edge itself
        const h = histogramCounts(all, { bins, range: [lo, lo + span] });
        const want = new Array<number>(bins).fill(0);
        let out = 0;
        for (const v of all) { const k = scan(edges, v); if (k < 0) out++; else want[k]!++; }
        expect(Array.from(h.counts)).toEqual(want);
        expect(h.below + h.above).toBe(out);
      }));
  });

  it("refuses bad bins and ranges", () => {
    expect(() => histogramCounts([1], { bins: 0 })).toThrow(VizError);
    expect(() => histogramCounts([1], { range: [2, 1] })).toThrow(VizError);
    expect(() => histogram([])).toThrow(VizError);
  });
});

describe("histogram (figure)", () => {
  const red = PALETTE[3]!, blue = PALETTE[0]!;
  it("draws each series' bars over shared edges, the density bars of area 1", () => {
    const a = [0.1, 0.1, 0.1, 0.1, 0.6]; // bins [0, .5) and [.5, 1]
    const b = [0.9, 0.9];
    const plot = histogram([{ name: "a", values: a, color: red }, { name: "b", values: b, color: blue }],
      { bins: 2, range: [0, 1], density: true, alpha: 1 });
    expect(Array.from(plot.histograms[0]!.counts)).toEqual([4, 1]);
    expect(Array.from(plot.histograms[1]!.counts)).toEqual([0, 2]);
    // densities: a = [0.8 / 0.5, 0.2 / 0.5] = [1.6, 0.4]; b = [0, 2]; the y axis reaches 2 * 1.05
    expect(plot.frame.yRange[1]).toBeCloseTo(2.1, 12);
    const at = (x: number, y: number) => { const [px, py] = toPixel(plot.frame, x, y); return getPixel(plot, Math.round(px), Math.round(py)).slice(0, 3); };
    expect(at(0.25, 1.2)).toEqual([...red]); // under a's first bar (1.6)
    expect(at(0.25, 1.8)).not.toEqual([...red]); // above it
    expect(at(0.75, 1.2)).toEqual([...blue]); // b (2) drawn over a (0.4) in the second bin
    expect(at(0.75, 0.2)).toEqual([...blue]);
  });

  it("defaults to count heights and one range for every series", () => {
    const plot = histogram([{ values: [0, 1, 1] }, { values: [3] }], { bins: 3 });
    expect(Array.from(plot.histograms[0]!.edges)).toEqual([0, 1, 2, 3]);
    expect(Array.from(plot.histograms[1]!.counts)).toEqual([0, 0, 1]);
    expect(plot.frame.yRange).toEqual([0, 2 * 1.05]);
  });
});
