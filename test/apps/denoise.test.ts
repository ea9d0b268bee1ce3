// The denoising library: corruption drawn as the training kernels draw it (checked against
// objectives/corrupt.ts on the float64 reference backend), per-image keys, the PCA
// reconstruction, and the scores on clipped images.
import { describe, expect, it } from "vitest";
import { clip01, corrupt, corruptionName, corruptRows, denoiseScores, pcaReconstruct } from "../../src/apps/denoise.js";
import { pca } from "../../src/analysis/pca.js";
import { ReferenceBackend } from "../../src/backend/reference.js";
import { corruptInto } from "../../src/objectives/corrupt.js";
import { gaussianNoise, mask, saltPepper } from "../../src/objectives/objective.js";
import { foldIn, key, normalF64, uniform } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";

const be = new ReferenceBackend();
const x = Float32Array.from({ length: 5000 }, (_, i) => 0.25 + 0.5 * ((i * 0.618) % 1));

function kernelCorruption(c: Parameters<typeof corrupt>[0], k: ReturnType<typeof key>): Float64Array {
  const out = be.alloc(x.length);
  corruptInto(be, c, k, Float64Array.from(x), out);
  return out;
}

describe("corrupt", () => {
  it("masks, salts and peppers exactly as the training kernels do", () => {
    for (const c of [mask(0.3), saltPepper(0.2), mask(0)]) {
      expect(Array.from(corrupt(c, key(4), x))).toEqual(Array.from(Float32Array.from(kernelCorruption(c, key(4)))));
    }
  });

  it("adds sigma * N(0, 1) as the kernels do (to float32 rounding)", () => {
    const got = corrupt(gaussianNoise(0.5), key(5), x), want = kernelCorruption(gaussianNoise(0.5), key(5));
    for (let i = 0; i < x.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    expect(Array.from(corrupt(gaussianNoise(0), key(5), x))).toEqual(Array.from(x));
  });

  it("zeroes the values whose uniform draw is below the rate, and keeps the others", () => {
    const u = uniform(key(6), x.length), out = corrupt(mask(0.3), key(6), x);
    let zeros = 0;
    for (let i = 0; i < x.length; i++) {
      expect(out[i]).toBe(u[i]! < 0.3 ? 0 : x[i]);
      if (out[i] === 0) zeros++;
    }
    expect(Math.abs(zeros / x.length - 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / x.length));
  });

  it("salt-and-pepper: 0 below rate/2, 1 from 1 - rate/2", () => {
    const u = uniform(key(7), x.length), out = corrupt(saltPepper(0.4), key(7), x);
    for (let i = 0; i < x.length; i++) expect(out[i]).toBe(u[i]! < 0.2 ? 0 : u[i]! >= 0.8 ? 1 : x[i]);
  });

  it("gaussian: the difference is sigma times the key's normals", () => {
    const z = normalF64(key(8), 10), out = corrupt(gaussianNoise(0.25), key(8), x.subarray(0, 10));
    for (let i = 0; i < 10; i++) expect(out[i]! - x[i]!).toBeCloseTo(0.25 * z[i]!, 6);
  });

  it("names corruptions as the --corrupt flag writes them", () => {
    expect([gaussianNoise(0.5), mask(0.3), saltPepper(0.1)].map(corruptionName)).toEqual(["gaussian:0.5", "mask:0.3", "saltpepper:0.1"]);
  });
});

describe("corruptRows", () => {
  it("corrupts row r with foldIn(key, ids[r]): an image the same whatever else is drawn", () => {
    const d = 50, rows = x.subarray(0, 3 * d);
    const a = corruptRows(mask(0.5), key(1), rows, d, [10, 11, 12]);
    for (let r = 0; r < 3; r++) {
      expect(Array.from(a.subarray(r * d, (r + 1) * d))).toEqual(Array.from(corrupt(mask(0.5), foldIn(key(1), 10 + r), rows.subarray(r * d, (r + 1) * d))));
    }
    // Row 12 alone, at another position, comes out the same.
    const alone = corruptRows(mask(0.5), key(1), rows.slice(2 * d), d, [12]);
    expect(Array.from(alone)).toEqual(Array.from(a.subarray(2 * d)));
    expect(() => corruptRows(mask(0.5), key(1), rows, d, [1, 2])).toThrow(/not 2 rows of 50/);
  });
});

describe("pcaReconstruct", () => {
  // Points on a 2-D affine plane in R^5: mean m + a u + b v.
  const m = [0.5, 0.2, 0.1, 0.7, 0.3], u = [1, 0, 0, 1, 0].map((t) => t / Math.SQRT2), v = [0, 1, 1, 0, 1].map((t) => t / Math.sqrt(3));
  const point = (a: number, b: number) => m.map((mi, j) => mi + a * u[j]! + b * v[j]!);
  const data = Float32Array.from(Array.from({ length: 40 }, (_, i) => point(Math.sin(i) * 0.3, Math.cos(1.7 * i) * 0.2)).flat());
  const fit = pca(tensor(data, [40, 5]), 2);

  it("gives back points of the fitted plane, and removes what is orthogonal to it", () => {
    const onPlane = point(0.1, -0.15);
    const rec = pcaReconstruct(fit, tensor(Float32Array.from(onPlane), [1, 5]));
    for (let j = 0; j < 5; j++) expect(rec.data[j]).toBeCloseTo(onPlane[j]!, 5);
    // Add 0.2 along w, orthogonal to u and v: the reconstruction is the point on the plane.
    const w = [1, 0, 0, -1, 0].map((t) => t / Math.SQRT2);
    const off = onPlane.map((p, j) => p + 0.2 * w[j]!);
    const rec2 = pcaReconstruct(fit, tensor(Float32Array.from(off), [1, 5]));
    for (let j = 0; j < 5; j++) expect(rec2.data[j]).toBeCloseTo(onPlane[j]!, 5);
  });

  it("with one component keeps the projection on it only", () => {
    const one = pca(tensor(data, [40, 5]), 1);
    const p = Float32Array.from(point(0.2, 0.1));
    const rec = pcaReconstruct(one, tensor(p, [1, 5]));
    const c = one.components[0]!;
    let coef = 0;
    for (let j = 0; j < 5; j++) coef += (p[j]! - one.mean[j]!) * c[j]!;
    for (let j = 0; j < 5; j++) expect(rec.data[j]).toBeCloseTo(one.mean[j]! + coef * c[j]!, 5);
    expect(() => pcaReconstruct(one, tensor(new Float32Array(4), [1, 4]))).toThrow(/must be \[n, 5\]/);
  });
});

describe("denoiseScores", () => {
  it("scores clipped images against the clean ones; identical images give a null PSNR", () => {
    const shape = [11, 11, 1] as const, d = 121;
    const clean = new Float32Array(d).fill(0.5);
    // Gaussian-like overshoot: 2 and -1 clip to 1 and 0, errors of 0.5 everywhere: PSNR 10 log10(4).
    const wild = Float32Array.from({ length: d }, (_, i) => (i % 2 ? 2 : -1));
    const s = denoiseScores(clean, { same: clean, wild }, shape);
    expect(s.same).toEqual({ psnr: null, ssim: expect.closeTo(1, 12) });
    expect(s.wild.psnr).toBeCloseTo(10 * Math.log10(4), 10);
    expect(Array.from(clip01([-0.5, 0.3, 1.5]))).toEqual([0, expect.closeTo(0.3, 6), 1]);
  });
});
