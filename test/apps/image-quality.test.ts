// PSNR and SSIM: hand-derived cases, a direct (non-separable, two-pass) float64 SSIM written
// here as an independent oracle, and values computed with SciPy (below).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { batchQuality, finiteOrNull, gaussianWindow, psnr, ssim, type ImageShape } from "../../src/apps/image-quality.js";
import { ConfigError } from "../../src/nn/layer.js";
import { ShapeError } from "../../src/tensor/tensor.js";

const C1 = 0.01 ** 2, C2 = 0.03 ** 2;

/** SSIM the slow way: for every window position wholly inside the image, the 11x11 weights from exp directly, means, then centred (co)variances. */
function directSsim(a: ArrayLike<number>, b: ArrayLike<number>, [h, w, c]: ImageShape): number {
  const weights: number[] = [];
  let total = 0;
  for (let dy = -5; dy <= 5; dy++) for (let dx = -5; dx <= 5; dx++) { const v = Math.exp(-(dx * dx + dy * dy) / 4.5); weights.push(v); total += v; }
  let sumChannels = 0;
  for (let ch = 0; ch < c; ch++) {
    let s = 0, count = 0;
    for (let y = 5; y < h - 5; y++) {
      for (let x = 5; x < w - 5; x++) {
        const at = (v: ArrayLike<number>, t: number) => v[((y + Math.floor(t / 11) - 5) * w + x + (t % 11) - 5) * c + ch]!;
        let ma = 0, mb = 0;
        for (let t = 0; t < 121; t++) { ma += (weights[t]! / total) * at(a, t); mb += (weights[t]! / total) * at(b, t); }
        let va = 0, vb = 0, cab = 0;
        for (let t = 0; t < 121; t++) {
          const p = weights[t]! / total, da = at(a, t) - ma, db = at(b, t) - mb;
          va += p * da * da; vb += p * db * db; cab += p * da * db;
        }
        s += ((2 * ma * mb + C1) * (2 * cab + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        count++;
      }
    }
    sumChannels += s / count;
  }
  return sumChannels / c;
}

const mod = (v: number) => ((v % 256) + 256) % 256;
function image([h, w, c]: ImageShape, f: (y: number, x: number, ch: number) => number): Float64Array {
  const out = new Float64Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = mod(f(y, x, ch)) / 255;
  return out;
}
const A = (y: number, x: number, c: number) => y * 37 + x * 11 + y * x * 3 + c * 53;
const B = (y: number, x: number, c: number) => A(y, x, c) + ((y * 5 + x * 3 + c * 7) % 31) - 15;
const C = (y: number, x: number, c: number) => (y * 29 + x * 17 + c * 19 + y * x * 7) * 3;

describe("psnr", () => {
  it("is +Infinity for identical images, and null in JSON", () => {
    const x = Float32Array.from({ length: 50 }, (_, i) => (i % 7) / 7);
    expect(psnr(x, x)).toBe(Infinity);
    expect(finiteOrNull(psnr(x, x))).toBeNull();
    expect(JSON.stringify({ psnr: finiteOrNull(Infinity) })).toBe('{"psnr":null}');
  });

  it("is 10 log10(1 / mse) for a constant shift and for +-delta noise of known variance", () => {
    const x = Float64Array.from({ length: 64 }, (_, i) => 0.2 + (i % 5) / 10);
    const shifted = x.map((v) => v + 0.1);
    expect(psnr(x, shifted)).toBeCloseTo(20, 10); // mse 0.01
    const noisy = x.map((v, i) => v + (i % 2 ? 0.05 : -0.05)); // mse 0.0025
    expect(psnr(x, noisy)).toBeCloseTo(10 * Math.log10(1 / 0.0025), 10);
    expect(psnr(x, noisy)).toBeCloseTo(26.0206, 4);
    // Half the values off by 0.2: mse 0.02.
    const half = x.map((v, i) => (i < 32 ? v + 0.2 : v));
    expect(psnr(x, half)).toBeCloseTo(10 * Math.log10(50), 10);
    // Peak 255 on the uint8 scale gives the same dB as peak 1 on [0, 1].
    expect(psnr(x.map((v) => v * 255), noisy.map((v) => v * 255), 255)).toBeCloseTo(psnr(x, noisy), 9);
  });

  it("refuses images of different sizes and a bad peak", () => {
    expect(() => psnr([0, 1], [0])).toThrow(ShapeError);
    expect(() => psnr([0], [1], 0)).toThrow(ConfigError);
  });
});

describe("ssim", () => {
  it("uses a normalised 11-tap Gaussian of sigma 1.5", () => {
    const g = gaussianWindow();
    expect(g.length).toBe(11);
    expect(g.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
    expect(g[5]! / g[4]!).toBeCloseTo(Math.exp(1 / 4.5), 12);
  });

  it("is 1 for identical images", () => {
    for (const shape of [[11, 11, 1], [16, 20, 3], [28, 28, 4]] as ImageShape[]) {
      const a = image(shape, A);
      expect(ssim(a, a, shape)).toBeCloseTo(1, 14);
    }
  });

  it("of two constant images is (2ab + C1) / (a^2 + b^2 + C1)", () => {
    const shape: ImageShape = [12, 13, 1];
    for (const [a, b] of [[0.2, 0.7], [0, 1], [0.5, 0.5], [0, 0.01]] as const) {
      const x = new Float64Array(156).fill(a), y = new Float64Array(156).fill(b);
      expect(ssim(x, y, shape)).toBeCloseTo((2 * a * b + C1) / (a * a + b * b + C1), 12);
    }
  });

  it("of a constant shift is the luminance term alone (contrast and structure unchanged)", () => {
    const shape: ImageShape = [15, 15, 1];
    const x = new Float64Array(225).fill(0.4), y = x.map((v) => v + 0.25);
    expect(ssim(x, y, shape)).toBeCloseTo((2 * 0.4 * 0.65 + C1) / (0.4 ** 2 + 0.65 ** 2 + C1), 12);
    // A textured image shifted by 0.1: below 1, as the direct oracle computes it.
    const z = image(shape, A), zs = z.map((v) => v + 0.1);
    expect(ssim(z, zs, shape)).toBeCloseTo(directSsim(z, zs, shape), 12);
    expect(ssim(z, zs, shape)).toBeLessThan(1);
  });

  it("is symmetric, and at most 1, and agrees with the direct two-pass oracle on random images", () => {
    fc.assert(fc.property(
      fc.integer({ min: 11, max: 16 }), fc.integer({ min: 11, max: 16 }), fc.constantFrom(1, 3, 4), fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (h, w, c, seed) => {
        let s = seed;
        const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
        const a = Float64Array.from({ length: h * w * c }, next);
        const b = a.map((v) => Math.min(1, Math.max(0, v + 0.3 * (next() - 0.5))));
        const shape: ImageShape = [h, w, c];
        const v = ssim(a, b, shape);
        expect(v).toBeCloseTo(directSsim(a, b, shape), 12);
        expect(ssim(b, a, shape)).toBeCloseTo(v, 14);
        expect(v).toBeLessThanOrEqual(1 + 1e-12);
      }), { numRuns: 25 });
  });

  // From an independent implementation: SciPy's gaussian_filter (sigma 1.5, truncate 3.5, i.e. 11 taps)
  // over the image, cropped to the valid region, as scikit-image's structural_similarity does with
  // gaussian_weights=True, use_sample_covariance=False, data_range=1, channels averaged:
  //   f = lambda z: gaussian_filter(z, 1.5, truncate=3.5); ux, uy = f(x), f(y)
  //   vx, vy, vxy = f(x*x) - ux*ux, f(y*y) - uy*uy, f(x*y) - ux*uy
  //   S = ((2 ux uy + C1)(2 vxy + C2)) / ((ux^2 + uy^2 + C1)(vx + vy + C2)); S[5:-5, 5:-5].mean()
  // on images mod(f(y, x, c), 256) / 255 of the formulas A, B, C above (NumPy 1.24, SciPy 1.10).
  it("matches SciPy's values", () => {
    for (const [shape, ab, ac] of [
      [[16, 20, 1], 0.7809742470830855, -0.02573590035672679],
      [[13, 17, 3], 0.7820961184180605, -0.023166549289374713],
      [[11, 11, 4], 0.7528083375497366, -0.03604133574937639],
      [[28, 28, 1], 0.8465425628557139, -0.030141337348979856],
    ] as [ImageShape, number, number][]) {
      const a = image(shape, A);
      expect(ssim(a, image(shape, B), shape)).toBeCloseTo(ab, 12);
      expect(ssim(a, image(shape, C), shape)).toBeCloseTo(ac, 12);
    }
  });

  it("refuses images smaller than the window, and mismatched sizes", () => {
    expect(() => ssim(new Float64Array(100), new Float64Array(100), [10, 10, 1])).toThrow(/smaller than the 11 x 11 window/);
    expect(() => ssim(new Float64Array(121), new Float64Array(120), [11, 11, 1])).toThrow(ShapeError);
    expect(() => ssim(new Float64Array(121), new Float64Array(121), [11, 12, 1])).toThrow(ShapeError);
  });
});

describe("batchQuality", () => {
  it("averages per-image PSNR (dB) and SSIM", () => {
    const shape: ImageShape = [11, 11, 1], d = 121;
    const clean = new Float32Array(2 * d).fill(0.5);
    const other = clean.slice();
    // Values exact in float32: errors of 1/8 and +-1/128, mse 2^-6 and 2^-14.
    for (let i = 0; i < d; i++) { other[i] = 0.625; other[d + i] = i % 2 ? 0.5 + 2 ** -7 : 0.5 - 2 ** -7; }
    const q = batchQuality(clean, other, shape);
    expect(q.psnrPerImage[0]).toBeCloseTo(10 * Math.log10(2 ** 6), 12);
    expect(q.psnrPerImage[1]).toBeCloseTo(10 * Math.log10(2 ** 14), 12);
    // The mean of the dB (10 log10(2^10) = 30.10), not the dB of the pooled mse (21.07).
    expect(q.psnr).toBeCloseTo(10 * Math.log10(2 ** 10), 12);
    expect(q.ssim).toBeCloseTo((q.ssimPerImage[0]! + q.ssimPerImage[1]!) / 2, 15);
    expect(q.ssimPerImage[0]).toBeCloseTo((2 * 0.5 * 0.625 + C1) / (0.25 + 0.625 ** 2 + C1), 12);
    expect(batchQuality(clean, clean, shape).psnr).toBe(Infinity);
  });
});
