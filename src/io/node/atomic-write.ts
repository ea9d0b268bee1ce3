/**
 * Crash-safe file writes (Node): the target is replaced by a complete, verified file or not at
 * all. Steps:
 *   1. write a temporary file next to the target (same folder, so the rename stays on one file
 *      system), named ".<target>.<16 hex digits>.tmp" (tempNameFor), created exclusively, then
 *      fsync it;
 *   2. read it back and compare it byte for byte with what was written; run the validator on
 *      the bytes read back, if one is given;
 *   3. rename it over the target (atomic on POSIX; the old file stays whole until then);
 *   4. fsync the folder so the rename itself survives a power cut. Where folders cannot be
 *      fsynced (EINVAL, ENOTSUP, EISDIR; EPERM/EACCES on Windows) this step is skipped;
 *      other errors are reported.
 * On any failure before the rename the temporary file is removed and the target is untouched.
 * A replaced target keeps its permission bits.
 *
 * The file system operations are injectable (`fs`), and `hooks.beforeRename` runs between
 * steps 2 and 3, so tests can simulate failures and a crash right before the rename.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import * as E from "fp-ts/lib/Either.js";

export type WriteStep = "prepare" | "write" | "verify" | "validate" | "rename" | "sync-dir";

/** A failed atomic write; `step` says where, the message names the target path. */
export class FileWriteError extends Error {
  override readonly name = "FileWriteError";
  constructor(readonly path: string, readonly step: WriteStep, message: string, cause?: unknown) {
    super(`writing ${path} failed at step "${step}": ${message}`, { cause });
  }
}

/** The file system operations the write uses (defaults: node:fs/promises). */
export interface AtomicWriteFs {
  /** Creates `path` (failing if it exists), writes the parts in order, fsyncs, closes; removes it again if any of that fails. */
  writeNew(path: string, parts: readonly Uint8Array[], mode: number | undefined): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** The file's size and the first byte index where it differs from the parts' concatenation (-1 when equal), read in small chunks. */
  compare(path: string, parts: readonly Uint8Array[]): Promise<{ readonly size: number; readonly firstDifference: number }>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Opens the folder and fsyncs it. */
  syncDir(dir: string): Promise<void>;
  /** Permission bits of an existing file, undefined when there is none. */
  modeOf(path: string): Promise<number | undefined>;
}

/**
 * The temporary file's name for a target named `name`: ".<name>.<16 hex digits>.tmp". It starts
 * with a dot and ends in ".tmp", so a file left by a killed process is never taken for the
 * target's kind (no `*.safetensors` or `*.png` glob matches it); `tempTarget` recognises it.
 */
export function tempNameFor(name: string): string {
  return `.${name}.${randomBytes(8).toString("hex")}.tmp`;
}

/** The target's name when `name` is a temporary file's name made by tempNameFor, else null. */
export function tempTarget(name: string): string | null {
  return /^\.(.+)\.[0-9a-f]{16}\.tmp$/.exec(name)?.[1] ?? null;
}

/** Bytes read back at a time when no validator needs the whole file. */
const COMPARE_CHUNK = 1 << 20;

const code = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

export const nodeFs: AtomicWriteFs = {
  async writeNew(path, parts, mode) {
    const handle = await open(path, "wx", mode ?? 0o666);
    try {
      if (mode !== undefined) await handle.chmod(mode); // exact bits, regardless of the umask
      for (const p of parts) await handle.writeFile(p);
      await handle.sync();
    } catch (e) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw e;
    }
    await handle.close();
  },
  readFile: (path) => readFile(path),
  async compare(path, parts) {
    const handle = await open(path, "r");
    try {
      const size = (await handle.stat()).size;
      const length = parts.reduce((n, p) => n + p.length, 0);
      const chunk = new Uint8Array(Math.min(COMPARE_CHUNK, Math.max(size, 1)));
      let at = 0;
      for (const part of parts) {
        for (let i = 0; i < part.length && at < size;) {
          const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, part.length - i, size - at), at);
          if (bytesRead === 0) return { size: at, firstDifference: at };
          const diff = firstDifference(chunk.subarray(0, bytesRead), part.subarray(i, i + bytesRead));
          if (diff >= 0) return { size, firstDifference: at + diff };
          at += bytesRead; i += bytesRead;
        }
      }
      return { size, firstDifference: size === length ? -1 : Math.min(size, length) };
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async syncDir(dir) {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async modeOf(path) {
    try {
      return (await stat(path)).mode & 0o7777;
    } catch (e) {
      if (code(e) === "ENOENT") return undefined;
      throw e;
    }
  },
};

