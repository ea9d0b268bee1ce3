/**
 * The commands that use a saved model: eval, sample, reconstruct, encode, interpolate.
 * Each takes --model FILE; those that need data take --data (default: the data set the model
 * was trained on, as stored in the file). Each says where it wrote.
 *
 * A conditional model (classes > 0) is given each test sample's label (eval, encode,
 * reconstruct); `sample` draws one class (--class) or a grid of all (./sample-class.ts).
 * `eval` is in ./eval-iwae.ts.
 *
 * Inputs are normalised as the model was trained: the file's "latent.normalization" (v / 255 for
 * files without a method, which is every file written before per-band normalisation), and the
 * pictures map model outputs back to the data's uint8 scale (../pictures.ts). Splits are read in
 * bounded batches (models/batched.ts), never as one f32 tensor.
 */
import { init } from "../../backend/default.js";
import { features, pickSamples, type Dataset } from "../../data/dataset.js";
import { normalizationFromJson, type Normalization } from "../../data/normalize.js";
import { loadDataset } from "../../data/node/load.js";
import { loadModel } from "../../io/node/model-file.js";
import type { ModelFile } from "../../io/model-file.js";
import { key, split, type Key } from "../../random/index.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { writePng } from "../../viz/node/png.js";
import { int, oneOf, parse, str, UsageError, type Options } from "../args.js";
import { orThrow, rightOrThrow } from "../errors.js";
import { splitRows } from "../../data/rows.js";
import { encodeRows } from "../../models/batched.js";
import type { Io } from "../io.js";
import { interpolationPicture, reconstructionPicture, samplePicture } from "../pictures.js";
import { dataSpec } from "./train.js";
import { evalFlags, evalHelp, evalRequest, evaluateFile, checkEvalModel } from "./eval-iwae.js";
import { classFlag, classGridPicture, classNames, classSheetPicture } from "./sample-class.js";

type Command = (argv: string[], io: Io) => Promise<void>;

const common: Options = {
  model: { type: "string" },
  seed: { type: "string", default: "1" },
  isa: { type: "string", default: "auto" },
};
const withData: Options = { ...common, data: { type: "string" }, sat6: { type: "string" } };

interface Opened {
  readonly file: ModelFile;
  readonly ds: Dataset | null;
  readonly keys: Key[];
  readonly norm: Normalization;
  readonly isa: "relaxed" | "simd" | "scalar";
  /** The loader's spec of the data set: --data, else the one the model was trained on. */
  readonly spec: string;
}

/** Opens --model; `check` runs on the model before any data is read. */
async function open(values: Record<string, unknown>, needData: boolean, needTrain = false, check?: (file: ModelFile) => void): Promise<Opened> {
  const path = str(values, "model");
  if (!path) throw new UsageError("--model FILE is required (a model.safetensors written by latent train)");
  const { isa } = await init({ isa: oneOf(values, "isa", ["auto", "relaxed", "simd", "scalar"] as const) });
  const file = await orThrow(loadModel(path));
  check?.(file);
  const norm = rightOrThrow(normalizationFromJson(file.normalization, path));
  const keys = split(key(int(values, "seed", 0)), 4);
  const trainedOn = (file.training as { data?: unknown } | undefined)?.data;
  const spec = values.data !== undefined ? dataSpec(values) : typeof trainedOn === "string" ? trainedOn : "mnist";
  if (!needData) return { file, ds: null, keys, norm, isa, spec };
  // Only the test split unless asked for the train split (Fashion-MNIST's is 47 MB, SAT-6's 1 GB).
  const ds = await orThrow(loadDataset(spec, needTrain ? {} : { skipTrain: true }));
  if (features(ds) !== file.spec.input) throw new UsageError(`--data ${spec} has ${features(ds)} values per sample but the model in ${path} takes ${file.spec.input}`);
  if (norm.method === "band" && norm.low.length !== ds.imageShape[2]) {
    throw new UsageError(`the model in ${path} normalises ${norm.low.length} bands but --data ${spec} has ${ds.imageShape[2]}`);
  }
  const C = file.model.arch.classes;
  if (C > 0 && (!ds.test.labels || (needTrain && !ds.train.labels))) throw new UsageError(`the model in ${path} is conditional (${C} classes) but --data ${spec} has no labels`);
  return { file, ds, keys, norm, isa, spec };
}

