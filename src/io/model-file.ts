/**
 * Model files: a model's spec, parameters and, optionally, its input normalization, training
 * config and optimizer state in one safetensors file. Runtime-neutral.
 *
 * Tensors (all F32, little-endian, row-major):
 *   <parameter name>   every parameter of the model under its Params name, which is PyTorch's
 *                      state_dict name and shape: "encoder.0.weight" [out, in], "encoder.0.bias"
 *                      [out], "mu.0.weight", "logvar.0.weight", "decoder.0.weight", ..., "obs.logvar"
 *   optimizer.slots    optional: the OptState slots, [slots * n] for n parameters, in layout order
 * __metadata__ (strings; the structured ones hold JSON):
 *   latent.format         "1"
 *   latent.spec           the ModelSpec: a preset's fields, or a composed model's layers as LayerSpecs
 *                         (src/nn/layer-spec.ts), from which the model is rebuilt without the code that made it
 *   latent.normalization  optional: a JSON object, e.g. {"scale": 0.00392156862745098}
 *   latent.training       optional: any JSON value, the training config
 *   latent.optimizer      with optimizer.slots: {"count": <updates so far>, "transform": <name>?}
 * Other metadata keys are kept out of the way: unknown "latent.*" keys are refused, others ignored.
 *
 * Reading validates everything: the format version, the spec (validateSpec, and no unknown
 * fields), every parameter of the model's layout present as F32 with its exact shape, no other
 * tensors, every value finite, and the optimizer tensor and metadata consistent. Writing refuses
 * non-finite parameters or optimizer values and JSON that would not survive a round trip.
 */
import * as E from "fp-ts/lib/Either.js";
import { fromSpec, specFields, type Model, type ModelSpec } from "../models/index.js";
import type { Params } from "../nn/params.js";
import type { OptState } from "../optim/optimizer.js";
import { checkTensorLike, copyInto, isContiguous, tensor, type Tensor, type TensorLike } from "../tensor/tensor.js";
import type { SafeTensor } from "./safetensors-format.js";
import { decodeSafetensors } from "./safetensors-read.js";
import { concatParts, encodeSafetensorsParts, type SafetensorsParts } from "./safetensors-write.js";

export const MODEL_FORMAT_VERSION = "1";
export const OPTIMIZER_SLOTS = "optimizer.slots";
export const metadataKeys = Object.freeze({
  format: "latent.format",
  spec: "latent.spec",
  normalization: "latent.normalization",
  training: "latent.training",
  optimizer: "latent.optimizer",
});

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

export interface ModelFileInput {
  readonly spec: ModelSpec;
  readonly params: Readonly<Record<string, TensorLike>>;
  /** How inputs were scaled before training, e.g. {"scale": 1/255} or per-band {"mean": [...], "std": [...]}. */
  readonly normalization?: JsonObject;
  /** The training config used. */
  readonly training?: JsonValue;
  readonly optState?: OptState;
  /** The name of the optimizer's Transform (Transform.name) that optState belongs to. */
  readonly transform?: string;
}

export interface ModelFile {
  readonly spec: ModelSpec;
  readonly params: Params;
  readonly normalization?: JsonObject;
  readonly training?: JsonValue;
  readonly optState?: OptState;
  readonly transform?: string;
  /** The model rebuilt from the spec (fromSpec). */
  readonly model: Model;
}

export type ModelFileErrorKind =
  | "safetensors" // the bytes are not a valid safetensors file (the cause is the SafetensorsError)
  | "format" // latent.format missing or not "1"
  | "spec" // latent.spec missing, not JSON, or refused by validateSpec
  | "missing" // a parameter of the model is absent
  | "shape" // a parameter has the wrong shape
  | "dtype" // a tensor is not F32
  | "unknown" // a tensor that is neither a parameter nor optimizer.slots
  | "non-finite" // NaN or an infinity in a parameter or the optimizer state
  | "metadata" // normalization, training or another latent.* key is malformed
  | "optimizer" // optimizer.slots and latent.optimizer inconsistent
  | "io"; // reading or writing the file failed (node helpers)

export class ModelFileError extends Error {
  override readonly name = "ModelFileError";
  constructor(
    readonly kind: ModelFileErrorKind,
    message: string,
    readonly details: { readonly tensor?: string; readonly expected?: string; readonly found?: string; readonly path?: string } = {},
    cause?: unknown,
  ) {
    super(message, { cause });
  }

