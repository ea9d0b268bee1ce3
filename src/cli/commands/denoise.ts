/**
 * latent denoise: how well a model removes a corruption from test images, beside a PCA of the
 * same size. n test images are drawn by --seed, read with the model's normalisation (values in
 * [0, 1]), corrupted (each from foldIn(key, its index in the test split); the corruption the
 * model was trained with unless --corrupt is given) and reconstructed by the model (VAE: at
 * z = mean). The baseline is the reconstruction of the same corrupted images from their
 * coordinates on the top k principal components of clean training images (k = the model's
 * latent size; fitted on min(5000, train size) training images drawn by --seed).
 * Scores against the clean images, on the model's input scale, images clipped to [0, 1]:
 * PSNR (peak 1, dB) and SSIM (11 x 11 Gaussian window, sigma 1.5, valid region), each per
 * image and then averaged (src/apps/image-quality.ts). JSON has no infinity: a PSNR of null
 * means +infinity (every corrupted image equal to its clean one, e.g. mask:0).
 * Writes DIR/denoise.json and DIR/denoise.png, both only once everything is computed.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { widePca } from "../../analysis/pca-wide.js";
import { corruptionName, corruptRows, clip01, denoiseRows, denoiseScores, pcaReconstruct } from "../../apps/denoise.js";
import { init } from "../../backend/default.js";
import { features, gatherInto, pickSamples, type Dataset, type Split } from "../../data/dataset.js";
import { denormalizeForDisplay, normalizationFromJson, type Normalization } from "../../data/normalize.js";
import { loadDataset } from "../../data/node/load.js";
import type { ModelFile } from "../../io/model-file.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { loadModel } from "../../io/node/model-file.js";
import { ConfigError } from "../../nn/layer.js";
import { gaussianNoise, mask, saltPepper, type Corruption } from "../../objectives/objective.js";
import { key, split, type Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";
import { interpolationStrips } from "../../viz/figures/image-grids.js";
import type { ImageShape } from "../../viz/images.js";
import { writePng } from "../../viz/node/png.js";
import { int, oneOf, parse, str, UsageError, type Options } from "../args.js";
import { orThrow, rightOrThrow } from "../errors.js";
import type { Io } from "../io.js";
import { corruptionFlag } from "../objective-flags.js";
import { dataSpec } from "./train.js";

type Command = (argv: string[], io: Io) => Promise<void>;

/** Training images the PCA baselines are fitted on, at most. */
export const PCA_FIT_SAMPLES = 5000;
/** Columns of test images in the picture. */
const COLUMNS = 10;
const SSIM_WINDOW = 11;

export const denoiseHelp = `latent denoise --model FILE [--corrupt mask:0.3] [--data mnist|fashion-mnist|sat6|DIR] [--n 1000] [--seed 1] [--out denoise]
  Corrupts n random test images (drawn by --seed) with --corrupt gaussian:SIGMA|mask:RATE|saltpepper:RATE (default: the
  corruption the model was trained with, else mask:0.3) and reconstructs them with the model (VAE: at z = mean), beside
  a PCA baseline of the same size (the top latent-size components of min(${PCA_FIT_SAMPLES}, train size) clean training images).
  Scores against the clean images on the model's [0, 1] input scale, images clipped to [0, 1]: PSNR (peak 1, dB)
  and SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, valid region, channels averaged),
  per image then averaged; a PSNR of null in the JSON is +infinity. Writes DIR/denoise.json and DIR/denoise.png
  (clean, corrupted, denoised and PCA rows; 4-band images in true colour).`;

/** One line for the list of commands. */
export const denoiseSummary = "denoise       PSNR and SSIM of a model's reconstructions of corrupted test images, beside PCA, and a picture";

export const appOptions: Options = {
  model: { type: "string" }, data: { type: "string" }, sat6: { type: "string" }, seed: { type: "string", default: "1" },
  isa: { type: "string", default: "auto" },
};

export interface Opened {
  readonly path: string;
  readonly file: ModelFile;
  readonly norm: Normalization;
  readonly ds: Dataset;
  readonly spec: string;
  readonly d: number;
}

/** The model of --model and the data of --data (default: the data set it was trained on), both splits, checked against each other. */
export async function openModelAndData(values: Record<string, unknown>): Promise<Opened> {
  const path = str(values, "model");
  if (!path) throw new UsageError("--model FILE is required (a model.safetensors written by latent train)");
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
  if (file.model.arch.classes > 0) throw new UsageError(`the model in ${path} is conditional on labels; these commands take an unconditional model`);
  return { path, file, norm, ds, spec, d };
}

/** The samples of a split at idx, normalised, as a Float32Array [idx.length * d]. */
export function rowsAt(s: Split, d: number, norm: Normalization, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * d);
  gatherInto(s, d, idx, out, 0, norm);
  return out;
}

/** Model values [n * d] on the data's display scale (pictures.ts: the inverse of a band normalisation). */
export function shown(norm: Normalization, v: Float32Array, d: number): Tensor {
  return tensor(norm.method === "global" ? v : denormalizeForDisplay(norm, v), [v.length / d, d]);
}

/** The corruption a model file's training record holds (null when it was trained clean); a malformed one is a UsageError. */
export function storedCorruption(training: unknown, path: string): Corruption | null {
  const c = (training as { corrupt?: unknown } | undefined)?.corrupt;
  if (c === undefined || c === null) return null;
  const o = c as { type?: unknown; sigma?: unknown; rate?: unknown };
  try {
    if (o.type === "gaussian") return gaussianNoise(o.sigma as number);
    if (o.type === "mask") return mask(o.rate as number);
    if (o.type === "saltPepper") return saltPepper(o.rate as number);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`${path}: the training record's corruption is not valid: ${e.message}`);
    throw e;
  }
  throw new UsageError(`${path}: the training record's corruption ${JSON.stringify(c)} is not gaussian, mask or saltPepper`);
}

