/**
 * A training batch: the inputs [rows, input] as a tensor (any ndarray-like value), or, for a
 * conditional model, `{ x, labels }` with one class index per row.
 */
import type { TensorLike } from "./tensor.js";

export type Batch = TensorLike | { readonly x: TensorLike; readonly labels: ArrayLike<number> };

export function batchInputs(b: Batch): TensorLike {
  return b !== null && typeof b === "object" && "x" in b && !("data" in b) ? b.x : (b as TensorLike);
}

export function batchLabels(b: Batch): ArrayLike<number> | null {
  return b !== null && typeof b === "object" && "labels" in b && !("data" in b) ? b.labels : null;
}

/** Rows of a batch (0 for a value that is not one; checkBatch says why). */
export function batchRows(b: Batch): number {
  return batchInputs(b)?.shape?.[0] ?? 0;
}
