/**
 * Reading data files that may be gzip-compressed. Compression is recognised by the gzip magic
 * bytes 1f 8b, never by the file name, so `x.gz` holding raw bytes and `x` holding gzip both
 * work. Truncated or corrupt streams become DataErrors (zlib reports them; it does not hang on
 * short input), and the decompressed size is capped so a small "gzip bomb" cannot exhaust memory:
 * by maxBytes (default MAX_DATA_BYTES) and by MAX_INFLATE_RATIO times the compressed size
 * (../limits.ts). A caller that knows the format may pass `declaredSize`: the first decompressed
 * bytes are inflated alone (a piece of 1 KiB of input, at most ~1 MB out), the size their header
 * declares is checked against both caps before anything more is inflated, and the output may not
 * pass it; the piece is taken after the gzip header, itself at most MAX_GZIP_HEADER_BYTES.
 * After the last gzip member only zero bytes may follow (padding to a block size, which gzip(1)
 * also accepts); any other byte there is refused, naming its offset, whether the bytes are in
 * memory or read from a file. Node only (node:zlib, node:fs).
 *
 * Memory: a gzip file is read from disk in 1 MiB pieces into one reused buffer and inflated by
 * zlib into one buffer of the size the gzip trailer announces (ISIZE, checked for plausibility
 * and against the cap), which becomes the result (Sink). Loading therefore holds the
 * decompressed bytes and one piece of input: never the whole compressed file, nor the list of
 * output chunks and their concatenation side by side (what zlib.gunzip does, which for
 * Fashion-MNIST's training images is 26 MB + 2 x 47 MB at the peak), and it leaves no garbage
 * of the data's size behind.
 */
