/**
 * The SAT-6 MAT release, runtime-neutral: the conversion of the variables of `sat-6-full.mat`
 * (see ./mat.ts) to a Dataset. Reading the file is in ./node/sat6.ts.
 *
 * Errors: sat6FromMat returns Either<DataError, Dataset>.
 *
 * MAT release: train_x / test_x uint8 [28, 28, 4, N] column-major, i.e. sample n at
 * index r + 28*(c + 28*(b + 4*n)); train_y / test_y [6, N] one-hot (any numeric class).
 */
import * as E from "fp-ts/lib/Either.js";
import type { Dataset, Split } from "./dataset.js";
import { DataError } from "./errors.js";
import { isNumericClass, matNumbers, matStrings, MI, MX, type MatArray, type MatFile } from "./mat.js";
import { SAT6_BANDS, SAT6_CLASSES, SAT6_IMAGE_SHAPE, SAT6_SIDE, SAT6_VALUES } from "./sat6-format.js";

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
