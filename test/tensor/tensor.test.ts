// The Tensor record accepts anything with ndarray's four fields: real ndarray objects,
// transposed and offset views; malformed records are refused with a ShapeError.
import { beforeAll, describe, expect, it } from "vitest";
import ndarray from "ndarray";
import { initSync } from "../../src/backend/default.js";
import { toNdarray } from "../../src/interop/ndarray.js";
import { vae } from "../../src/models/index.js";
import { key } from "../../src/random/index.js";
import { checkTensorLike, copyInto, isContiguous, ShapeError, tensor, toTensor, zeros } from "../../src/tensor/tensor.js";

beforeAll(() => { initSync(); });

describe("tensors", () => {
  it("builds frozen contiguous records and checks sizes", () => {
    const t = tensor(new Float32Array(6), [2, 3]);
    expect(t.stride).toEqual([3, 1]);
    expect(Object.isFrozen(t)).toBe(true);
    expect(zeros([0, 5]).data.length).toBe(0);
    expect(() => tensor(new Float32Array(5), [2, 3])).toThrow(ShapeError);
    expect(() => zeros([2, -1])).toThrow(/not a non-negative integer/);
  });

  it("reads strided views (a transposed ndarray with an offset) in row-major order", () => {
    const base = ndarray(Float32Array.from({ length: 12 }, (_, i) => i), [3, 4]);
    const view = base.transpose(1, 0).lo(1, 0); // [3, 3]: rows are columns 1..3 of base
    expect(isContiguous(view)).toBe(false);
    const t = toTensor(view);
    expect(t.shape).toEqual([3, 3]);
    expect(Array.from(t.data)).toEqual([1, 5, 9, 2, 6, 10, 3, 7, 11]);
    const out = new Float32Array(9);
    copyInto(view, out);
    expect(Array.from(out)).toEqual(Array.from(t.data));
  });

  it("refuses records that reach outside their data or have mismatched strides", () => {
    expect(() => checkTensorLike({ data: new Float32Array(4), shape: [2, 3], stride: [3, 1], offset: 0 }, "x")).toThrow(/reaches outside/);
    expect(() => checkTensorLike({ data: new Float32Array(4), shape: [2], stride: [1, 1], offset: 0 }, "x")).toThrow(/stride has 2 entries/);
    expect(() => checkTensorLike({ data: new Float32Array(4), shape: [2], stride: [1], offset: -1 }, "x")).toThrow(/offset/);
    expect(() => checkTensorLike(null as never, "x")).toThrow(ShapeError);
  });

  it("models accept ndarray inputs and give the same codes as for a copy", () => {
    const model = vae.mlp({ input: 6, hidden: [5], latent: 2 });
    const params = model.init(key(1));
    const arr = ndarray(Float32Array.from({ length: 24 }, (_, i) => (i % 7) / 7), [6, 4]).transpose(1, 0);
    const a = model.encode(params, arr);
    const b = model.encode(params, toTensor(arr));
    expect(Array.from(a.mean.data)).toEqual(Array.from(b.mean.data));
    expect(() => model.encode(params, zeros([3, 5]))).toThrow(/x must have shape \[n, 6\], got \[3, 5\]/);
  });

  it("latent/ndarray returns a real ndarray over the same data", () => {
    const t = tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const nd = toNdarray(t);
    expect(nd.get(1, 2)).toBe(6);
    expect(nd.data).toBe(t.data);
  });
});
