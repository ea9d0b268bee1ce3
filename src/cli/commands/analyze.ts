/**
 * latent analyze: how well a model's codes keep the classes of its data, beside the raw pixels
 * and their PCA to the code's size. n test samples and min(n, train size) training samples, drawn
 * without replacement by --seed (splits may be stored sorted by class, as the embedded MNIST is,
 * so their first samples would not be a fair subset) and kept in split order, are read with the
 * model's normalisation (as `latent encode` reads them) and encoded (VAE: posterior means). Writes DIR/analysis.json, codes-pca.png, codes-kmeans.png and
 * dendrogram.png, and prints a table. --n above the test split is clamped, with a note.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { init } from "../../backend/default.js";
import { linkage, project, widePca } from "../../analysis/index.js";
import { features, pickSamples, type Split } from "../../data/dataset.js";
import { normalizationFromJson, type Normalization } from "../../data/normalize.js";
import { loadDataset } from "../../data/node/load.js";
import { splitRows } from "../../data/rows.js";
import { loadModel } from "../../io/node/model-file.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { encodeRows } from "../../models/batched.js";
import { key, split, type Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { dendrogram, scatterPlot } from "../../viz/index.js";
import { writePng } from "../../viz/node/png.js";
import { int, oneOf, parse, str, UsageError } from "../args.js";
import { orThrow, rightOrThrow } from "../errors.js";
import type { Io } from "../io.js";
import { checkFinite, figures, firstTwo, kmeansLabels, plane, TRUST_K, type Representation, type RepresentationFigures } from "./analyze-metrics.js";
import { dataSpec } from "./train.js";

export const analyzeHelp = `latent analyze --model FILE [--data mnist|fashion-mnist|DIR] [--n 2000] [--out analysis] [--seed 1]
  For n random test samples (drawn by --seed) as raw pixels, as their PCA to the code's size and as the model's codes
  (VAE: posterior means): k-means and Ward clustering (k = number of classes) scored by ACC, NMI and ARI,
  kNN (k = 1, 5) and linear-probe accuracy trained on n random training samples, and the
  trustworthiness (k = ${TRUST_K}) of a 2-D PCA. Writes DIR/analysis.json, codes-pca.png, codes-kmeans.png
  and dendrogram.png (Ward on the codes) and prints a table.`;

/** The samples of a split at idx, normalised, as an f32 tensor [idx.length, d]. */
function rowsAt(s: Split, d: number, norm: Normalization, idx: Uint32Array): Tensor {
  const out = new Float32Array(idx.length * d);
  splitRows(s, d, norm, idx).fill(0, idx.length, out);
  return tensor(out, [idx.length, d]);
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : "  nan");

function table(reps: Record<string, RepresentationFigures>): string[] {
  const head = "representation  dim   kmeans acc/nmi/ari   ward acc/nmi/ari     knn1   knn5   probe  trust";
  return [head, ...Object.entries(reps).map(([name, r]) => [
    name.padEnd(14), String(r.dim).padStart(5), "  ",
    [r.kmeans.acc, r.kmeans.nmi, r.kmeans.ari].map(fmt).join(" "), "  ",
    [r.ward.acc, r.ward.nmi, r.ward.ari].map(fmt).join(" "), "  ",
    [r.knn.k1, r.knn.k5, r.probe, r.trustworthiness].map(fmt).join("  "),
  ].join(""))];
}

