/**
 * Anomaly detection with an autoencoder: per-image scores (higher = more anomalous) and the
 * ranking metrics of a held-out class among the rest. Runtime-neutral.
 *
 * Metrics, of scores s_i and labels y_i (1 or true: positive, the anomaly), with P positives
 * and N negatives:
 *   AUROC  Mann-Whitney: the share of (positive, negative) pairs whose positive scores higher,
 *          ties counted half: (sum of the positives' mid-ranks - P (P + 1) / 2) / (P N).
 *          Needs P > 0 and N > 0.
 *   AUPRC  average precision, scikit-learn's step-wise sum (no interpolation): the thresholds
 *          are the distinct scores from the highest down, and AP = sum_t (R_t - R_{t-1}) P_t
 *          with precision P_t and recall R_t of "score >= t" (R_0 = 0). Needs P > 0. Equal
 *          scores enter together, so ties are ranked neither way.
 * NaN scores are refused; +-Infinity rank as the extremes.
 *
 * Scores over rows:
 *   objectiveScores      each row's objective value alone (evaluated as src/objectives does,
 *                        in inference mode): with elbo({ beta: 1 }) the negative ELBO of a VAE
 *                        (one z per row), with iwae({ samples: K }) the negative IWAE bound, with
 *                        elbo({ beta: null }) an AE's -log p(x | x_hat). Row r is keyed as
 *                        evaluateObjective keys it with one row per program (rows [512 j,
 *                        512 (j + 1)) under foldIn(key, j), row s > 0 of its block folded once
 *                        more), so the scores' mean is evaluateObjective(..., { rows: 1 }).value.
 *   reconstructionErrors the mean over a row's values of (x - x_hat)^2, x_hat the prediction
 *                        at z = mean (probabilities for bernoulli, means otherwise), as
 *                        models/metrics.ts's reconstructionError per row.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { defaultBackend } from "../backend/default.js";
import { forEachReconstruction, NOISE_BLOCK } from "../models/batched.js";
import type { Model } from "../models/model.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { forwardPass } from "../objectives/evaluate.js";
import { checkObjective, type Objective } from "../objectives/objective.js";
import { foldIn, type Key } from "../random/index.js";
import type { Rows } from "../tensor/rows.js";

function checkPair(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): { P: number; N: number } {
  if (scores.length !== labels.length) throw new ConfigError(`one label per score: ${scores.length} scores, ${labels.length} labels`);
  let P = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i]!)) throw new ConfigError(`score ${i} is NaN`);
    if (labels[i]) P++;
  }
  return { P, N: scores.length - P };
}

/** Indices sorted by score, descending; equal scores keep index order. */
function byScoreDescending(scores: ArrayLike<number>): Uint32Array {
  const idx = Uint32Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => {
    const x = scores[a]!, y = scores[b]!;
    return x > y ? -1 : x < y ? 1 : a - b;
  });
}

/** Area under the ROC curve, the Mann-Whitney statistic with ties counted half (see above). */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  const { P, N } = checkPair(scores, labels);
  if (P === 0 || N === 0) throw new ConfigError(`AUROC needs positives and negatives, got ${P} and ${N}`);
  // Walk groups of equal scores from the highest: each negative in a group is beaten by every
  // positive seen in higher groups and ties with the group's own positives.
  const order = byScoreDescending(scores);
  let posAbove = 0, pairs = 0;
  for (let g = 0; g < order.length;) {
    const s = scores[order[g]!]!;
    let pos = 0, neg = 0, e = g;
    for (; e < order.length && scores[order[e]!] === s; e++) labels[order[e]!] ? pos++ : neg++;
    pairs += neg * (posAbove + pos / 2);
    posAbove += pos;
    g = e;
  }
  return pairs / (P * N);
}

/** Average precision (scikit-learn's average_precision_score; see above). */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  const { P } = checkPair(scores, labels);
  if (P === 0) throw new ConfigError("average precision needs at least one positive");
  const order = byScoreDescending(scores);
  let tp = 0, seen = 0, ap = 0, recall = 0;
  for (let g = 0; g < order.length;) {
    const s = scores[order[g]!]!;
    let e = g;
    for (; e < order.length && scores[order[e]!] === s; e++) if (labels[order[e]!]) tp++;
    seen = e;
    const r = tp / P;
    ap += (r - recall) * (tp / seen);
    recall = r;
    g = e;
  }
  return ap;
}

export interface ScoreOptions {
  readonly backend?: Backend<Buffer>;
}

/** The key evaluateObjective gives row r when each program holds one row. */
export function rowKey(key: Key, r: number): Key {
  const block = Math.floor(r / NOISE_BLOCK), s = r % NOISE_BLOCK;
  return s === 0 ? foldIn(key, block) : foldIn(foldIn(key, block), s);
}

/** Each row's objective value on its own (see above); an unconditional model. */
export function objectiveScores(model: Model, params: Params, x: Rows, key: Key, objective: Objective, o: ScoreOptions = {}): Float64Array {
  const obj = checkObjective(objective, model.spec.kind);
  if (obj.penalties.some((p) => p.type === "sparsity")) throw new ConfigError("a row's score cannot include the sparsity penalty, a statistic of a batch");
  if (x.width !== model.spec.input) throw new ConfigError(`input rows have ${x.width} values, the model takes ${model.spec.input}`);
  if (model.arch.classes > 0) throw new ConfigError("anomaly scores take an unconditional model");
  const be = o.backend ?? (defaultBackend() as unknown as Backend<Buffer>);
  const out = new Float64Array(x.n);
  if (x.n === 0) return out;
  const prog = model.program(be, 1, { samples: obj.samples, separateInput: obj.corrupt !== null, forwardOnly: true });
  try {
    const view = be.hostView?.(prog.params);
    if (view instanceof Float32Array) model.layout.flatten(params, view);
    else be.write(prog.params, model.layout.flatten(params));
    const row = new Float32Array(x.width);
    for (let r = 0; r < x.n; r++) {
      x.fill(r, 1, row);
      be.write(prog.x, row);
      out[r] = forwardPass(prog, obj, rowKey(key, r), 0, false).value;
    }
  } finally {
    prog.dispose();
  }
  return out;
}

/** Each row's mean squared error against its reconstruction at z = mean (see above). */
export function reconstructionErrors(model: Model, params: Params, x: Rows, o: ScoreOptions = {}): Float64Array {
  const d = x.width;
  const out = new Float64Array(x.n);
  forEachReconstruction(model, params, x, (b) => {
    const input = b.input!, rec = b.reconstruction!;
    for (let i = 0; i < b.count; i++) {
      let s = 0;
      for (let j = i * d; j < (i + 1) * d; j++) s += (input[j]! - rec[j]!) ** 2;
      out[b.start + i] = s / d;
    }
  }, { backend: o.backend, inputs: true });
  return out;
}

export interface Detection {
  readonly auroc: number;
  readonly auprc: number;
  /** P / (P + N): the AUPRC of scores that carry no information. */
  readonly prevalence: number;
  readonly positives: number;
  readonly negatives: number;
  readonly meanPositive: number;
  readonly meanNegative: number;
}

/** AUROC, AUPRC and the mean score of each side. */
export function detection(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): Detection {
  const { P, N } = checkPair(scores, labels);
  let sp = 0, sn = 0;
  for (let i = 0; i < scores.length; i++) labels[i] ? (sp += scores[i]!) : (sn += scores[i]!);
  return {
    auroc: auroc(scores, labels), auprc: averagePrecision(scores, labels), prevalence: P / (P + N),
    positives: P, negatives: N, meanPositive: sp / P, meanNegative: sn / N,
  };
}
