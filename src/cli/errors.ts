/**
 * What the command does with an error: the library's typed errors (bad flags, bad files, bad
 * configurations, non-finite training) become one line on stderr and exit code 2; anything else
 * is a bug and is reported with its stack.
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";

const expected = new Set(["UsageError", "DataError", "ConfigError", "ShapeError", "OptimError", "ModelFileError",
  "FileWriteError", "SafetensorsError", "NonFiniteError", "KernelLoadError", "VizError"]);

export function isExpected(e: unknown): e is Error {
  return e instanceof Error && expected.has(e.name);
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
  const result = await task();
  if (E.isLeft(result)) throw result.left;
  return result.right;
}
