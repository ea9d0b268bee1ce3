/**
 * SAT-6 (DeepSat, Basu et al. 2015): 28x28 patches of NAIP aerial imagery, 4 bands R, G, B,
 * NIR, labelled with 6 land-cover classes. The runtime-neutral parts of its loaders: class
 * names, a streaming line splitter, byte-level CSV row parsers, and the conversion of the
 * variables of `sat-6-full.mat` (see ./mat.ts) to a Dataset. Reading files is in
 * ./node/sat6.ts.
 *
 * Errors: the public parsers (parseAnnotations, and sat6FromMat) return Either<DataError, _>.
 * The per-row parsers and the line splitter throw DataError instead, because they run once per
 * row inside the CSV loader's loop; they are not exported from the package, and the loader's
 * entry (loadSat6Csv in ./node/sat6.ts) turns what they throw into its Left.
 *
 * CSV release (Kaggle): rows of 3136 integers 0..255 in (row, col, band) order,
 * index = (r*28 + c)*4 + b, which is HWC with C = 4, so a row copies straight into the pixels;
 * label files hold one-hot rows of 6 columns; sat6annotations.csv names the columns.
 * MAT release: train_x / test_x uint8 [28, 28, 4, N] column-major, i.e. sample n at
 * index r + 28*(c + 28*(b + 4*n)); train_y / test_y [6, N] one-hot (any numeric class).
 */
import * as E from "fp-ts/lib/Either.js";
import type { Dataset, Split } from "./dataset.js";
import { DataError } from "./errors.js";
import { isNumericClass, matNumbers, matStrings, MI, MX, type MatArray, type MatFile } from "./mat.js";

export const SAT6_SIDE = 28;
export const SAT6_BANDS = 4;
/** Values per patch: 28 * 28 * 4. */
export const SAT6_VALUES = SAT6_SIDE * SAT6_SIDE * SAT6_BANDS;
/** The classes in the order of the one-hot columns (as in sat6annotations.csv). */
export const SAT6_CLASSES: readonly string[] = ["building", "barren_land", "trees", "grassland", "road", "water"];
export const SAT6_IMAGE_SHAPE: readonly [number, number, number] = [SAT6_SIDE, SAT6_SIDE, SAT6_BANDS];

/** Longest line accepted: a pixel row is at most 3136 * 4 - 1 bytes; this leaves room for spaces. */
export const MAX_LINE_BYTES = 1 << 20;

const lineWhere = (file: string, line: number): string => `${file}, line ${line}`;

/** A field's text for messages: quoted, cut at 40 characters. */
function shown(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < Math.min(end, start + 40); i++) s += String.fromCharCode(buf[i]!);
  return JSON.stringify(end - start > 40 ? `${s}...` : s);
}

function countFields(buf: Uint8Array, start: number, end: number): number {
  let n = 1;
  for (let i = start; i < end; i++) if (buf[i] === 44) n++;
  return n;
}

function ragged(buf: Uint8Array, start: number, end: number, expected: number, file: string, line: number): DataError {
  const found = end === start ? 0 : countFields(buf, start, end);
  return new DataError(lineWhere(file, line), `expected ${expected} comma-separated values, found ${found}`);
}

/** The value of a field that failed the fast path: digits with optional surrounding spaces, at most 255. */
function slowField(buf: Uint8Array, start: number, end: number, column: number, file: string, line: number): number {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  const t = s.trim();
  if (/^[0-9]+$/.test(t) && Number(t) <= 255) return Number(t);
  const what = t === "" ? `an empty field ${shown(buf, start, end)}` : shown(buf, start, end);
  throw new DataError(lineWhere(file, line), `column ${column}: expected an integer 0..255, found ${what}`);
}

/**
 * Parses one CSV line buf[start, end) of exactly `expected` integers 0..255 into
 * out[at, at + expected): one pass over the bytes, field by field, with a fast path for 1 to 3
 * digits followed by a comma or the end of the line (fields with anything else take a slow path
 * that allows surrounding spaces, else throws). Throws a DataError naming the file and line,
 * and the column and text of a bad field or the expected and found number of values.
 */
