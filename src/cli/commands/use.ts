/**
 * The commands that use a saved model: eval, sample, reconstruct, encode, interpolate.
 * Each takes --model FILE; those that need data take --data (default: the data set the model
 * was trained on, as stored in the file). Each says where it wrote.
 *
 * Inputs are normalised as the model was trained: the file's "latent.normalization" (v / 255 for
 * files without a method, which is every file written before per-band normalisation), and the
 * pictures map model outputs back to the data's uint8 scale (../pictures.ts). Splits are read in
 * bounded batches (models/batched.ts), never as one f32 tensor.
 */
import { init } from "../../backend/default.js";
import { features, type Dataset } from "../../data/dataset.js";
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
import { evaluateModel } from "../../models/metrics.js";
import type { Io } from "../io.js";
import { interpolationPicture, reconstructionPicture, samplePicture } from "../pictures.js";
import { dataSpec } from "./train.js";

type Command = (argv: string[], io: Io) => Promise<void>;

const common: Options = {
  model: { type: "string" },
  seed: { type: "string", default: "1" },
  isa: { type: "string", default: "auto" },
};
const withData: Options = { ...common, data: { type: "string" }, sat6: { type: "string" } };

async function open(values: Record<string, unknown>, needData: boolean, needTrain = false): Promise<{ file: ModelFile; ds: Dataset | null; keys: Key[]; norm: Normalization }> {
  const path = str(values, "model");
  if (!path) throw new UsageError("--model FILE is required (a model.safetensors written by latent train)");
  await init({ isa: oneOf(values, "isa", ["auto", "relaxed", "simd", "scalar"] as const) });
  const file = await orThrow(loadModel(path));
  const norm = rightOrThrow(normalizationFromJson(file.normalization, path));
  const keys = split(key(int(values, "seed", 0)), 4);
  if (!needData) return { file, ds: null, keys, norm };
  const trainedOn = (file.training as { data?: unknown } | undefined)?.data;
  const spec = values.data !== undefined ? dataSpec(values) : typeof trainedOn === "string" ? trainedOn : "mnist";
  // Only the test split unless asked for the train split (Fashion-MNIST's is 47 MB, SAT-6's 1 GB).
  const ds = await orThrow(loadDataset(spec, needTrain ? {} : { skipTrain: true }));
  if (features(ds) !== file.spec.input) throw new UsageError(`--data ${spec} has ${features(ds)} values per sample but the model in ${path} takes ${file.spec.input}`);
  if (norm.method === "band" && norm.low.length !== ds.imageShape[2]) {
    throw new UsageError(`the model in ${path} normalises ${norm.low.length} bands but --data ${spec} has ${ds.imageShape[2]}`);
  }
  return { file, ds, keys, norm };
}

/** The image shape stored with the model, or a square single-channel guess. */
function imageShapeOf(file: ModelFile): [number, number, number] {
  const stored = (file.normalization as { imageShape?: unknown } | undefined)?.imageShape;
  if (Array.isArray(stored) && stored.length === 3 && stored.every((v) => Number.isSafeInteger(v) && v > 0)) return stored as [number, number, number];
  const side = Math.round(Math.sqrt(file.spec.input));
  if (side * side !== file.spec.input) throw new UsageError(`the model file stores no image shape and ${file.spec.input} values are not a square image`);
  return [side, side, 1];
}

function help(io: Io, text: string): void { io.out(text); }

const evalCmd: Command = async (argv, io) => {
  const { values } = parse(argv, withData);
  if (values.help) return help(io, "latent eval --model FILE [--data mnist|fashion-mnist|DIR] [--seed 1]\n  Prints one JSON object: the test loss (reconstruction, kl, total; nats per sample), the reconstruction MSE\n  (mean over pixels at z = mean, on the model's normalised [0, 1] inputs) and the active latent units (variance over the data of the code mean > 0.01).");
  const { file, ds, keys, norm } = await open(values, true);
  const x = splitRows(ds!.test, features(ds!), norm);
  const r = evaluateModel(file.model, file.params, x, keys[0]!);
  io.out(JSON.stringify({
    model: str(values, "model"), data: ds!.name, samples: r.samples,
    test: { loss: r.loss.loss, reconstruction: r.loss.reconstruction, kl: r.loss.kl, units: "nats per sample" },
    reconstruction_mse: r.reconstructionMse,
    active_units: r.activeUnits, latent: r.latent,
  }));
};

const sampleCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...common, n: { type: "string", default: "64" }, out: { type: "string", default: "samples.png" } });
  if (values.help) return help(io, "latent sample --model FILE [--n 64] [--seed 1] [--out samples.png]\n  Decodes n draws from the prior N(0, I) of a VAE into a PNG sheet.");
  const { file, keys, norm } = await open(values, false);
  if (file.spec.kind !== "vae") throw new UsageError(`${str(values, "model")} is an autoencoder: it has no prior to sample from (train a vae)`);
  const shape = imageShapeOf(file);
  const out = str(values, "out")!;
  await writePng(out, samplePicture(file.model, file.params, shape, keys[1]!, int(values, "n", 1, 10_000), norm));
  io.out(`wrote ${out}`);
};

const reconstructCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...withData, n: { type: "string", default: "20" }, out: { type: "string", default: "reconstructions.png" } });
  if (values.help) return help(io, "latent reconstruct --model FILE [--data ...] [--n 20] [--seed 1] [--out reconstructions.png]\n  Random test images (upper rows) above their reconstructions at z = mean.");
  const { file, ds, keys, norm } = await open(values, true);
  const out = str(values, "out")!;
  await writePng(out, reconstructionPicture(file.model, file.params, ds!, keys[0]!, int(values, "n", 1, 10_000), "test images (top) and reconstructions", "truecolor", norm));
  io.out(`wrote ${out}`);
};

const encodeCmd: Command = async (argv, io) => {
  const { values } = parse(argv, { ...withData, split: { type: "string", default: "test" }, format: { type: "string", default: "csv" }, out: { type: "string" } });
  if (values.help) return help(io, "latent encode --model FILE [--data ...] [--split test|train] [--format csv|jsonl] [--out codes.csv]\n  The code of every sample (AE: the code; VAE: mean and logvar) with its label, as CSV with a header or JSON lines.");
  const format = oneOf(values, "format", ["csv", "jsonl"] as const);
  const which = oneOf(values, "split", ["test", "train"] as const);
  const { file, ds, norm } = await open(values, true, which === "train");
  const s = ds![which];
  const enc = encodeRows(file.model, file.params, splitRows(s, features(ds!), norm));
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
  const { file, ds, keys, norm } = await open(values, true);
  const out = str(values, "out")!;
  await writePng(out, interpolationPicture(file.model, file.params, ds!, keys[2]!, int(values, "pairs", 1, 100), int(values, "steps", 2, 100), mode === "spherical", norm));
  io.out(`wrote ${out}`);
};

export const commands: Record<string, Command> = {
  eval: evalCmd, sample: sampleCmd, reconstruct: reconstructCmd, encode: encodeCmd, interpolate: interpolateCmd,
};