  /** The same error with the file's path in front of the message. */
  withPath(path: string): ModelFileError {
    return new ModelFileError(this.kind, `${path}: ${this.message}`, { ...this.details, path }, this.cause);
  }
}


function buildModel(spec: unknown, what: string): Model {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) throw new ModelFileError("spec", `${what} must be a JSON object, got ${JSON.stringify(spec)}`);
  const arch = (spec as { arch?: unknown }).arch;
  if (arch !== "mlp" && arch !== "conv" && arch !== "composed") throw new ModelFileError("spec", `${what} has arch ${JSON.stringify(arch)}, expected "mlp", "conv" or "composed"`);
  const specKeys: readonly string[] = specFields[arch];
  const unknown = Object.keys(spec).filter((k) => !specKeys.includes(k));
  if (unknown.length > 0) throw new ModelFileError("spec", `${what} has unknown field(s): ${unknown.join(", ")}`);
  const missing = specKeys.filter((k) => !Object.hasOwn(spec, k));
  if (missing.length > 0) throw new ModelFileError("spec", `${what} lacks field(s): ${missing.join(", ")}`);
  try {
    return fromSpec(spec as ModelSpec);
  } catch (e) {
    throw new ModelFileError("spec", `${what} is invalid: ${e instanceof Error ? e.message : String(e)}`, {}, e);
  }
}

/** Index of the first non-finite value, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}

function nonFinite(where: string, values: Float32Array, i: number, tensorName: string): ModelFileError {
  return new ModelFileError("non-finite", `${where} holds ${values[i]} at index ${i}; only finite values are stored`, { tensor: tensorName, expected: "finite", found: String(values[i]) });
}

/** Checks that `value` is plain JSON that JSON.stringify / JSON.parse reproduce exactly. */
function checkJson(value: unknown, what: string, depth = 0): void {
  const bad = (why: string) => new ModelFileError("metadata", `${what} ${why}`);
  if (depth > 64) throw bad("is nested too deeply (or circular)");
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw bad(`holds ${value}, which JSON cannot store`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${what}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw bad(`is a ${proto?.constructor?.name ?? "non-plain object"}, not plain JSON`);
    for (const [k, v] of Object.entries(value)) checkJson(v, `${what}.${k}`, depth + 1);
    return;
  }
  throw bad(`is a ${typeof value}, not JSON`);
}

function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The safetensors bytes of a model. Throws ModelFileError for an invalid spec, missing,
 * misshapen or extra parameters, non-finite values, or metadata that is not plain JSON.
 */
export function modelToSafetensors(input: ModelFileInput): Uint8Array {
  return concatParts(modelToSafetensorsParts(input));
}

/**
 * modelToSafetensors as pieces to write in order (header, then tensors: views of the params'
 * and optimizer slots' own memory where they are contiguous f32 on a little-endian host), so a
 * run can write its model files without assembling each in memory.
 */
