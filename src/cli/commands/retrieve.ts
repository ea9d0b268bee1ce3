/**
 * latent retrieve: how well nearest neighbours by code find images of the query's class, beside
 * raw pixels and their PCA to the code's size. N test images (default min(10000, test size)) are
 * drawn by --seed and read with the model's normalisation; they are both the queries and the
 * references: each ranks the other N - 1 by Euclidean distance (leave-one-out, src/apps/retrieve.ts;
 * exact float64 neighbours found on the GEMM kernel, analysis/knn.ts). A neighbour is relevant
 * when its label equals the query's. Figures: precision@k and mAP@k (AP@k normalised by
 * min(k, relevant references)), means over the N queries, for the codes (VAE: posterior means),
 * the pixels (the model's [0, 1] inputs) and the pixels' coordinates on the top latent-size
 * principal components of min(5000, train size) clean training images. Writes DIR/retrieval.json
 * and DIR/retrieval.png (--query random queries of the N, each beside its k nearest by code),
 * both only once everything is computed.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { project } from "../../analysis/pca.js";
import { widePca } from "../../analysis/pca-wide.js";
import { chancePrecision, leaveOneOut, retrievalGrid, type Retrieval } from "../../apps/retrieve.js";
import { pickSamples } from "../../data/dataset.js";
import { splitRows } from "../../data/rows.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { encodeRows } from "../../models/batched.js";
import { ConfigError } from "../../nn/layer.js";
import { key, split, type Key } from "../../random/index.js";
import { gatherRows } from "../../tensor/rows.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import type { ImageShape } from "../../viz/images.js";
import { writePng } from "../../viz/node/png.js";
import { int, parse, str, UsageError } from "../args.js";
import type { Io } from "../io.js";
import { appOptions, openModelAndData, PCA_FIT_SAMPLES, rowsAt, shown } from "./denoise.js";

type Command = (argv: string[], io: Io) => Promise<void>;

/** Test images searched by default, at most (the pixels' distances are a GEMM of N x N x d). */
const DEFAULT_N = 10_000;

export const retrieveHelp = `latent retrieve --model FILE [--query 8] [--k 10] [--data mnist|fashion-mnist|sat6|DIR] [--n ${DEFAULT_N}] [--seed 1] [--out retrieval]
  Leave-one-out retrieval among n random test images (drawn by --seed; default min(${DEFAULT_N}, test size)): each
  ranks the other n - 1 by Euclidean distance, and a neighbour is relevant when its label equals the query's.
  precision@k and mAP@k (AP@k = sum over the top k of relevance x precision@i, divided by min(k, relevant
  references); 0 when there are none), averaged over the n queries, for the model's codes (VAE: posterior means),
  the raw pixels, and the pixels' PCA to the code's size (fitted on min(${PCA_FIT_SAMPLES}, train size) training images).
  Writes DIR/retrieval.json and DIR/retrieval.png: --query random test images, each beside its k nearest by code
  (green frame: same class; red: another; 4-band images in true colour).`;

/** One line for the list of commands. */
export const retrieveSummary = "retrieve      precision@k and mAP@k of nearest neighbours by code, pixels and PCA, and a picture";

const figuresOf = (r: Retrieval, dim: number) => ({ dim, precisionAtK: r.precision, mapAtK: r.map });