function checkFinite(v: Float32Array, d: number, what: string): void {
  const i = v.findIndex((x) => !Number.isFinite(x));
  if (i >= 0) throw new ConfigError(`${what}: image ${Math.floor(i / d)} has a non-finite value (${v[i]})`);
}

const fmt = (v: number | null, digits: number): string => (v === null ? "inf" : v.toFixed(digits));

const denoise: Command = async (argv, io) => {
  const { values } = parse(argv, { ...appOptions, corrupt: { type: "string" }, n: { type: "string", default: "1000" }, out: { type: "string", default: "denoise" } });
  if (values.help) { io.out(denoiseHelp); return; }
  const asked = int(values, "n", 1);
  const seed = int(values, "seed", 0);
  const out = str(values, "out")!;
  const flag = values.corrupt === undefined ? null : corruptionFlag(String(values.corrupt));
  const { path, file, norm, ds, spec, d } = await openModelAndData(values);
  const stored = storedCorruption(file.training, path);
  const corruption = flag ?? stored ?? mask(0.3);
  const source = flag ? "flag" : stored ? "model" : "default";
  if (source === "default") io.out(`note: ${path} was not trained with --corrupt; using ${corruptionName(corruption)}`);
  const shape = ds.imageShape as ImageShape;
  if (shape[0] < SSIM_WINDOW || shape[1] < SSIM_WINDOW) {
    throw new UsageError(`--data ${spec} has images of ${shape[0]} x ${shape[1]} pixels, smaller than SSIM's ${SSIM_WINDOW} x ${SSIM_WINDOW} window`);
  }
  if (ds.test.n === 0) throw new UsageError(`--data ${spec} has no test images to denoise`);
  if (ds.train.n === 0) throw new UsageError(`--data ${spec} has no training images for the PCA baseline`);
  const n = Math.min(asked, ds.test.n);
  if (n < asked) io.out(`note: --n ${asked} is more than the ${ds.test.n} test images of ${spec}; denoising ${n}`);
  const L = file.spec.latent, k = Math.min(L, d);
  const [pickKey, corruptKey, pcaKey] = split(key(seed), 3) as [Key, Key, Key];

  // Everything on the model's input scale [0, 1], rows of d values (HWC).
  const idx = pickSamples(pickKey, ds.test.n, n);
  const clean = rowsAt(ds.test, d, norm, idx);
  const corrupted = corruptRows(corruption, corruptKey, clean, d, idx);
  const denoised = denoiseRows(file.model, file.params, tensor(corrupted, [n, d])).data;
  checkFinite(denoised, d, `the reconstructions of ${path}`);
  const m = Math.min(PCA_FIT_SAMPLES, ds.train.n);
  const fit = widePca(tensor(rowsAt(ds.train, d, norm, pickSamples(pcaKey, ds.train.n, m).sort()), [m, d]), k);
  const pca = pcaReconstruct(fit, tensor(corrupted, [n, d])).data;
  const scores = denoiseScores(clean, { corrupted, denoised, pca }, shape);

  const c = Math.min(COLUMNS, n), first = (v: Float32Array) => clip01(v.subarray(0, c * d));
  const name = corruptionName(corruption);
  const picture = interpolationStrips([clean, corrupted, denoised, pca].map((v) => shown(norm, first(v), d)), {
    imageShape: shape, scale: 2, mode: "truecolor", labels: ["clean", "corrupted", "denoised", `PCA (${k})`],
    title: `${name}: ${c} test images, denoised by the ${file.spec.kind} (latent ${L})`,
  });
  const gain = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const json = {
    model: path, data: ds.name, kind: file.spec.kind, latent: L, n, seed,
    corruption: name, corruptionSource: source,
    conventions: {
      scale: "the model's input scale, [0, 1] (v / 255, or the per-band percentile map); every image clipped to [0, 1] before scoring",
      psnr: "dB, peak 1, per image then averaged; null is +infinity (an image equal to its clean one)",
      ssim: "Wang et al. 2004: 11x11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03, L 1; mean over the valid region (no padding), then over channels; per image then averaged",
      pca: `reconstruction of the corrupted image from its top ${k} principal components, fitted on ${m} clean training images`,
    },
    corrupted: scores.corrupted, denoised: scores.denoised, pca: { ...scores.pca, k, fitSamples: m },
    psnrGain: { denoised: gain(scores.denoised.psnr, scores.corrupted.psnr), pca: gain(scores.pca.psnr, scores.corrupted.psnr) },
    pictured: Array.from(idx.subarray(0, c)),
  };

  await mkdir(out, { recursive: true });
  await writePng(join(out, "denoise.png"), picture);
  await writeFileAtomic(join(out, "denoise.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  io.out(`${name} on ${n} test images of ${ds.name} (${source === "model" ? "the model's training corruption" : source === "flag" ? "--corrupt" : "default"})`);
  io.out("images      PSNR (dB)   SSIM");
  for (const [label, s] of [["corrupted", scores.corrupted], ["denoised", scores.denoised], [`PCA (${k})`, scores.pca]] as const) {
    io.out(`${label.padEnd(10)}  ${fmt(s.psnr, 2).padStart(9)}   ${fmt(s.ssim, 4)}`);
  }
  io.out(`wrote ${join(out, "denoise.json")}, ${join(out, "denoise.png")}`);
};

export const commands: Record<string, Command> = { denoise };
