/** Checking a Batch (src/tensor/batch.ts) against a program and writing it into the program. */
import { checkTensorLike, copyInto, ShapeError, toTensor } from "../tensor/tensor.js";
import { batchInputs, batchLabels, type Batch } from "../tensor/batch.js";
import type { Buffer } from "../backend/backend.js";
import type { Program } from "./program.js";

export { batchInputs, batchLabels, batchRows, type Batch } from "../tensor/batch.js";

/** Checks a batch against a program's rows, input width and classes; throws ShapeError naming what is wrong. */
export function checkBatch(b: Batch, rows: number, input: number, classes: number): void {
  const x = batchInputs(b);
  checkTensorLike(x, "batch");
  if (x.shape.length !== 2 || x.shape[0] !== rows || x.shape[1] !== input) {
    throw new ShapeError(`batch must have shape [${rows}, ${input}], got [${x.shape.join(", ")}]`);
  }
  if (rows === 0) throw new ShapeError("the batch has no rows: a loss over no samples is not defined");
  const labels = batchLabels(b);
  if (classes > 0 && (!labels || labels.length !== rows)) {
    throw new ShapeError(`a conditional model needs { x, labels } with one label per row (${rows}), got ${labels ? labels.length : "no"} labels`);
  }
  if (classes === 0 && labels) throw new ShapeError("labels were given, but the model is not conditional (classes: 0)");
}

/** Writes the batch into the program's x (straight into its memory where the backend allows) and labels. */
export function uploadBatch<B extends Buffer>(prog: Program<B>, b: Batch): void {
  const x = batchInputs(b);
  const view = prog.be.hostView?.(prog.x);
  if (view) copyInto(x, view);
  else prog.be.write(prog.x, toTensor(x).data);
  const labels = batchLabels(b);
  if (labels) prog.setLabels(labels);
}