const retrieve: Command = async (argv, io) => {
  const { values } = parse(argv, { ...appOptions, query: { type: "string", default: "8" }, k: { type: "string", default: "10" },
    n: { type: "string" }, out: { type: "string", default: "retrieval" } });
  if (values.help) { io.out(retrieveHelp); return; }
  const k = int(values, "k", 1);
  const askedQueries = int(values, "query", 1);
  const asked = values.n === undefined ? null : int(values, "n", 2);
  const seed = int(values, "seed", 0);
  const out = str(values, "out")!;
  const { path, file, norm, ds, spec, d } = await openModelAndData(values);
  if (!ds.test.labels) throw new UsageError(`--data ${spec} has no labels to judge relevance by`);
  if (ds.train.n === 0) throw new UsageError(`--data ${spec} has no training images for the PCA baseline`);
  const n = Math.min(asked ?? DEFAULT_N, ds.test.n);
  if (asked !== null && n < asked) io.out(`note: --n ${asked} is more than the ${ds.test.n} test images of ${spec}; searching ${n}`);
  if (n < 2) throw new UsageError(`--data ${spec} has ${n} test image${n === 1 ? "" : "s"}; retrieval needs at least 2`);
  if (k > n - 1) throw new UsageError(`--k ${k} is more than the ${n - 1} references of each query (n - 1 for n = ${n} test images)`);
  const q = Math.min(askedQueries, n);
  if (q < askedQueries) io.out(`note: --query ${askedQueries} is more than the ${n} test images searched; showing ${q}`);
  const [pickKey, pcaKey, queryKey] = split(key(seed), 3) as [Key, Key, Key];

  const idx = pickSamples(pickKey, ds.test.n, n).sort();
  const labels = Uint8Array.from(idx, (i) => ds.test.labels![i]!);
  const L = file.spec.latent, kPca = Math.min(L, d);
  const pixels = tensor(rowsAt(ds.test, d, norm, idx), [n, d]);
  const codes = encodeRows(file.model, file.params, splitRows(ds.test, d, norm, idx)).mean;
  const bad = codes.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ConfigError(`the codes of ${path}: test image ${idx[Math.floor(bad / L)]} has a non-finite value (${codes.data[bad]})`);
  const m = Math.min(PCA_FIT_SAMPLES, ds.train.n);
  const fit = widePca(tensor(rowsAt(ds.train, d, norm, pickSamples(pcaKey, ds.train.n, m).sort()), [m, d]), kPca);
  const reps: Record<"codes" | "pixels" | "pca", Tensor> = { codes, pixels, pca: project(fit, pixels) };
  const results = {} as Record<"codes" | "pixels" | "pca", Retrieval>;
  for (const name of ["codes", "pixels", "pca"] as const) results[name] = leaveOneOut(reps[name], labels, k);

  // The picture: q random queries of the n, by code.
  const queries = pickSamples(queryKey, n, q);
  const nb = results.codes.neighbours;
  const order = Array.from(queries).flatMap((r) => Array.from(nb.subarray(r * k, (r + 1) * k)));
  const relevant = order.map((j, t) => labels[j] === labels[queries[Math.floor(t / k)]!]);
  const pick = (rows: ArrayLike<number>) => shown(norm, gatherRows(pixels.data, d, rows), d);
  const className = (y: number) => ds.classNames?.[y] ?? String(y);
  const what = file.spec.kind === "vae" ? "posterior mean" : "code";
  const picture = retrievalGrid(pick(queries), pick(order), relevant, {
    imageShape: ds.imageShape as ImageShape, scale: 2, mode: "truecolor", labels: Array.from(queries, (r) => className(labels[r]!)),
    title: `${q} test queries (left), their ${k} nearest of ${n - 1} by ${what}; green: same class`,
  });
  const json = {
    model: path, data: ds.name, kind: file.spec.kind, latent: L, n, references: n - 1, k, seed,
    conventions: {
      protocol: `leave-one-out among ${n} random test images: each is a query ranking the other ${n - 1} by Euclidean distance (ties to the lower index)`,
      relevance: "a neighbour is relevant when its label equals the query's",
      precisionAtK: "fraction of relevant neighbours among the top k, averaged over the queries",
      mapAtK: "AP@k = (1 / min(k, R)) sum_{i <= k} rel_i * precision@i, R = relevant references of the query (AP@k = 0 when R = 0); averaged over the queries",
      pca: `the pixels' coordinates on the top ${kPca} principal components of ${m} training images`,
    },
    chancePrecision: chancePrecision(labels),
    representations: { codes: figuresOf(results.codes, L), pixels: figuresOf(results.pixels, d), pca: { ...figuresOf(results.pca, kPca), fitSamples: m } },
    pictured: Array.from(queries, (r, i) => ({
      index: idx[r], label: labels[r], neighbours: order.slice(i * k, (i + 1) * k).map((j) => idx[j]), relevant: relevant.slice(i * k, (i + 1) * k),
    })),
  };

  await mkdir(out, { recursive: true });
  await writePng(join(out, "retrieval.png"), picture);
  await writeFileAtomic(join(out, "retrieval.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  io.out(`leave-one-out retrieval among ${n} test images of ${ds.name}, k = ${k} (chance precision ${json.chancePrecision.toFixed(3)})`);
  io.out(`representation    dim   precision@${k}   mAP@${k}`);
  for (const [name, dim] of [["codes", L], ["pixels", d], ["pca", kPca]] as const) {
    io.out(`${name.padEnd(14)} ${String(dim).padStart(6)}   ${results[name].precision.toFixed(4).padStart(11)}   ${results[name].map.toFixed(4)}`);
  }
  io.out(`wrote ${join(out, "retrieval.json")}, ${join(out, "retrieval.png")}`);
};

export const commands: Record<string, Command> = { retrieve };
