/**
 * Compressing a model's codes and decoding them back to images. compressCodes quantises the codes,
 * writes the file and decodes the quantised codes itself, so it knows the images decompress will
 * produce (their CRC-32 goes into the file); decodeCodes checks a file against the model and gives
 * those images again, chunk by chunk.
 */
import * as E from "fp-ts/lib/Either.js";
import { DataError } from "../../data/errors.js";
import type { RunOptions } from "../../models/batched.js";
import type { Model } from "../../models/model.js";
import { ConfigError } from "../../nn/layer.js";
import type { Params } from "../../nn/params.js";
import { crc32UpdateF32 } from "../../io/crc32.js";
import { encodeCompressed, HASH_BYTES, type CompressedCodes, type CompressedSizes } from "./format.js";
import { forEachDecoded } from "./images.js";
import { dequantise, fitUniform, quantise, type Quantiser } from "./quantiser.js";

export interface CompressOptions extends RunOptions {
  readonly bits: number;
  readonly quantiser: Quantiser;
  /** SHA-256 of the model file (32 bytes). */
  readonly modelHash: Uint8Array;
  /** Sees the predicted model outputs [count, input] of codes start.. as they are decoded. */
  readonly onImages?: (start: number, outputs: Float32Array) => void;
}

export interface Compressed {
  readonly bytes: Uint8Array;
  readonly sizes: CompressedSizes;
  readonly symbols: Uint16Array;
  /** The quantised codes the file decodes to [n, L]. */
  readonly codes: Float32Array;
  /** CRC-32 of the predicted outputs (float32 LE), as stored in the file. */
  readonly imagesCrc: number;
}

/** The quantiser the model's kind calls for: the prior's quantiles for a VAE, the training codes' range for an AE. */
export function quantiserFor(model: Model, trainCodes: () => Float32Array): Quantiser {
  return model.spec.kind === "vae" ? { kind: "normal" } : fitUniform(trainCodes(), model.spec.latent);
}

/** Refuses models whose decoder needs more than a code (conditional models take a label too). */
export function checkCompressible(model: Model): void {
  if (model.arch.classes > 0) throw new ConfigError(`a conditional model (${model.arch.classes} classes) decodes a code and a label; only unconditional models can be compressed to codes`);
}

/** Quantises codes [n, L] of the model, decodes them, and writes the file. */
export function compressCodes(model: Model, params: Params, codes: Float32Array, o: CompressOptions): Compressed {
  checkCompressible(model);
  const L = model.spec.latent;
  const symbols = quantise(o.quantiser, o.bits, codes, L);
  const decodedCodes = dequantise(o.quantiser, o.bits, symbols, L);
  let crc = 0;
  forEachDecoded(model, params, decodedCodes, (start, outputs) => {
    crc = crc32UpdateF32(crc, outputs);
    o.onImages?.(start, outputs);
  }, o);
  const file: CompressedCodes = { quantiser: o.quantiser, bits: o.bits, modelHash: o.modelHash, count: codes.length / L, latent: L, imagesCrc: crc, symbols };
  const { bytes, sizes } = encodeCompressed(file);
  return { bytes, sizes, symbols, codes: decodedCodes, imagesCrc: crc };
}

const hex = (b: Uint8Array): string => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");

/** Left: the file was made with another model (hash) or for another latent size. */
export function checkAgainstModel(file: CompressedCodes, model: Model, modelHash: Uint8Array, where: string): E.Either<DataError, CompressedCodes> {
  if (modelHash.length !== HASH_BYTES || !file.modelHash.every((b, i) => b === modelHash[i])) {
    return E.left(new DataError(where, `was compressed with another model: model hash ${hex(file.modelHash).slice(0, 16)}..., this model's is ${hex(modelHash).slice(0, 16)}...`));
  }
  if (file.latent !== model.spec.latent) return E.left(new DataError(where, `holds codes of ${file.latent} dimensions, the model's latent size is ${model.spec.latent}`));
  return E.right(file);
}

/** Decodes a file's codes to model outputs chunk by chunk; returns the outputs' CRC-32 and whether it is the one compress predicted. */
export function decodeCodes(model: Model, params: Params, file: CompressedCodes, fn: (start: number, outputs: Float32Array) => void, o: RunOptions = {}): { crc: number; matches: boolean } {
  checkCompressible(model);
  const codes = dequantise(file.quantiser, file.bits, file.symbols, file.latent);
  let crc = 0;
  forEachDecoded(model, params, codes, (start, outputs) => {
    crc = crc32UpdateF32(crc, outputs);
    fn(start, outputs);
  }, o);
  return { crc, matches: crc === file.imagesCrc };
}
