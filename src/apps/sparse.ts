/**
 * Sparse coding with an autoencoder: the encoder's first-layer filters as images, and how
 * sparse the code is. Runtime-neutral.
 *
 * Filters: the rows of the encoder's first layer, a Dense "encoder.0" (weight [units, input],
 * PyTorch's layout): row u holds the weights from every input value into unit u. When that
 * layer is the whole encoder's only Dense layer of an AE (e.g. --hidden none), its units are
 * the code's units; otherwise they are the first hidden layer's. A convolution first, or a
 * conditional model, has no such rows (ConfigError).
 * Filter images: each row shown as an image, normalised on its own: "diverging" (one-band
 * images) maps w / max|w| of the row from blue (-1) through white (0) to red (+1), so the
 * sign and the zero are visible; "grey" maps the row's [min, max] to [0, 1] (the classic
 * sparse-autoencoder figure). Images of 3 or 4 bands are stretched per band over the row.
 *
 * Code activity, of codes a [n, L] (an AE's code, a VAE's posterior mean):
 *   mean_j      the mean of a_ij over the rows (for a sigmoid code, the rho_hat_j the KL
 *               sparsity penalty pulls toward rho);
 *   meanAbs_j   the mean of |a_ij|;  maxAbs_j  the max of |a_ij|;
 *   near zero   absolute: |a_ij| < eps;  relative: |a_ij| < eps * maxAbs_j, the unit's own
 *               scale (unchanged when the encoder shrinks the code and the decoder grows to
 *               match; a unit that is 0 on every row counts as near zero everywhere);
 *   the shares are over all n L activations, and per unit over its n rows.
 */
import type { Model } from "../models/model.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import type { ImageShape } from "../viz/images.js";

export interface Filters {
  /** [units, input]: row u is unit u's weights. */
  readonly weights: Float32Array;
  readonly units: number;
  readonly input: number;
  /** True when the rows are the weights into the code's units (a one-layer AE encoder). */
  readonly intoCode: boolean;
}

/** The encoder's first-layer rows (see above). */
export function firstLayerFilters(model: Model, params: Params): Filters {
  const enc = model.arch.encoder.layers;
  if (model.arch.classes > 0) throw new ConfigError("a conditional model's first layer also takes the label: its rows are not images");
  const first = enc[0]!.toSpec?.();
  if (!first || first.type !== "dense") {
    throw new ConfigError(`the encoder's first layer is ${first ? `a ${first.type}` : "not a stored layer"}, not a dense layer: its weights are not one image per unit`);
  }
  const w = params["encoder.0.weight"];
  if (!w || w.shape.length !== 2 || w.shape[1] !== model.spec.input) throw new ConfigError("the model has no encoder.0.weight of [units, input]");
  const [units, input] = w.shape as [number, number];
  const weights = new Float32Array(units * input);
  for (let u = 0; u < units; u++) for (let i = 0; i < input; i++) weights[u * input + i] = w.data[w.offset + u * w.stride[0]! + i * w.stride[1]!]!;
  const denseLayers = enc.filter((l) => l.toSpec?.().type === "dense").length;
  return { weights, units, input, intoCode: model.spec.kind === "ae" && denseLayers === 1 };
}

export type FilterStyle = "diverging" | "grey";

/** blue (-1), white (0), red (+1): RdBu's ends, linear through white. */
const NEGATIVE = [0.129, 0.4, 0.675], POSITIVE = [0.698, 0.094, 0.169];

/**
 * Each row as an image in [0, 1] (see above): [units, h * w * 3] RGB for "diverging" one-band
 * images, else [units, h * w * c]. Returns the values and the shape to draw them with.
 */
export function filterImages(f: Filters, imageShape: ImageShape, style: FilterStyle = "diverging"): { values: Float32Array; imageShape: ImageShape } {
  const [h, w, c] = imageShape;
  if (h * w * c !== f.input) throw new ConfigError(`filters of ${f.input} values are not images of ${h} x ${w} x ${c}`);
  if (style === "diverging" && c !== 1) throw new ConfigError(`the diverging filter style needs one-band images, these have ${c} bands (use grey)`);
  const d = f.input;
  if (style === "diverging") {
    const out = new Float32Array(f.units * d * 3);
    for (let u = 0; u < f.units; u++) {
      let m = 0;
      for (let i = 0; i < d; i++) m = Math.max(m, Math.abs(f.weights[u * d + i]!));
      for (let i = 0; i < d; i++) {
        const t = m > 0 ? f.weights[u * d + i]! / m : 0;
        const end = t < 0 ? NEGATIVE : POSITIVE, a = Math.abs(t);
        for (let k = 0; k < 3; k++) out[(u * d + i) * 3 + k] = 1 + (end[k]! - 1) * a;
      }
    }
    return { values: out, imageShape: [h, w, 3] };
  }
  const out = new Float32Array(f.units * d);
  for (let u = 0; u < f.units; u++) {
    for (let b = 0; b < c; b++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = b; i < d; i += c) { const v = f.weights[u * d + i]!; lo = Math.min(lo, v); hi = Math.max(hi, v); }
      for (let i = b; i < d; i += c) out[u * d + i] = hi > lo ? (f.weights[u * d + i]! - lo) / (hi - lo) : 0.5;
    }
  }
  return { values: out, imageShape };
}

export interface CodeActivity {
  readonly rows: number;
  readonly units: number;
  readonly eps: number;
  readonly mean: Float64Array;
  readonly meanAbs: Float64Array;
  readonly maxAbs: Float64Array;
  /** Shares over all activations (see above). */
  readonly nearZeroAbsolute: number;
  readonly nearZeroRelative: number;
  /** Per unit: the share of its rows near zero (relative). */
  readonly nearZeroRelativePerUnit: Float64Array;
}

/** Activity of codes [rows, units], row-major (see above); eps > 0. */
export function codeActivity(codes: ArrayLike<number>, rows: number, units: number, eps = 0.01): CodeActivity {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(units) || rows < 0 || units < 1 || codes.length !== rows * units) {
    throw new ConfigError(`codes of ${codes.length} values are not ${rows} rows of ${units} units`);
  }
  if (!(eps > 0 && Number.isFinite(eps))) throw new ConfigError(`eps must be a finite number > 0, got ${eps}`);
  const mean = new Float64Array(units), meanAbs = new Float64Array(units), maxAbs = new Float64Array(units);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < units; j++) {
      const a = codes[i * units + j]!;
      if (!Number.isFinite(a)) throw new ConfigError(`code ${i}, unit ${j} is not finite (${a})`);
      mean[j] = mean[j]! + a;
      meanAbs[j] = meanAbs[j]! + Math.abs(a);
      maxAbs[j] = Math.max(maxAbs[j]!, Math.abs(a));
    }
  }
  const perUnit = new Float64Array(units);
  let abs = 0, rel = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < units; j++) {
      const a = Math.abs(codes[i * units + j]!);
      if (a < eps) abs++;
      if (a < eps * maxAbs[j]! || maxAbs[j] === 0) { rel++; perUnit[j] = perUnit[j]! + 1; }
    }
  }
  const n = Math.max(rows, 1);
  for (let j = 0; j < units; j++) { mean[j] = mean[j]! / n; meanAbs[j] = meanAbs[j]! / n; perUnit[j] = perUnit[j]! / n; }
  const all = Math.max(rows * units, 1);
  return { rows, units, eps, mean, meanAbs, maxAbs, nearZeroAbsolute: abs / all, nearZeroRelative: rel / all, nearZeroRelativePerUnit: perUnit };
}
