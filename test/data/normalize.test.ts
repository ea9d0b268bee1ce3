// Per-band normalisation: the one-pass histogram fit equals percentiles read off a sorted copy
// (random uint8 bands, constant bands, one-pixel data sets), the map stays in [0, 1] and never
// divides by zero, the inverse gives the uint8 scale back, the metadata round-trips, and the
// default (global) normalisation is bit for bit the v / 255 that batches always used.
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gather, gatherInto, splitBatches, type Split } from "../../src/data/dataset.js";
import * as E from "fp-ts/lib/Either.js";
import { DataError } from "../../src/data/errors.js";
import { ConfigError } from "../../src/nn/layer.js";
import { ShapeError } from "../../src/tensor/tensor.js";
import {
  bandHistograms, bandWidth, denormalizeForDisplay, fitBandNormalization, GLOBAL, normalizationFromJson, normalizationTable,
  normalizationToJson, percentileRanks, type Normalization,
} from "../../src/data/normalize.js";

/** Percentile `p` of `values` by sorting: numpy's "lower" (low side) or "higher" (high side) method. */
function sortedPercentile(values: number[], p: number, side: "low" | "high"): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (p * (sorted.length - 1)) / 100;
  return sorted[side === "low" ? Math.floor(pos) : Math.ceil(pos)]!;
}

function band(pixels: Uint8Array, c: number, b: number): number[] {
  const out: number[] = [];
  for (let i = b; i < pixels.length; i += c) out.push(pixels[i]!);
  return out;
}

/** uint8 data of n samples of `perSample` pixels of c bands; some bands may be constant. */
const dataArb = fc.record({
  c: fc.integer({ min: 1, max: 5 }),
  perSample: fc.integer({ min: 1, max: 6 }),
  n: fc.integer({ min: 1, max: 30 }),
  seed: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 900 }),
  constant: fc.array(fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }), { minLength: 5, maxLength: 5 }),
  narrow: fc.boolean(),
}).map(({ c, perSample, n, seed, constant, narrow }) => {
  const pixels = new Uint8Array(n * perSample * c);
  for (let i = 0; i < pixels.length; i++) {
    const b = i % c;
    const v = seed[i % seed.length]!;
    pixels[i] = constant[b] !== undefined ? constant[b]! : narrow ? 100 + (v % 7) : v;
  }
  return { c, n, d: perSample * c, pixels };
});

const percentilesArb = fc.oneof(
  fc.constant<[number, number]>([1, 99]),
  fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]),
);

