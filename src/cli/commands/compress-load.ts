/**
 * What latent compress and decompress read: the model file (its bytes hashed with SHA-256, the
 * hash the compressed file carries), its normalisation and image shape, the data set, the test
 * images to compress, and the compressed file itself. Node only.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import * as E from "fp-ts/lib/Either.js";
import { init } from "../../backend/default.js";
import { features, pickSamples, type Dataset } from "../../data/dataset.js";
import { DataError } from "../../data/errors.js";
import { normalizationFromJson, type Normalization } from "../../data/normalize.js";
import { loadDataset } from "../../data/node/load.js";
import { ModelFileError, modelFromSafetensors, type ModelFile } from "../../io/model-file.js";
import { key, split } from "../../random/index.js";
import { decodeCompressed, MAX_LATENT, type CompressedCodes, type CompressedSizes } from "../../apps/compress/format.js";
import { checkCompressible } from "../../apps/compress/codec.js";
import { oneOf, str, UsageError } from "../args.js";
import { orThrow, rightOrThrow } from "../errors.js";
import { dataSpec } from "./train.js";
import { imageShapeOf } from "./use.js";

export interface OpenModel {
  readonly path: string;
  readonly file: ModelFile;
  readonly hash: Uint8Array;
  readonly norm: Normalization;
  readonly imageShape: [number, number, number];
}


/** Initialises the kernels (--isa) and reads the model at --model, hashing the bytes it parses. */
export async function openModel(values: Record<string, unknown>): Promise<OpenModel> {
  const path = str(values, "model");
  if (!path) throw new UsageError("--model FILE is required (a model.safetensors written by latent train)");
  await init({ isa: oneOf(values, "isa", ["auto", "relaxed", "simd", "scalar"] as const) });
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ModelFileError("io", `${path}: ${e instanceof Error ? e.message : String(e)}`, { path }, e);
  }
  const hash = new Uint8Array(createHash("sha256").update(bytes).digest());
  const file = rightOrThrow(E.mapLeft((e: ModelFileError) => e.withPath(path))(modelFromSafetensors(bytes)));
  checkCompressible(file.model);
  if (file.spec.latent > MAX_LATENT) throw new UsageError(`the model's latent size ${file.spec.latent} is above the format's ${MAX_LATENT}`);
  const norm = rightOrThrow(normalizationFromJson(file.normalization, path));
  const imageShape = imageShapeOf(file);
  if (imageShape[0] * imageShape[1] * imageShape[2] !== file.spec.input) throw new UsageError(`${path}: image shape ${imageShape.join("x")} does not hold the model's ${file.spec.input} inputs`);
  return { path, file, hash, norm, imageShape };
}

/** The data set of --data (default: the one the model was trained on), checked against the model. */
export async function openData(values: Record<string, unknown>, m: OpenModel, needTrain: boolean): Promise<{ ds: Dataset; spec: string }> {
  const trainedOn = (m.file.training as { data?: unknown } | undefined)?.data;
  const spec = values.data !== undefined ? dataSpec(values) : typeof trainedOn === "string" ? trainedOn : "mnist";
  const ds = await orThrow(loadDataset(spec, needTrain ? {} : { skipTrain: true }));
  if (features(ds) !== m.file.spec.input) throw new UsageError(`--data ${spec} has ${features(ds)} values per sample but the model in ${m.path} takes ${m.file.spec.input}`);
  if (m.norm.method === "band" && m.norm.low.length !== ds.imageShape[2]) {
    throw new UsageError(`the model in ${m.path} normalises ${m.norm.low.length} bands but --data ${spec} has ${ds.imageShape[2]}`);
  }
  if (ds.test.n === 0) throw new UsageError(`--data ${spec} has no test images to compress`);
  if (needTrain && ds.train.n === 0) throw new UsageError(`--data ${spec} has no training images (the AE's code range and the PCA are fitted on them)`);
  return { ds, spec };
}

/** n test indices drawn by seed, in split order; null (every test image, in order) when n covers the split. */
export function testSamples(ds: Dataset, n: number, seed: number): Uint32Array | null {
  if (n >= ds.test.n) return null;
  return pickSamples(split(key(seed), 4)[0]!, ds.test.n, n).sort();
}

/** Largest compressed file read: the format's largest header and payload. */
const MAX_FILE = 64 + 8 * MAX_LATENT + 2 ** 31;

/** Reads and decodes a compressed-codes file; a DataError names the path and what is wrong. */
export async function readCompressed(path: string): Promise<CompressedCodes & { readonly sizes: CompressedSizes }> {
  let bytes: Uint8Array;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_FILE) throw new DataError(path, `${size} bytes is larger than any compressed-codes file (at most ${MAX_FILE})`);
    bytes = await readFile(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(path, `cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  return rightOrThrow(decodeCompressed(bytes, path));
}

export const hex = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
