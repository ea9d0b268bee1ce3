/**
 * Reading data files that may be gzip-compressed. Compression is recognised by the gzip magic
 * bytes 1f 8b, never by the file name, so `x.gz` holding raw bytes and `x` holding gzip both
 * work. Truncated or corrupt streams become DataErrors (zlib reports them; it does not hang on
 * short input), and the decompressed size is capped (maxBytes) so a small "gzip bomb" cannot
 * exhaust memory. Node only (node:zlib, node:fs).
 *
 * Memory: a gzip file is streamed from disk through zlib into one buffer allocated at the size
 * the gzip trailer announces (ISIZE, checked for plausibility and against the cap), so loading
 * holds the decompressed bytes plus zlib's small chunks: never the whole compressed file, nor
 * the list of output chunks and their concatenation side by side (what zlib.gunzip does, which
 * for Fashion-MNIST's training images is 26 MB + 2 x 47 MB at the peak).
 */
import { constants as bufferConstants } from "node:buffer";
import { createReadStream } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import * as TE from "fp-ts/lib/TaskEither.js";
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

/** Deflate expands at most ~1032:1; a trailer announcing more than this is not trusted as a size hint. */
const MAX_RATIO = 1032;

/** Thrown inside the decompression when the output passes the cap. */
class TooLarge extends Error {}

/** Collects decompressed chunks into one buffer, preallocated from a size hint and grown (doubling) when the hint was short. */
class Sink {
  private buf: Uint8Array;
  private at = 0;
  constructor(hint: number, private readonly max: number) {
    this.buf = new Uint8Array(Math.min(hint, max));
  }
  push(chunk: Uint8Array): void {
    const end = this.at + chunk.length;
    if (end > this.max) throw new TooLarge();
    if (end > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.max, Math.max(end, 2 * this.buf.length, 65536)));
      grown.set(this.buf.subarray(0, this.at));
      this.buf = grown;
    }
    this.buf.set(chunk, this.at);
    this.at = end;
  }
  result(): Uint8Array {
    if (this.at === this.buf.length) return this.buf;
    // A hint that was too large: keep a view when the slack is small, else copy to the exact size.
    return this.buf.length - this.at <= this.at / 8 ? this.buf.subarray(0, this.at) : this.buf.slice(0, this.at);
  }
}

/**
 * The decompressed size a gzip trailer announces (ISIZE: the last member's size mod 2^32),
 * when plausible for `compressed` bytes; else a small starting size to grow from.
 */
function sizeHint(trailer: number, compressed: number): number {
  return trailer <= compressed * MAX_RATIO ? trailer : Math.min(compressed * 4, 1 << 20);
}

function gzipError(err: unknown, where: string, compressed: number, maxOutputLength: number): DataError {
  if (err instanceof DataError) return err;
  if (err instanceof TooLarge) return new DataError(where, `gzip data decompresses to more than ${maxOutputLength} bytes (the maxBytes limit)`);
  const e = err as NodeJS.ErrnoException;
  const code = e?.code;
  const message = code === "Z_BUF_ERROR"
    ? `truncated gzip data: the stream ends early (${compressed} compressed bytes): ${e.message}`
    : typeof code === "string" && code.startsWith("Z_")
      ? `corrupt gzip data (${compressed} compressed bytes): ${e.message}`
      : `cannot read: ${String(err)}`;
  return new DataError(where, message);
}

/** Runs zlib over `feed`'s input and collects the output into a Sink. */
async function inflate(feed: (g: ReturnType<typeof createGunzip>) => void, sink: Sink): Promise<Uint8Array> {
  const g = createGunzip();
  try {
    feed(g);
    for await (const chunk of g) sink.push(chunk as Uint8Array);
  } finally {
    g.destroy();
  }
  return sink.result();
}

/** Decompresses a gzip stream of at most `maxBytes` decompressed bytes. */
export function gunzip(bytes: Uint8Array, where: string, o: SizeLimit = {}): TE.TaskEither<DataError, Uint8Array> {
  const maxOutputLength = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const bad = checkLimit(maxOutputLength, where);
  if (bad) return TE.left(bad);
  const trailer = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : 0;
  return TE.tryCatch(
    () => inflate((g) => { g.end(bytes); }, new Sink(sizeHint(trailer, bytes.length), maxOutputLength)),
    (e) => gzipError(e, where, bytes.length, maxOutputLength),
  );
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

/**
 * Reads a file and decompresses it when it is gzip; both sizes capped by `maxBytes`. A gzip file
 * is streamed from disk into a buffer of the announced size (see the top of this file).
 */
export function readMaybeGzipped(path: string, o: SizeLimit = {}): TE.TaskEither<DataError, Uint8Array> {
  const limit = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const bad = checkLimit(limit, path);
  if (bad) return TE.left(bad);
  return TE.tryCatch(async () => {
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new DataError(path, "expected a regular file");
      size = s.size;
    } catch (e) {
      throw e instanceof DataError ? e : new DataError(path, `cannot read: ${String(e)}`);
    }
    if (size > limit) throw new DataError(path, `file is ${size} bytes, more than the limit of ${limit} bytes (maxBytes)`);
    const head = new Uint8Array(2), tail = new Uint8Array(4);
    try {
      const fh = await open(path, "r");
      try {
        await fh.read(head, 0, 2, 0);
        if (size >= 4) await fh.read(tail, 0, 4, size - 4);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new DataError(path, `cannot read: ${String(e)}`);
    }
    if (!isGzip(size >= 2 ? head : head.subarray(0, size))) {
      try { return plainBytes(await readFile(path)); } catch (e) { throw new DataError(path, `cannot read: ${String(e)}`); }
    }
    const trailer = size >= 4 ? new DataView(tail.buffer).getUint32(0, true) : 0;
    const sink = new Sink(sizeHint(trailer, size), limit);
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    try {
      return await inflate((g) => {
        file.on("error", (e) => g.destroy(e));
        file.pipe(g);
      }, sink);
    } catch (e) {
      throw gzipError(e, path, size, limit);
    } finally {
      file.destroy();
    }
  }, (e) => e instanceof DataError ? e : new DataError(path, `cannot read: ${String(e)}`));
}
