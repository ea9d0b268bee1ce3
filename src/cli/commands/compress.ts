/**
 * latent compress and latent decompress: test images to a model's quantised, range-coded codes in
 * a .latc file (src/apps/compress/format.ts), and back to images. compress decodes the quantised
 * codes itself and stores the CRC-32 of the images it expects; decompress recomputes it and says
 * whether its images are those bit for bit (they are on the same kernel build: --isa). Bad, truncated
 * or mismatched files are a DataError: one line, exit code 2, nothing written. Node only.
 *
 * Registered in src/cli/run.ts like the other command tables: `default:` looks the command up in
 * compressCommands too, and the help lists "  ${compressSummary}".
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { checkAgainstModel, compressCodes, decodeCodes, quantiserFor } from "../../apps/compress/codec.js";
import { decodeCompressed, MAX_COUNT, MAX_SYMBOLS } from "../../apps/compress/format.js";
import { displayOf, Distortion, forEachDecoded, referenceImages } from "../../apps/compress/images.js";
import { encodeNpyF32 } from "../../apps/compress/npy.js";
import { MAX_BITS } from "../../apps/compress/quantiser.js";
import { features } from "../../data/dataset.js";
import { splitRows } from "../../data/rows.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { encodeRows } from "../../models/batched.js";
import { tensor } from "../../tensor/tensor.js";
import { imageSheet } from "../../viz/figures/image-grids.js";
import type { ImageShape } from "../../viz/images.js";
import { writePng } from "../../viz/node/png.js";
import { int, intList, parse, str, UsageError } from "../args.js";
import { rightOrThrow } from "../errors.js";
import type { Io } from "../io.js";
import { hex, openData, openModel, readCompressed, testSamples } from "./compress-load.js";
import { writeRd } from "./compress-rd.js";

type Command = (argv: string[], io: Io) => Promise<void>;

/** Most float32 values decompress holds for a .npy (1 GiB). */
const MAX_NPY_VALUES = 2 ** 28;

export const compressHelp = `latent compress --model FILE --bits B --out codes.latc [--data mnist|fashion-mnist|DIR] [--n N] [--seed 1]
                [--rd DIR] [--rd-bits 2,3,4,5,6,7,8] [--pca-fit 5000] [--isa auto]
  Encodes n test images (default all; fewer are drawn at random by --seed, kept in split order) and stores
  their quantised codes, range-coded with one frequency table per dimension, in a .latc file.
  VAE: posterior means through the standard normal CDF into 2^B equiprobable bins of the prior, decoded at
  each bin's median under the prior. AE: 2^B equal bins per dimension over the range of the training codes,
  decoded at the bin centres. Prints the size in bits per image and the PSNR (dB, peak 1, on the data's
  scale) of the images latent decompress will give, which compress decodes itself (their CRC-32 is stored).
  --rd DIR   also the rate-distortion table at each of --rd-bits: bits per image (whole file, payload,
             coded stream, entropy) against PSNR for the model, PCA at the same budget (k components and
             bits chosen to fit, same coder) and the lossless PNG size of the same images: DIR/rd.json, DIR/rd.png.
             --out and --bits may then be left out. The PCA is fitted on --pca-fit training images, evenly
             spaced over the split; up to 64 components.`;

export const decompressHelp = `latent decompress --model FILE codes.latc [--out decoded.png | --out DIR] [--sheet 100] [--isa auto]
  Decodes a .latc file written by latent compress with the same model file (checked by its SHA-256).
  --out X.png writes a sheet of --sheet images, evenly spaced; --out DIR writes DIR/decoded.png and DIR/decoded.npy,
  every decoded image as float32 [n, height, width, channels] on the data's scale in [0, 1] (numpy.load).
  Says whether the images are bit-identical to those compress predicted.`;

/** latent --help's lines for the two commands, to be inserted as "  ${compressSummary}". */
export const compressSummary = `compress      test images to a model's quantised, range-coded codes (.latc); --rd DIR: rate-distortion table
  decompress    a .latc file back to images: a PNG sheet, and optionally every image as .npy`;

const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : String(v));

