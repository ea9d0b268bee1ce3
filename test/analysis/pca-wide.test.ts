// widePca (subspace iteration on the f32 GEMM) against pca (full Jacobi diagonalisation) on wide data with a
// clear spectrum: the same variances and, up to the shared sign convention, the same directions.
import { beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/backend/default.js";
import { pca, widePca } from "../../src/analysis/index.js";
import { key, normalF64 } from "../../src/random/index.js";
import { tensor } from "../../src/tensor/tensor.js";

describe("widePca", () => {
  beforeAll(async () => { await init({ isa: "simd" }); });

  it("equals pca on 300 x 80 data whose variances fall off geometrically", () => {
    const n = 300, d = 80;
    const z = normalF64(key(1), n * d);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = z[i * d + j]! * 3 * 0.8 ** j + 0.5;
    const x = tensor(data, [n, d]);
    const full = pca(x, 4), wide = widePca(x, 4);
    for (let c = 0; c < 4; c++) {
      expect(wide.variance[c]! / full.variance[c]!).toBeCloseTo(1, 6);
      let dot = 0;
      for (let j = 0; j < d; j++) dot += wide.components[c]![j]! * full.components[c]![j]!;
      expect(dot).toBeCloseTo(1, 6);
    }
    for (let j = 0; j < d; j++) expect(wide.mean[j]).toBeCloseTo(full.mean[j]!, 9);
  });
});
