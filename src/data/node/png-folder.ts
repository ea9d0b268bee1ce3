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
 * Headers are checked (readPngHeader) and file sizes capped before pngjs decodes anything; the
 * image data an image needs is held to MAX_INFLATE_RATIO times its file's size (beyond 16 MiB),
 * an interlaced image's data (which pngjs inflates without a cap) is inflated once with its
 * exact size as the cap, and a split's pixels to maxBytes (default MAX_DATA_BYTES), checked
 * before the split is allocated, which happens once the first image has decoded.
 */
import { constants as bufferConstants } from "node:buffer";
import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { inflateSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { PNG } from "pngjs";
import type { Dataset, Split } from "../dataset.js";
import { DataError } from "../errors.js";
import { allowanceLimit, inflateAllowance, MAX_DATA_BYTES, MAX_PNG_FILE_BYTES } from "../limits.js";
import { pngChannels, pngDataBytes, readPngHeader, type PngHeader, type PngLimits } from "../png-header.js";

export interface PngFolderOptions extends PngLimits {
  /** Share of each folder's files put in the test split, in [0, 1); default 0.2. */
  readonly testFraction?: number;
  /** Largest PNG file read, in bytes; default MAX_PNG_FILE_BYTES (64 MiB). */
  readonly maxFileBytes?: number;
  /** Largest pixels of one split, in bytes; default MAX_DATA_BYTES (1 GiB). */
  readonly maxBytes?: number;
  /** The data set's name; default the folder's base name. */
  readonly name?: string;
}

export const DEFAULT_MAX_PNG_BYTES = MAX_PNG_FILE_BYTES;

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
  if (s.size > maxFileBytes) {
    throw new DataError(path, `file is ${s.size} bytes, more than the limit of ${maxFileBytes} bytes (maxFileBytes, MAX_PNG_FILE_BYTES)`,
      { name: "MAX_PNG_FILE_BYTES", max: maxFileBytes, found: s.size });
  }
  return readFile(path);
}

/** The concatenated data of the IDAT chunks (pngjs checks the chunks' CRCs and order when it decodes). */
function imageData(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 12 <= bytes.length;) {
    const length = view.getUint32(at, false);
    const end = Math.min(bytes.length, at + 8 + length);
    if (bytes[at + 4] === 0x49 && bytes[at + 5] === 0x44 && bytes[at + 6] === 0x41 && bytes[at + 7] === 0x54) parts.push(bytes.subarray(at + 8, end));
    at = end + 4;
  }
  return Buffer.concat(parts);
}

/**
 * Refuses an image whose data would inflate beyond MAX_INFLATE_RATIO and, when interlaced, whose
 * image data inflates to more than its header needs (pngjs would inflate all of it).
 */
export function checkImageData(bytes: Uint8Array, header: PngHeader, path: string): void {
  const need = pngDataBytes(header);
  const allowed = inflateAllowance(bytes.length, MAX_DATA_BYTES);
  if (need > allowed) {
    throw new DataError(path, `a ${header.width}x${header.height} image needs ${need} bytes of image data, more than the ${allowed} `
      + `allowed for a ${bytes.length}-byte file (MAX_INFLATE_RATIO)`, allowanceLimit(bytes.length, MAX_DATA_BYTES, need));
  }
  if (!header.interlaced) return;
  try {
    inflateSync(imageData(bytes), { maxOutputLength: need });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ERR_BUFFER_TOO_LARGE") return; // corrupt or short: pngjs says which
    throw new DataError(path, `the interlaced image data inflates to more than the ${need} bytes a ${header.width}x${header.height} image needs`);
  }
}

async function load(dir: string, o: PngFolderOptions): Promise<Dataset> {
  const testFraction = o.testFraction ?? 0.2;
  const maxFileBytes = o.maxFileBytes ?? DEFAULT_MAX_PNG_BYTES;
  if (!(testFraction >= 0 && testFraction < 1)) throw new DataError(dir, `testFraction must be in [0, 1), got ${testFraction}`);
  const maxBytes = o.maxBytes ?? MAX_DATA_BYTES;
  if (!(maxFileBytes >= 1)) throw new DataError(dir, `maxFileBytes must be at least 1, got ${maxFileBytes}`);
  if (!(maxBytes >= 1)) throw new DataError(dir, `maxBytes must be at least 1, got ${maxBytes}`);
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
      if (first !== null && (h !== first.h || w !== first.w || c !== first.c)) {
        throw new DataError(path, `image is ${shapeText(h, w, c)} but the first image, ${first.path}, is ${shapeText(first.h, first.w, first.c)}`);
      }
      checkImageData(bytes, header.right, path);
      const rgba = decode(bytes, path, h, w);
      if (first === null) {
        first = { path, h, w, c };
        out.train = allocate(train.length, h, w, c, dir, maxBytes);
        out.test = allocate(test.length, h, w, c, dir, maxBytes);
      }
      keepBands(rgba, c, out[which], s * h * w * c);
    }
  }
  const split = (samples: Sample[], pixels: Uint8Array): Split =>
    ({ n: samples.length, pixels, labels: classNames ? Uint8Array.from(samples, (x) => x.label!) : null });
  const f = first!; // layout() guarantees at least one file
  const ds: Dataset = { name: o.name ?? basename(dir), imageShape: [f.h, f.w, f.c], train: split(train, out.train), test: split(test, out.test) };
  return classNames ? { ...ds, classNames } : ds;
}

/** The pixels of n images, or a DataError when they pass maxBytes or cannot fit in one typed array. */
function allocate(n: number, h: number, w: number, c: number, dir: string, maxBytes: number): Uint8Array {
  const bytes = n * h * w * c;
  const max = Math.min(maxBytes, bufferConstants.MAX_LENGTH);
  if (bytes > max) {
    throw new DataError(dir, `${n} images of ${shapeText(h, w, c)} need ${bytes} bytes, more than the ${max} one split may hold `
      + "(maxBytes, MAX_DATA_BYTES)", { name: "MAX_DATA_BYTES", max, found: bytes });
  }
  return new Uint8Array(bytes);
}

/** Decodes with pngjs: always 8-bit RGBA out, h x w checked. */
function decode(bytes: Uint8Array, path: string, h: number, w: number): Uint8Array {
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new DataError(path, `cannot decode the PNG: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (png.width !== w || png.height !== h || png.data.length !== w * h * 4) {
    throw new DataError(path, `decoder returned ${png.width}x${png.height} with ${png.data.length} bytes, expected ${w}x${h} RGBA (${w * h * 4} bytes)`);
  }
  return png.data;
}

/** Keeps the first c bands of RGBA pixels, HWC, at `at`. */
function keepBands(src: Uint8Array, c: number, dst: Uint8Array, at: number): void {
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
