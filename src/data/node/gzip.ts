/**
 * Reading data files that may be gzip-compressed. Compression is recognised by the gzip magic
 * bytes 1f 8b, never by the file name, so `x.gz` holding raw bytes and `x` holding gzip both
 * work. Truncated or corrupt streams become DataErrors (zlib reports them; it does not hang on
 * short input), and the decompressed size is capped (maxOutputLength) so a small "gzip bomb"
 * cannot exhaust memory. Node only (node:zlib, node:fs).
 */
import { constants as bufferConstants } from "node:buffer";
import { readFile, stat } from "node:fs/promises";
import { gunzip as zlibGunzip } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import { DataError } from "../errors.js";

/** 1 GiB: default cap on a decompressed file and on a raw file read whole. */
export const DEFAULT_MAX_BYTES = 2 ** 30;

export interface SizeLimit {
  /** Largest file, compressed or not, and largest decompressed output, in bytes. */
  readonly maxBytes?: number;
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** A plain Uint8Array over the same memory (Buffer's slice() aliases; Uint8Array's copies). */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function checkLimit(limit: number, where: string): DataError | null {
  return Number.isSafeInteger(limit) && limit >= 1 && limit <= bufferConstants.MAX_LENGTH ? null
    : new DataError(where, `maxBytes must be an integer in [1, ${bufferConstants.MAX_LENGTH}], got ${limit}`);
}

/** Decompresses a gzip stream of at most `maxBytes` decompressed bytes. */
export function gunzip(bytes: Uint8Array, where: string, o: SizeLimit = {}): TE.TaskEither<DataError, Uint8Array> {
  const maxOutputLength = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const bad = checkLimit(maxOutputLength, where);
  if (bad) return TE.left(bad);
  return () => new Promise<E.Either<DataError, Uint8Array>>((resolve) => {
    zlibGunzip(bytes, { maxOutputLength }, (err, out) => {
      if (!err) return resolve(E.right(plainBytes(out)));
      const code = (err as NodeJS.ErrnoException).code;
      const message = code === "ERR_BUFFER_TOO_LARGE"
        ? `gzip data decompresses to more than ${maxOutputLength} bytes (the maxBytes limit)`
        : code === "Z_BUF_ERROR"
          ? `truncated gzip data: the stream ends early (${bytes.length} compressed bytes): ${err.message}`
          : `corrupt gzip data (${bytes.length} compressed bytes): ${err.message}`;
      resolve(E.left(new DataError(where, message)));
    });
  });
}

/** The bytes themselves, or their decompression when they start with the gzip magic. */
export function maybeGunzip(bytes: Uint8Array, where: string, o: SizeLimit = {}): TE.TaskEither<DataError, Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, where, o) : TE.right(plainBytes(bytes));
}

/** Reads a whole file of at most `maxBytes` bytes (checked with stat before reading). */
export function readBytes(path: string, o: SizeLimit = {}): TE.TaskEither<DataError, Uint8Array> {
  const limit = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const bad = checkLimit(limit, path);
  if (bad) return TE.left(bad);
  return TE.tryCatch(async () => {
    const s = await stat(path);
    if (!s.isFile()) throw new DataError(path, "expected a regular file");
    if (s.size > limit) throw new DataError(path, `file is ${s.size} bytes, more than the limit of ${limit} bytes (maxBytes)`);
    return plainBytes(await readFile(path));
  }, (e) => e instanceof DataError ? e : new DataError(path, `cannot read: ${String(e)}`));
}

/** Reads a file and decompresses it when it is gzip; both sizes capped by `maxBytes`. */
export function readMaybeGzipped(path: string, o: SizeLimit = {}): TE.TaskEither<DataError, Uint8Array> {
  return pipe(readBytes(path, o), TE.chain((bytes) => maybeGunzip(bytes, path, o)));
}
