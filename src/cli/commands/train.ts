/**
 * `latent train`: trains an AE or a VAE and writes the run folder: model.safetensors,
 * checkpoint.safetensors (every --checkpoint-every epochs), best.safetensors (lowest test loss),
 * metrics.jsonl (one JSON object per epoch) and the pictures. `--early-stop` and `--plateau`
 * watch the test loss (src/train/callbacks.ts). `--resume FILE` continues a run from a checkpoint
 * bit-identically to an uninterrupted one (same parameters, optimizer state, keys, data order,
 * and the early-stopping and plateau states, which the file's training config holds).
 * One run at a time writes into a folder (../run-lock.ts); a run stopped by a NaN or infinity
 * leaves the state before the failing step in last-finite.safetensors.
 * --sparsity, --code and --holdout-class: ./train-apps.ts.
 */
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { init } from "../../backend/default.js";
import type { Backend, Buffer } from "../../backend/backend.js";
import { features, gather, splitBatches, type Dataset, type Split } from "../../data/dataset.js";
import { permutation } from "../../data/batches.js";
import type { BatchSource } from "../../data/batch-source.js";
import { ActivationLayer } from "../../nn/activation.js";
import { Dense } from "../../nn/dense.js";
import { writePng } from "../../viz/node/png.js";
import { classGridPicture, classNames } from "./sample-class.js";
import { describeNormalization, fitBandNormalization, GLOBAL, normalizationFromJson, normalizationToJson,
  type Normalization } from "../../data/normalize.js";
import { loadDataset } from "../../data/node/load.js";
import { ModelFileError, modelToSafetensorsParts, type JsonObject, type ModelFileInput } from "../../io/model-file.js";
import { loadModel } from "../../io/node/model-file.js";
import { FileWriteError, writeFileAtomic } from "../../io/node/atomic-write.js";
import { ae, vae, type Model, type PresetSpec } from "../../models/index.js";
import { adam, type Optimizer } from "../../optim/index.js";
import { foldIn, key, split, type Key } from "../../random/index.js";
import { bestModel, checkpoint, fit, initState, NonFiniteError, resume as resumeFit, withValidation, type Callback,
  type EpochMetrics, type TrainState } from "../../train/index.js";
import { int, intList, num, oneOf, parse, str, UsageError } from "../args.js";
import { orThrow, rightOrThrow } from "../errors.js";
import { startThreads, type ThreadedBackend } from "../../parallel/index.js";
import { nodeSpawn } from "../../parallel/node/spawn.js";
import { splitRows } from "../../data/rows.js";
import { evaluateLoss, programRows } from "../../models/batched.js";
import { lossPicture, writePictures } from "../pictures.js";
import { progress } from "../progress.js";
import type { Io } from "../io.js";
import { metricsLine, readHistory } from "../metrics-file.js";
import { corruptionFlag, objectiveFor, sparsityFlag } from "../objective-flags.js";
import { trainHelp, trainOptions } from "./train-options.js";
import { checkPenaltyFits, holdoutLabel, sigmoidCodeModel, withoutClass } from "./train-apps.js";
import { checkTraining, runCallbacks, type TrainingConfig } from "./train-config.js";
import { lockRunFolder, sweepTemporaryFiles } from "../run-lock.js";

export { trainHelp, trainOptions, type TrainingConfig };

const modelFlags = ["data", "sat6", "model", "arch", "hidden", "latent", "channels", "kernel", "beta", "likelihood", "activation", "batch", "lr", "seed", "limit", "normalize",
  "early-stop", "plateau", "plateau-factor", "corrupt", "sparsity", "code", "holdout-class", "conditional"];

/** The loader's spec of --data: "sat6" takes its path from --sat6 (stored absolute, for resume and eval). */
export function dataSpec(values: Record<string, unknown>): string {
  const data = String(values.data ?? "mnist");
  const sat6 = str(values, "sat6");
  if (data === "sat6") {
    if (!sat6) throw new UsageError("--data sat6 needs --sat6 DIR_OR_FILE (a folder of the Kaggle CSV files or sat-6-full.mat)");
    return `sat6:${resolve(sat6)}`;
  }
  if (sat6) throw new UsageError("--sat6 goes with --data sat6");
  return data;
}