export function parseByteRow(buf: Uint8Array, start: number, end: number, out: Uint8Array, at: number, expected: number, file: string, line: number): void {
  if (start === end) throw ragged(buf, start, end, expected, file, line);
  let col = 0, i = start;
  for (;;) {
    const fieldStart = i;
    let v = -1;
    if (i < end) {
      let d = buf[i]! - 48;
      if (d >= 0 && d <= 9) {
        v = d;
        i++;
        if (i < end && (d = buf[i]! - 48) >= 0 && d <= 9) {
          v = v * 10 + d;
          i++;
          if (i < end && (d = buf[i]! - 48) >= 0 && d <= 9) {
            v = v * 10 + d;
            i++;
          }
        }
        if (v > 255 || (i < end && buf[i] !== 44)) v = -1;
      }
    }
    if (col === expected) throw ragged(buf, start, end, expected, file, line);
    if (v < 0) {
      let fieldEnd = buf.indexOf(44, fieldStart);
      if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
      v = slowField(buf, fieldStart, fieldEnd, col + 1, file, line);
      i = fieldEnd;
    }
    out[at + col] = v;
    col++;
    if (i >= end) break;
    i++; // the comma
  }
  if (col !== expected) throw ragged(buf, start, end, expected, file, line);
}

/** The class of a one-hot label row of 6 values (one 1, the rest 0); throws a DataError naming file and line. */
export function parseOneHotRow(buf: Uint8Array, start: number, end: number, scratch: Uint8Array, file: string, line: number, classes = SAT6_CLASSES.length): number {
  parseByteRow(buf, start, end, scratch, 0, classes, file, line);
  let label = -1, ones = 0;
  for (let k = 0; k < classes; k++) {
    const v = scratch[k]!;
    if (v === 1) { ones++; label = k; } else if (v !== 0) { ones = -1; break; }
  }
  if (ones !== 1) {
    throw new DataError(lineWhere(file, line), `expected a one-hot label row of ${classes} values (one 1, the rest 0), `
      + `found ${Array.from(scratch.subarray(0, classes)).join(",")}`);
  }
  return label;
}

/**
 * Splits a byte stream into lines as it arrives: `push` each chunk, then `end`. A line may
 * straddle any number of chunks (its pieces are gathered in a carry buffer); lines end in
 * "\n" or "\r\n"; a UTF-8 byte-order mark before line 1 is dropped. Empty lines are held
 * back: at the end of the stream they are ignored, before more data they are an error (a
 * blank line inside the rows would shift every later row against its label). `onLine` gets
 * the bytes buf[start, end) and the 1-based line number; returning false stops the splitter
 * (push then returns false, and the caller should stop reading).
 */
export class LineSplitter {
  private carry = new Uint8Array(1 << 14);
  private carryLength = 0;
  private line = 0;
  private blank = 0;
  private stopped = false;

  constructor(
    private readonly file: string,
    private readonly onLine: (buf: Uint8Array, start: number, end: number, line: number) => boolean,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  /** Lines seen so far, blank ones included. */
  get lines(): number { return this.line; }

  push(chunk: Uint8Array): boolean {
    let pos = 0;
    while (!this.stopped && pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        this.append(chunk, pos, chunk.length);
        break;
      }
      if (this.carryLength > 0) {
        this.append(chunk, pos, nl);
        const n = this.carryLength;
        this.carryLength = 0; // emit reads the carry before anything is appended again
        this.emit(this.carry, 0, n);
      } else {
        this.emit(chunk, pos, nl);
      }
      pos = nl + 1;
    }
    return !this.stopped;
  }

  /** Call when the stream ends: emits a last line without a newline. */
  end(): void {
    if (!this.stopped && this.carryLength > 0) {
      const n = this.carryLength;
      this.carryLength = 0;
      this.emit(this.carry, 0, n);
    }
  }

