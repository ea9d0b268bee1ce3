/**
 * latent sparse: how sparse a model's code is, and what its first layer has learned.
 * Filters: the rows of the encoder's first dense layer (the weights into each code unit when
 * that layer is an AE's whole encoder, e.g. --hidden none; else the first hidden layer's units),
 * each drawn as an image normalised on its own (src/apps/sparse.ts). Activity: the codes (AE)
 * or posterior means (VAE) of n test images drawn by --seed, with the share of near-zero
 * activations (|a| < eps, and |a| < eps times the unit's largest |a|) and each unit's mean
 * activation, also as a histogram (src/viz/figures/histogram.ts).
 * Writes DIR/sparse-filters.png, DIR/sparse-activation.png and DIR/sparse.json, only once
 * everything is computed.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { codeActivity, type FilterStyle } from "../../apps/sparse.js";
import { pickSamples } from "../../data/dataset.js";
import { splitRows } from "../../data/rows.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
import { encodeRows } from "../../models/batched.js";
import { key } from "../../random/index.js";
import type { ImageShape } from "../../viz/images.js";
import { writePng } from "../../viz/node/png.js";
import { int, num, oneOf, parse, str, UsageError } from "../args.js";
import type { Io } from "../io.js";
import { appOptions, openModelAndData } from "./denoise.js";
import { activationHistogram, filterPicture } from "./sparse-pictures.js";
import { sigmoidCode, storedPenalty } from "./train-apps.js";

type Command = (argv: string[], io: Io) => Promise<void>;

/** Filters shown at most by default. */
const DEFAULT_UNITS = 400;

export const sparseHelp = `latent sparse --model FILE [--data mnist|fashion-mnist|sat6|DIR] [--n 10000] [--eps 0.01] [--style diverging|grey]
              [--units ${DEFAULT_UNITS}] [--bins 30] [--seed 1] [--out sparse]
  The encoder's first dense layer as images, one per unit (its row of weights; the weights into each code unit
  when that layer is an AE's whole encoder, e.g. trained with --hidden none), each normalised on its own:
  diverging (blue < 0 < red, scaled by the row's max |w|; one-band images) or grey (the row's min to max).
  The codes (AE) or posterior means (VAE) of n test images drawn by --seed: the share of near-zero activations,
  |a| < eps (absolute) and |a| < eps * the unit's max |a| (relative), and each unit's mean activation.
  Writes DIR/sparse-filters.png (the first --units units), DIR/sparse-activation.png (a histogram of the units'
  mean activations) and DIR/sparse.json.`;

/** One line for the list of commands. */
export const sparseSummary = "sparse        a code's sparsity (near-zero activations, mean activation per unit) and the encoder's filters as images";

const sparse: Command = async (argv, io) => {
  const { values } = parse(argv, {
    ...appOptions, n: { type: "string", default: "10000" }, eps: { type: "string", default: "0.01" },
    style: { type: "string" }, units: { type: "string" }, bins: { type: "string", default: "30" }, out: { type: "string", default: "sparse" },
  });
  if (values.help) { io.out(sparseHelp); return; }
  const asked = int(values, "n", 1);
  const eps = num(values, "eps", 0, Infinity, true);
  const bins = int(values, "bins", 1, 1000);
  const seed = int(values, "seed", 0);
  const out = str(values, "out")!;
  const { path, file, norm, ds, spec, d } = await openModelAndData(values);
  const shape = ds.imageShape as ImageShape;
  const style = values.style === undefined ? (shape[2] === 1 ? "diverging" : "grey") : oneOf(values, "style", ["diverging", "grey"] as const) as FilterStyle;
  if (style === "diverging" && shape[2] !== 1) throw new UsageError(`--style diverging needs one-band images; ${spec} has ${shape[2]} bands (use --style grey)`);
  if (ds.test.n === 0) throw new UsageError(`--data ${spec} has no test images to encode`);
  const model = file.model, L = model.spec.latent;

  const units = values.units === undefined ? DEFAULT_UNITS : int(values, "units", 1);
  const filters = filterPicture(file, shape, style, units);

  const n = Math.min(asked, ds.test.n);
  const idx = pickSamples(key(seed), ds.test.n, n).sort();
  const codes = encodeRows(model, file.params, splitRows(ds.test, d, norm, idx)).mean.data;
  const act = codeActivity(codes, n, L, eps);
  const what = model.spec.kind === "vae" ? "posterior mean" : "code";
  const activationPicture = activationHistogram(act, n, what, bins);

  const round = (v: Float64Array) => Array.from(v, (x) => +x.toPrecision(6));
  const json = {
    model: path, data: ds.name, kind: model.spec.kind, latent: L, code: sigmoidCode(model) ? "sigmoid" : "as the encoder gives it",
    sparsity: storedPenalty((file.training as { sparsity?: unknown } | undefined)?.sparsity) ?? null,
    n, seed, eps,
    conventions: {
      code: "an AE's code, a VAE's posterior mean, of the test images at `n` indices drawn by --seed",
      nearZeroAbsolute: "share of all n * latent activations a with |a| < eps",
      nearZeroRelative: "share of all activations with |a| < eps * max |a| of the unit over the n images (a unit 0 everywhere counts as near zero)",
      filters: "rows of encoder.0.weight [units, input]: the weights into each code unit when intoCode, else the first hidden layer's units",
    },
    nearZeroAbsolute: act.nearZeroAbsolute, nearZeroRelative: act.nearZeroRelative,
    meanActivation: act.mean.reduce((a, b) => a + b, 0) / L,
    filters: { layer: "encoder.0", units: filters.units, shown: filters.shown, intoCode: filters.intoCode, style },
    perUnit: { mean: round(act.mean), meanAbs: round(act.meanAbs), maxAbs: round(act.maxAbs), nearZeroRelative: round(act.nearZeroRelativePerUnit) },
  };

  await mkdir(out, { recursive: true });
  await writePng(join(out, "sparse-filters.png"), filters.raster);
  await writePng(join(out, "sparse-activation.png"), activationPicture);
  await writeFileAtomic(join(out, "sparse.json"), new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n"));
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  io.out(`${what} of ${n} test images of ${ds.name}, ${L} units: near zero ${pct(act.nearZeroAbsolute)} (|a| < ${eps}), ${pct(act.nearZeroRelative)} (|a| < ${eps} * the unit's max); mean activation ${json.meanActivation.toPrecision(4)}`);
  io.out(`wrote ${join(out, "sparse-filters.png")}, ${join(out, "sparse-activation.png")}, ${join(out, "sparse.json")}`);
};

export const commands: Record<string, Command> = { sparse };
