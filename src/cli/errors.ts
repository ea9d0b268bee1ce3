/**
 * What the command does with an error (DESIGN.md, "Errors"): the typed errors that bad input or
 * the machine can cause (bad flags, bad files, bad configurations, failed writes, non-finite
 * training, kernels that do not load, memory or workers that give out) become one line on stderr,
 * "latent: " and the first line of the message, and exit code 2. Anything else is a bug and is
 * reported with its stack and exit code 1; so is NotInitialisedError, which the command, always
 * initialising first, can only meet through a bug. A Left from an edge is thrown (orThrow,
 * rightOrThrow) and reported the same way.
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";

/** Names of the error classes reported as one line with exit code 2. */
export const EXPECTED_ERRORS: ReadonlySet<string> = new Set(["UsageError", "DataError", "ConfigError", "ShapeError", "OptimError",
  "ModelFileError", "FileWriteError", "SafetensorsError", "NonFiniteError", "KernelLoadError", "VizError", "ArenaError", "WorkerError"]);

export function isExpected(e: unknown): e is Error {
  return e instanceof Error && EXPECTED_ERRORS.has(e.name);
}

export function report(e: unknown, write: (line: string) => void): number {
  if (isExpected(e)) {
    write(`latent: ${e.message.split("\n")[0]}`);
    return 2;
  }
  write(`latent: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  return 1;
}

/** Runs a TaskEither and throws its Left (the typed errors above). */
export async function orThrow<L, R>(task: TE.TaskEither<L, R>): Promise<R> {
  return rightOrThrow(await task());
}

/** The Right of an Either, or its Left thrown (the typed errors above). */
export function rightOrThrow<L, R>(result: E.Either<L, R>): R {
  if (E.isLeft(result)) throw result.left;
  return result.right;
}