/** The training samples a run uses: the first `limit` of the train split when limited, without the held-out class. */
function trainingSplit(ds: Dataset, limit: number | null, holdout: number | null = null): Split {
  const d = features(ds);
  const first = limit && limit < ds.train.n
    ? { ...ds.train, n: limit, pixels: ds.train.pixels.subarray(0, limit * d), labels: ds.train.labels?.subarray(0, limit) ?? null }
    : ds.train;
  return holdout === null ? first : withoutClass(first, d, holdout, `the training split of ${ds.name}`);
}

/**
 * The normalisation of a new run: --normalize, else band for uint8 data of 4 or more bands
 * (multispectral: SAT-6's R, G, B, NIR, whose bands use different parts of 0..255) and global
 * v / 255 otherwise (grey and RGB images, whose bands share one scale; MNIST and Fashion-MNIST
 * keep their published figures). Band is fitted on the training samples the run uses (after
 * --limit), never on the test split.
 */
function chooseNormalization(method: "band" | "global" | null, ds: Dataset, train: Split): Normalization {
  const uint8 = ds.train.pixels instanceof Uint8Array;
  const chosen = method ?? (uint8 && ds.imageShape[2] >= 4 ? "band" : "global");
  if (chosen === "global") return GLOBAL;
  if (!uint8) throw new UsageError(`--normalize band needs uint8 pixels; ${ds.name} holds float values already in [0, 1] (use --normalize global)`);
  return fitBandNormalization(train, ds.imageShape[2]);
}

