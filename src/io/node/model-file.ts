/**
 * Saving and loading model files on Node. Saving encodes with modelToSafetensors and writes with
 * writeFileAtomic, validating the bytes read back with modelFromSafetensors before they replace
 * the old file. Both are TaskEithers (fp-ts: run with `await saveModel(path, m)()`); errors
 * name the path.
 */
import { readFile } from "node:fs/promises";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { ModelFileError, modelFromSafetensors, modelToSafetensors, type ModelFile, type ModelFileInput } from "../model-file.js";
import { FileWriteError, writeFileAtomic, type WriteFileAtomicOptions } from "./atomic-write.js";

function toModelFileError(e: unknown, path: string): ModelFileError {
  return e instanceof ModelFileError ? e.withPath(path) : new ModelFileError("io", `${path}: ${e instanceof Error ? e.message : String(e)}`, { path }, e);
}

/**
 * Writes the model to `path` atomically. Left: a ModelFileError (the model cannot be stored,
 * e.g. non-finite parameters; nothing is written) or a FileWriteError (the write failed; the
 * old file, if any, is intact).
 */
export function saveModel(
  path: string,
  input: ModelFileInput,
  options: Pick<WriteFileAtomicOptions, "fs" | "hooks" | "mode"> = {},
): TE.TaskEither<ModelFileError | FileWriteError, void> {
  return pipe(
    TE.fromEither(E.tryCatch(() => modelToSafetensors(input), (e) => toModelFileError(e, path))),
    TE.chainW((bytes) => TE.tryCatch(
      () => writeFileAtomic(path, bytes, { ...options, validate: modelFromSafetensors }),
      (e) => (e instanceof FileWriteError ? e : new FileWriteError(path, "write", String(e), e)),
    )),
  );
}

/** Reads and validates the model file at `path`. */
export function loadModel(path: string): TE.TaskEither<ModelFileError, ModelFile> {
  return pipe(
    TE.tryCatch(() => readFile(path), (e) => toModelFileError(e, path)),
    TE.chainEitherK((bytes) => pipe(modelFromSafetensors(bytes), E.mapLeft((e) => e.withPath(path)))),
  );
}