  private append(chunk: Uint8Array, start: number, end: number): void {
    const n = this.carryLength + (end - start);
    if (n > this.maxLineBytes) {
      throw new DataError(lineWhere(this.file, this.line + 1), `line longer than ${this.maxLineBytes} bytes (is this a SAT-6 CSV file?)`);
    }
    if (n > this.carry.length) {
      const bigger = new Uint8Array(Math.min(this.maxLineBytes, Math.max(n, 2 * this.carry.length)));
      bigger.set(this.carry.subarray(0, this.carryLength));
      this.carry = bigger;
    }
    this.carry.set(chunk.subarray(start, end), this.carryLength);
    this.carryLength = n;
  }

  private emit(buf: Uint8Array, start: number, end: number): void {
    const line = ++this.line;
    if (end - start > this.maxLineBytes) {
      throw new DataError(lineWhere(this.file, line), `line longer than ${this.maxLineBytes} bytes (is this a SAT-6 CSV file?)`);
    }
    if (end > start && buf[end - 1] === 13) end--;
    if (line === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    if (end === start) {
      if (this.blank === 0) this.blank = line;
      return;
    }
    if (this.blank !== 0) {
      throw new DataError(lineWhere(this.file, this.blank), `blank line before more rows (line ${line}); only trailing blank lines are allowed`);
    }
    if (!this.onLine(buf, start, end, line)) this.stopped = true;
  }
}

/** Receives the lines of a pixel file (X): up to `capacity` rows, then counts the rest when `countBeyond`. */
export class PixelRows {
  readonly pixels: Uint8Array;
  /** Rows parsed into `pixels`. */
  rows = 0;
  /** Further non-blank lines, counted but not parsed (only with countBeyond). */
  beyond = 0;

  constructor(readonly file: string, readonly capacity: number, readonly countBeyond: boolean) {
    this.pixels = new Uint8Array(capacity * SAT6_VALUES);
  }

  readonly onLine = (buf: Uint8Array, start: number, end: number, line: number): boolean => {
    if (this.rows < this.capacity) {
      parseByteRow(buf, start, end, this.pixels, this.rows * SAT6_VALUES, SAT6_VALUES, this.file, line);
      this.rows++;
      return this.rows < this.capacity || this.countBeyond;
    }
    this.beyond++;
    return true;
  };
}

/** Receives the lines of a label file (y): one class per one-hot row, at most `limit` rows. */
export class LabelRows {
  private data = new Uint8Array(1024);
  private readonly scratch = new Uint8Array(SAT6_CLASSES.length);
  rows = 0;

  constructor(readonly file: string, readonly limit = Infinity) {}

  get labels(): Uint8Array { return this.data.slice(0, this.rows); }

  readonly onLine = (buf: Uint8Array, start: number, end: number, line: number): boolean => {
    if (this.rows === this.data.length) {
      const bigger = new Uint8Array(2 * this.data.length);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.rows++] = parseOneHotRow(buf, start, end, this.scratch, this.file, line);
    return this.rows < this.limit;
  };
}

/**
 * Class names from the text of sat6annotations.csv: 6 lines "name,v1,...,v6" whose one-hot
 * values give the column of the name (the Kaggle layout), or 6 lines holding just a name, in
 * column order. Left: a DataError naming the file and line.
 */
export function parseAnnotations(text: string, file: string): E.Either<DataError, string[]> {
  const k = SAT6_CLASSES.length;
  const names: (string | undefined)[] = new Array<string | undefined>(k).fill(undefined);
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const fail = (message: string) => E.left(new DataError(lineWhere(file, i + 1), message));
    if (raw.trim() === "") return fail("blank line among the class names");
    const fields = raw.split(",").map((f) => f.trim());
    const name = fields[0]!;
    if (name === "") return fail("empty class name");
    let column = count;
    if (fields.length === k + 1) {
      const values = fields.slice(1);
      const ones = values.filter((v) => v === "1").length;
      if (ones !== 1 || values.some((v) => v !== "0" && v !== "1")) {
        return fail(`expected a class name and a one-hot row of ${k} values, found ${JSON.stringify(raw)}`);
      }
      column = values.indexOf("1");
    } else if (fields.length !== 1) {
      return fail(`expected "name" or "name" and ${k} one-hot values, found ${fields.length} fields`);
    }
    if (column >= k) return fail(`more than ${k} class names`);
    if (names[column] !== undefined) return fail(`two class names for column ${column + 1}: ${names[column]} and ${name}`);
    names[column] = name;
    count++;
  }
  if (count !== k) return E.left(new DataError(file, `expected ${k} class names, found ${count}`));
  return E.right(names as string[]);
}

