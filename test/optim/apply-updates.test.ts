// applyUpdates: params + updates per tensor, rounded to f32 once; strided updates are read in
// row-major order; missing, extra or misshapen updates are ShapeErrors naming the parameter.
import { describe, expect, it } from "vitest";
import { applyUpdates } from "../../src/optim/index.js";
import { ShapeError, tensor } from "../../src/tensor/tensor.js";

describe("applyUpdates", () => {
  const params = Object.freeze({ w: tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]), b: tensor(Float32Array.from([0.1, 0.2]), [2]) });

  it("adds per element with one f32 rounding, reading a transposed (strided) update in row-major order", () => {
    // u[i, j] = 10 * (i + 1) + j, stored column-major: data [10, 20, 11, 21, 12, 22], stride [1, 2].
    const u = { data: Float32Array.from([10, 20, 11, 21, 12, 22]), shape: [2, 3], stride: [1, 2], offset: 0 };
    const out = applyUpdates(params, { w: u, b: tensor(Float32Array.from([1e-8, 0.3]), [2]) });
    expect(Array.from(out.w!.data)).toEqual([11, 13, 15, 24, 26, 28]);
    expect(out.b!.data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(1e-8)));
    expect(out.b!.data[1]).toBe(Math.fround(Math.fround(0.2) + Math.fround(0.3)));
    expect(Object.isFrozen(out)).toBe(true);
    expect(out.w!.data).not.toBe(params.w.data);
  });

  it("refuses updates that do not match, naming the parameter", () => {
    const b = params.b;
    expect(() => applyUpdates(params, { w: params.w })).toThrow(new ShapeError('updates lack parameter "b"'));
    expect(() => applyUpdates(params, { w: params.w, b, c: b })).toThrow(/unknown parameter\(s\): c/);
    expect(() => applyUpdates(params, { w: params.w, b: tensor(new Float32Array(3), [3]) })).toThrow(/update "b" has shape \[3\], the parameter \[2\]/);
  });
});
