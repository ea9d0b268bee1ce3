/**
 * latent compare --models A B: two models' code spaces side by side (A left, B right), to show
 * the tutorial's point that an AE's code space is not made for generation while a VAE's is.
 * Both models see the same n test samples (drawn without replacement by --seed, kept in random
 * order), each read with its own normalisation; see compare-model.ts for what is computed,
 * compare-figures.ts for the pictures and compare-report.ts for compare.json and report.html.
 *
 * Every check of the input (flags, both files, the data, the models against the data and each
 * other) runs before anything is written: bad input is one line, exit code 2, and no files.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { init } from "../../backend/default.js";
import { features, gather, pickSamples, type Dataset } from "../../data/dataset.js";
import { normalizationFromJson, type Normalization } from "../../data/normalize.js";
import { loadDataset } from "../../data/node/load.js";
import type { ModelFile } from "../../io/model-file.js";
import { loadModel } from "../../io/node/model-file.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { key, split, type Key } from "../../random/index.js";
import { encodePng } from "../../viz/node/png.js";
import { renderReport } from "../../viz/report.js";
import { int, oneOf, parse, str, UsageError } from "../args.js";
import { orThrow, rightOrThrow } from "../errors.js";
import type { Io } from "../io.js";
import { comparePictures, kindName, shortPath } from "./compare-figures.js";
import { meanNearest, PAIRS, REFERENCE_QUERIES, rowSlice, study, type ModelStudy, type Samples } from "./compare-model.js";
import { compareJson, compareReport } from "./compare-report.js";
import { dataSpec } from "./train.js";

export const compareHelp = `latent compare --models FILE_A FILE_B [--data mnist|fashion-mnist|sat6|DIR] [--sat6 DIR] [--n 2000] [--seed 1] [--out compare]
  Two models side by side (A left, B right; e.g. an AE and a VAE trained on the same data), on the same n random
  test samples (drawn by --seed): their test codes (VAE: posterior means) coloured by label, decodes over a grid
  spanning each code space, decodes of draws from a Gaussian fitted to each model's codes, and interpolations
  between the same pairs of test images; 4-band data also in false colour (NIR, R, G). Writes the PNGs,
  DIR/report.html (every picture, the models' test figures and the distances of the draws to the data) and
  DIR/compare.json, and prints a table. --data defaults to the data the models were trained on.
  --isa auto|relaxed|simd|scalar   kernel module (default auto)`;

/** Takes "--models A B" (or --models=A, repeated --models) out of argv: the files, and the other arguments. */
export function takeModels(argv: readonly string[]): { models: string[]; rest: string[] } {
  const models: string[] = [], rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--models=")) { models.push(a.slice("--models=".length)); continue; }
    if (a !== "--models") { rest.push(a); continue; }
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) models.push(argv[++i]!);
  }
  return { models, rest };
}

interface Loaded { readonly path: string; readonly file: ModelFile; readonly norm: Normalization }

function trainedOn(m: Loaded): string | null {
  const data = (m.file.training as { data?: unknown } | undefined)?.data;
  return typeof data === "string" ? data : null;
}

function checkFits(m: Loaded, ds: Dataset, spec: string): void {
  const d = features(ds);
  if (d !== m.file.spec.input) throw new UsageError(`--data ${spec} has ${d} values per sample but the model in ${m.path} takes ${m.file.spec.input}`);
  if (m.norm.method === "band" && m.norm.low.length !== ds.imageShape[2]) {
    throw new UsageError(`the model in ${m.path} normalises ${m.norm.low.length} bands but --data ${spec} has ${ds.imageShape[2]}`);
  }
}

const cell = (v: number, w: number): string => (Number.isFinite(v) ? v.toFixed(4) : "n/a").padStart(w);

function table(studies: readonly ModelStudy[], real: number): string[] {
  const name = studies.reduce((m, s) => Math.max(m, shortPath(s.path).length), 5);
  return [
    `${"model".padEnd(name)}  kind  latent  test loss  recon mse  draw>test  recon>test  excess  gap ratio`,
    ...studies.map((s) => [shortPath(s.path).padEnd(name), kindName(s).padStart(4), String(s.file.spec.latent).padStart(6),
      cell(s.evaluation.loss.loss, 9), cell(s.evaluation.reconstructionMse, 9), cell(s.distances.drawToNearestTest, 9),
      cell(s.distances.reconstructionToNearestOtherTest, 10), cell(s.distances.drawExcess, 6), cell(s.distances.latentGapRatio, 9)].join("  ")),
    `real test images to their nearest other test image: ${cell(real, 0)} (RMS per value; draw>test and recon>test are on the same scale)`,
  ];
}