export function modelToSafetensorsParts(input: ModelFileInput): SafetensorsParts {
  if (input === null || typeof input !== "object") throw new ModelFileError("spec", "expected {spec, params, ...}");
  const model = buildModel(input.spec, "the spec");
  const { layout } = model;
  const params = input.params;
  if (params === null || typeof params !== "object") throw new ModelFileError("missing", "params must be a record of tensors");
  const tensors: Record<string, SafeTensor> = {};
  for (const e of layout.entries) {
    const t = Object.hasOwn(params, e.name) ? params[e.name] : undefined;
    if (t === undefined) throw new ModelFileError("missing", `parameter "${e.name}" is missing`, { tensor: e.name, expected: `[${e.shape.join(", ")}]` });
    try {
      checkTensorLike(t, `parameter "${e.name}"`);
    } catch (err) {
      throw new ModelFileError("shape", (err as Error).message, { tensor: e.name }, err);
    }
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw new ModelFileError("shape", `parameter "${e.name}" has shape [${t.shape.join(", ")}], the spec needs [${e.shape.join(", ")}]`, { tensor: e.name, expected: `[${e.shape.join(", ")}]`, found: `[${t.shape.join(", ")}]` });
    }
    // A contiguous f32 tensor is encoded from its own memory; anything else is copied first.
    const own = t.data instanceof Float32Array && isContiguous(t) ? t.data.subarray(t.offset, t.offset + e.size) : null;
    const data = own ?? new Float32Array(e.size);
    if (!own) copyInto(t, data);
    const bad = firstNonFinite(data);
    if (bad >= 0) throw nonFinite(`parameter "${e.name}"`, data, bad, e.name);
    tensors[e.name] = { dtype: "F32", shape: e.shape, data };
  }
  const extra = Object.keys(params).filter((k) => !layout.entries.some((e) => e.name === k));
  if (extra.length > 0) throw new ModelFileError("unknown", `params has name(s) the spec does not define: ${extra.join(", ")}`, { tensor: extra[0]! });

  const metadata: Record<string, string> = {
    [metadataKeys.format]: MODEL_FORMAT_VERSION,
    [metadataKeys.spec]: JSON.stringify(Object.fromEntries(specFields[model.spec.arch].map((k) => [k, (model.spec as unknown as Record<string, unknown>)[k]]))),
  };
  if (input.normalization !== undefined) {
    if (!isPlainObject(input.normalization)) throw new ModelFileError("metadata", "normalization must be a JSON object");
    checkJson(input.normalization, "normalization");
    metadata[metadataKeys.normalization] = JSON.stringify(input.normalization);
  }
  if (input.training !== undefined) {
    checkJson(input.training, "training");
    metadata[metadataKeys.training] = JSON.stringify(input.training);
  }
  if (input.optState !== undefined) {
    const { count, slots } = input.optState;
    if (!Number.isSafeInteger(count) || count < 0) throw new ModelFileError("optimizer", `optimizer count must be a non-negative integer, got ${count}`);
    if (!(slots instanceof Float32Array) || slots.length % layout.total !== 0) {
      throw new ModelFileError("optimizer", `optimizer slots must be a Float32Array of a multiple of ${layout.total} values (the parameter count), got ${(slots as { length?: number })?.length}`, { tensor: OPTIMIZER_SLOTS });
    }
    const bad = firstNonFinite(slots);
    if (bad >= 0) throw nonFinite("the optimizer state", slots, bad, OPTIMIZER_SLOTS);
    if (input.transform !== undefined && typeof input.transform !== "string") throw new ModelFileError("optimizer", "transform must be the name of the optimizer's transform");
    tensors[OPTIMIZER_SLOTS] = { dtype: "F32", shape: [slots.length], data: slots };
    metadata[metadataKeys.optimizer] = JSON.stringify(input.transform === undefined ? { count } : { count, transform: input.transform });
  } else if (input.transform !== undefined) {
    throw new ModelFileError("optimizer", "transform is given without optState");
  }
  return encodeSafetensorsParts(tensors, metadata);
}

function parseMetadataJson(metadata: Readonly<Record<string, string>>, key: string, kind: ModelFileErrorKind): unknown {
  try {
    return JSON.parse(metadata[key]!);
  } catch (e) {
    throw new ModelFileError(kind, `metadata "${key}" is not valid JSON: ${(e as Error).message}`, {}, e);
  }
}

