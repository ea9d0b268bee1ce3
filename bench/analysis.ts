// The toolkit's figures beside scikit-learn and SciPy, on the codes of a trained model:
// `npm run bench:analysis -- --model FILE [--also FILE ...] [--python PATH] [--quick] [--json]`.
//
// - k-means, the 60,000 training codes (posterior means for a VAE), k = 10, nInit 4: seconds on
//   one thread and the inertia, beside scikit-learn's KMeans (lloyd, k-means++, same nInit) run
//   with OMP_NUM_THREADS=1 and with all cores.
// - Ward, 10,000 test codes: seconds beside SciPy's linkage(method="ward") on the same float64
//   values, and how many of the n - 1 merges are the same (the same pair of clusters and a
//   distance within 1e-4 relative).
// - t-SNE, 10,000 test codes, perplexity 30, 1,000 iterations, PCA initialisation, learning rate
//   200, exaggeration 12 (Barnes-Hut, theta 0.5): seconds beside scikit-learn's TSNE with the same
//   settings (all cores), and the trustworthiness (k = 10) of both embeddings, scored by the same
//   function (analysis.trustworthiness, equal to scikit-learn's where distances have no ties).
// - UMAP (umap-js), 10,000 test codes: seconds and trustworthiness.
// - Quality on the 10,000 test digits, to report: k-means ACC and NMI (k = 10, nInit 4) on raw
//   pixels and on each model's codes (--model and every --also: e.g. an AE, a sparse AE and a
//   denoising AE trained on the same data, the feature-learning table); kNN accuracy (k = 1, 5;
//   the training rows as references) and linear-probe accuracy (trained on the training rows) on
//   pixels, PCA to the code's size (fitted on the test pixels) and codes.
//
// Peers run as child processes (bench/peers/sklearn_analysis.py, --python PATH, default
// /usr/bin/python3: Debian's python3-sklearn); a missing peer is reported and the rest goes on.
// --quick: 2,000 test codes for Ward, t-SNE and UMAP and no quality section; --sections LIST:
// which of kmeans, ward, tsne, umap, quality to run (default all). Data: the model's
// own data set (its training record), read with the model's normalisation. Benchmarks report;
// they assert nothing.
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clusteringAccuracy, kmeans, knnAccuracy, linearProbe, linkage, nmi, project, trustworthiness, tsne, umap, widePca,
  type TsneOptions } from "../src/analysis/index.js";
import { init } from "../src/backend/default.js";
import { features, type Split } from "../src/data/dataset.js";
import { normalizationFromJson, type Normalization } from "../src/data/normalize.js";
import { loadDataset } from "../src/data/node/load.js";
import { splitRows } from "../src/data/rows.js";
import { loadModel } from "../src/io/node/model-file.js";
import { encodeRows } from "../src/models/batched.js";
import { key, split, type Key } from "../src/random/index.js";
import { tensor, type Tensor } from "../src/tensor/tensor.js";

const { values: args } = parseArgs({ options: {
  model: { type: "string" }, also: { type: "string", multiple: true }, python: { type: "string", default: "/usr/bin/python3" },
  quick: { type: "boolean", default: false }, sections: { type: "string", default: "kmeans,ward,tsne,umap,quality" }, json: { type: "boolean", default: false },
} });
const log = (s: string) => process.stderr.write(s + "\n");
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const TRUST_K = 10;

function rowsOf(s: Split, d: number, norm: Normalization, n: number): Tensor {
  const out = new Float32Array(n * d);
  splitRows(s, d, norm, Uint32Array.from({ length: n }, (_, i) => i)).fill(0, n, out);
  return tensor(out, [n, d]);
}

function head(t: Tensor, n: number): Tensor {
  const d = t.shape[1]!;
  return tensor(t.data.slice(0, n * d), [n, d]);
}