/** A conditional model's labels of the split's samples (at `indices`, or all); nothing for an unconditional model. */
function labelsOf(file: ModelFile, labels: Uint8Array | null, indices?: ArrayLike<number>): { labels?: Int32Array } {
  const C = file.model.arch.classes;
  if (C === 0) return {};
  const picked = indices ? Int32Array.from(indices, (i) => labels![i]!) : Int32Array.from(labels!);
  if (picked.some((c) => c >= C)) throw new UsageError(`the data has labels outside the model's ${C} classes`);
  return { labels: picked };
}

/** The image shape stored with the model, or a square single-channel guess. */
export function imageShapeOf(file: ModelFile): [number, number, number] {
  const stored = (file.normalization as { imageShape?: unknown } | undefined)?.imageShape;
  if (Array.isArray(stored) && stored.length === 3 && stored.every((v) => Number.isSafeInteger(v) && v > 0)) return stored as [number, number, number];
  const side = Math.round(Math.sqrt(file.spec.input));
  if (side * side !== file.spec.input) throw new UsageError(`the model file stores no image shape and ${file.spec.input} values are not a square image`);
  return [side, side, 1];
}

function help(io: Io, text: string): void { io.out(text); }

const evalCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...withData, ...evalFlags });
  if (values.help) return help(io, evalHelp);
  const req = evalRequest(values);
  const path = str(values, "model")!;
  const { file, ds, keys, norm, isa } = await open(values, true, false, (f) => checkEvalModel(f, req, path));
  io.out(JSON.stringify(await evaluateFile(path, file, ds!, norm, keys[0]!, int(values, "seed", 0), isa, req, io)));
};

const sampleCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...common, data: { type: "string" }, sat6: { type: "string" }, n: { type: "string" }, class: { type: "string" },
    out: { type: "string", default: "samples.png" } });
  if (values.help) {
    return help(io, "latent sample --model FILE [--n 64] [--class C] [--seed 1] [--out samples.png]\n  Decodes n draws from the prior N(0, I) of a VAE into a PNG sheet."
      + "\n  A conditional VAE: --class C (0 .. classes - 1) decodes them with label C; without --class, one row per class of\n  n samples (default 10), the same codes in every row, named by the data's class names (--data, default the training data).");
  }
  const path = str(values, "model")!;
  const { file, keys, norm, spec } = await open(values, false);
  if (file.spec.kind !== "vae") throw new UsageError(`${path} is an autoencoder: it has no prior to sample from (train a vae)`);
  const c = classFlag(values, file.model, path);
  const C = file.model.arch.classes;
  const n = values.n === undefined ? (C > 0 && c === null ? 10 : 64) : int(values, "n", 1, 10_000);
  const shape = imageShapeOf(file);
  const out = str(values, "out")!;
  if (C === 0) {
    await writePng(out, samplePicture(file.model, file.params, shape, keys[1]!, n, norm));
    io.out(`wrote ${out}`);
    return;
  }
  const names = await classNames(spec, C);
  const picture = c === null ? classGridPicture(file.model, file.params, shape, keys[1]!, n, names, norm)
    : classSheetPicture(file.model, file.params, shape, keys[1]!, c, n, names[c]!, norm);
  await writePng(out, picture);
  io.out(c === null ? `wrote ${out} (one row per class: ${names.join(", ")})` : `wrote ${out} (class ${names[c]})`);
};

const reconstructCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...withData, n: { type: "string", default: "20" }, out: { type: "string", default: "reconstructions.png" } });
  if (values.help) return help(io, "latent reconstruct --model FILE [--data ...] [--n 20] [--seed 1] [--out reconstructions.png]\n  Random test images (upper rows) above their reconstructions at z = mean.");
  const { file, ds, keys, norm } = await open(values, true);
  const out = str(values, "out")!;
  const n = int(values, "n", 1, 10_000);
  // The samples reconstructionPicture picks with this key, for a conditional model's labels.
  const ev = labelsOf(file, ds!.test.labels, file.model.arch.classes > 0 ? pickSamples(keys[0]!, ds!.test.n, n) : undefined);
  await writePng(out, reconstructionPicture(file.model, file.params, ds!, keys[0]!, n, "test images (top) and reconstructions", "truecolor", norm, ev));
  io.out(`wrote ${out}`);
};

const encodeCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...withData, split: { type: "string", default: "test" }, format: { type: "string", default: "csv" }, out: { type: "string" } });
  if (values.help) return help(io, "latent encode --model FILE [--data ...] [--split test|train] [--format csv|jsonl] [--out codes.csv]\n  The code of every sample (AE: the code; VAE: mean and logvar) with its label, as CSV with a header or JSON lines.");
  const format = oneOf(values, "format", ["csv", "jsonl"] as const);
  const which = oneOf(values, "split", ["test", "train"] as const);
  const { file, ds, norm } = await open(values, true, which === "train");
  const s = ds![which];
  const enc = encodeRows(file.model, file.params, splitRows(s, features(ds!), norm), labelsOf(file, s.labels));
  const L = file.spec.latent;
  const lines: string[] = [];
  if (format === "csv") {
    const head = ["index", "label", ...Array.from({ length: L }, (_, j) => `mean${j}`), ...(enc.logvar ? Array.from({ length: L }, (_, j) => `logvar${j}`) : [])];
    lines.push(head.join(","));
  }
  for (let i = 0; i < s.n; i++) {
    const mean = Array.from(enc.mean.data.subarray(i * L, (i + 1) * L));
    const logvar = enc.logvar ? Array.from(enc.logvar.data.subarray(i * L, (i + 1) * L)) : null;
    const label = s.labels ? s.labels[i]! : null;
    lines.push(format === "csv" ? [i, label ?? "", ...mean, ...(logvar ?? [])].join(",") : JSON.stringify({ index: i, label, mean, ...(logvar ? { logvar } : {}) }));
  }
  const out = str(values, "out") ?? `codes.${format}`;
  await writeFileAtomic(out, new TextEncoder().encode(lines.join("\n") + "\n"));
  io.out(`wrote ${out} (${s.n} codes of ${L} dimensions)`);
};

const interpolateCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...withData, pairs: { type: "string", default: "4" }, steps: { type: "string", default: "10" },
    mode: { type: "string", default: "linear" }, out: { type: "string", default: "interpolation.png" } });
  if (values.help) return help(io, "latent interpolate --model FILE [--data ...] [--pairs 4] [--steps 10] [--mode linear|spherical] [--seed 1] [--out interpolation.png]\n  Decodes the path between the codes of random pairs of test images, one strip per pair.");
  const mode = oneOf(values, "mode", ["linear", "spherical"] as const);
  const { file, ds, keys, norm } = await open(values, true, false, (f) => {
    if (f.model.arch.classes > 0) throw new UsageError(`${str(values, "model")} is a conditional model: the path between two codes has no one label (use sample or reconstruct)`);
  });
  const out = str(values, "out")!;
  await writePng(out, interpolationPicture(file.model, file.params, ds!, keys[2]!, int(values, "pairs", 1, 100), int(values, "steps", 2, 100), mode === "spherical", norm));
  io.out(`wrote ${out}`);
};

export const commands: Record<string, Command> = {
  eval: evalCmd, sample: sampleCmd, reconstruct: reconstructCmd, encode: encodeCmd, interpolate: interpolateCmd,
};