function read(bytes: Uint8Array): ModelFile {
  const decoded = decodeSafetensors(bytes);
  if (E.isLeft(decoded)) throw new ModelFileError("safetensors", `not a valid safetensors file: ${decoded.left.message}`, {}, decoded.left);
  const { tensors, metadata } = decoded.right;
  const has = (key: string) => Object.hasOwn(metadata, key);

  if (!has(metadataKeys.format)) throw new ModelFileError("format", `metadata "${metadataKeys.format}" is missing: not a latent model file`);
  if (metadata[metadataKeys.format] !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError("format", `model file format "${metadata[metadataKeys.format]}" is not supported (this version reads "${MODEL_FORMAT_VERSION}")`, { expected: MODEL_FORMAT_VERSION, found: metadata[metadataKeys.format]! });
  }
  const known = new Set<string>(Object.values(metadataKeys));
  const unknownKeys = Object.keys(metadata).filter((k) => k.startsWith("latent.") && !known.has(k));
  if (unknownKeys.length > 0) throw new ModelFileError("metadata", `unknown metadata key(s): ${unknownKeys.join(", ")}`);
  if (!has(metadataKeys.spec)) throw new ModelFileError("spec", `metadata "${metadataKeys.spec}" is missing`);
  const model = buildModel(parseMetadataJson(metadata, metadataKeys.spec, "spec"), `metadata "${metadataKeys.spec}"`);

  // Tensors stay zero-copy views only when they do not share memory with the caller's bytes.
  const own = (data: Float32Array) => (data.buffer === bytes.buffer ? data.slice() : data);
  const f32 = (name: string): Float32Array => {
    const t = tensors[name]!;
    if (t.dtype !== "F32") throw new ModelFileError("dtype", `tensor "${name}" is ${t.dtype}, expected F32`, { tensor: name, expected: "F32", found: t.dtype });
    const data = t.data as Float32Array;
    const bad = firstNonFinite(data);
    if (bad >= 0) throw nonFinite(`tensor "${name}"`, data, bad, name);
    return own(data);
  };

  const params: Record<string, Tensor> = {};
  for (const e of model.layout.entries) {
    if (!Object.hasOwn(tensors, e.name)) throw new ModelFileError("missing", `parameter "${e.name}" [${e.shape.join(", ")}] is missing`, { tensor: e.name, expected: `[${e.shape.join(", ")}]` });
    const { shape } = tensors[e.name]!;
    if (shape.length !== e.shape.length || shape.some((d, i) => d !== e.shape[i])) {
      throw new ModelFileError("shape", `parameter "${e.name}" has shape [${shape.join(", ")}], the spec needs [${e.shape.join(", ")}]`, { tensor: e.name, expected: `[${e.shape.join(", ")}]`, found: `[${shape.join(", ")}]` });
    }
    params[e.name] = tensor(f32(e.name), e.shape);
  }
  const unknownTensors = Object.keys(tensors).filter((k) => k !== OPTIMIZER_SLOTS && !Object.hasOwn(params, k));
  if (unknownTensors.length > 0) throw new ModelFileError("unknown", `unknown tensor(s): ${unknownTensors.join(", ")}`, { tensor: unknownTensors[0]! });

  const out: { -readonly [K in keyof ModelFile]: ModelFile[K] } = { spec: model.spec, params: Object.freeze(params), model };
  if (has(metadataKeys.normalization)) {
    const normalization = parseMetadataJson(metadata, metadataKeys.normalization, "metadata");
    if (!isPlainObject(normalization)) throw new ModelFileError("metadata", `metadata "${metadataKeys.normalization}" must be a JSON object`);
    out.normalization = normalization;
  }
  if (has(metadataKeys.training)) out.training = parseMetadataJson(metadata, metadataKeys.training, "metadata") as JsonValue;

  const hasSlots = Object.hasOwn(tensors, OPTIMIZER_SLOTS);
  if (hasSlots !== has(metadataKeys.optimizer)) {
    throw new ModelFileError("optimizer", hasSlots ? `tensor "${OPTIMIZER_SLOTS}" comes without metadata "${metadataKeys.optimizer}"` : `metadata "${metadataKeys.optimizer}" comes without tensor "${OPTIMIZER_SLOTS}"`);
  }
  if (hasSlots) {
    const info = parseMetadataJson(metadata, metadataKeys.optimizer, "optimizer");
    if (!isPlainObject(info)) throw new ModelFileError("optimizer", `metadata "${metadataKeys.optimizer}" must be a JSON object`);
    const extra = Object.keys(info).filter((k) => k !== "count" && k !== "transform");
    if (extra.length > 0) throw new ModelFileError("optimizer", `metadata "${metadataKeys.optimizer}" has unknown field(s): ${extra.join(", ")}`);
    const { count, transform } = info as { count?: unknown; transform?: unknown };
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) throw new ModelFileError("optimizer", `optimizer count must be a non-negative integer, found ${JSON.stringify(count)}`);
    if (transform !== undefined && typeof transform !== "string") throw new ModelFileError("optimizer", `optimizer transform must be a string, found ${JSON.stringify(transform)}`);
    const { shape } = tensors[OPTIMIZER_SLOTS]!;
    const n = model.layout.total;
    if (shape.length !== 1 || shape[0]! % n !== 0) {
      throw new ModelFileError("optimizer", `tensor "${OPTIMIZER_SLOTS}" has shape [${shape.join(", ")}], expected [k * ${n}] for k slots of ${n} parameters`, { tensor: OPTIMIZER_SLOTS, expected: `[k * ${n}]`, found: `[${shape.join(", ")}]` });
    }
    out.optState = Object.freeze({ count, slots: f32(OPTIMIZER_SLOTS) });
    if (transform !== undefined) out.transform = transform;
  }
  return Object.freeze(out);
}

/** Reads and validates a model file; never throws. */
export function modelFromSafetensors(bytes: Uint8Array): E.Either<ModelFileError, ModelFile> {
  try {
    return E.right(read(bytes));
  } catch (e) {
    if (e instanceof ModelFileError) return E.left(e);
    return E.left(new ModelFileError("safetensors", `reading the model file failed: ${e instanceof Error ? e.message : String(e)}`, {}, e));
  }
}
