// Shared by the data tests: a temp folder per test file (removed afterwards) with fresh
// sub-folders, and Either unwrapping that insists on the DataError type.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { afterAll, expect } from "vitest";
import { DataError } from "../../src/data/errors.js";

export function tempRoot(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let count = 0;
  return () => { const d = join(root, `d${count++}`); mkdirSync(d); return d; };
}

export function left<A>(e: E.Either<DataError, A>): DataError {
  if (E.isRight(e)) throw new Error("expected a DataError, got a value");
  expect(e.left).toBeInstanceOf(DataError);
  return e.left;
}

export function right<A>(e: E.Either<DataError, A>): A {
  if (E.isLeft(e)) throw e.left;
  return e.right;
}

/** Index of the first difference of two byte arrays (-1 when equal): much faster than toEqual on 600,000 values. */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}
export const expectBytes = (a: ArrayLike<number>, b: ArrayLike<number>): void => expect(firstDifference(a, b)).toBe(-1);