function peer(what: string, x: Tensor, extra: string[], env: NodeJS.ProcessEnv = {}): Record<string, unknown> | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), "latent-bench-"));
  try {
    const file = join(dir, "x.f32");
    writeFileSync(file, new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
    const script = new URL("../../bench/peers/sklearn_analysis.py", import.meta.url).pathname;
    const r = spawnSync(args.python!, [script, what, "--x", file, "--n", String(x.shape[0]), "--d", String(x.shape[1]), "--out", dir, ...extra],
      { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30 * 60_000, maxBuffer: 64 << 20 });
    if (r.error) return { error: r.error.message };
    if (r.status !== 0) return { error: r.stderr.trim().split("\n").pop() ?? `exit ${r.status}` };
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
    const grab = (name: string) => { try { return new Float64Array(readFileSync(join(dir, name)).buffer.slice(0)); } catch { return null; } };
    return { ...out, ward: grab("scipy-ward.f64"), tsne: grab("sklearn-tsne.f64") };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** Merges that agree: the same pair and a distance within 1e-4 relative; and the largest relative distance gap. */
function sameMerges(ours: Float64Array, theirs: Float64Array): { same: number; rows: number; maxRel: number } {
  const rows = ours.length / 4;
  let same = 0, maxRel = 0;
  for (let i = 0; i < rows; i++) {
    const a = ours.subarray(4 * i, 4 * i + 4), b = theirs.subarray(4 * i, 4 * i + 4);
    const rel = Math.abs(a[2]! - b[2]!) / Math.max(Math.abs(b[2]!), 1e-300);
    maxRel = Math.max(maxRel, rel);
    if (a[0] === b[0] && a[1] === b[1] && rel <= 1e-4) same++;
  }
  return { same, rows, maxRel };
}

async function main(): Promise<void> {
  if (!args.model) { log("--model FILE is required (e.g. runs/demo/model.safetensors from `npm start`)"); process.exit(2); }
  await init({ isa: "simd" });
  const models = [["model", args.model], ...(args.also ?? []).map((p, i) => [`also${i + 1}`, p])] as const;
  const loaded = [];
  for (const [name, path] of models) {
    const f = await loadModel(path)();
    if (f._tag === "Left") throw f.left;
    loaded.push({ name, path, file: f.right });
  }
  const main0 = loaded[0]!.file;
  const norm = normalizationFromJson(main0.normalization, args.model);
  if (norm._tag === "Left") throw norm.left;
  const spec = typeof (main0.training as { data?: unknown } | undefined)?.data === "string" ? (main0.training as { data: string }).data : "mnist";
  const dsE = await loadDataset(spec)();
  if (dsE._tag === "Left") throw dsE.left;
  const ds = dsE.right, d = features(ds);
  const nSmall = args.quick ? 2000 : 10000;
  const report: Record<string, unknown> = { data: ds.name, train: ds.train.n, test: ds.test.n, model: args.model };
  const version = spawnSync(args.python!, [new URL("../../bench/peers/sklearn_analysis.py", import.meta.url).pathname, "version"], { encoding: "utf8" });
  report.peers = version.status === 0 ? JSON.parse(version.stdout) : { error: (version.stderr || version.error?.message || "").trim().split("\n").pop() };
  log(`data ${ds.name}: ${ds.train.n} train, ${ds.test.n} test; peers ${JSON.stringify(report.peers)}`);

  const encode = (file: typeof main0, s: Split) => encodeRows(file.model, file.params, splitRows(s, d, norm.right, Uint32Array.from({ length: s.n }, (_, i) => i))).mean;
  const trainCodes = encode(main0, ds.train), testCodes = encode(main0, ds.test);
  const small = head(testCodes, Math.min(nSmall, ds.test.n));
  const [kmKey, tsneKey, umapKey, probeKey] = split(key(0), 4) as [Key, Key, Key, Key];

  const want = (name: string) => args.sections!.split(",").includes(name);
  const strip = (r: Record<string, unknown>) => { const { labels: _l, ward: _w, tsne: _t, ...rest } = r; return rest; };
  let t0 = 0;
  if (want("kmeans")) { // k-means on the training codes
    t0 = performance.now();
    const km = kmeans(trainCodes, 10, { key: kmKey, nInit: 4 });
    const kmOurs = { seconds: seconds(t0), inertia: km.inertia, iterations: km.iterations };
    const kmPeer1 = peer("kmeans", trainCodes, ["--k", "10", "--n-init", "4"], { OMP_NUM_THREADS: "1" });
    const kmPeerAll = peer("kmeans", trainCodes, ["--k", "10", "--n-init", "4"]);
    report.kmeans = { n: trainCodes.shape[0], d: trainCodes.shape[1], ours: kmOurs, sklearn1: strip(kmPeer1), sklearnAll: strip(kmPeerAll),
      inertiaRatio: "inertia" in kmPeer1 ? km.inertia / (kmPeer1.inertia as number) : null };
    log(`k-means: ${JSON.stringify(report.kmeans)}`);
  }
  if (want("ward")) { // Ward on test codes
    t0 = performance.now();
    const ward = linkage(small, "ward");
    const wardOurs = { seconds: seconds(t0) };
    const wardPeer = peer("ward", small, []);
    report.ward = { n: small.shape[0], ours: wardOurs, scipy: strip(wardPeer),
      merges: "ward" in wardPeer && wardPeer.ward ? sameMerges(ward.matrix, wardPeer.ward as Float64Array) : null };
    log(`ward: ${JSON.stringify(report.ward)}`);
  }
  if (want("tsne")) { // t-SNE on test codes
    const tsneOptions: TsneOptions = { key: tsneKey, perplexity: 30, iterations: 1000, init: "pca", learningRate: 200, earlyExaggeration: 12,
      method: "barnes-hut", theta: 0.5 };
    t0 = performance.now();
    const emb = tsne(small, tsneOptions);
    const tsneOurs = { seconds: seconds(t0), trustworthiness: trustworthiness(small, emb.embedding, TRUST_K), cost: emb.cost };
    const tsnePeer = peer("tsne", small, ["--perplexity", "30", "--iterations", "1000"]);
    const peerEmb = "tsne" in tsnePeer && tsnePeer.tsne ? tensor(Float32Array.from(tsnePeer.tsne as Float64Array), [small.shape[0]!, 2]) : null;
    report.tsne = { n: small.shape[0], ours: tsneOurs,
      sklearn: { ...strip(tsnePeer), ...(peerEmb ? { trustworthiness: trustworthiness(small, peerEmb, TRUST_K) } : {}) } };
    log(`t-SNE: ${JSON.stringify(report.tsne)}`);
  }
  if (want("umap")) { // UMAP on test codes
    t0 = performance.now();
    const u = umap(small, { key: umapKey });
    report.umap = { n: small.shape[0], seconds: seconds(t0), trustworthiness: trustworthiness(small, u.embedding, TRUST_K) };
    log(`UMAP: ${JSON.stringify(report.umap)}`);
  }

  if (!args.quick && want("quality")) {
    const labels = ds.test.labels!, trainLabels = ds.train.labels!;
    const pixels = rowsOf(ds.test, d, norm.right, ds.test.n), trainPixels = rowsOf(ds.train, d, norm.right, ds.train.n);
    const quality: Record<string, unknown> = {};
    const score = (name: string, test: Tensor, train: Tensor) => {
      const t1 = performance.now();
      const c = kmeans(test, 10, { key: kmKey, nInit: 4 }).labels;
      const probe = linearProbe(train, trainLabels, test, labels, { classes: 10, epochs: 30, learningRate: 0.01, key: probeKey });
      quality[name] = { dim: test.shape[1], kmeansAcc: clusteringAccuracy(labels, c), kmeansNmi: nmi(labels, c),
        knn1: knnAccuracy(train, trainLabels, test, labels, 1), knn5: knnAccuracy(train, trainLabels, test, labels, 5),
        probe: probe.testAccuracy, seconds: seconds(t1) };
      log(`quality ${name}: ${JSON.stringify(quality[name])}`);
    };
    score("pixels", pixels, trainPixels);
    const L = main0.spec.latent;
    const fit = widePca(pixels, L);
    score(`pca${L}`, project(fit, pixels), project(fit, trainPixels));
    for (const m of loaded) score(`codes of ${m.path} (${m.file.spec.kind}, latent ${m.file.spec.latent})`, encode(m.file, ds.test), encode(m.file, ds.train));
    report.quality = quality;
  }
  if (args.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else log("done");
}

main().catch((e) => { log(String(e instanceof Error ? e.stack : e)); process.exit(1); });
