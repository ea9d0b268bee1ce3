/**
 * SAT-6 (DeepSat; 28x28 patches, 4 bands R, G, B, NIR, 6 land-cover classes) from disk, as
 * a Dataset named "sat6" of shape [28, 28, 4] with uint8 HWC pixels. Node only (node:fs,
 * node:zlib). `loadSat6(path, { limit })` takes either
 *
 *   a folder of the Kaggle CSV release, in either naming:
 *     X_train_sat6.csv, y_train_sat6.csv, X_test_sat6.csv, y_test_sat6.csv   (full release)
 *     train_X_<k>.csv, train_y_<k>.csv, test_X_<k>.csv, test_y_<k>.csv       (samples)
 *   and optionally sat6annotations.csv (class names; else SAT6_CLASSES).
 *   The CSV files are STREAMED (X_train_sat6.csv is about 3.7 GB): label files are read
 *   first, which gives the row count, then the pixel rows are parsed straight into one
 *   preallocated uint8 array (324,000 x 3136 bytes = 1.0 GB for the full train split).
 *   With `limit` only the first `limit` rows of each file are read; the rest is never touched.
 *
 *   or `sat-6-full.mat` (MATLAB level 5, compressed or not): the whole file is read into
 *   memory (up to maxMatBytes), compressed variables are inflated whole, and the pixels are
 *   converted to HWC in place; `limit` keeps only the first samples (after reading all).
 *
 * Every malformed row, count or variable is a DataError naming the file and line (CSV) or
 * the byte offset (MAT).
 */