/** Errors meaning "folders cannot be fsynced here", not "the fsync failed". */
function dirSyncUnsupported(e: unknown): boolean {
  const c = code(e);
  if (c === "EINVAL" || c === "ENOTSUP" || c === "EOPNOTSUPP" || c === "EISDIR") return true;
  return process.platform === "win32" && (c === "EPERM" || c === "EACCES");
}

export interface WriteFileAtomicOptions {
  /** Runs on the bytes read back from the temporary file; a Left aborts the write. */
  readonly validate?: (bytes: Uint8Array) => E.Either<Error, unknown>;
  /** Permission bits for the file; default: those of the file being replaced, else 0o666 minus the umask. */
  readonly mode?: number;
  /** Replaces some file system operations (tests). */
  readonly fs?: Partial<AtomicWriteFs>;
  readonly hooks?: {
    /** Runs after the temporary file is written and verified, right before the rename; throwing aborts. */
    readonly beforeRename?: (tempPath: string) => void | Promise<void>;
  };
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** First index where `whole` differs from the concatenation of `parts` (-1 when equal). */
function firstDifferenceFromParts(whole: Uint8Array, parts: readonly Uint8Array[]): number {
  let at = 0;
  for (const p of parts) {
    const diff = firstDifference(whole.subarray(at, at + p.length), p);
    if (diff >= 0) return at + diff;
    at += p.length;
  }
  return whole.length === at ? -1 : at;
}

/**
 * Writes `contents` (bytes, or pieces written one after another) to `path` atomically (see the
 * module comment). Resolves when the new file is in place and durable; rejects with a
 * FileWriteError naming the path and the failed step.
 */
export async function writeFileAtomic(path: string, contents: Uint8Array | readonly Uint8Array[], options: WriteFileAtomicOptions = {}): Promise<void> {
  const fs: AtomicWriteFs = { ...nodeFs, ...options.fs };
  const parts = contents instanceof Uint8Array ? [contents] : contents;
  if (!Array.isArray(parts) || !parts.every((p) => p instanceof Uint8Array)) throw new FileWriteError(path, "prepare", "the contents must be a Uint8Array or an array of them");
  const length = parts.reduce((n, p) => n + p.length, 0);
  const dir = dirname(path);
  const temp = join(dir, tempNameFor(basename(path)));
  let step: WriteStep = "prepare";
  let tempExists = false;
  try {
    const mode = options.mode ?? (await fs.modeOf(path));
    step = "write";
    try {
      await fs.writeNew(temp, parts, mode);
    } finally {
      // The name is random and created exclusively: unless creation itself collided (EEXIST),
      // whatever is there now is ours to remove on failure.
      tempExists = true;
    }
    step = "verify";
    // Read back whole only for a validator; else in chunks, so a large file is not held twice.
    const back = options.validate ? await fs.readFile(temp) : null;
    const { size, firstDifference: diff } = back ? { size: back.length, firstDifference: firstDifferenceFromParts(back, parts) } : await fs.compare(temp, parts);
    if (diff >= 0) throw new Error(`the file read back (${size} bytes) differs from the ${length} bytes written, first at byte ${diff}`);
    if (options.validate && back) {
      step = "validate";
      const checked = options.validate(back);
      if (E.isLeft(checked)) throw checked.left;
    }
    step = "rename";
    await options.hooks?.beforeRename?.(temp);
    await fs.rename(temp, path);
    tempExists = false;
    step = "sync-dir";
    try {
      await fs.syncDir(dir);
    } catch (e) {
      if (!dirSyncUnsupported(e)) throw e;
    }
  } catch (e) {
    let message = e instanceof Error ? e.message : String(e);
    if (tempExists && !(step === "write" && code(e) === "EEXIST")) {
      try {
        await fs.unlink(temp);
      } catch (u) {
        if (code(u) !== "ENOENT") message += `; the temporary file ${temp} could not be removed: ${String(u)}`;
      }
    }
    throw new FileWriteError(path, step, message, e);
  }
}