describe("fitBandNormalization", () => {
  it("equals percentiles of the sorted values of each band, for any uint8 data (constant bands and single pixels included)", () => {
    fc.assert(fc.property(dataArb, percentilesArb, ({ c, pixels }, p) => {
      const norm = fitBandNormalization({ pixels }, c, p);
      expect(norm.method).toBe("band");
      if (norm.method !== "band") return;
      expect(norm.percentiles).toEqual(p);
      for (let b = 0; b < c; b++) {
        const values = band(pixels, c, b);
        expect(norm.low[b]).toBe(sortedPercentile(values, p[0], "low"));
        expect(norm.high[b]).toBe(sortedPercentile(values, p[1], "high"));
      }
    }));
  });

  it("a one-pixel data set and a constant band give low == high and a finite map", () => {
    const one = fitBandNormalization({ pixels: Uint8Array.from([7, 200, 0, 255]) }, 4);
    expect(one).toEqual({ method: "band", percentiles: [1, 99], low: [7, 200, 0, 255], high: [7, 200, 0, 255] });
    const split: Split = { n: 1, pixels: Uint8Array.from([7, 200, 0, 255]), labels: null };
    const x = gather(split, 4, [0], one).data;
    expect(Array.from(x)).toEqual([0, 0, 0, 0]);
    const t = normalizationTable(one);
    expect(t.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    // One grey level of width: below or at low maps to 0, above to 1.
    expect([t[6 * 4]!, t[7 * 4]!, t[8 * 4]!]).toEqual([0, 0, 1]);
    if (one.method === "band") expect(bandWidth(one, 0)).toBe(1);
    // and the inverse gives the constant back exactly
    expect(Array.from(denormalizeForDisplay(one, x), (v) => Math.round(v * 255))).toEqual([7, 200, 0, 255]);
  });

  it("an empty split fits the full range; float pixels and bad percentiles are refused", () => {
    expect(fitBandNormalization({ pixels: new Uint8Array(0) }, 3)).toMatchObject({ low: [0, 0, 0], high: [255, 255, 255] });
    expect(() => fitBandNormalization({ pixels: new Float32Array(4) }, 4)).toThrow(ConfigError);
    expect(() => fitBandNormalization({ pixels: new Uint8Array(4) }, 4, [99, 1])).toThrow(ConfigError);
    expect(() => fitBandNormalization({ pixels: new Uint8Array(4) }, 4, [-1, 50])).toThrow(/percentiles/);
    expect(() => fitBandNormalization({ pixels: new Uint8Array(5) }, 4)).toThrow(ShapeError);
    expect(() => fitBandNormalization({ pixels: new Uint8Array(5) }, 4)).toThrow(/whole number/);
    expect(() => fitBandNormalization({ pixels: new Uint8Array(4) }, 0)).toThrow(ConfigError);
  });

  it("ranks are exact integers for integer percentiles, even for counts where floating point would round", () => {
    for (const count of [1, 2, 101, 301, 1001, 784 * 60_000, 3136 * 324_000 / 4]) {
      const [lo, hi] = percentileRanks(count, [1, 99]);
      expect(lo).toBe(Math.floor((count - 1) / 100));
      expect(hi).toBe(count - 1 - Math.floor((count - 1) / 100));
    }
    expect(percentileRanks(101, [7, 93])).toEqual([7, 93]);
  });

  it("histograms count every value of every band", () => {
    fc.assert(fc.property(dataArb, ({ c, pixels }) => {
      const h = bandHistograms(pixels, c);
      for (let b = 0; b < c; b++) {
        const expected = new Array<number>(256).fill(0);
        for (const v of band(pixels, c, b)) expected[v]!++;
        expect(Array.from(h.subarray(256 * b, 256 * b + 256))).toEqual(expected);
      }
    }));
  });
});

describe("the map and its inverse", () => {
  it("keeps every input in [0, 1], is monotone per band, and the inverse is within half a grey level inside [low, high]", () => {
    fc.assert(fc.property(dataArb, percentilesArb, ({ c, n, d, pixels }, p) => {
      const norm = fitBandNormalization({ pixels }, c, p);
      if (norm.method !== "band") return;
      const split: Split = { n, pixels, labels: null };
      const x = gather(split, d, Array.from({ length: n }, (_, i) => i), norm).data;
      expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
      const back = denormalizeForDisplay(norm, x);
      let worst = 0;
      for (let i = 0; i < pixels.length; i++) {
        const b = i % c, v = pixels[i]!;
        const clipped = Math.min(Math.max(v, norm.low[b]!), norm.low[b]! + bandWidth(norm, b));
        worst = Math.max(worst, Math.abs(back[i]! * 255 - clipped));
      }
      expect(worst).toBeLessThan(0.01);
      const t = normalizationTable(norm);
      let decreasing = 0;
      for (let b = 0; b < c; b++) for (let v = 1; v < 256; v++) if (t[v * c + b]! < t[(v - 1) * c + b]!) decreasing++;
      expect(decreasing).toBe(0);
    }));
  });

  it("global is bit for bit v * (1 / 255) rounded to f32, and leaves float pixels alone", () => {
    const pixels = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    const split: Split = { n: 2, pixels, labels: null };
    const x = gather(split, 256, [1, 0]).data;
    const scale = 1 / 255;
    for (let i = 0; i < 512; i++) expect(x[i]).toBe(Math.fround(pixels[(i + 256) % 512]! * scale));
    const floats: Split = { n: 2, pixels: Float32Array.from([0.1, 0.2, 0.3, 0.4]), labels: null };
    expect(Array.from(gather(floats, 2, [1], GLOBAL).data)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    expect(denormalizeForDisplay(GLOBAL, x)).toBe(x);
  });

  it("gatherInto writes at an offset and refuses rows outside the split; reused batch buffers hold the same values", () => {
    const pixels = Uint8Array.from({ length: 40 }, (_, i) => (i * 37) % 256);
    const split: Split = { n: 10, pixels, labels: null };
    const norm = fitBandNormalization(split, 2);
    const out = new Float32Array(12).fill(-1);
    gatherInto(split, 4, [3, 1], out, 2, norm);
    expect(Array.from(out.subarray(2, 10))).toEqual(Array.from(gather(split, 4, [3, 1], norm).data));
    expect([out[0], out[1], out[10], out[11]]).toEqual([-1, -1, -1, -1]);
    expect(() => gatherInto(split, 4, [10], out, 0, norm)).toThrow(/outside/);
    const fresh = [...splitBatches(split, 4, { batchSize: 3, normalization: norm })(0)].map((t) => Array.from(t.data));
    const reused = [...splitBatches(split, 4, { batchSize: 3, normalization: norm, reuseBuffers: true })(0)].map((t) => Array.from(t.data));
    // collected after the fact, reused buffers show the last batch of each size, so compare one at a time
    const oneByOne: number[][] = [];
    for (const t of splitBatches(split, 4, { batchSize: 3, normalization: norm, reuseBuffers: true })(0)) oneByOne.push(Array.from(t.data));
    expect(oneByOne).toEqual(fresh);
    expect(reused).toHaveLength(fresh.length);
  });
});

describe("normalization metadata", () => {
  it("round-trips through JSON; global keeps the form every earlier file has", () => {
    const norm = fitBandNormalization({ pixels: Uint8Array.from({ length: 400 }, (_, i) => (i * 13) % 251) }, 4);
    const json = normalizationToJson(norm, "uint8", [10, 10, 4]);
    expect(normalizationFromJson(JSON.parse(JSON.stringify(json)), "m")).toEqual(E.right(norm));
    expect(normalizationToJson(GLOBAL, "uint8", [28, 28, 1])).toEqual({ pixels: "uint8", scale: 1 / 255, imageShape: [28, 28, 1] });
    expect(normalizationToJson(GLOBAL, "float32", [28, 28, 1])).toEqual({ pixels: "float32", scale: 1, imageShape: [28, 28, 1] });
  });

  it("reads files without a method (all earlier files) and without normalization as global", () => {
    for (const old of [undefined, null, {}, { scale: 1 / 255 }, { pixels: "uint8", scale: 1 / 255, imageShape: [28, 28, 1] }, { method: "global" }]) {
      expect(normalizationFromJson(old, "m")).toEqual(E.right(GLOBAL));
    }
  });

  it("refuses malformed band metadata with a DataError naming the file", () => {
    const good = { method: "band", percentiles: [1, 99], low: [1, 2], high: [3, 4] };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...good, method: "zscore" }, /method "zscore" is not known/],
      [{ ...good, low: [1] }, /low has 1 bands but high has 2/],
      [{ ...good, low: [1, 300] }, /low must be/],
      [{ ...good, high: [3, 1.5] }, /high must be/],
      [{ ...good, low: [5, 2] }, /band 0 has low 5 above high 3/],
      [{ ...good, percentiles: [99, 1] }, /percentiles/],
      [{ ...good, percentiles: "1-99" }, /percentiles/],
    ];
    const notObjects: [unknown, RegExp][] = [[42, /expected a JSON object, found 42/], [[1, 2], /expected a JSON object, found \[1,2\]/],
      ["band", /expected a JSON object, found "band"/]];
    for (const [json, message] of [...bad, ...notObjects]) {
      const r = normalizationFromJson(json, "model.safetensors");
      if (E.isRight(r)) throw new Error(`expected a Left for ${JSON.stringify(json)}`);
      expect(r.left).toBeInstanceOf(DataError);
      expect(r.left.message).toMatch(/^model\.safetensors: normalization metadata: /);
      expect(r.left.message).toMatch(message);
    }
    const norm = normalizationFromJson(good, "m");
    expect(norm).toEqual(E.right(good as Normalization));
  });
});