export async function train(argv: string[], io: Io, defaults: { epochs?: number; out?: string } = {}): Promise<void> {
  const { values } = parse(argv, trainOptions);
  if (values.help) { io.out(trainHelp); return; }
  const given = new Set(argv.filter((a) => a.startsWith("--")).map((a) => a.slice(2).split("=")[0]!));
  const epochs = given.has("epochs") || defaults.epochs === undefined ? int(values, "epochs", 0, 1_000_000) : defaults.epochs;
  const checkpointEvery = int(values, "checkpoint-every", 1);
  const isa = oneOf(values, "isa", ["auto", "relaxed", "simd", "scalar"] as const);
  const normalize = values.normalize === undefined ? null : oneOf(values, "normalize", ["band", "global"] as const);
  if (values.threads !== undefined) int(values, "threads", 1, 256);

  const resume = str(values, "resume");
  if (resume) {
    const clash = modelFlags.filter((f) => given.has(f));
    if (clash.length) throw new UsageError(`--${clash[0]} cannot be given with --resume: the run's settings come from ${resume}`);
    const file = await orThrow(loadModel(resume));
    const config = { ...checkTraining(file.training, resume), epochs };
    if (!file.optState) throw new UsageError(`${resume}: the file holds no optimizer state, so the run cannot be resumed exactly`);
    if (config.epochsDone > epochs) throw new UsageError(`--epochs ${epochs} is fewer than the ${config.epochsDone} epochs ${resume} has done`);
    const ds = await orThrow(loadDataset(config.data, config.limit ? { sat6: { limit: config.limit } } : {}));
    const spec = file.model.spec;
    if (features(ds) !== spec.input || (spec.arch === "conv" && spec.imageShape.some((d, i) => d !== ds.imageShape[i]))) {
      throw new UsageError(`${config.data} has images of [${ds.imageShape.join(", ")}] but the model in ${resume} takes ${spec.arch === "conv" ? `[${spec.imageShape.join(", ")}]` : `${spec.input} values`}`);
    }
    const norm = rightOrThrow(normalizationFromJson(file.normalization, resume));
    if (norm.method === "band" && norm.low.length !== ds.imageShape[2]) {
      throw new UsageError(`${resume} normalises ${norm.low.length} bands but ${config.data} has ${ds.imageShape[2]}`);
    }
    if (config.holdoutClass != null) holdoutLabel(String(config.holdoutClass), ds);
    checkPenaltyFits(file.model, config.sparsity ?? null);
    // The build the run trained with, unless --isa says otherwise: another build gives other bits.
    return run(file.model, config, { params: file.params, opt: file.optState }, ds, norm, values, checkpointEvery,
      given.has("isa") ? isa : config.isa ?? isa, io, defaults.out);
  }
  {
    const kind = oneOf(values, "model", ["ae", "vae"] as const);
    const likelihood = oneOf(values, "likelihood", ["bernoulli", "continuousBernoulli", "gaussian", "laplace", "mse"] as const);
    const activation = oneOf(values, "activation", ["relu", "leakyRelu", "tanh", "sigmoid", "softplus", "elu"] as const);
    const limit = values.limit === undefined ? null : int(values, "limit", 1);
    if (values["plateau-factor"] !== undefined && values.plateau === undefined) throw new UsageError("--plateau-factor goes with --plateau PATIENCE");
    const config: TrainingConfig = {
      data: dataSpec(values), seed: int(values, "seed", 0), epochs, epochsDone: 0,
      batch: int(values, "batch", 1), lr: num(values, "lr", 0, Infinity, true), limit, optimizer: "adam", bestTestLoss: null,
      earlyStop: values["early-stop"] === undefined ? null : { patience: int(values, "early-stop", 1), state: { best: null, wait: 0 } },
      plateau: values.plateau === undefined ? null : {
        patience: int(values, "plateau", 1),
        factor: values["plateau-factor"] === undefined ? 0.5 : openUnit(values, "plateau-factor"),
        state: { scale: 1, best: null, wait: 0, cooldownLeft: 0 },
      },
      corrupt: values.corrupt === undefined ? null : corruptionFlag(String(values.corrupt)),
      sparsity: values.sparsity === undefined ? null : sparsityFlag(String(values.sparsity)),
      holdoutClass: null,
    };
    const code = oneOf(values, "code", ["linear", "sigmoid"] as const);
    const arch = oneOf(values, "arch", ["mlp", "conv"] as const);
    const conv = arch === "conv";
    const hidden = values.hidden === "none" ? [] : intList({ hidden: values.hidden ?? (conv ? "16" : "400") }, "hidden", 1);
    const latent = int({ latent: values.latent ?? (conv ? "2" : "20") }, "latent", 1);
    const cfg = { hidden, latent, beta: num(values, "beta", 0), likelihood, activation };
    const channels = conv ? intList(values, "channels", 1) : [];
    const kernel = conv ? int(values, "kernel", 1, 99) : 0;
    const conditional = values.conditional === true;
    if (conditional && (kind !== "vae" || conv || code !== "linear" || hidden.length === 0)) {
      throw new UsageError("--conditional trains a vae with --arch mlp and at least one hidden layer (the one-hot label joins the input and the code)");
    }
    const ds = await orThrow(loadDataset(config.data, limit ? { sat6: { limit } } : {}));
    const family = kind === "ae" ? ae : vae;
    const preset = conditional ? conditionalMlp(features(ds), labelClasses(ds), ds.imageShape, cfg)
      : conv ? family.conv({ imageShape: [...ds.imageShape], channels, kernel, ...cfg })
      : family.mlp({ input: features(ds), ...cfg });
    const model = code === "sigmoid" ? sigmoidCodeModel(preset.spec as PresetSpec, ds.imageShape) : preset;
    checkPenaltyFits(model, config.sparsity ?? null);
    const holdout = values["holdout-class"] === undefined ? null : holdoutLabel(String(values["holdout-class"]), ds);
    const held: TrainingConfig = { ...config, holdoutClass: holdout };
    const norm = chooseNormalization(normalize, ds, trainingSplit(ds, limit, holdout));
    return run(model, held, null, ds, norm, values, checkpointEvery, isa, io, defaults.out);
  }
}

/** --conditional: the classes of the labels (the largest label + 1, or the class names), which both splits need. */
function labelClasses(ds: Dataset): number {
  if (!ds.train.labels || !ds.test.labels) throw new UsageError(`--conditional needs labelled data; ${ds.name} has no labels`);
  let max = -1;
  for (const s of [ds.train, ds.test]) for (const l of s.labels!) max = Math.max(max, l);
  return Math.max(max + 1, ds.classNames?.length ?? 0);
}

