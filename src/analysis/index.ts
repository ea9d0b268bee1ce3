export { pca, project, type Pca } from "./pca.js";
export { kmeans, type KMeansResult, type KMeansOptions } from "./kmeans.js";
export { checkLinkage, cut, linkage, type Linkage, type LinkageMethod } from "./hierarchical.js";
export { ari, clusteringAccuracy, linearAssignment, nmi, silhouette, SILHOUETTE_HOST_ROWS, type SilhouetteOptions } from "./metrics-clustering.js";
export { continuity, trustworthiness } from "./metrics-embedding.js";
export { knnAccuracy, knnPredict, nearestNeighbours, type NeighbourOptions, type Neighbours } from "./knn.js";
export { linearProbe, type LinearProbe, type LinearProbeOptions } from "./probe.js";
export { checkPerplexity, conditionalAffinities, MOMENTUM_SWITCH, perplexityAffinities, tsne, tsneCost, tsneGradient, type TsneOptions, type TsneResult } from "./tsne.js";
export { umap, type Umap, type UmapOptions } from "./umap.js";
