// Sparse coding: the first-layer filters are the rows of encoder.0.weight (into the code only for
// a one-layer AE encoder), drawn with hand-computed colours; the code's activity by hand, against
// a direct count, and the relative share unchanged when the code is rescaled.
import { describe, expect, it } from "vitest";
import * as fc from "fast-check";
import { codeActivity, filterImages, firstLayerFilters } from "../../src/apps/sparse.js";
import { ae, vae } from "../../src/models/index.js";
import { ActivationLayer } from "../../src/nn/activation.js";
import { Dense } from "../../src/nn/dense.js";
import { key } from "../../src/random/index.js";

describe("firstLayerFilters", () => {
  it("are the rows of encoder.0.weight [units, input]; into the code for a one-layer AE encoder only", () => {
    const one = ae.mlp({ input: 4, hidden: [], latent: 3 });
    const p = one.init(key(1));
    const f = firstLayerFilters(one, p);
    expect([f.units, f.input, f.intoCode]).toEqual([3, 4, true]);
    expect(Array.from(f.weights)).toEqual(Array.from(p["encoder.0.weight"]!.data));
    const w = p["encoder.0.weight"]!;
    expect(f.weights[2 * 4 + 1]).toBe(w.data[w.offset + 2 * w.stride[0]! + 1 * w.stride[1]!]); // unit 2, input 1
    // A sigmoid after the code layer keeps it one layer.
    const sig = ae({ encoder: [new Dense(4, 3), new ActivationLayer("sigmoid", 3)], decoder: [new Dense(3, 4)] });
    expect(firstLayerFilters(sig, sig.init(key(2))).intoCode).toBe(true);
    const deep = ae.mlp({ input: 4, hidden: [5], latent: 2 });
    expect(firstLayerFilters(deep, deep.init(key(3)))).toMatchObject({ units: 5, intoCode: false });
    const v = vae.mlp({ input: 4, hidden: [5], latent: 2 });
    expect(firstLayerFilters(v, v.init(key(3))).intoCode).toBe(false);
  });

  it("refuses an encoder that begins with a convolution", () => {
    const conv = ae.conv({ imageShape: [4, 4, 1], channels: [2], hidden: [3], latent: 2 });
    expect(() => firstLayerFilters(conv, conv.init(key(1)))).toThrow(/conv2d, not a dense layer/);
  });
});

describe("filterImages", () => {
  const f = { weights: Float32Array.of(-2, 0, 1, 2, 3, 3, 3, 3), units: 2, input: 4, intoCode: true };
  it("diverging: w / max|w| from blue through white to red, each row on its own", () => {
    const { values, imageShape } = filterImages(f, [2, 2, 1], "diverging");
    expect(imageShape).toEqual([2, 2, 3]);
    const px = (u: number, i: number) => Array.from(values.subarray((u * 4 + i) * 3, (u * 4 + i) * 3 + 3));
    const close = (a: number[], b: number[]) => a.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 6));
    close(px(0, 0), [0.129, 0.4, 0.675]); // -2 / 2 = -1: blue
    close(px(0, 1), [1, 1, 1]); // 0: white
    close(px(0, 2), [1 + (0.698 - 1) / 2, 1 + (0.094 - 1) / 2, 1 + (0.169 - 1) / 2]); // 1 / 2: halfway to red
    close(px(0, 3), [0.698, 0.094, 0.169]);
    close(px(1, 0), [0.698, 0.094, 0.169]); // the second row's own scale: 3 / 3
  });

  it("grey: the row's [min, max] to [0, 1] (a constant row mid-grey); per band for colour images", () => {
    const g = filterImages(f, [2, 2, 1], "grey");
    expect(Array.from(g.values)).toEqual([0, 0.5, 0.75, 1, 0.5, 0.5, 0.5, 0.5]);
    const rgb = filterImages({ weights: Float32Array.of(0, 10, 2, 30, 20, 10), units: 1, input: 6, intoCode: false }, [1, 2, 3], "grey");
    expect(Array.from(rgb.values)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(() => filterImages(f, [1, 2, 2], "diverging")).toThrow(/one-band/);
    expect(() => filterImages(f, [3, 3, 1])).toThrow(/not images of 3 x 3 x 1/);
  });
});

describe("codeActivity", () => {
  it("by hand: means, near-zero shares absolute and relative to the unit's max, a dead unit near zero everywhere", () => {
    // rows: [0.005, 1, 0], [0.5, 0.001, 0], [-0.2, 0, 0]
    const a = codeActivity([0.005, 1, 0, 0.5, 0.001, 0, -0.2, 0, 0], 3, 3, 0.01);
    expect(Array.from(a.mean).map((v) => +v.toFixed(10))).toEqual([+(0.305 / 3).toFixed(10), +(1.001 / 3).toFixed(10), 0]);
    expect(a.meanAbs[0]).toBeCloseTo(0.705 / 3, 12);
    expect(Array.from(a.maxAbs)).toEqual([0.5, 1, 0]);
    // absolute: 0.005, 0.001, 0, and the dead unit's three zeros: 6 of 9 (the -0.2 and 0.5 and 1 are not)
    expect(a.nearZeroAbsolute).toBeCloseTo(6 / 9, 15);
    // relative: unit 0's threshold 0.005 (0.005 is not below it), unit 1's 0.01 (0.001 and 0), unit 2 dead (3)
    expect(a.nearZeroRelative).toBeCloseTo(5 / 9, 15);
    expect(Array.from(a.nearZeroRelativePerUnit)).toEqual([0, 2 / 3, 1]);
  });

  it("agrees with a direct count; the relative share does not change when the code is rescaled", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.double({ min: 0.01, max: 100, noNaN: true }),
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 30, maxLength: 30 }),
      (rows, units, scale, pool) => {
        const codes = Array.from({ length: rows * units }, (_, i) => (i % 4 === 0 ? 0 : pool[i % 30]! ** 3));
        const a = codeActivity(codes, rows, units, 0.05);
        let abs = 0, rel = 0;
        for (let i = 0; i < rows; i++) for (let j = 0; j < units; j++) {
          let m = 0;
          for (let r = 0; r < rows; r++) m = Math.max(m, Math.abs(codes[r * units + j]!));
          const v = Math.abs(codes[i * units + j]!);
          if (v < 0.05) abs++;
          if (m === 0 || v < 0.05 * m) rel++;
        }
        expect(a.nearZeroAbsolute).toBeCloseTo(abs / (rows * units), 12);
        expect(a.nearZeroRelative).toBeCloseTo(rel / (rows * units), 12);
        const scaled = codeActivity(codes.map((c) => c * 2 ** Math.round(Math.log2(scale))), rows, units, 0.05);
        expect(scaled.nearZeroRelative).toBe(a.nearZeroRelative);
      }));
  });

  it("refuses codes of another size, a non-finite code and eps <= 0", () => {
    expect(() => codeActivity([1, 2, 3], 2, 2)).toThrow(/3 values are not 2 rows of 2 units/);
    expect(() => codeActivity([1, NaN], 1, 2)).toThrow(/not finite/);
    expect(() => codeActivity([1, 2], 1, 2, 0)).toThrow(/eps/);
  });
});
