/**
 * The figures of `latent analyze` for one representation of the samples (raw pixels, their PCA,
 * the model's codes): clustering against the labels (k-means and Ward, k clusters), kNN and
 * linear-probe accuracy from a training set, and the trustworthiness of a 2-D PCA (t-SNE's and
 * UMAP's: analyze-embed.ts). All inputs are [n, d] f32 tensors; labels lie in 0..classes-1.
 */
import { ari, clusteringAccuracy, cut, kmeans, knnAccuracy, linearProbe, linkage, nmi, pca, project, trustworthiness, type KMeansResult, type Linkage } from "../../analysis/index.js";
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
  /** Of the 2-D PCA. */
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
  /** Clusters of k-means and Ward. */
  readonly clusters: number;
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

/** The figures of r, with its k-means clustering (nInit 4) and its Ward linkage. */
export function figures(r: Representation, l: Labelled, keys: { kmeans: Key; probe: Key }): { figures: RepresentationFigures; kmeans: KMeansResult; ward: Linkage } {
  const clustering = kmeans(r.test, l.clusters, { key: keys.kmeans, nInit: 4 });
  const km = clustering.labels;
  const tree = linkage(r.test, "ward");
  const ward = cut(tree, l.clusters);
  const probe = linearProbe(r.train, l.trainLabels, r.test, l.testLabels,
    { classes: l.classes, epochs: PROBE_EPOCHS, learningRate: PROBE_LEARNING_RATE, key: keys.probe });
  return { kmeans: clustering, ward: tree, figures: {
    dim: r.test.shape[1]!,
    kmeans: scores(l.testLabels, km),
    ward: scores(l.testLabels, ward),
    knn: { k1: knnAccuracy(r.train, l.trainLabels, r.test, l.testLabels, 1), k5: knnAccuracy(r.train, l.trainLabels, r.test, l.testLabels, 5) },
    probe: probe.testAccuracy,
    trustworthiness: trustworthiness(r.test, r.plane, TRUST_K),
  } };
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
