/**
 * The SAT-6 CSV release, runtime-neutral: a streaming line splitter, byte-level CSV row
 * parsers, and the class names of sat6annotations.csv. Reading the files is in ./node/sat6.ts.
 *
 * Errors: parseAnnotations returns Either<DataError, _>. The per-row parsers and the line
 * splitter throw DataError instead, because they run once per row inside the CSV loader's loop;
 * they are not exported from the package, and the loader's entry (loadSat6Csv in
 * ./node/sat6.ts) turns what they throw into its Left.
 *
 * CSV release (Kaggle): rows of 3136 integers 0..255 in (row, col, band) order,
 * index = (r*28 + c)*4 + b, which is HWC with C = 4, so a row copies straight into the pixels;
 * label files hold one-hot rows of 6 columns; sat6annotations.csv names the columns.
 */
import * as E from "fp-ts/lib/Either.js";
import { DataError } from "./errors.js";
import { MAX_CSV_LINE_BYTES } from "./limits.js";
import { SAT6_CLASSES, SAT6_VALUES } from "./sat6-format.js";

/** Longest line accepted (MAX_CSV_LINE_BYTES): a pixel row is at most 3136 * 4 - 1 bytes; this leaves room for spaces. */
export const MAX_LINE_BYTES = MAX_CSV_LINE_BYTES;

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

  private tooLong(line: number, found: number): DataError {
    return new DataError(lineWhere(this.file, line), `line longer than ${this.maxLineBytes} bytes (MAX_CSV_LINE_BYTES; is this a SAT-6 CSV file?)`,
      { name: "MAX_CSV_LINE_BYTES", max: this.maxLineBytes, found });
  }

  private append(chunk: Uint8Array, start: number, end: number): void {
    const n = this.carryLength + (end - start);
    if (n > this.maxLineBytes) throw this.tooLong(this.line + 1, n);
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
    if (end - start > this.maxLineBytes) throw this.tooLong(line, end - start);
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