/** --conditional: the mlp preset's layers with the one-hot label joined to the input and to the code (a composed vae with `classes`). */
function conditionalMlp(input: number, classes: number, imageShape: readonly [number, number, number],
  cfg: { hidden: number[]; latent: number; beta: number; likelihood: Model["spec"]["likelihood"]; activation: ConstructorParameters<typeof ActivationLayer>[0] }): Model {
  const stack = (widths: number[], last: boolean) => widths.slice(1).flatMap((w, i) => {
    const dense = new Dense(widths[i]!, w);
    return i < widths.length - 2 || last ? [dense, new ActivationLayer(cfg.activation, w)] : [dense];
  });
  return vae({
    encoder: stack([input + classes, ...cfg.hidden], true), decoder: stack([cfg.latent + classes, ...[...cfg.hidden].reverse(), input], false),
    latent: cfg.latent, classes, likelihood: cfg.likelihood, beta: cfg.beta, imageShape: [...imageShape],
  });
}

/** Minibatches { x, labels } of a labelled split: splitBatches' order (permutation(foldIn(key, epoch), n)), each row's label beside it. */
function labelledBatches(s: Split, d: number, batch: number, key: Key, norm: Normalization): BatchSource {
  const labels = s.labels!;
  return function* (epoch: number) {
    const order = permutation(foldIn(key, epoch), s.n);
    for (let at = 0; at < s.n; at += batch) {
      const rows = order.subarray(at, Math.min(s.n, at + batch));
      yield { x: gather(s, d, rows, norm), labels: Int32Array.from(rows, (i) => labels[i]!) };
    }
  };
}

/** Where a run stopped by a NaN or infinity leaves the state before the failing step. */
export const LAST_FINITE = "last-finite.safetensors";

/**
 * Writes the last finite state of a run that met a NaN or infinity (parameters and optimizer
 * state, no training config: it is not an epoch's end, so it does not resume) and returns the
 * error with a note saying where it is. The checkpoints of earlier epochs are not touched.
 */
async function keepLastFinite(e: NonFiniteError, path: string, file: Omit<ModelFileInput, "training">): Promise<NonFiniteError> {
  try {
    await writeFileAtomic(path, modelToSafetensorsParts(file).parts);
  } catch (w) {
    return e.noted(`it could not be written to ${path}: ${w instanceof Error ? w.message.split("\n")[0] : String(w)}`);
  }
  return e.noted(`it is in ${path} (not resumable: the checkpoints of earlier epochs are untouched)`);
}

/** A number in (0, 1). */
function openUnit(values: Record<string, unknown>, name: string): number {
  const raw = String(values[name]);
  const v = Number(raw);
  if (raw.trim() === "" || !(v > 0 && v < 1)) throw new UsageError(`--${name} must be a number > 0 and < 1, got "${raw}"`);
  return v;
}

async function run(model: Model, config0: TrainingConfig, resumed: TrainState | null, ds: Dataset, norm: Normalization,
  values: Record<string, unknown>, checkpointEvery: number, isa: "auto" | "relaxed" | "simd" | "scalar", io: Io, defaultOut?: string): Promise<void> {
  let config = config0;
  const out = str(values, "out") ?? defaultOut ?? join("runs", `${model.spec.kind}-${ds.name.replace(/[^\w.-]+/g, "_")}-seed${config.seed}`);
  await mkdir(out, { recursive: true }).catch((e: unknown) => { throw new FileWriteError(out, "prepare", `cannot create the run folder: ${String(e)}`, e); });
  // One run writes into a folder at a time; what a killed run left half-written goes first.
  const lock = await lockRunFolder(out);
  try {
    await sweepTemporaryFiles(out);
    const module = await init({ isa });
    if (resumed && config.isa && config.isa !== module.isa) {
      io.out(`note: the run trained with the ${config.isa} kernels and resumes with ${module.isa}: the bits differ from an uninterrupted run`);
    }
    config = { ...config, isa: module.isa };
    const threads = values.threads === undefined ? availableParallelism() : int(values, "threads", 1, 256);
    const backend = await startThreads({ threads, spawn: nodeSpawn, isa: module.isa });
    try {
      await trainOn(backend, module.isa, model, config, resumed, ds, norm, checkpointEvery, io, out);
    } finally {
      backend.close();
    }
  } finally {
    await lock.release();
  }
}