export async function compare(argv: string[], io: Io): Promise<void> {
  const { models: paths, rest } = takeModels(argv);
  const { values } = parse(rest, {
    data: { type: "string" }, sat6: { type: "string" }, seed: { type: "string", default: "1" }, isa: { type: "string", default: "auto" },
    n: { type: "string", default: "2000" }, out: { type: "string", default: "compare" },
  });
  if (values.help) { io.out(compareHelp); return; }
  if (paths.length !== 2) throw new UsageError(`--models takes two model files (e.g. an AE and a VAE), got ${paths.length}${paths.length ? `: ${paths.join(" ")}` : ""}`);
  const asked = int(values, "n", 2);
  const seed = int(values, "seed", 0);
  const out = str(values, "out")!;
  const spec0 = values.data !== undefined || values.sat6 !== undefined ? dataSpec(values) : null;
  await init({ isa: oneOf(values, "isa", ["auto", "relaxed", "simd", "scalar"] as const) });

  const loaded: Loaded[] = [];
  for (const path of paths) {
    const file = await orThrow(loadModel(path));
    loaded.push({ path, file, norm: rightOrThrow(normalizationFromJson(file.normalization, path)) });
  }
  const [a, b] = loaded as [Loaded, Loaded];
  if (a.file.spec.input !== b.file.spec.input) {
    throw new UsageError(`the models take inputs of different sizes: ${a.path} ${a.file.spec.input} values, ${b.path} ${b.file.spec.input}; compare models trained on the same data`);
  }
  for (const m of loaded) {
    if (m.file.model.arch.classes > 0) throw new UsageError(`the model in ${m.path} is conditional (${m.file.model.arch.classes} classes); compare takes unconditional models`);
  }
  let spec = spec0;
  if (spec === null) {
    const [ta, tb] = [trainedOn(a), trainedOn(b)];
    if (ta !== null && tb !== null && ta !== tb) throw new UsageError(`the models were trained on different data (${ta}, ${tb}); say which to compare on with --data`);
    spec = ta ?? tb ?? "mnist";
  }
  // Only the test split is used.
  const ds = await orThrow(loadDataset(spec, { skipTrain: true }));
  for (const m of loaded) checkFits(m, ds, spec);
  if (ds.test.n < 2) throw new UsageError(`--data ${spec} has ${ds.test.n} test samples; compare needs at least 2`);
  const n = Math.min(asked, ds.test.n);
  if (n < asked) io.out(`note: --n ${asked} is more than the ${ds.test.n} test samples of ${spec}; comparing ${n}`);

  const [pickKey, drawKey, evalKey] = split(key(seed), 3) as [Key, Key, Key];
  const idx = pickSamples(pickKey, ds.test.n, n);
  const pairs = Array.from({ length: Math.min(PAIRS, Math.floor(n / 2)) }, (_, p) => [2 * p, 2 * p + 1] as const);
  const samples: Samples = { ds, idx, images: gather(ds.test, features(ds), idx), pairs, queries: Math.min(REFERENCE_QUERIES, n) };
  const studies = loaded.map((m) => study(m.path, m.file, m.norm, samples, { draws: drawKey, eval: evalKey }));
  const realNearestOther = meanNearest(samples.images, rowSlice(samples.images, 0, samples.queries), true) / Math.sqrt(features(ds));
  const pictures = comparePictures(studies, samples);
  const bytes = new Map(pictures.map((p) => [p.file, new Uint8Array(encodePng(p.raster))] as const));
  const run = { data: ds.name, n, seed, studies, samples, realNearestOther, pictures };
  const html = await renderReport(compareReport(run, bytes));

  await mkdir(out, { recursive: true });
  for (const [file, png] of bytes) await writeFileAtomic(join(out, file), png);
  await writeFileAtomic(join(out, "report.html"), new TextEncoder().encode(html));
  await writeFileAtomic(join(out, "compare.json"), new TextEncoder().encode(JSON.stringify(compareJson(run), null, 2) + "\n"));
  for (const line of table(studies, realNearestOther)) io.out(line);
  io.out(`wrote ${join(out, "report.html")}, compare.json, ${[...bytes.keys()].join(", ")}`);
}