/** Copies n samples from column-major [28, 28, 4, n] to HWC (src and dst may be the same array). */
export function colMajorToHwc(src: Uint8Array, dst: Uint8Array, n: number): void {
  const S = SAT6_SIDE, B = SAT6_BANDS, D = SAT6_VALUES;
  const scratch = new Uint8Array(D);
  for (let s = 0; s < n; s++) {
    const base = s * D;
    scratch.set(src.subarray(base, base + D));
    let f = 0;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < S; c++) {
        for (let r = 0; r < S; r++) dst[base + (r * S + c) * B + b] = scratch[f++]!;
      }
    }
  }
}

/** Copies n HWC samples to column-major [28, 28, 4, n] (the inverse of colMajorToHwc; for writers and tests). */
export function hwcToColMajor(src: Uint8Array, n: number): Uint8Array {
  const S = SAT6_SIDE, B = SAT6_BANDS, D = SAT6_VALUES;
  const out = new Uint8Array(n * D);
  for (let s = 0; s < n; s++) {
    let f = s * D;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < S; c++) {
        for (let r = 0; r < S; r++) out[f++] = src[s * D + (r * S + c) * B + b]!;
      }
    }
  }
  return out;
}

export interface Sat6MatOptions {
  /** Keep only the first `limit` samples of each split. */
  readonly limit?: number;
  /**
   * Convert the pixels in place in the parsed bytes when every sample is kept (saves a copy of
   * about 1 GB for the full file; the input bytes are overwritten). Default false: copy.
   */
  readonly inPlace?: boolean;
}

function fail(where: string, message: string): never {
  throw new DataError(where, message);
}

function variable(mat: MatFile, name: string, where: string): MatArray {
  const a = mat.variables.get(name);
  if (a) return a;
  const found = [...mat.variables.keys()];
  return fail(where, `missing variable ${name} (expected train_x, train_y, test_x, test_y); `
    + `found ${found.length === 0 ? "no variables" : found.join(", ")}`);
}

const dimsText = (a: MatArray): string => `[${a.dims.join(", ")}]`;

function sampleCount(x: MatArray, where: string): number {
  const d = x.dims;
  const isPatch = d[0] === SAT6_SIDE && d[1] === SAT6_SIDE && d[2] === SAT6_BANDS;
  if (isPatch && d.length === 4) return d[3]!;
  if (isPatch && d.length === 3) return 1; // MATLAB drops a trailing singleton dimension
  return fail(where, `${x.name}: expected dims [28, 28, 4, N], found ${dimsText(x)}`);
}

function pixelsOf(x: MatArray, n: number, keep: number, where: string, inPlace: boolean): Uint8Array {
  if (x.classId !== MX.UINT8 || x.complex) {
    fail(where, `${x.name}: expected a real uint8 array (class mxUINT8_CLASS = 9), found ${x.complex ? "complex " : ""}${x.className}`);
  }
  const real = x.real!;
  let src: Uint8Array;
  if (real.type === MI.UINT8) {
    src = real.bytes;
  } else {
    // Allowed by the format, not written by MATLAB: uint8 values stored in a wider type.
    const values = matNumbers(real);
    src = new Uint8Array(keep * SAT6_VALUES);
    for (let i = 0; i < src.length; i++) {
      const v = values[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) fail(where, `${x.name}: value ${i} is ${v}, expected an integer 0..255`);
      src[i] = v;
    }
    inPlace = true;
  }
  if (inPlace && keep === n) {
    colMajorToHwc(src, src, keep);
    return src.subarray(0, keep * SAT6_VALUES);
  }
  const out = new Uint8Array(keep * SAT6_VALUES);
  colMajorToHwc(src, out, keep);
  return out;
}