async function trainOn(backend: ThreadedBackend, isa: string, model: Model, config: TrainingConfig, resumed: TrainState | null, ds: Dataset,
  norm: Normalization, checkpointEvery: number, io: Io, out: string): Promise<void> {
  const d = features(ds);
  const [kInit, kData, kFit, kTest, kPictures] = split(key(config.seed), 5) as [Key, Key, Key, Key, Key];
  const { early, plateau } = runCallbacks(config);
  // While the plateau's scale is 1 its schedule gives config.lr itself, bit for bit.
  const opt: Optimizer = adam({ learningRate: plateau ? plateau.schedule(config.lr) : config.lr });
  const trainSplit = trainingSplit(ds, config.limit, config.holdoutClass ?? null);
  // The test split stays uint8: it is evaluated in bounded batches on the training backend
  // (models/batched.ts), never held as one f32 tensor.
  const testRows = splitRows(ds.test, d, norm);
  // Beside the live trainer, an evaluation program holds no more rows than a training batch
  // (rounded down to a power of two, so that programs tile the 512-row noise blocks).
  const ev = { backend: backend as unknown as Backend<Buffer>, rows: Math.min(programRows(model), 2 ** Math.floor(Math.log2(config.batch))) };
  // A conditional model is evaluated with each test sample's label.
  const classes = model.arch.classes;
  const evTest = classes > 0 ? { ...ev, labels: ds.test.labels! } : ev;
  const normalization: JsonObject = normalizationToJson(norm, ds.train.pixels instanceof Uint8Array ? "uint8" : "float32", ds.imageShape);
  const history: EpochMetrics[] = await readHistory(join(out, "metrics.jsonl"), config.epochsDone);
  const batchesPerEpoch = Math.ceil(trainSplit.n / config.batch);

  const spec = model.spec;
  const shape = spec.arch === "conv" ? `conv ${spec.imageShape.join("x")}-c${spec.channels.join("-")}-${spec.hidden.join("-")}-${spec.latent}`
    : spec.arch === "mlp" ? `${spec.input}-${spec.hidden.join("-")}-${spec.latent}` : `composed ${spec.input}-${spec.latent}`;
  io.out(`training a ${spec.kind} (${shape}, ${model.layout.total} parameters) on ${ds.name}: ${trainSplit.n} train, ${ds.test.n} test samples; kernels: ${isa}, ${backend.threads} thread${backend.threads === 1 ? "" : "s"}${backend.singleThreadReason ? ` (${backend.singleThreadReason})` : ""}`);
  if (norm.method === "band") io.out(`inputs normalised ${describeNormalization(norm)}`);
  if (config.holdoutClass != null) io.out(`class ${config.holdoutClass} held out of training (${trainingSplit(ds, config.limit).n - trainSplit.n} samples); the test split keeps it`);
  const bar = progress(config.epochs, io.tty, io.out);
  // The lowest test loss so far, and best.safetensors written whenever it falls.
  const best = bestModel({ monitor: "test.loss", best: config.bestTestLoss, save: (name, s, info) => save(`${name}.safetensors`, s, info.epoch) });
  // The training config a file stores: what resuming needs, with the callbacks' states as they are now.
  const training = (epochsDone: number): TrainingConfig => ({
    ...config, epochsDone, bestTestLoss: best.best,
    earlyStop: early && config.earlyStop ? { patience: config.earlyStop.patience, state: early.state } : null,
    plateau: plateau && config.plateau ? { patience: config.plateau.patience, factor: config.plateau.factor, state: plateau.state } : null,
  });
  // A model file is encoded once per content (optimizer step count and training config), as
  // pieces that are views of the state's own arrays (no file-sized buffer), then written
  // atomically: the write reads the file back in chunks and checks it holds exactly those
  // bytes. At the end of a run best, checkpoint and model hold the same state.
  let encoded: { readonly key: string; readonly parts: readonly Uint8Array[] } | null = null;
  const save = async (file: string, s: TrainState, epochsDone: number): Promise<void> => {
    const path = join(out, file);
    const stored = training(epochsDone);
    const key = `${s.opt.count}|${JSON.stringify(stored)}`;
    if (encoded?.key !== key) {
      encoded = null;
      try {
        const { parts } = modelToSafetensorsParts({
          spec: model.spec, params: s.params, normalization, optState: s.opt, transform: opt.transform.name,
          training: stored as unknown as JsonObject,
        });
        encoded = { key, parts };
      } catch (e) {
        throw e instanceof ModelFileError ? e.withPath(path) : e;
      }
    }
    await writeFileAtomic(path, encoded.parts);
  };
  let epochStart = 0;
  let scale = plateau?.scale ?? 1;
  // In order: the epoch's line and metrics.jsonl, then the callbacks whose states the files
  // store, then the files (so a file saved after epoch e holds the states after epoch e).
  const callbacks: Callback[] = [
    {
      onEpoch: async (m) => {
        bar.endEpoch(m);
        history.push(m);
        await writeFileAtomic(join(out, "metrics.jsonl"), new TextEncoder().encode(history.map(metricsLine).join("")));
      },
    },
    ...(early ? [early] : []),
    ...(plateau ? [plateau, {
      onEpoch: () => {
        if (plateau.scale === scale) return;
        scale = plateau.scale;
        io.out(`learning rate reduced to ${+(config.lr * scale).toPrecision(4)}: the test loss has not improved for ${config.plateau!.patience} epoch${config.plateau!.patience === 1 ? "" : "s"}`);
      },
    }] : []),
    best,
    checkpoint({ every: checkpointEvery, epochs: config.epochs, save: (name, s, info) => save(`${name}.safetensors`, s, info.epoch) }),
  ];
  // fit copies each batch into the kernels before it asks for the next, so one buffer per batch size serves the run.
  const trainBatches = classes > 0 ? labelledBatches(trainSplit, d, config.batch, kData, norm)
    : splitBatches(trainSplit, d, { batchSize: config.batch, key: kData, normalization: norm, reuseBuffers: true });
  const fitting = fit(model, opt, {
    // The initial state is made here, so that nothing but fit holds it (fit lets it go once loaded).
    ...resumeFit({ state: resumed ?? initState(model.init(kInit), opt), key: kFit, epochsDone: config.epochsDone, epochs: config.epochs, stepsPerEpoch: batchesPerEpoch }),
    backend, objective: objectiveFor(model.spec, config.corrupt, config.sparsity ?? null),
    data: (epoch) => {
      encoded = null; // an encoded file is not kept through the next epoch
      bar.startEpoch(epoch, batchesPerEpoch); epochStart = performance.now(); return trainBatches(epoch);
    },
    onBatch: (info) => bar.batch(info, ((info.batch + 1) * config.batch) / Math.max((performance.now() - epochStart) / 1000, 1e-9)),
    // The test loss as fit's `validation` computes it (model.loss with the key foldIn(kTest, e)
    // for the 0-based epoch e), but read from the uint8 split in bounded batches.
    callbacks: [withValidation((params, e) => evaluateLoss(model, params, testRows, foldIn(kTest, e), evTest), callbacks)],
  });
  // The pictures need only the parameters: no frame keeps the final state, so its optimizer
  // slots (twice the parameters, for Adam) may be collected once model.safetensors is written.
  const params = await fitting.then(async (result) => {
    bar.stop();
    const done = result.history.at(-1)?.epoch ?? config.epochsDone;
    if (result.stopped !== null) {
      io.out(`stopped early after epoch ${done} of ${config.epochs}: ${result.stopped}`);
      if (done % checkpointEvery !== 0) await save("checkpoint.safetensors", result.state, done);
    }
    await save("model.safetensors", result.state, done);
    encoded = null;
    return result.state.params;
  }, async (e: unknown) => {
    bar.stop();
    if (!(e instanceof NonFiniteError)) throw e;
    throw await keepLastFinite(e, join(out, LAST_FINITE), { spec: model.spec, params: e.state.params, normalization, optState: e.state.opt, transform: opt.transform.name });
  });
  // A conditional model's pictures: samples.png, one row per class (the others need one label per picture), and loss.png.
  const pictures = classes === 0 ? await writePictures(out, model, params, ds, history, kPictures, norm, ev) : ["samples.png", "loss.png"];
  if (classes > 0) {
    await writePng(join(out, "samples.png"), classGridPicture(model, params, ds.imageShape, split(kPictures, 5)[1]!, 10,
      await classNames(config.data, classes), norm, ev));
    await writePng(join(out, "loss.png"), lossPicture(history));
  }
  io.out(`wrote ${join(out, "model.safetensors")}, metrics.jsonl, ${pictures.join(", ")}`);
}