import { createReadStream } from "node:fs";
import { open, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { constants as zlibConstants, inflateSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import type { Dataset, Split } from "../dataset.js";
import { DataError } from "../errors.js";
import { parseMat, type Inflate } from "../mat.js";
import { MAX_DATA_BYTES, MAX_MAT_FILE_BYTES } from "../limits.js";
import { LabelRows, LineSplitter, parseAnnotations, PixelRows } from "../sat6-csv.js";
import { SAT6_CLASSES, SAT6_IMAGE_SHAPE, SAT6_VALUES } from "../sat6-format.js";
import { SAT6_MAT_VARIABLES, sat6FromMat } from "../sat6-mat.js";
import { plainBytes } from "./gzip.js";

export interface Sat6Options {
  /** Read only the first `limit` samples of each split (a positive integer). */
  readonly limit?: number;
  /** Chunk size of the CSV streams in bytes; default 1 MiB. */
  readonly highWaterMark?: number;
  /** Largest .mat file read; default MAX_MAT_FILE_BYTES (4 GiB - 1). */
  readonly maxMatBytes?: number;
  /** Largest inflated size of one compressed .mat element; default MAX_DATA_BYTES (1 GiB). */
  readonly maxInflatedBytes?: number;
  /**
   * Read only the test split (the train split comes back empty): for commands that evaluate a
   * model. The CSV layout reads the test files alone; a .mat file is read whole either way.
   */
  readonly skipTrain?: boolean;
}

export const SAT6_ANNOTATIONS_FILE = "sat6annotations.csv";
const DEFAULT_HIGH_WATER_MARK = 2 ** 20;
const DEFAULT_MAX_MAT_BYTES = MAX_MAT_FILE_BYTES;
/** Most rows of one split: their pixels fit in MAX_DATA_BYTES. */
const MAX_CSV_ROWS = Math.floor(MAX_DATA_BYTES / SAT6_VALUES);
/** Fewest bytes a pixel row takes: 3136 one-digit values, 3135 commas, a newline. */
const MIN_ROW_BYTES = 2 * SAT6_VALUES;
const MAX_ANNOTATION_BYTES = 2 ** 20;

const WHAT = "expected a folder of SAT-6 CSV files (X_train_sat6.csv, y_train_sat6.csv, X_test_sat6.csv, y_test_sat6.csv, "
  + "or train_X_*.csv, train_y_*.csv, test_X_*.csv, test_y_*.csv) or a MATLAB file such as sat-6-full.mat";

const toDataError = (where: string) => (e: unknown): DataError => e instanceof DataError ? e : new DataError(where, String(e));

/** Compressed bytes inflated alone for a head (at most ~1 MB out). */
const HEAD_INPUT = 1024;

/** zlib inflate for parseMat, with its output capped (null past the cap); errors say what went wrong. */
export const nodeInflate: Inflate = (data, maxOutputBytes, head = false) => {
  if (head) {
    try {
      return plainBytes(inflateSync(data.subarray(0, HEAD_INPUT), { finishFlush: zlibConstants.Z_SYNC_FLUSH })).subarray(0, maxOutputBytes);
    } catch {
      return new Uint8Array(0);
    }
  }
  try {
    return plainBytes(inflateSync(data, { maxOutputLength: maxOutputBytes }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = e instanceof Error ? e.message : String(e);
    if (code === "ERR_BUFFER_TOO_LARGE") return null;
    if (code === "Z_BUF_ERROR") throw new Error(`truncated zlib stream: ${message}`);
    throw new Error(`corrupt zlib data: ${message}`);
  }
};

/**
 * Streams a file's lines into `onLine` (see LineSplitter); stops reading as soon as onLine
 * returns false. Lines may straddle chunks of any size.
 */
export async function streamLines(
  file: string,
  onLine: (buf: Uint8Array, start: number, end: number, line: number) => boolean,
  highWaterMark = DEFAULT_HIGH_WATER_MARK,
): Promise<void> {
  const splitter = new LineSplitter(file, onLine);
  const stream = createReadStream(file, { highWaterMark });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (!splitter.push(plainBytes(chunk))) return;
    }
    splitter.end();
  } catch (e) {
    throw e instanceof DataError ? e : new DataError(file, `cannot read: ${String(e)}`);
  } finally {
    stream.destroy();
  }
}

/** Non-blank lines of a file (used only to report a row count mismatch). */
async function countRows(file: string, highWaterMark: number): Promise<number> {
  let n = 0;
  await streamLines(file, () => { n++; return true; }, highWaterMark);
  return n;
}

interface CsvFiles { readonly x: string; readonly y: string }

/** Finds the X and y files of both splits in either naming; names every missing one. */
async function locateCsv(dir: string): Promise<{ train: CsvFiles; test: CsvFiles; annotations: string | null }> {
  let names: Set<string>;
  try {
    names = new Set(await readdir(dir));
  } catch (e) {
    throw new DataError(dir, `cannot list the folder (${WHAT}): ${String(e)}`);
  }
  const missing: string[] = [];
  const find = (split: "train" | "test"): CsvFiles => {
    const kaggle = `X_${split}_sat6.csv`;
    let x: string | undefined, y: string;
    if (names.has(kaggle)) {
      x = kaggle;
      y = `y_${split}_sat6.csv`;
    } else {
      const pattern = new RegExp(`^${split}_X_(.+)\\.csv$`);
      const samples = [...names].filter((n) => pattern.test(n)).sort();
      if (samples.length > 1) throw new DataError(dir, `several ${split} pixel files: ${samples.join(", ")} (keep one)`);
      x = samples[0];
      y = x === undefined ? `y_${split}_sat6.csv` : `${split}_y_${pattern.exec(x)![1]}.csv`;
      if (x === undefined) missing.push(`the ${split} pixels (looked for ${kaggle} and ${split}_X_*.csv)`);
    }
    if (x !== undefined && !names.has(y)) missing.push(`the ${split} labels (looked for ${y}, to go with ${x})`);
    return { x: join(dir, x ?? kaggle), y: join(dir, y) };
  };
  const train = find("train"), test = find("test");
  if (missing.length > 0) throw new DataError(dir, `missing SAT-6 CSV file${missing.length > 1 ? "s" : ""}: ${missing.join("; ")}`);
  return { train, test, annotations: names.has(SAT6_ANNOTATIONS_FILE) ? join(dir, SAT6_ANNOTATIONS_FILE) : null };
}

/**
 * One split: the labels first (their count sizes the pixels), then the pixel rows. The pixels
 * are allocated only when they fit in MAX_DATA_BYTES and the pixel file is large enough to hold
 * them.
 */
async function readCsvSplit(files: CsvFiles, limit: number | undefined, highWaterMark: number): Promise<Split> {
  const labels = new LabelRows(files.y, Math.min(limit ?? Infinity, MAX_CSV_ROWS + 1));
  await streamLines(files.y, labels.onLine, highWaterMark);
  const n = labels.rows;
  if (n === 0) throw new DataError(files.y, "no label rows");
  if (n > MAX_CSV_ROWS) {
    throw new DataError(files.y, `more than ${MAX_CSV_ROWS} label rows: their pixels would pass MAX_DATA_BYTES (${MAX_DATA_BYTES} bytes)`,
      { name: "MAX_DATA_BYTES", max: MAX_DATA_BYTES, found: `more than ${MAX_CSV_ROWS * SAT6_VALUES}` });
  }
  const xBytes = await stat(files.x).then((s) => s.size, (e: unknown) => { throw new DataError(files.x, `cannot read: ${String(e)}`); });
  if (xBytes < n * MIN_ROW_BYTES - 1) {
    throw new DataError(files.x, `row count mismatch: ${n} rows in ${files.y} need at least ${n * MIN_ROW_BYTES - 1} bytes of pixels, `
      + `${files.x} has ${xBytes}`);
  }
  // Cut by the limit: y may hold more rows, X must hold at least n.
  const cut = limit !== undefined && n === limit;
  const pixels = new PixelRows(files.x, n, !cut);
  await streamLines(files.x, pixels.onLine, highWaterMark);
  if (pixels.rows < n || pixels.beyond > 0) {
    const ny = cut ? await countRows(files.y, highWaterMark) : n;
    throw new DataError(files.x, `row count mismatch: ${pixels.rows + pixels.beyond} rows in ${files.x} but ${ny} rows in ${files.y}`);
  }
  return { n, pixels: pixels.pixels, labels: labels.labels };
}

function emptySplit(): Split {
  return { n: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) };
}

function checkLimit(limit: number | undefined, where: string): void {
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) throw new DataError(where, `limit must be a positive integer, got ${limit}`);
}

