/**
 * What `latent analyze` analyses: the model file, the data set it is read against, and the
 * samples drawn from it. Every check of the input is made here, before any long computation:
 * the model must take the data's samples (size, bands), the data must have labels, training
 * samples and two classes, and the clusters k, the t-SNE perplexity and the n samples must go
 * together. Samples: n test and min(n, train size) training samples, drawn without replacement
 * from their keys (splits may be stored sorted by class, as the embedded MNIST is, so their
 * first samples would not be a fair subset) and kept in split order, read with the model's
 * normalisation (as `latent encode` reads them) and encoded (VAE: posterior means).
 */
import { checkPerplexity } from "../../analysis/index.js";
import { features, pickSamples, type Dataset, type Split } from "../../data/dataset.js";
import { normalizationFromJson, type Normalization } from "../../data/normalize.js";
import { loadDataset } from "../../data/node/load.js";
import { splitRows } from "../../data/rows.js";
import type { ModelFile } from "../../io/model-file.js";
import { loadModel } from "../../io/node/model-file.js";
import { encodeRows } from "../../models/batched.js";
import type { Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { UsageError } from "../args.js";
import { orThrow, rightOrThrow } from "../errors.js";
import type { Io } from "../io.js";
import { checkFinite, TRUST_K } from "./analyze-metrics.js";

/** The fewest samples the analysis takes: the trustworthiness needs n > 2 TRUST_K. */
export const MIN_SAMPLES = 2 * TRUST_K + 1;
/** t-SNE's perplexity when --perplexity is not given (lowered to fit small n, with a note). */
export const DEFAULT_PERPLEXITY = 30;

export interface AnalyzeRequest {
  readonly model: string;
  /** A data spec for loadDataset, or null: the data the model was trained on (else mnist). */
  readonly data: string | null;
  /** Test samples asked for (clamped to the test split, with a note). */
  readonly n: number;
  /** Clusters of k-means and Ward, or null: the number of classes. */
  readonly k: number | null;
  /** t-SNE perplexity, or null: DEFAULT_PERPLEXITY, lowered when n is too small for it. */
  readonly perplexity: number | null;
}

export interface AnalysisInput {
  readonly path: string;
  readonly file: ModelFile;
  readonly norm: Normalization;
  readonly ds: Dataset;
  /** Values per sample. */
  readonly d: number;
  readonly n: number;
  /** Training samples (for the kNN and the probe). */
  readonly m: number;
  readonly classes: number;
  readonly k: number;
  readonly perplexity: number;
  readonly testLabels: Uint8Array;
  readonly trainLabels: Uint8Array;
  readonly pixels: { readonly test: Tensor; readonly train: Tensor };
  readonly codes: { readonly test: Tensor; readonly train: Tensor };
}

/** The samples of a split at idx, normalised, as an f32 tensor [idx.length, d]. */
function rowsAt(s: Split, d: number, norm: Normalization, idx: Uint32Array): Tensor {
  const out = new Float32Array(idx.length * d);
  splitRows(s, d, norm, idx).fill(0, idx.length, out);
  return tensor(out, [idx.length, d]);
}

/** The perplexity of the request for n samples; a given one too large for n is a UsageError. */
function perplexityFor(asked: number | null, n: number, io: Io): number {
  const most = (n - 1) / 3;
  if (asked !== null) {
    if (asked > most) throw new UsageError(`--perplexity ${asked} is too large for n = ${n} samples: t-SNE needs a perplexity <= (n - 1) / 3 = ${+most.toFixed(3)}`);
    return checkPerplexity(asked, n);
  }
  if (DEFAULT_PERPLEXITY <= most) return DEFAULT_PERPLEXITY;
  io.out(`note: t-SNE perplexity ${DEFAULT_PERPLEXITY} is too large for n = ${n}; using (n - 1) / 3 = ${+most.toFixed(3)}`);
  return most;
}

/** Loads and checks everything; keys: [test samples, training samples]. */
export async function readInput(req: AnalyzeRequest, keys: { test: Key; train: Key }, io: Io): Promise<AnalysisInput> {
  const path = req.model;
  const file = await orThrow(loadModel(path));
  const norm = rightOrThrow(normalizationFromJson(file.normalization, path));
  const trainedOn = (file.training as { data?: unknown } | undefined)?.data;
  const spec = req.data ?? (typeof trainedOn === "string" ? trainedOn : "mnist");
  const ds = await orThrow(loadDataset(spec));
  const d = features(ds);
  if (d !== file.spec.input) throw new UsageError(`--data ${spec} has ${d} values per sample but the model in ${path} takes ${file.spec.input}`);
  if (norm.method === "band" && norm.low.length !== ds.imageShape[2]) {
    throw new UsageError(`the model in ${path} normalises ${norm.low.length} bands but --data ${spec} has ${ds.imageShape[2]}`);
  }
  if (!ds.test.labels || !ds.train.labels) throw new UsageError(`--data ${spec} has no labels to analyse against`);
  if (ds.train.n === 0) throw new UsageError(`--data ${spec} has no training samples for the kNN and the probe`);
  const n = Math.min(req.n, ds.test.n);
  if (n < req.n) io.out(`note: --n ${req.n} is more than the ${ds.test.n} test samples of ${spec}; analysing ${n}`);
  if (n < MIN_SAMPLES) throw new UsageError(`--data ${spec} has ${n} test samples; the analysis needs at least ${MIN_SAMPLES}`);
  const m = Math.min(n, ds.train.n);
  const testIdx = pickSamples(keys.test, ds.test.n, n).sort(), trainIdx = pickSamples(keys.train, ds.train.n, m).sort();
  const testLabels = Uint8Array.from(testIdx, (i) => ds.test.labels![i]!), trainLabels = Uint8Array.from(trainIdx, (i) => ds.train.labels![i]!);
  let classes = 0;
  for (const y of [testLabels, trainLabels]) for (const v of y) classes = Math.max(classes, v + 1);
  classes = Math.max(classes, ds.classNames?.length ?? 0);
  if (classes < 2) throw new UsageError(`--data ${spec} has a single class; clustering and probes need at least 2`);
  if (req.k === null && classes > n) throw new UsageError(`--n ${n} is fewer than the ${classes} classes to cluster into`);
  if (req.k !== null && req.k > n) throw new UsageError(`--k ${req.k} is more than the n = ${n} samples to cluster`);
  const perplexity = perplexityFor(req.perplexity, n, io);

  const codes = {
    test: encodeRows(file.model, file.params, splitRows(ds.test, d, norm, testIdx)).mean,
    train: encodeRows(file.model, file.params, splitRows(ds.train, d, norm, trainIdx)).mean,
  };
  checkFinite(codes.test, `the codes of ${path} on the test samples`);
  checkFinite(codes.train, `the codes of ${path} on the training samples`);
  const pixels = { test: rowsAt(ds.test, d, norm, testIdx), train: rowsAt(ds.train, d, norm, trainIdx) };
  return { path, file, norm, ds, d, n, m, classes, k: req.k ?? classes, perplexity, testLabels, trainLabels, pixels, codes };
}
