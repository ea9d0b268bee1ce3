/**
 * A linear probe: multinomial logistic (softmax) regression from features to classes, to measure
 * how linearly decodable the classes are from an embedding. The parameters are a Params record
 * { weight [classes, d], bias [classes] }, starting at zero (the loss is convex, so nothing is
 * lost). Each minibatch's mean cross-entropy and its gradient are computed on the host in float64
 * and applied with latent's Adam (optim.adam: opt.update + applyUpdates), so the parameters are
 * f32 like every other model's. Epoch e visits the rows in the order permutation(foldIn(key, e)),
 * the same shuffle as data.batches. Features are used as given (no standardisation).
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { permutation } from "../data/batches.js";
import { ConfigError } from "../nn/layer.js";
import type { Params } from "../nn/params.js";
import { adam, applyUpdates } from "../optim/index.js";
import { foldIn, type Key } from "../random/index.js";
import { ShapeError, tensor, type TensorLike } from "../tensor/tensor.js";
import { labelsOf, rowsOf, type Rows } from "./knn.js";

export interface LinearProbeOptions<B extends Buffer = Buffer> {
  /** Number of classes: labels must lie in 0..classes-1. */
  readonly classes: number;
  readonly epochs: number;
  /** Adam's step size. */
  readonly learningRate: number;
  /** Shuffles the minibatches. */
  readonly key: Key;
  /** L2 penalty (weightDecay / 2) ||weight||^2 added to the loss (the bias is not decayed); default 0. */
  readonly weightDecay?: number;
  /** Rows per minibatch (default min(64, n)); the last batch of an epoch may be smaller. */
  readonly batchSize?: number;
  /** Where Adam's update runs (default: the default runtime's backend). */
  readonly backend?: Backend<B>;
}

export interface LinearProbe {
  /** Fraction of training rows classified correctly by the final parameters. */
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  /** { weight [classes, d], bias [classes] }; the class of x is argmax(weight x + bias), ties to the lower class. */
  readonly params: Params;
  /** Per epoch, the mean over its minibatches of the loss (with the penalty) before each update. */
  readonly losses: Float64Array;
}

function positiveInteger(v: number | undefined, what: string, min = 1): number {
  if (!Number.isSafeInteger(v) || v! < min) throw new ConfigError(`linearProbe: ${what} must be an integer >= ${min}, got ${v}`);
  return v!;
}

/** Logits weight x_i + bias for row i of x into z. */
function logits(x: Rows, i: number, w: Float32Array, b: Float32Array, classes: number, z: Float64Array): void {
  const d = x.d;
  for (let c = 0; c < classes; c++) {
    let s = b[c]!;
    for (let j = 0; j < d; j++) s += w[c * d + j]! * x.data[i * d + j]!;
    z[c] = s;
  }
}

function accuracy(x: Rows, y: Int32Array, params: Params, classes: number): number {
  if (x.n === 0) return NaN;
  const w = params.weight!.data as Float32Array, b = params.bias!.data as Float32Array;
  const z = new Float64Array(classes);
  let hit = 0;
  for (let i = 0; i < x.n; i++) {
    logits(x, i, w, b, classes, z);
    let best = 0;
    for (let c = 1; c < classes; c++) if (z[c]! > z[best]!) best = c;
    if (best === y[i]) hit++;
  }
  return hit / x.n;
}

/** Trains a softmax-regression probe on (trainX, trainY) and reports its accuracies. */
export function linearProbe<B extends Buffer = Buffer>(trainX: TensorLike, trainY: ArrayLike<number>, testX: TensorLike,
  testY: ArrayLike<number>, options: LinearProbeOptions<B>): LinearProbe {
  const xr = rowsOf(trainX, "linearProbe trainX"), tr = rowsOf(testX, "linearProbe testX");
  if (xr.d !== tr.d) throw new ShapeError(`linearProbe: trainX has ${xr.d} columns, testX ${tr.d}`);
  if (xr.n === 0) throw new ConfigError("linearProbe: no training rows");
  const classes = positiveInteger(options.classes, "classes", 2);
  const epochs = positiveInteger(options.epochs, "epochs");
  const batchSize = positiveInteger(options.batchSize ?? Math.min(64, xr.n), "batchSize");
  const lr = options.learningRate, wd = options.weightDecay ?? 0;
  if (!(Number.isFinite(lr) && lr > 0)) throw new ConfigError(`linearProbe: learningRate must be a positive number, got ${lr}`);
  if (!(Number.isFinite(wd) && wd >= 0)) throw new ConfigError(`linearProbe: weightDecay must be a non-negative number, got ${wd}`);
  const y = labelsOf(trainY, xr.n, "linearProbe trainY"), yTest = labelsOf(testY, tr.n, "linearProbe testY");
  for (const [what, labels] of [["trainY", y], ["testY", yTest]] as const) {
    const bad = labels.findIndex((v) => v < 0 || v >= classes);
    if (bad >= 0) throw new ConfigError(`linearProbe ${what}: label ${bad} is ${labels[bad]}, outside 0..${classes - 1}`);
  }
  const d = xr.d, n = xr.n;
  const opt = adam({ learningRate: lr });
  let params: Params = Object.freeze({ weight: tensor(new Float32Array(classes * d), [classes, d]), bias: tensor(new Float32Array(classes), [classes]) });
  let state = opt.init(params);
  const losses = new Float64Array(epochs);
  const z = new Float64Array(classes), gw = new Float64Array(classes * d), gb = new Float64Array(classes);
  for (let e = 0; e < epochs; e++) {
    const order = permutation(foldIn(options.key, e), n);
    let lossSum = 0, batches = 0;
    for (let start = 0; start < n; start += batchSize) {
      const rows = order.subarray(start, Math.min(n, start + batchSize));
      const w = params.weight!.data as Float32Array, b = params.bias!.data as Float32Array;
      gw.fill(0); gb.fill(0);
      let loss = 0;
      for (const i of rows) {
        logits(xr, i, w, b, classes, z);
        let top = -Infinity;
        for (let c = 0; c < classes; c++) top = Math.max(top, z[c]!);
        let sum = 0;
        for (let c = 0; c < classes; c++) { z[c] = Math.exp(z[c]! - top); sum += z[c]!; }
        const label = y[i]!;
        loss -= Math.log(z[label]! / sum);
        for (let c = 0; c < classes; c++) {
          const dz = (z[c]! / sum - (c === label ? 1 : 0)) / rows.length;
          gb[c] = gb[c]! + dz;
          for (let j = 0; j < d; j++) gw[c * d + j] = gw[c * d + j]! + dz * xr.data[i * d + j]!;
        }
      }
      loss /= rows.length;
      if (wd > 0) {
        let sq = 0;
        for (let t = 0; t < w.length; t++) { sq += w[t]! * w[t]!; gw[t] = gw[t]! + wd * w[t]!; }
        loss += (wd / 2) * sq;
      }
      lossSum += loss; batches++;
      const grads = { weight: tensor(Float32Array.from(gw), [classes, d]), bias: tensor(Float32Array.from(gb), [classes]) };
      const step = opt.update(grads, state, params, options.backend ? { backend: options.backend } : {});
      params = applyUpdates(params, step.updates);
      state = step.state;
    }
    losses[e] = lossSum / batches;
  }
  return Object.freeze({
    trainAccuracy: accuracy(xr, y, params, classes),
    testAccuracy: accuracy(tr, yTest, params, classes),
    params,
    losses,
  });
}