export async function analyze(argv: string[], io: Io): Promise<void> {
  const { values } = parse(argv, {
    model: { type: "string" }, data: { type: "string" }, sat6: { type: "string" }, seed: { type: "string", default: "1" },
    isa: { type: "string", default: "auto" }, n: { type: "string", default: "2000" }, out: { type: "string", default: "analysis" },
  });
  if (values.help) { io.out(analyzeHelp); return; }
  const path = str(values, "model");
  if (!path) throw new UsageError("--model FILE is required (a model.safetensors written by latent train)");
  const asked = int(values, "n", 2 * TRUST_K + 1);
  const out = str(values, "out")!;
  const seed = int(values, "seed", 0);
  await init({ isa: oneOf(values, "isa", ["auto", "relaxed", "simd", "scalar"] as const) });
  const file = await orThrow(loadModel(path));
  const norm = rightOrThrow(normalizationFromJson(file.normalization, path));
  const trainedOn = (file.training as { data?: unknown } | undefined)?.data;
  const spec = values.data !== undefined ? dataSpec(values) : typeof trainedOn === "string" ? trainedOn : "mnist";
  const ds = await orThrow(loadDataset(spec));
  const d = features(ds);
  if (d !== file.spec.input) throw new UsageError(`--data ${spec} has ${d} values per sample but the model in ${path} takes ${file.spec.input}`);
  if (norm.method === "band" && norm.low.length !== ds.imageShape[2]) {
    throw new UsageError(`the model in ${path} normalises ${norm.low.length} bands but --data ${spec} has ${ds.imageShape[2]}`);
  }
  if (!ds.test.labels || !ds.train.labels) throw new UsageError(`--data ${spec} has no labels to analyse against`);
  if (ds.train.n === 0) throw new UsageError(`--data ${spec} has no training samples for the kNN and the probe`);
  const n = Math.min(asked, ds.test.n);
  if (n < asked) io.out(`note: --n ${asked} is more than the ${ds.test.n} test samples of ${spec}; analysing ${n}`);
  if (n < 2 * TRUST_K + 1) throw new UsageError(`--data ${spec} has ${n} test samples; the analysis needs at least ${2 * TRUST_K + 1}`);
  const m = Math.min(n, ds.train.n);
  const [kmKey, probeKey, testKey, trainKey] = split(key(seed), 4) as [Key, Key, Key, Key];
  const testIdx = pickSamples(testKey, ds.test.n, n).sort(), trainIdx = pickSamples(trainKey, ds.train.n, m).sort();
  const testLabels = Uint8Array.from(testIdx, (i) => ds.test.labels![i]!), trainLabels = Uint8Array.from(trainIdx, (i) => ds.train.labels![i]!);
  let classes = 0;
  for (const y of [testLabels, trainLabels]) for (const v of y) classes = Math.max(classes, v + 1);
  classes = Math.max(classes, ds.classNames?.length ?? 0);
  if (classes < 2) throw new UsageError(`--data ${spec} has a single class; clustering and probes need at least 2`);
  if (classes > n) throw new UsageError(`--n ${n} is fewer than the ${classes} classes to cluster into`);

  const pixels = { test: rowsAt(ds.test, d, norm, testIdx), train: rowsAt(ds.train, d, norm, trainIdx) };
  const L = file.spec.latent;
  const codes = { test: encodeRows(file.model, file.params, splitRows(ds.test, d, norm, testIdx)).mean,
    train: encodeRows(file.model, file.params, splitRows(ds.train, d, norm, trainIdx)).mean };
  checkFinite(codes.test, `the codes of ${path} on the test samples`);
  checkFinite(codes.train, `the codes of ${path} on the training samples`);
  // PCA of the pixels, fit on the n analysed samples; its first two columns are the pixels' 2-D PCA.
  const fit = widePca(pixels.test, Math.min(Math.max(L, 2), d));
  const pcaTest = project(fit, pixels.test), pcaTrain = project(fit, pixels.train);
  const keep = (t: Tensor, k: number): Tensor => {
    const [rows, w] = t.shape as [number, number];
    if (w === k) return t;
    const o = new Float32Array(rows * k);
    for (let i = 0; i < rows; i++) o.set(t.data.subarray(i * w, i * w + k), i * k);
    return tensor(o, [rows, k]);
  };
  const codesPlane = plane(codes.test);
  const reps: Record<"pixels" | "pca" | "codes", Representation> = {
    pixels: { ...pixels, plane: firstTwo(pcaTest) },
    pca: { test: keep(pcaTest, L), train: keep(pcaTrain, L), plane: firstTwo(pcaTest) },
    codes: { ...codes, plane: codesPlane },
  };
  const labelled = { testLabels, trainLabels, classes };
  const results = {} as Record<"pixels" | "pca" | "codes", RepresentationFigures>;
  for (const name of ["pixels", "pca", "codes"] as const) results[name] = figures(reps[name], labelled, { kmeans: kmKey, probe: probeKey });

  await mkdir(out, { recursive: true });
  const json = { model: path, data: ds.name, n, train: m, classes, latent: L, kind: file.spec.kind, seed, representations: results };
  await writeFileAtomic(join(out, "analysis.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  const what = file.spec.kind === "vae" ? "posterior means" : "codes";
  const names = ds.classNames ? { classNames: ds.classNames } : {};
  const axes = { xLabel: `principal component 1 of ${L}`, yLabel: L > 1 ? `principal component 2 of ${L}` : "", width: 640, height: 480 };
  await writePng(join(out, "codes-pca.png"), scatterPlot(codesPlane, testLabels, { title: `${n} test ${what} by label`, ...names, ...axes }));
  const km = kmeansLabels(codes.test, classes, kmKey);
  await writePng(join(out, "codes-kmeans.png"), scatterPlot(codesPlane, Uint8Array.from(km), { title: `${n} test ${what} by k-means cluster (k = ${classes})`, ...axes }));
  await writePng(join(out, "dendrogram.png"), dendrogram(linkage(codes.test, "ward"), { lastP: 30, title: `Ward linkage of ${n} test ${what}`, width: 720 }));
  for (const line of table(results)) io.out(line);
  io.out(`wrote ${join(out, "analysis.json")}, codes-pca.png, codes-kmeans.png, dendrogram.png`);
}