function labelsOf(y: MatArray, n: number, keep: number, where: string): Uint8Array {
  const k = SAT6_CLASSES.length;
  if (!isNumericClass(y.classId) || y.complex) {
    fail(where, `${y.name}: expected a real numeric array (double, single, uint8, ...), found ${y.complex ? "complex " : ""}${y.className}`);
  }
  const d = y.dims;
  if (d.length !== 2 || d[0] !== k) fail(where, `${y.name}: expected dims [6, N] (one-hot columns), found ${dimsText(y)}`);
  if (d[1] !== n) fail(where, `sample count mismatch: ${d[1]} labels in ${y.name} but ${n} patches in ${y.name.replace("_y", "_x")}`);
  const values = matNumbers(y.real!);
  const labels = new Uint8Array(keep);
  for (let s = 0; s < keep; s++) {
    let label = -1, ones = 0;
    for (let j = 0; j < k; j++) {
      const v = values[s * k + j]!;
      if (v === 1) { ones++; label = j; } else if (v !== 0) { ones = -1; break; }
    }
    if (ones !== 1) {
      fail(where, `${y.name}: column ${s + 1} is not one-hot (one 1, the rest 0): ${Array.from(values.subarray(s * k, s * k + k)).join(",")}`);
    }
    labels[s] = label;
  }
  return labels;
}

/**
 * Class names from the `annotations` variable when it can be read (a char matrix of 6 rows,
 * or a cell array holding 6 names and optionally their 6 one-hot vectors); else null.
 */
export function annotationNames(a: MatArray | undefined): string[] | null {
  if (!a) return null;
  const k = SAT6_CLASSES.length;
  try {
    const direct = matStrings(a);
    if (direct) return direct.length === k && direct.every((s) => s !== "") ? direct : null;
    if (!a.cells) return null;
    const names = a.cells.map(matStrings).filter((s): s is string[] => s !== null && s.length === 1).map((s) => s[0]!);
    if (names.length !== k || names.some((s) => s === "")) return null;
    const hots = a.cells.filter((c) => isNumericClass(c.classId) && c.real?.count === k).map((c) => Array.from(matNumbers(c.real!)));
    if (hots.length !== k) return names;
    const ordered = new Array<string>(k);
    for (let i = 0; i < k; i++) {
      const h = hots[i]!;
      const at = h.indexOf(1);
      if (at < 0 || h.some((v, j) => (j === at ? v !== 1 : v !== 0)) || ordered[at] !== undefined) return names;
      ordered[at] = names[i]!;
    }
    return ordered;
  } catch {
    return null;
  }
}

/** The variables MAT loaders need: pass them as parseMat's `names`. */
export const SAT6_MAT_VARIABLES: readonly string[] = ["train_x", "train_y", "test_x", "test_y", "annotations"];

/**
 * SAT-6 from a parsed `sat-6-full.mat`: train_x/test_x uint8 [28, 28, 4, N] become HWC
 * pixels, train_y/test_y [6, N] one-hot (any numeric class) become labels, `annotations`
 * gives the class names when readable (else SAT6_CLASSES). `where` names the file in errors.
 */
export function sat6FromMat(mat: MatFile, where: string, o: Sat6MatOptions = {}): E.Either<DataError, Dataset> {
  try {
    if (o.limit !== undefined && !(Number.isSafeInteger(o.limit) && o.limit >= 1)) fail(where, `limit must be a positive integer, got ${o.limit}`);
    const split = (prefix: "train" | "test"): Split => {
      const x = variable(mat, `${prefix}_x`, where), y = variable(mat, `${prefix}_y`, where);
      const n = sampleCount(x, where);
      const keep = Math.min(n, o.limit ?? n);
      const labels = labelsOf(y, n, keep, where);
      return { n: keep, pixels: pixelsOf(x, n, keep, where, o.inPlace ?? false), labels };
    };
    const train = split("train"), test = split("test");
    const classNames = annotationNames(mat.variables.get("annotations")) ?? SAT6_CLASSES;
    return E.right({ name: "sat6", imageShape: SAT6_IMAGE_SHAPE, train, test, classNames });
  } catch (e) {
    return E.left(e instanceof DataError ? e : new DataError(where, String(e)));
  }
}