const compress: Command = async (argv, io) => {
  const { values } = parse(argv, {
    model: { type: "string" }, bits: { type: "string" }, out: { type: "string" }, data: { type: "string" }, sat6: { type: "string" },
    n: { type: "string" }, seed: { type: "string", default: "1" }, rd: { type: "string" }, "rd-bits": { type: "string", default: "2,3,4,5,6,7,8" },
    "pca-fit": { type: "string", default: "5000" },
    isa: { type: "string", default: "auto" },
  });
  if (values.help) { io.out(compressHelp); return; }
  const out = str(values, "out"), rdDir = str(values, "rd");
  if (!out && !rdDir) throw new UsageError("--out FILE (the compressed codes) or --rd DIR (the rate-distortion table) is required");
  if (out && values.bits === undefined) throw new UsageError("--bits B is required with --out (1 to 12 bits per code dimension)");
  const bits = out ? int(values, "bits", 1, MAX_BITS) : 0;
  const rdBits = rdDir ? intList(values, "rd-bits", 1) : [];
  if (rdDir && (rdBits.length === 0 || rdBits.some((b) => b > MAX_BITS))) throw new UsageError(`--rd-bits must list depths in [1, ${MAX_BITS}], got "${values["rd-bits"]}"`);
  const pcaFit = int(values, "pca-fit", 1);
  const seed = int(values, "seed", 0);
  const asked = values.n === undefined ? MAX_COUNT : int(values, "n", 1, MAX_COUNT);
  const m = await openModel(values);
  const { model, params } = m.file;
  const { ds, spec } = await openData(values, m, model.spec.kind === "ae" || rdDir !== undefined);
  const n = Math.min(asked, ds.test.n);
  if (values.n !== undefined && n < asked) io.out(`note: --n ${asked} is more than the ${ds.test.n} test images of ${spec}; compressing ${n}`);
  if (out && n * model.spec.latent > MAX_SYMBOLS) throw new UsageError(`${n} codes of ${model.spec.latent} exceed the format's ${MAX_SYMBOLS} symbols: use a smaller --n`);
  const idx = testSamples(ds, n, seed);
  const d = features(ds);
  const codes = encodeRows(model, params, splitRows(ds.test, d, m.norm, idx ?? undefined)).mean.data;
  const quantiser = quantiserFor(model, () => encodeRows(model, params, splitRows(ds.train, d, m.norm)).mean.data);

  if (out) {
    const quantised = new Distortion(), plain = new Distortion();
    const measure = (dist: Distortion) => (start: number, outputs: Float32Array) =>
      dist.add(referenceImages(ds.test, d, idx, start, outputs.length / d), displayOf(m.norm, outputs));
    const r = compressCodes(model, params, codes, { bits, quantiser, modelHash: m.hash, onImages: measure(quantised) });
    forEachDecoded(model, params, codes, measure(plain));
    await writeFileAtomic(out, r.bytes, { validate: (b) => decodeCompressed(b, out) });
    const s = r.sizes, per = (bytes: number) => f1((8 * bytes) / n);
    io.out(`wrote ${out}: ${n} codes of ${model.spec.latent} dimensions at ${bits} bits (${quantiser.kind} quantiser), ${s.total} bytes = `
      + `${per(s.total)} bits/image (payload ${per(s.tables + s.stream)}, coded stream ${per(s.stream)}); `
      + `PSNR ${f1(quantised.psnr)} dB (unquantised ${f1(plain.psnr)} dB); predicted images CRC-32 ${r.imagesCrc.toString(16).padStart(8, "0")}`);
  }
  if (rdDir) {
    await writeRd(rdDir, { model, params, norm: m.norm, imageShape: m.imageShape, modelHash: m.hash, test: ds.test, ...(idx ? { testIndices: idx } : {}), train: ds.train, quantiser },
      { bits: rdBits, pcaFitSamples: pcaFit }, { model: m.path, modelSha256: hex(m.hash), data: spec, seed }, io);
  }
};

const decompress: Command = async (argv, io) => {
  const { values, positionals } = parse(argv, {
    model: { type: "string" }, out: { type: "string", default: "decoded.png" }, sheet: { type: "string", default: "100" }, isa: { type: "string", default: "auto" },
  }, true);
  if (values.help) { io.out(decompressHelp); return; }
  if (positionals.length !== 1) throw new UsageError(`expected one compressed file (latent decompress --model FILE codes.latc), got ${positionals.length}`);
  const path = positionals[0]!;
  const out = str(values, "out")!;
  const sheetMax = int(values, "sheet", 1, 10_000);
  const toDir = !out.toLowerCase().endsWith(".png");
  const file = await readCompressed(path);
  const m = await openModel(values);
  rightOrThrow(checkAgainstModel(file, m.file.model, m.hash, path));
  if (file.count === 0) { io.out(`${path} holds no images; nothing written`); return; }
  const d = m.file.spec.input, shown = Math.min(sheetMax, file.count);
  if (toDir && file.count * d > MAX_NPY_VALUES) throw new UsageError(`${file.count} images of ${d} values are more than the ${MAX_NPY_VALUES} a .npy is written with: use --out X.png for the sheet alone`);
  // The sheet shows evenly spaced images (a split may be sorted by class).
  const sheetRow = (i: number) => Math.floor((i * file.count) / shown);
  const sheet = new Float32Array(shown * d);
  const all = toDir ? new Float32Array(file.count * d) : null;
  const { crc, matches } = decodeCodes(m.file.model, m.file.params, file, (start, outputs) => {
    const images = displayOf(m.norm, outputs);
    all?.set(images, start * d);
    for (let i = 0; i < shown; i++) {
      const at = sheetRow(i) - start;
      if (at >= 0 && at * d < images.length) sheet.set(images.subarray(at * d, (at + 1) * d), i * d);
    }
  });
  const picture = imageSheet(tensor(sheet, [shown, d]), { imageShape: m.imageShape as ImageShape, scale: 2,
    title: `${shown} of ${file.count} images (evenly spaced), from ${file.latent} x ${file.bits}-bit codes` });
  const written: string[] = [];
  if (all) {
    await mkdir(out, { recursive: true });
    const npy = join(out, "decoded.npy");
    await writeFileAtomic(npy, encodeNpyF32(all, [file.count, ...m.imageShape]));
    written.push(npy);
  }
  const png = toDir ? join(out, "decoded.png") : out;
  await writePng(png, picture);
  written.unshift(png);
  const hexCrc = (v: number) => v.toString(16).padStart(8, "0");
  io.out(`wrote ${written.join(", ")}: ${file.count} images (${shown} in the sheet); `
    + (matches ? `bit-identical to compress's prediction (CRC-32 ${hexCrc(crc)})`
      : `note: not the images compress predicted (CRC-32 ${hexCrc(crc)}, expected ${hexCrc(file.imagesCrc)}): another kernel build (--isa)?`));
};

export const compressCommands: Record<string, Command> = { compress, decompress };
