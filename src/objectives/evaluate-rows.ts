/**
 * An objective evaluated over any number of rows (a data split, a test set): the importance-
 * weighted bound with many samples as an evaluation metric, or any other objective. Runs its
 * forward pass in inference mode (Dropout off) on programs of at most `rows` inputs at a time
 * (default: 512 / samples, at least 1), rows [512 j, 512 (j + 1)) keyed by foldIn(key, j)
 * whatever the program size, and returns per-sample means of the value and of each term, each
 * batch weighted by its rows (the sparsity penalty, a batch statistic, is averaged the same way).
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import type { Model } from "../models/model.js";
import { NOISE_BLOCK } from "../models/batched.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { foldIn, type Key } from "../random/index.js";
import type { Rows } from "../tensor/rows.js";
import { forwardPass } from "./evaluate.js";
import { checkObjective, type Objective } from "./objective.js";
import type { Evaluation } from "./pass.js";

export interface EvaluateOptions {
  readonly backend?: Backend<Buffer>;
  /** Inputs per program (default max(1, floor(512 / samples))). */
  readonly rows?: number;
  /** A conditional model's class index per row. */
  readonly labels?: ArrayLike<number>;
}

export function evaluateObjective(model: Model, params: Params, x: Rows, key: Key, objective: Objective, o: EvaluateOptions = {}): Evaluation {
  const obj = checkObjective(objective, model.spec.kind);
  if (x.width !== model.spec.input) throw new ConfigError(`input rows have ${x.width} values, the model takes ${model.spec.input}`);
  const C = model.arch.classes;
  if (C > 0 && (!o.labels || o.labels.length !== x.n)) throw new ConfigError(`a conditional model needs one label per row (${x.n})`);
  const be = o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
  const per = o.rows ?? Math.max(1, Math.floor(NOISE_BLOCK / obj.samples));
  if (!Number.isSafeInteger(per) || per < 1) throw new ConfigError(`rows must be a positive integer, got ${per}`);
  let prog: ReturnType<Model["program"]> | null = null;
  let value = 0;
  const sums: Record<string, number> = {};
  try {
    for (let block = 0, start = 0; start < x.n; block++, start += NOISE_BLOCK) {
      const blockRows = Math.min(NOISE_BLOCK, x.n - start);
      for (let s = 0; s < blockRows; s += per) {
        const count = Math.min(per, blockRows - s);
        if (!prog || prog.batch !== count) {
          prog?.dispose();
          prog = model.program(be, count, { samples: obj.samples, separateInput: obj.corrupt !== null, forwardOnly: true });
          const view = be.hostView?.(prog.params);
          if (view instanceof Float32Array) model.layout.flatten(params, view);
          else be.write(prog.params, model.layout.flatten(params));
        }
        const buf = new Float32Array(count * x.width);
        x.fill(start + s, count, buf);
        be.write(prog.x, buf);
        if (C > 0) prog.setLabels(o.labels!, start + s);
        // Each batch's key: the block's, folded with the batch's offset in it (0 for the first).
        const pass = forwardPass(prog, obj, s === 0 ? foldIn(key, block) : foldIn(foldIn(key, block), s), 0, false);
        value += pass.value * count;
        for (const [name, v] of Object.entries(pass.terms)) sums[name] = (sums[name] ?? 0) + v * count;
      }
    }
  } finally {
    prog?.dispose();
  }
  const d = Math.max(x.n, 1);
  return Object.freeze({ value: value / d, terms: Object.freeze(Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / d]))) });
}