import { constants as bufferConstants } from "node:buffer";
import { open, readFile, stat, type FileHandle } from "node:fs/promises";
import { constants as zlibConstants, createGunzip, gunzipSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { DataError } from "../errors.js";
import { allowanceLimit, inflateAllowance, MAX_DATA_BYTES, MAX_GZIP_HEADER_BYTES } from "../limits.js";

/** Default cap on a decompressed file and on a raw file read whole (MAX_DATA_BYTES). */
export const DEFAULT_MAX_BYTES = MAX_DATA_BYTES;

export interface SizeLimit {
  /** Largest file, compressed or not, and largest decompressed output, in bytes; default MAX_DATA_BYTES. */
  readonly maxBytes?: number;
}

/**
 * The whole decompressed size the first decompressed bytes declare (e.g. an IDX header), a Left
 * when they start an invalid header (refused before more is inflated), or undefined when they
 * are too few to tell.
 */
export type DeclaredSize = (head: Uint8Array, where: string) => E.Either<DataError, number> | undefined;

export interface GzipOptions extends SizeLimit {
  /** Checked on the first decompressed bytes before the rest is inflated; see the top of this file. */
  readonly declaredSize?: DeclaredSize;
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

/** Thrown inside the decompression when the output passes the cap. */
class TooLarge extends Error {}

/** Compressed bytes after the gzip header inflated alone to read the head (at most ~1 MB out, deflate's ratio being 1032:1). */
const HEAD_INPUT = 1024;

/**
 * The length of the gzip member header at the start of `b` (RFC 1952 section 2.3: 10 bytes, then
 * FEXTRA's 2-byte length and data, FNAME and FCOMMENT each up to a zero byte, FHCRC's 2 bytes),
 * or null when `b` ends inside it.
 */
export function gzipHeaderLength(b: Uint8Array): number | null {
  if (b.length < 10) return null;
  const flags = b[3]!;
  let at = 10;
  if (flags & 4) {
    if (b.length < at + 2) return null;
    at += 2 + (b[at]! | (b[at + 1]! << 8));
  }
  for (const bit of [8, 16]) {
    if (!(flags & bit)) continue;
    while (at < b.length && b[at] !== 0) at++;
    if (at >= b.length) return null;
    at++;
  }
  if (flags & 2) at += 2;
  return at <= b.length ? at : null;
}

/** The first bytes of a gzip stream to read: its header and HEAD_INPUT bytes after it. */
const HEAD_READ = MAX_GZIP_HEADER_BYTES + HEAD_INPUT;

/**
 * The compressed start to inflate alone: the header and HEAD_INPUT bytes after it. A header
 * longer than MAX_GZIP_HEADER_BYTES is refused; one cut short by the end of the data is left to
 * the full inflation to report.
 */
function headPiece(start: Uint8Array, where: string): Uint8Array {
  const header = gzipHeaderLength(start.subarray(0, MAX_GZIP_HEADER_BYTES));
  if (header === null && start.length >= MAX_GZIP_HEADER_BYTES) {
    throw new DataError(where, `its gzip header (extra field, file name and comment) is longer than ${MAX_GZIP_HEADER_BYTES} bytes`,
      { name: "MAX_GZIP_HEADER_BYTES", max: MAX_GZIP_HEADER_BYTES });
  }
  return start.subarray(0, (header ?? 0) + HEAD_INPUT);
}

/** The index of the first byte that is not zero, or -1. */
function firstNonZero(b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return i;
  return -1;
}

function trailingByteError(where: string, offset: number, byte: number, end: number): DataError {
  return new DataError(where, `byte ${offset} (0x${byte.toString(16).padStart(2, "0")}) follows the end of the gzip data `
    + `at byte ${end} and is not zero padding`);
}

/**
 * The decompressed start of a gzip stream whose first compressed bytes are `first` (a truncated
 * stream is fine: Z_SYNC_FLUSH returns what inflated); empty when zlib refuses it, which the
 * full inflation then reports.
 */
function inflateHead(first: Uint8Array): Uint8Array {
  try {
    return gunzipSync(first, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    return new Uint8Array(0);
  }
}

/** How much output to allow: the caps, and the declared size when the head gives one (else a DataError). */
interface Bound { readonly max: number; readonly hint: number | null; readonly declared: number | null }

function boundFor(start: Uint8Array, compressed: number, cap: number, where: string, declaredSize?: DeclaredSize): Bound {
  const allowed = inflateAllowance(compressed, cap);
  const first = headPiece(start, where);
  const head = declaredSize ? declaredSize(inflateHead(first), where) : undefined;
  if (head === undefined) return { max: allowed, hint: null, declared: null };
  if (E.isLeft(head)) throw head.left;
  const declared = head.right;
  if (declared > allowed) {
    const limit = allowanceLimit(compressed, cap, declared);
    throw new DataError(where, `its header declares ${declared} decompressed bytes, more than the `
      + (limit.name === "MAX_DATA_BYTES" ? `${cap} allowed (MAX_DATA_BYTES or maxBytes)`
        : `${allowed} allowed for ${compressed} compressed bytes (MAX_INFLATE_RATIO ${limit.max}:1)`), limit);
  }
  return { max: declared, hint: declared, declared };
}

/**
 * Collects decompressed chunks into one buffer. zlib writes its output into buffers of
 * `chunkSize` bytes and hands out consecutive slices of them; with chunkSize set to the size
 * hint the whole output is one buffer, which the sink adopts as it is: no copy, and no
 * garbage the size of the data left for the collector (a run that allocates nothing while it
 * trains would otherwise carry it to the end). Any chunk that does not continue that buffer
 * (a hint that was short, zlib allocating anew) switches to copying into a buffer of its own,
 * grown by doubling.
 */
class Sink {
  private adopted: Uint8Array | null = null;
  private own: Uint8Array | null = null;
  private at = 0;
  constructor(private readonly hint: number, private readonly max: number) {}
  push(chunk: Uint8Array): void {
    const end = this.at + chunk.length;
    if (end > this.max) throw new TooLarge();
    const a = this.adopted;
    if (!this.own && (a ? chunk.buffer === a.buffer && chunk.byteOffset === a.byteOffset + a.length : chunk.byteOffset === 0)) {
      this.adopted = new Uint8Array(chunk.buffer, a ? a.byteOffset : chunk.byteOffset, end);
      this.at = end;
      return;
    }
    if (!this.own || end > this.own.length) {
      const grown = new Uint8Array(Math.min(this.max, Math.max(end, this.own ? 2 * this.own.length : this.hint, 65536)));
      grown.set(this.own ? this.own.subarray(0, this.at) : this.adopted ?? new Uint8Array(0));
      this.own = grown;
      this.adopted = null;
    }
    this.own.set(chunk, this.at);
    this.at = end;
  }
  result(): Uint8Array {
    const buf = this.own ?? this.adopted;
    if (!buf) return new Uint8Array(0);
    const whole = new Uint8Array(buf.buffer, buf.byteOffset, this.at);
    // A buffer much larger than the data (a hint that was too large): copy to the exact size.
    return buf.buffer.byteLength - this.at <= this.at / 8 ? whole : whole.slice();
  }
}

/** zlib's output buffer size for a size hint: the whole output in one buffer when the hint is right. */
function chunkSizeFor(hint: number, max: number): number {
  return Math.max(64 * 1024, Math.min(hint, max));
}

/** Compressed bytes read from a file at a time, into one reused buffer. */
const READ_CHUNK = 1 << 20;

/**
 * The decompressed size to allocate for: the declared size when known, else the one a gzip
 * trailer announces (ISIZE: the last member's size mod 2^32) when within the allowance `max`,
 * else a small starting size to grow from.
 */
function sizeHint(bound: Bound, trailer: number, compressed: number): number {
  return bound.hint ?? (trailer <= bound.max ? trailer : Math.min(compressed * 4, 1 << 20));
}

function gzipError(err: unknown, where: string, compressed: number, cap: number, bound: Bound): DataError {
  if (err instanceof DataError) return err;
  if (err instanceof TooLarge) {
    if (bound.declared !== null) {
      return new DataError(where, `gzip data decompresses to more than the ${bound.declared} bytes its header declares`);
    }
    const limit = allowanceLimit(compressed, cap);
    return limit.name === "MAX_DATA_BYTES"
      ? new DataError(where, `gzip data decompresses to more than ${cap} bytes (the maxBytes limit)`, limit)
      : new DataError(where, `gzip data decompresses to more than ${bound.max} bytes from ${compressed} compressed bytes `
        + `(MAX_INFLATE_RATIO ${limit.max}:1)`, limit);
  }
  const e = err as NodeJS.ErrnoException;
  const code = e?.code;
  const message = code === "Z_BUF_ERROR"
    ? `truncated gzip data: the stream ends early (${compressed} compressed bytes): ${e.message}`
    : typeof code === "string" && code.startsWith("Z_")
      ? `corrupt gzip data (${compressed} compressed bytes): ${e.message}`
      : `cannot read: ${String(err)}`;
  return new DataError(where, message);
}

/** What an inflation produced: the output, and how many compressed bytes the gzip members took. */
interface Inflated { readonly out: Uint8Array; readonly consumed: number }

/**
 * Runs zlib over the compressed chunks `feed` writes (it resolves once it has ended the input)
 * and collects the output into a Sink. A write resolves false once zlib has ended the stream
 * (what follows the last member is left to the caller's padding check). zlib's first error wins
 * over the errors it causes later.
 */
async function inflate(feed: (write: (bytes: Uint8Array) => Promise<boolean>) => Promise<void>, sink: Sink, hint: number, max: number): Promise<Inflated> {
  const g = createGunzip({ chunkSize: chunkSizeFor(hint, max) });
  let failure: unknown = null;
  const ended = new Promise<void>((resolve, reject) => {
    g.on("data", (chunk: Uint8Array) => {
      try { sink.push(chunk); } catch (e) { g.destroy(e as Error); }
    });
    g.on("end", resolve);
    g.on("error", (e) => { failure ??= e; reject(e); });
  });
  ended.catch(() => undefined);
  // The callback of a write runs once zlib has consumed all of its input, so the caller may
  // reuse the buffer; after an error zlib may never call it, hence the race with the error.
  const write = (bytes: Uint8Array) => Promise.race([
    new Promise<boolean>((resolve, reject) => g.write(bytes, (e) => (e ? reject(e) : resolve(true)))),
    ended.then(() => false),
  ]);
  try {
    await feed(write);
    g.end();
    await ended;
  } catch (e) {
    throw failure ?? e;
  } finally {
    g.destroy();
  }
  // bytesWritten counts the input zlib consumed: the members, without what followed them.
  return { out: sink.result(), consumed: g.bytesWritten };
}

/** Decompresses a gzip stream within the caps of `o` (see the top of this file). */
export function gunzip(bytes: Uint8Array, where: string, o: GzipOptions = {}): TE.TaskEither<DataError, Uint8Array> {
  const cap = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const bad = checkLimit(cap, where);
  if (bad) return TE.left(bad);
  const trailer = bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : 0;
  let bound: Bound;
  try {
    bound = boundFor(bytes.subarray(0, HEAD_READ), bytes.length, cap, where, o.declaredSize);
  } catch (e) {
    return TE.left(e as DataError);
  }
  const hint = sizeHint(bound, trailer, bytes.length);
  return TE.tryCatch(async () => {
    const { out, consumed } = await inflate(async (write) => { await write(bytes); }, new Sink(hint, bound.max), hint, bound.max);
    const bad = firstNonZero(bytes.subarray(consumed));
    if (bad >= 0) throw trailingByteError(where, consumed + bad, bytes[consumed + bad]!, consumed);
    return out;
  }, (e) => gzipError(e, where, bytes.length, cap, bound));
}

/** The bytes themselves, or their decompression when they start with the gzip magic. */
export function maybeGunzip(bytes: Uint8Array, where: string, o: GzipOptions = {}): TE.TaskEither<DataError, Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, where, o) : TE.right(plainBytes(bytes));
}

function tooBig(path: string, size: number, limit: number): DataError {
  return new DataError(path, `file is ${size} bytes, more than the limit of ${limit} bytes (maxBytes)`, { name: "MAX_DATA_BYTES", max: limit, found: size });
}

/** Reads a whole file of at most `maxBytes` bytes (checked with stat before reading). */
export function readBytes(path: string, o: SizeLimit = {}): TE.TaskEither<DataError, Uint8Array> {
  const limit = o.maxBytes ?? DEFAULT_MAX_BYTES;
  const bad = checkLimit(limit, path);
  if (bad) return TE.left(bad);
  return TE.tryCatch(async () => {
    const s = await stat(path);
    if (!s.isFile()) throw new DataError(path, "expected a regular file");
    if (s.size > limit) throw tooBig(path, s.size, limit);
    return plainBytes(await readFile(path));
  }, (e) => e instanceof DataError ? e : new DataError(path, `cannot read: ${String(e)}`));
}

/**
 * Reads a file and decompresses it when it is gzip, within the caps of `o`. A gzip file is
 * streamed from disk into a buffer of the announced size (see the top of this file).
 */
export function readMaybeGzipped(path: string, o: GzipOptions = {}): TE.TaskEither<DataError, Uint8Array> {
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
    if (size > limit) throw tooBig(path, size, limit);
    const head = new Uint8Array(Math.min(HEAD_READ, size)), tail = new Uint8Array(4);
    try {
      const fh = await open(path, "r");
      try {
        await fh.read(head, 0, head.length, 0);
        if (size >= 4) await fh.read(tail, 0, 4, size - 4);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new DataError(path, `cannot read: ${String(e)}`);
    }
    if (!isGzip(head)) {
      try { return plainBytes(await readFile(path)); } catch (e) { throw new DataError(path, `cannot read: ${String(e)}`); }
    }
    const trailer = size >= 4 ? new DataView(tail.buffer).getUint32(0, true) : 0;
    const bound = boundFor(head, size, limit, path, o.declaredSize);
    const hint = sizeHint(bound, trailer, size);
    let fh: FileHandle;
    try { fh = await open(path, "r"); } catch (e) { throw new DataError(path, `cannot read: ${String(e)}`); }
    try {
      const buf = new Uint8Array(Math.min(READ_CHUNK, size));
      const read = async (at: number | null): Promise<number> => {
        try { return (await fh.read(buf, 0, buf.length, at)).bytesRead; } catch (e) { throw new DataError(path, `cannot read: ${String(e)}`); }
      };
      const { out, consumed } = await inflate(async (write) => {
        for (let n = await read(null); n > 0 && await write(buf.subarray(0, n)); n = await read(null));
      }, new Sink(hint, bound.max), hint, bound.max);
      for (let at = consumed, n = await read(at); n > 0; at += n, n = await read(at)) {
        const bad = firstNonZero(buf.subarray(0, n));
        if (bad >= 0) throw trailingByteError(path, at + bad, buf[bad]!, consumed);
      }
      return out;
    } catch (e) {
      throw gzipError(e, path, size, limit, bound);
    } finally {
      await fh.close();
    }
  }, (e) => e instanceof DataError ? e : new DataError(path, `cannot read: ${String(e)}`));
}
