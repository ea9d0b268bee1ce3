/**
 * The pictures of `latent analyze`, drawn and PNG-encoded once, for the files and the report:
 * the codes in two dimensions (a 2-D PCA, t-SNE, UMAP; coloured by label and by k-means cluster,
 * a cluster in the colour of the class it is matched to), the t-SNE and UMAP of the pixels' PCA by
 * label, and the clusters of the codes (confusion matrix, decoded centroids, Ward dendrogram).
 */
import type { KMeansResult, Linkage } from "../../analysis/index.js";
import type { Tensor } from "../../tensor/tensor.js";
import { dendrogram, scatterPlot, type Raster } from "../../viz/index.js";
import { encodePng } from "../../viz/node/png.js";
import { clusterColours, confusionPicture, prototypePictures, type ClusterMatch } from "./analyze-clusters.js";
import type { Embeddings } from "./analyze-embed.js";
import type { AnalysisInput } from "./analyze-input.js";

export type PictureSection = "plane" | "clusters" | "applications";

export interface AnalysisPicture {
  /** The file name in the output folder. */
  readonly name: string;
  readonly caption: string;
  readonly section: PictureSection;
  readonly png: Uint8Array;
}

export interface PictureParts {
  /** A 2-D PCA of the codes, [n, 2]. */
  readonly codesPlane: Tensor;
  /** k-means of the codes, its matching to the classes, and the codes' Ward linkage. */
  readonly kmeans: KMeansResult;
  readonly match: ClusterMatch;
  readonly ward: Linkage;
  readonly embeddings: { readonly codes: Embeddings; readonly pca: Embeddings };
}

const SIZE = { width: 640, height: 480 } as const;

export function analysisPictures(a: AnalysisInput, p: PictureParts): AnalysisPicture[] {
  const { n, k, ds } = a;
  const L = a.file.spec.latent;
  const what = a.file.spec.kind === "vae" ? "posterior means" : "codes";
  const names = ds.classNames ? { classNames: ds.classNames } : {};
  const byCluster = clusterColours(p.match, p.kmeans.labels, ds, a.classes);
  const out: AnalysisPicture[] = [];
  const add = (name: string, section: PictureSection, caption: string, r: Raster) => { out.push({ name, section, caption, png: encodePng(r) }); };
  const pair = (stem: string, method: string, points: Tensor, axes: { xLabel: string; yLabel: string }, about: string) => {
    add(`${stem}.png`, "plane", `${about}, coloured by label`, scatterPlot(points, a.testLabels, { title: `${method} of the ${what}, by label`, ...names, ...axes, ...SIZE }));
    add(`${stem}-kmeans.png`, "plane", `${about}, coloured by k-means cluster (k = ${k}); a cluster takes the colour of the class it is matched to`,
      scatterPlot(points, byCluster.colour, { title: `${method} of the ${what}, by k-means cluster`, classNames: byCluster.names, ...axes, ...SIZE }));
  };
  const tsneAxes = { xLabel: "t-SNE 1", yLabel: "t-SNE 2" }, umapAxes = { xLabel: "UMAP 1", yLabel: "UMAP 2" };
  const pcaAxes = { xLabel: `principal component 1 of ${L}`, yLabel: L > 1 ? `principal component 2 of ${L}` : "" };
  // codes-pca.png and codes-kmeans.png keep their names from the command's first version.
  add("codes-pca.png", "plane", `the first two principal components of the ${n} test ${what}, coloured by label`,
    scatterPlot(p.codesPlane, a.testLabels, { title: `${n} test ${what} by label`, ...names, ...pcaAxes, ...SIZE }));
  add("codes-kmeans.png", "plane", `the same plane coloured by k-means cluster (k = ${k}); a cluster takes the colour of the class it is matched to`,
    scatterPlot(p.codesPlane, byCluster.colour, { title: `${what} by k-means cluster (k = ${k})`, classNames: byCluster.names, ...pcaAxes, ...SIZE }));
  pair("codes-tsne", "t-SNE", p.embeddings.codes.tsne, tsneAxes, `t-SNE (perplexity ${+a.perplexity.toFixed(3)}) of the ${n} test ${what}`);
  pair("codes-umap", "UMAP", p.embeddings.codes.umap, umapAxes, `UMAP of the ${n} test ${what}`);
  add("pca-tsne.png", "plane", `for comparison: t-SNE of the pixels' PCA to ${L} dimensions, coloured by label`,
    scatterPlot(p.embeddings.pca.tsne, a.testLabels, { title: `t-SNE of the pixels' PCA, by label`, ...names, ...tsneAxes, ...SIZE }));
  add("pca-umap.png", "plane", `for comparison: UMAP of the pixels' PCA to ${L} dimensions, coloured by label`,
    scatterPlot(p.embeddings.pca.umap, a.testLabels, { title: `UMAP of the pixels' PCA, by label`, ...names, ...umapAxes, ...SIZE }));

  add("confusion.png", "clusters", `test samples by class (rows) and k-means cluster of the ${what} (columns), the clusters matched to classes`
    + ` by the Hungarian matching of the clustering accuracy${k >= a.classes ? ": the diagonal holds the matched pairs and sums to ACC * n" : "; columns in the order of their matched classes"}`,
  confusionPicture(p.match, ds, a.classes, `classes and k-means clusters (k = ${k})`));
  for (const proto of prototypePictures(a.file, a.norm, ds, p.kmeans, p.match, what)) {
    add(`prototypes${proto.suffix}.png`, "clusters", `each k-means centroid decoded, labelled with its matched class and its size, in the confusion matrix's order${proto.how ? `; ${proto.how}` : ""}`, proto.raster);
  }
  add("dendrogram.png", "clusters", `Ward linkage of the ${n} test ${what}, its last 29 merges`,
    dendrogram(p.ward, { lastP: 30, title: `Ward linkage of ${n} test ${what}`, width: 720 }));
  return out;
}