/** SAT-6 from a folder of CSV files (see the module comment). */
export function loadSat6Csv(dir: string, o: Sat6Options = {}): TE.TaskEither<DataError, Dataset> {
  return TE.tryCatch(async () => {
    checkLimit(o.limit, dir);
    const hwm = o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (!(Number.isSafeInteger(hwm) && hwm >= 1)) throw new DataError(dir, `highWaterMark must be a positive integer, got ${hwm}`);
    const files = await locateCsv(dir);
    let classNames: readonly string[] = SAT6_CLASSES;
    if (files.annotations) {
      const s = await stat(files.annotations);
      if (s.size > MAX_ANNOTATION_BYTES) throw new DataError(files.annotations, `file is ${s.size} bytes, more than ${MAX_ANNOTATION_BYTES} for 6 class names`);
      const names = parseAnnotations(await readFile(files.annotations, "utf8"), files.annotations);
      if (E.isLeft(names)) throw names.left;
      classNames = names.right;
    }
    // One after the other (parsing is CPU-bound anyway), the small test split first so that its errors come early.
    const test = await readCsvSplit(files.test, o.limit, hwm);
    const train = o.skipTrain ? emptySplit() : await readCsvSplit(files.train, o.limit, hwm);
    return { name: "sat6", imageShape: SAT6_IMAGE_SHAPE, train, test, classNames };
  }, toDataError(dir));
}

/** Reads a whole file into a fresh array (in pieces, so files over 2 GB work too). */
async function readWhole(file: string, maxBytes: number): Promise<Uint8Array> {
  let h;
  try {
    h = await open(file, "r");
  } catch (e) {
    throw new DataError(file, `cannot read: ${String(e)}`);
  }
  try {
    const { size } = await h.stat();
    if (size > maxBytes) throw new DataError(file, `file is ${size} bytes, more than the limit of ${maxBytes} bytes (maxMatBytes)`);
    const out = new Uint8Array(size);
    let pos = 0;
    while (pos < size) {
      const { bytesRead } = await h.read(out, pos, Math.min(2 ** 26, size - pos), pos);
      if (bytesRead === 0) throw new DataError(file, `file ended at byte ${pos} while reading ${size} bytes`);
      pos += bytesRead;
    }
    return out;
  } finally {
    await h.close();
  }
}

/** SAT-6 from `sat-6-full.mat` (see the module comment): read whole, converted in place. */
export function loadSat6Mat(file: string, o: Sat6Options = {}): TE.TaskEither<DataError, Dataset> {
  return TE.tryCatch(async () => {
    checkLimit(o.limit, file);
    const bytes = await readWhole(file, o.maxMatBytes ?? DEFAULT_MAX_MAT_BYTES);
    const mat = parseMat(bytes, file, {
      inflate: nodeInflate,
      names: SAT6_MAT_VARIABLES,
      ...(o.maxInflatedBytes === undefined ? {} : { maxInflatedBytes: o.maxInflatedBytes }),
    });
    if (E.isLeft(mat)) throw mat.left;
    const ds = sat6FromMat(mat.right, file, { inPlace: true, ...(o.limit === undefined ? {} : { limit: o.limit }) });
    if (E.isLeft(ds)) throw ds.left;
    return ds.right;
  }, toDataError(file));
}

/** SAT-6 from a folder of CSV files or a .mat file; see the module comment. */
export function loadSat6(path: string, o: Sat6Options = {}): TE.TaskEither<DataError, Dataset> {
  return async () => {
    const s = await stat(path).catch(() => null);
    if (!s) return E.left(new DataError(path, `no such file or folder: ${WHAT}`));
    if (s.isDirectory()) return loadSat6Csv(path, o)();
    if (s.isFile()) {
      if (path.toLowerCase().endsWith(".csv")) {
        return E.left(new DataError(path, `a single CSV file: pass the folder that holds it (${WHAT})`));
      }
      return loadSat6Mat(path, o)();
    }
    return E.left(new DataError(path, `neither a folder nor a file: ${WHAT}`));
  };
}
