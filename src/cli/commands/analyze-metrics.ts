/**
 * The figures of `latent analyze` for one representation of the samples (raw pixels, their PCA,
 * the model's codes): clustering against the labels (k-means and Ward), kNN and linear-probe
 * accuracy from a training set, and the trustworthiness of a 2-D PCA. All inputs are [n, d]
 * f32 tensors; labels lie in 0..classes-1.
 */
import { ari, clusteringAccuracy, cut, kmeans, knnAccuracy, linearProbe, linkage, nmi, pca, project, trustworthiness, type Pca } from "../../analysis/index.js";
import { ConfigError } from "../../nn/layer.js";
import type { Key } from "../../random/index.js";
import { tensor, type Tensor } from "../../tensor/tensor.js";

/** Neighbours of the trustworthiness. */
export const TRUST_K = 10;
/** Linear probe: Adam for this many epochs at this step size, features as given. */
const PROBE_EPOCHS = 30;
const PROBE_LEARNING_RATE = 0.01;

export interface Clustering { readonly acc: number; readonly nmi: number; readonly ari: number }

export interface RepresentationFigures {
  readonly dim: number;
  readonly kmeans: Clustering;
  readonly ward: Clustering;
  readonly knn: { readonly k1: number; readonly k5: number };
  readonly probe: number;
  readonly trustworthiness: number;
}

export interface Representation {
  /** The n analysed samples, [n, d]. */
  readonly test: Tensor;
  /** The training samples of the kNN and the probe, [m, d]. */
  readonly train: Tensor;
  /** A 2-D PCA of `test`, [n, 2]. */
  readonly plane: Tensor;
}

export interface Labelled {
  readonly testLabels: ArrayLike<number>;
  readonly trainLabels: ArrayLike<number>;
  readonly classes: number;
}

function scores(labels: ArrayLike<number>, predicted: ArrayLike<number>): Clustering {
  return { acc: clusteringAccuracy(labels, predicted), nmi: nmi(labels, predicted), ari: ari(labels, predicted) };
}

/** A ConfigError naming the first non-finite value of t. */
export function checkFinite(t: Tensor, what: string): void {
  const d = t.shape[1]!;
  const i = t.data.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) throw new ConfigError(`${what}: sample ${Math.floor(i / d)} has a non-finite value (${t.data[i]})`);
}

/** k-means labels of the rows of x (k = classes, nInit 4). */
export function kmeansLabels(x: Tensor, classes: number, key: Key): Int32Array {
  return kmeans(x, classes, { key, nInit: 4 }).labels;
}

export function figures(r: Representation, l: Labelled, keys: { kmeans: Key; probe: Key }): RepresentationFigures {
  const km = kmeansLabels(r.test, l.classes, keys.kmeans);
  const ward = cut(linkage(r.test, "ward"), l.classes);
  const probe = linearProbe(r.train, l.trainLabels, r.test, l.testLabels,
    { classes: l.classes, epochs: PROBE_EPOCHS, learningRate: PROBE_LEARNING_RATE, key: keys.probe });
  return {
    dim: r.test.shape[1]!,
    kmeans: scores(l.testLabels, km),
    ward: scores(l.testLabels, ward),
    knn: { k1: knnAccuracy(r.train, l.trainLabels, r.test, l.testLabels, 1), k5: knnAccuracy(r.train, l.trainLabels, r.test, l.testLabels, 5) },
    probe: probe.testAccuracy,
    trustworthiness: trustworthiness(r.test, r.plane, TRUST_K),
  };
}

/** The first two columns of y [n, k] as [n, 2] (a zero second column when k = 1). */
export function firstTwo(y: Tensor): Tensor {
  const [n, k] = y.shape as [number, number];
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) { out[2 * i] = y.data[i * k]!; out[2 * i + 1] = k > 1 ? y.data[i * k + 1]! : 0; }
  return tensor(out, [n, 2]);
}

/** A 2-D PCA of x [n, d] (small d), as [n, 2]. */
export function plane(x: Tensor): Tensor {
  return firstTwo(project(pca(x, Math.min(2, x.shape[1]!)), x));
}

/** Subspace-iteration steps of `widePca`, and the extra columns of its block. */
const SUBSPACE_STEPS = 40;
const SUBSPACE_EXTRA = 8;

/**
 * The top k principal components of x [n, d] for large d (pixels), where `pca`'s full Jacobi
 * diagonalisation of the d x d covariance is too slow: subspace iteration on the float64
 * covariance with a block of k + 8 columns from a fixed start, then the Rayleigh–Ritz step as
 * `pca` of the data's coordinates in that block. Components follow `pca`'s sign convention
 * (largest coordinate positive). Approximate: the leading directions converge at the rate of
 * the ratio of the (k + 9)-th to the k-th eigenvalue per step.
 */
export function widePca(x: Tensor, k: number): Pca {
  const [n, d] = x.shape as [number, number];
  if (d <= 64) return pca(x, k);
  const b = Math.min(d, k + SUBSPACE_EXTRA);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + x.data[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x.data[i * d + j]! - mean[j]!;
    for (let p = 0; p < d; p++) {
      const xp = row[p]!;
      if (xp === 0) continue;
      const base = p * d;
      for (let q = p; q < d; q++) cov[base + q] = cov[base + q]! + xp * row[q]!;
    }
  }
  for (let p = 0; p < d; p++) for (let q = p; q < d; q++) { cov[p * d + q] = cov[p * d + q]! / Math.max(n - 1, 1); cov[q * d + p] = cov[p * d + q]!; }
  // q: d x b, column-major (column c at c * d)
  let q = new Float64Array(d * b);
  for (let i = 0; i < d * b; i++) q[i] = Math.sin(12.9898 * (i + 1)) * 43758.5453 % 1;
  orthonormalise(q, d, b);
  for (let step = 0; step < SUBSPACE_STEPS; step++) {
    const z = new Float64Array(d * b);
    for (let c = 0; c < b; c++) {
      for (let p = 0; p < d; p++) {
        let s = 0;
        const base = p * d;
        for (let j = 0; j < d; j++) s += cov[base + j]! * q[c * d + j]!;
        z[c * d + p] = s;
      }
    }
    orthonormalise(z, d, b);
    q = z;
  }
  const y = new Float32Array(n * b);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x.data[i * d + j]! - mean[j]!;
    for (let c = 0; c < b; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += row[j]! * q[c * d + j]!;
      y[i * b + c] = s;
    }
  }
  const inner = pca(tensor(y, [n, b]), k);
  const components = inner.components.map((v) => {
    const c = new Float64Array(d);
    for (let a = 0; a < b; a++) for (let j = 0; j < d; j++) c[j] = c[j]! + v[a]! * q[a * d + j]!;
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(c[j]!) > Math.abs(big)) big = c[j]!;
    if (big < 0) for (let j = 0; j < d; j++) c[j] = -c[j]!;
    return c;
  });
  return { mean, components, variance: inner.variance };
}

/** Modified Gram–Schmidt on the b columns (length d, column-major) of m, in place. */
function orthonormalise(m: Float64Array, d: number, b: number): void {
  for (let c = 0; c < b; c++) {
    for (let prev = 0; prev < c; prev++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += m[c * d + j]! * m[prev * d + j]!;
      for (let j = 0; j < d; j++) m[c * d + j] = m[c * d + j]! - dot * m[prev * d + j]!;
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += m[c * d + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-300) { m.fill(0, c * d, (c + 1) * d); continue; }
    for (let j = 0; j < d; j++) m[c * d + j] = m[c * d + j]! / norm;
  }
}
