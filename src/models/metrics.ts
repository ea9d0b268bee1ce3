/**
 * What a trained model does on data rows, beyond its loss: the reconstruction error and the
 * active latent units (`latent eval` reports them with the test loss). Everything runs through
 * the bounded-memory functions of ./batched.ts, one program of at most `rows` rows at a time;
 * sums are float64, taken in row order (and pixel order within a row).
 *
 * - Reconstruction error: the mean over rows and values of (x - x_hat)^2, x_hat the prediction
 *   at z = mean (the decoder's probabilities for bernoulli, its means otherwise), on the model's
 *   inputs as given (normalised rows).
 * - Active units (Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders", 2016): the
 *   latent dimensions u with Cov_x(E_q(z|x)[z_u]) > 0.01, i.e. whose posterior mean varies over
 *   the data; an autoencoder's code stands in for the mean. The variance is the unbiased one
 *   (divided by n - 1), accumulated row by row (Welford), so no codes are held.
 * A conditional model encodes each row with its label (`labels` in the options).
 */
import type { Params } from "../nn/params.js";
import type { Key } from "../random/index.js";
import type { Rows } from "../tensor/rows.js";
import { evaluateLoss, forEachReconstruction, type RunOptions } from "./batched.js";
import type { LossMetrics, Model } from "./model.js";

/** Burda et al.'s threshold on the variance of a unit's posterior mean. */
export const ACTIVE_UNIT_THRESHOLD = 0.01;
/** What activeUnits counts, in words (for reports). */
export const ACTIVE_UNIT_DEFINITION = "Burda et al. 2016: latent unit u is active when A_u = Cov_x(E_q(z|x)[z_u]) > 0.01, the variance over the rows "
  + "(unbiased, divided by n - 1) of its posterior mean (an autoencoder's code)";

export interface ActiveUnitOptions extends RunOptions {
  /** A unit is active when its variance exceeds this (default 0.01). */
  readonly threshold?: number;
}

/** Sums over the rows of one pass: squared errors (when decoding) and the codes' running means and squared deviations. */
class Accumulator {
  n = 0;
  sq = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  constructor(readonly latent: number) {
    this.mean = new Float64Array(latent);
    this.m2 = new Float64Array(latent);
  }
  codes(codes: Float32Array, count: number): void {
    const L = this.latent;
    for (let i = 0; i < count; i++) {
      this.n++;
      for (let j = 0; j < L; j++) {
        const c = codes[i * L + j]!;
        const d = c - this.mean[j]!;
        const mean = this.mean[j]! + d / this.n;
        this.mean[j] = mean;
        this.m2[j] = this.m2[j]! + d * (c - mean);
      }
    }
  }
  errors(input: Float32Array, rec: Float32Array): void {
    for (let i = 0; i < input.length; i++) this.sq += (input[i]! - rec[i]!) ** 2;
  }
  variances(): Float64Array {
    const d = Math.max(this.n - 1, 1);
    return this.m2.map((v) => v / d);
  }
}

function pass(model: Model, params: Params, x: Rows, decode: boolean, o: RunOptions): Accumulator {
  const acc = new Accumulator(model.spec.latent);
  forEachReconstruction(model, params, x, (b) => {
    acc.codes(b.mean, b.count);
    if (decode) acc.errors(b.input!, b.reconstruction!);
  }, { backend: o.backend, rows: o.rows, labels: o.labels, decode, inputs: decode });
  return acc;
}

function activeCount(variances: Float64Array, threshold = ACTIVE_UNIT_THRESHOLD): number {
  return variances.reduce((k, v) => k + (v > threshold ? 1 : 0), 0);
}

/** The variance over the rows of each latent dimension's posterior mean (an AE's code): [latent], unbiased. */
export function latentVariances(model: Model, params: Params, x: Rows, o: RunOptions = {}): Float64Array {
  return pass(model, params, x, false, o).variances();
}

/** How many latent dimensions are active: their posterior mean's variance over the rows exceeds 0.01 (Burda et al.). */
export function activeUnits(model: Model, params: Params, x: Rows, o: ActiveUnitOptions = {}): number {
  return activeCount(latentVariances(model, params, x, o), o.threshold);
}

/** The mean squared error per value between the rows and their reconstructions at z = mean (0 for no rows). */
export function reconstructionError(model: Model, params: Params, x: Rows, o: RunOptions = {}): number {
  const values = x.n * x.width;
  return values ? pass(model, params, x, true, o).sq / values : 0;
}

/** What `latent eval` reports about a model on data rows. */
export interface ModelReport {
  readonly samples: number;
  /** The loss (per-sample means; a VAE samples one z per row from the key, as evaluateLoss). */
  readonly loss: LossMetrics;
  /** Mean squared error per value at z = mean (reconstructionError). */
  readonly reconstructionMse: number;
  /** Variance over the rows of each latent dimension's posterior mean (latentVariances). */
  readonly latentVariances: Float64Array;
  /** Latent dimensions whose variance exceeds the threshold (activeUnits). */
  readonly activeUnits: number;
  readonly latent: number;
}

/** The loss, reconstruction error and active units over the rows: one loss pass and one reconstruction pass. */
export function evaluateModel(model: Model, params: Params, x: Rows, key: Key, o: ActiveUnitOptions = {}): ModelReport {
  const loss = evaluateLoss(model, params, x, key, o);
  const acc = pass(model, params, x, true, o);
  const latentVariances = acc.variances();
  const values = x.n * x.width;
  return {
    samples: x.n, loss, reconstructionMse: values ? acc.sq / values : 0, latentVariances,
    activeUnits: activeCount(latentVariances, o.threshold), latent: model.spec.latent,
  };
}
