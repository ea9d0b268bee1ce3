/**
 * A folder of PNG images as a Dataset. Node only (node:fs; decoding with pngjs).
 *
 * Layouts (sub-folders and files starting with "." are ignored, as are non-.png files):
 *   dir/*.png                      unlabelled images
 *   dir/<label>/*.png              one sub-folder per label; sorted label names -> classNames
 *   dir/train/..., dir/test/...    the split given by the folders, each in one of the above
 *                                  layouts (labels: the sorted union of both label sets)
 * Order: names sorted by UTF-16 code units (locale-independent), labels first, then files.
 * Split, when no train/ and test/ are given: within each folder, file i (in sorted order) is a
 * test sample when floor((i + 1) f) > floor(i f) for f = testFraction (default 0.2), i.e.
 * every (1/f)-th file; for f = 1/k exactly the files with i % k == k - 1 (as for MNIST).
 *
 * Pixels: uint8, HWC (row-major, channels last). Channels come from the PNG colour type of
 * the first image: grey and grey + alpha -> 1 (alpha dropped), RGB and palette -> 3 (palette
 * expanded, palette alpha dropped), RGBA -> 4 (alpha kept as the 4th band, e.g. NIR in
 * satellite patches). 16-bit and sub-byte samples are scaled to 8 bits (round(v * 255 / max)).
 * Every image must have the height, width and channel count of the first: nothing is resized.
 * Headers are checked (readPngHeader) and file sizes capped before pngjs decodes anything.
 */
import { constants as bufferConstants } from "node:buffer";
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { PNG } from "pngjs";
import type { Dataset, Split } from "../dataset.js";
import { DataError } from "../errors.js";
import { pngChannels, readPngHeader, type PngLimits } from "../png-header.js";

export interface PngFolderOptions extends PngLimits {
  /** Share of each folder's files put in the test split, in [0, 1); default 0.2. */
  readonly testFraction?: number;
  /** Largest PNG file read, in bytes; default 64 MiB. */
  readonly maxFileBytes?: number;
  /** The data set's name; default the folder's base name. */
  readonly name?: string;
}

export const DEFAULT_MAX_PNG_BYTES = 64 * 2 ** 20;

/** Files of one folder: unlabelled, or grouped by label sub-folder. */
type Group =
  | { readonly kind: "flat"; readonly files: string[] }
  | { readonly kind: "labelled"; readonly classes: { readonly name: string; readonly files: string[] }[] };

interface Sample { readonly path: string; readonly label: number | null }

const isPng = (name: string): boolean => name.toLowerCase().endsWith(".png");
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

async function entries(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  let list: Dirent[];
  try {
    list = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new DataError(dir, `cannot list the folder (expected PNG files or one sub-folder per label): ${String(e)}`);
  }
  const files: string[] = [], dirs: string[] = [];
  for (const d of list) {
    if (d.name.startsWith(".")) continue;
    let isDir = d.isDirectory(), isFile = d.isFile();
    if (d.isSymbolicLink()) {
      const s = await stat(join(dir, d.name)).catch(() => null);
      isDir = s?.isDirectory() ?? false;
      isFile = s?.isFile() ?? false;
    }
    if (isDir) dirs.push(d.name);
    else if (isFile && isPng(d.name)) files.push(d.name);
  }
  return { files: files.sort(byCodeUnits), dirs: dirs.sort(byCodeUnits) };
}

async function scanGroup(dir: string): Promise<Group> {
  const { files, dirs } = await entries(dir);
  if (dirs.length === 0) {
    if (files.length === 0) throw new DataError(dir, "no .png files and no label sub-folders found");
    return { kind: "flat", files: files.map((f) => join(dir, f)) };
  }
  if (files.length > 0) {
    throw new DataError(dir, `found both .png files (${files[0]}, ...) and sub-folders (${dirs[0]}, ...): `
      + "expected either PNG files or one sub-folder per label");
  }
  const classes = [];
  for (const name of dirs) {
    const sub = join(dir, name);
    const inner = await entries(sub);
    if (inner.files.length === 0) throw new DataError(sub, "label folder holds no .png files");
    classes.push({ name, files: inner.files.map((f) => join(sub, f)) });
  }
  return { kind: "labelled", classes };
}

/** True when file i of a folder belongs to the test split (see the header comment). */
export function isTestIndex(i: number, testFraction: number): boolean {
  const eps = 1e-9; // so that e.g. 0.2 * 15 counts as 3 despite rounding
  return Math.floor((i + 1) * testFraction + eps) > Math.floor(i * testFraction + eps);
}

function samplesOf(g: Group, classIndex: Map<string, number>): Sample[] {
  if (g.kind === "flat") return g.files.map((path) => ({ path, label: null }));
  return g.classes.flatMap((c) => c.files.map((path) => ({ path, label: classIndex.get(c.name)! })));
}

/** The train and test samples and the class names (undefined when unlabelled). */
async function layout(dir: string, testFraction: number): Promise<{ train: Sample[]; test: Sample[]; classNames?: string[] }> {
  const top = await entries(dir);
  if (top.dirs.includes("train") && top.dirs.includes("test")) {
    const train = await scanGroup(join(dir, "train")), test = await scanGroup(join(dir, "test"));
    if (train.kind !== test.kind) {
      throw new DataError(dir, `train/ is ${train.kind} but test/ is ${test.kind}: both need label sub-folders or neither`);
    }
    if (train.kind === "flat" || test.kind === "flat") return { train: samplesOf(train, new Map()), test: samplesOf(test, new Map()) };
    const classNames = [...new Set([...train.classes, ...test.classes].map((c) => c.name))].sort(byCodeUnits);
    const index = new Map(classNames.map((n, i) => [n, i]));
    return { train: samplesOf(train, index), test: samplesOf(test, index), classNames };
  }
  const g = await scanGroup(dir);
  const folders = g.kind === "flat" ? [g.files] : g.classes.map((c) => c.files);
  const classNames = g.kind === "flat" ? undefined : g.classes.map((c) => c.name);
  const train: Sample[] = [], test: Sample[] = [];
  folders.forEach((files, label) => files.forEach((path, i) => {
    (isTestIndex(i, testFraction) ? test : train).push({ path, label: classNames ? label : null });
  }));
  return classNames ? { train, test, classNames } : { train, test };
}

