/** A data split as Rows: its samples normalised when read, never held as f32. */
import type { Rows } from "../tensor/rows.js";
import { gatherInto, type Split } from "./dataset.js";
import type { Normalization } from "./normalize.js";

/** The samples of a split (all, or those at `indices`, in that order), normalised when read. */
export function splitRows(split: Split, d: number, norm: Normalization, indices?: ArrayLike<number>): Rows {
  const n = indices ? indices.length : split.n;
  return {
    n, width: d,
    fill(start, count, out) {
      const rows = new Uint32Array(count);
      for (let i = 0; i < count; i++) rows[i] = indices ? indices[start + i]! : start + i;
      gatherInto(split, d, rows, out, 0, norm);
    },
  };
}
