// gatherRows: rows picked by index, in the order asked, repeats and no rows included.
import { describe, expect, it } from "vitest";
import { gatherRows } from "../../src/tensor/rows.js";

describe("gatherRows", () => {
  const data = Float32Array.from({ length: 12 }, (_, i) => i); // 4 rows of 3
  it("copies the rows asked for, in that order", () => {
    expect(Array.from(gatherRows(data, 3, [2, 0, 2]))).toEqual([6, 7, 8, 0, 1, 2, 6, 7, 8]);
    expect(gatherRows(data, 3, []).length).toBe(0);
  });
  it("returns a copy, not a view", () => {
    const out = gatherRows(data, 3, [1]);
    out[0] = -1;
    expect(data[3]).toBe(3);
  });
});