const shapeText = (h: number, w: number, c: number): string => `${h}x${w}x${c} (height x width x channels)`;

async function readPngBytes(path: string, maxFileBytes: number): Promise<Uint8Array> {
  const s = await stat(path);
  if (s.size > maxFileBytes) throw new DataError(path, `file is ${s.size} bytes, more than the limit of ${maxFileBytes} bytes (maxFileBytes)`);
  return readFile(path);
}

async function load(dir: string, o: PngFolderOptions): Promise<Dataset> {
  const testFraction = o.testFraction ?? 0.2;
  const maxFileBytes = o.maxFileBytes ?? DEFAULT_MAX_PNG_BYTES;
  if (!(testFraction >= 0 && testFraction < 1)) throw new DataError(dir, `testFraction must be in [0, 1), got ${testFraction}`);
  if (!(maxFileBytes >= 1)) throw new DataError(dir, `maxFileBytes must be at least 1, got ${maxFileBytes}`);
  const { train, test, classNames } = await layout(dir, testFraction);
  if (classNames && classNames.length > 256) throw new DataError(dir, `${classNames.length} label folders, at most 256 supported (labels are uint8)`);

  let first: { path: string; h: number; w: number; c: number } | null = null;
  const out: { train: Uint8Array; test: Uint8Array } = { train: new Uint8Array(0), test: new Uint8Array(0) };
  for (const [which, samples] of [["train", train], ["test", test]] as const) {
    for (let s = 0; s < samples.length; s++) {
      const { path } = samples[s]!;
      const bytes = await readPngBytes(path, maxFileBytes);
      const header = readPngHeader(bytes, path, o);
      if (E.isLeft(header)) throw header.left;
      const { width: w, height: h, colorType } = header.right;
      const c = pngChannels(colorType);
      if (first === null) {
        first = { path, h, w, c };
        out.train = allocate(train.length, h, w, c, dir);
        out.test = allocate(test.length, h, w, c, dir);
      } else if (h !== first.h || w !== first.w || c !== first.c) {
        throw new DataError(path, `image is ${shapeText(h, w, c)} but the first image, ${first.path}, is ${shapeText(first.h, first.w, first.c)}`);
      }
      decodeInto(bytes, path, h, w, c, out[which], s * h * w * c);
    }
  }
  const split = (samples: Sample[], pixels: Uint8Array): Split =>
    ({ n: samples.length, pixels, labels: classNames ? Uint8Array.from(samples, (x) => x.label!) : null });
  const f = first!; // layout() guarantees at least one file
  const ds: Dataset = { name: o.name ?? basename(dir), imageShape: [f.h, f.w, f.c], train: split(train, out.train), test: split(test, out.test) };
  return classNames ? { ...ds, classNames } : ds;
}

/** The pixels of n images, or a DataError when they cannot fit in one typed array. */
function allocate(n: number, h: number, w: number, c: number, dir: string): Uint8Array {
  const bytes = n * h * w * c;
  if (bytes > bufferConstants.MAX_LENGTH) {
    throw new DataError(dir, `${n} images of ${shapeText(h, w, c)} need ${bytes} bytes, more than the ${bufferConstants.MAX_LENGTH} one split can hold`);
  }
  return new Uint8Array(bytes);
}

/** Decodes with pngjs (always 8-bit RGBA out) and keeps the first c bands, HWC, at `at`. */
function decodeInto(bytes: Uint8Array, path: string, h: number, w: number, c: number, dst: Uint8Array, at: number): void {
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DataError(path, `cannot decode the PNG: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (png.width !== w || png.height !== h || png.data.length !== w * h * 4) {
    throw new DataError(path, `decoder returned ${png.width}x${png.height} with ${png.data.length} bytes, expected ${w}x${h} RGBA (${w * h * 4} bytes)`);
  }
  const src = png.data;
  if (c === 4) { dst.set(src, at); return; }
  for (let p = 0, q = at; p < src.length; p += 4, q += c) {
    for (let k = 0; k < c; k++) dst[q + k] = src[p + k]!;
  }
}

/** Loads a folder of PNGs (layouts and conventions in the header comment). */
export function loadPngFolder(dir: string, o: PngFolderOptions = {}): TE.TaskEither<DataError, Dataset> {
  return TE.tryCatch(() => load(dir, o), (e) => e instanceof DataError ? e : new DataError(dir, String(e)));
}

/** True when the folder, a sub-folder, or train/<label>/ holds a .png file (never rejects). */
export async function looksLikePngFolder(dir: string): Promise<boolean> {
  try {
    const top = await entries(dir);
    if (top.files.length > 0) return true;
    for (const d of top.dirs) {
      const inner = await entries(join(dir, d));
      if (inner.files.length > 0) return true;
      if (d === "train" && inner.dirs.length > 0 && (await entries(join(dir, d, inner.dirs[0]!))).files.length > 0) return true;
    }
    return false;
  } catch {
    return false;
  }
}
