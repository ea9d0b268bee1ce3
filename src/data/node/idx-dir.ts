/**
 * A directory in the layout of MNIST and Fashion-MNIST: four IDX files, each raw or gzip
 * (recognised by its magic bytes; the `.gz` name is only where we look):
 *   train-images-idx3-ubyte[.gz]  ubyte [n, rows, cols]   the train split
 *   train-labels-idx1-ubyte[.gz]  ubyte [n]               its labels
 *   t10k-images-idx3-ubyte[.gz]   ubyte [m, rows, cols]   the test split
 *   t10k-labels-idx1-ubyte[.gz]   ubyte [m]               its labels
 * Images become uint8 HWC samples of shape [rows, cols, 1]; the pixels are views into the
 * decompressed files (no copy), which are streamed from disk (./gzip.ts); a gzip file's IDX
 * header is read first, and a declared size beyond the limits is refused before the rest is
 * inflated. Node only.
 */
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import type { Dataset, Split } from "../dataset.js";
import { DataError } from "../errors.js";
import { idxDeclaredBytes, parseIdx } from "../idx.js";
import { readMaybeGzipped, type SizeLimit } from "./gzip.js";

/** Where Debian's package `dataset-fashion-mnist` installs the data. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
];
export const MNIST_CLASSES: readonly string[] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** Class names of the data sets known by name, else undefined (labels stay bare numbers). */
export function classNamesFor(name: string): readonly string[] | undefined {
  if (name === "fashion-mnist") return FASHION_MNIST_CLASSES;
  if (name === "mnist") return MNIST_CLASSES;
  return undefined;
}

/** The four file names, without `.gz`. */
export const IDX_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

type Role = keyof typeof IDX_FILES;
const ROLES = Object.keys(IDX_FILES) as Role[];

/** True when the directory holds at least one of the four files (raw or .gz). */
export async function looksLikeIdxDir(dir: string): Promise<boolean> {
  try {
    const names = new Set(await readdir(dir));
    return ROLES.some((r) => names.has(IDX_FILES[r]) || names.has(`${IDX_FILES[r]}.gz`));
  } catch {
    return false;
  }
}

function unwrap<A>(e: E.Either<DataError, A>): A {
  if (E.isLeft(e)) throw e.left;
  return e.right;
}

/** Finds each file, the raw name first, then `.gz`; names every missing one. */
async function locate(dir: string): Promise<Record<Role, string>> {
  let names: Set<string>;
  try {
    names = new Set(await readdir(dir));
  } catch (e) {
    throw new DataError(dir, `cannot list the directory (expected the four MNIST-style IDX files in it): ${String(e)}`);
  }
  const found: Partial<Record<Role, string>> = {};
  const missing: string[] = [];
  for (const role of ROLES) {
    const base = IDX_FILES[role];
    const name = [base, `${base}.gz`].find((n) => names.has(n));
    if (name === undefined) missing.push(`${base} (looked for ${base} and ${base}.gz)`);
    else found[role] = join(dir, name);
  }
  if (missing.length > 0) throw new DataError(dir, `missing IDX file${missing.length > 1 ? "s" : ""}: ${missing.join("; ")}`);
  return found as Record<Role, string>;
}

async function readSplit(images: string, labels: string, o: SizeLimit): Promise<{ split: Split; rows: number; cols: number }> {
  const [imgBytes, lblBytes] = await Promise.all([images, labels].map(async (p) => unwrap(await readMaybeGzipped(p, { ...o, declaredSize: idxDeclaredBytes })())));
  const img = unwrap(parseIdx(imgBytes!, images));
  const lbl = unwrap(parseIdx(lblBytes!, labels));
  if (img.dtype !== "ubyte" || img.dims.length !== 3) {
    throw new DataError(images, `expected images as ubyte [n, rows, cols], found ${img.dtype} [${img.dims.join(", ")}]`);
  }
  if (lbl.dtype !== "ubyte" || lbl.dims.length !== 1) {
    throw new DataError(labels, `expected labels as ubyte [n], found ${lbl.dtype} [${lbl.dims.join(", ")}]`);
  }
  const [n, rows, cols] = img.dims as [number, number, number];
  if (lbl.dims[0] !== n) {
    throw new DataError(labels, `label count mismatch: ${lbl.dims[0]} labels in ${labels} but ${n} images in ${images}`);
  }
  return { split: { n, pixels: img.data, labels: lbl.data }, rows, cols };
}

function checkLabels(split: Split, classes: readonly string[], file: string): void {
  const labels = split.labels!;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= classes.length) throw new DataError(file, `label ${i} is ${labels[i]}, expected a class below ${classes.length}`);
  }
}

export interface IdxDirOptions extends SizeLimit {
  /** Read only the test files (the train split comes back empty), for commands that evaluate a model. */
  readonly skipTrain?: boolean;
}

/**
 * Loads the four IDX files of `dir`. `name` (default: the directory's base name) names the
 * data set; "fashion-mnist" and "mnist" also give class names, and their labels are checked.
 */
export function loadIdxDir(dir: string, name: string = basename(dir), o: IdxDirOptions = {}): TE.TaskEither<DataError, Dataset> {
  return TE.tryCatch(async () => {
    const files = await locate(dir);
    const test = await readSplit(files.testImages, files.testLabels, o);
    // One after the other: each file is streamed into its own buffer, and two at once would only add their peaks.
    const train = o.skipTrain
      ? { split: { n: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) }, rows: test.rows, cols: test.cols }
      : await readSplit(files.trainImages, files.trainLabels, o);
    if (train.rows !== test.rows || train.cols !== test.cols) {
      throw new DataError(dir, `image size mismatch: ${files.trainImages} has ${train.rows}x${train.cols} images, `
        + `${files.testImages} has ${test.rows}x${test.cols}`);
    }
    const classNames = classNamesFor(name);
    if (classNames) {
      checkLabels(train.split, classNames, files.trainLabels);
      checkLabels(test.split, classNames, files.testLabels);
    }
    const ds: Dataset = { name, imageShape: [train.rows, train.cols, 1], train: train.split, test: test.split };
    return classNames ? { ...ds, classNames } : ds;
  }, (e) => e instanceof DataError ? e : new DataError(dir, String(e)));
}
