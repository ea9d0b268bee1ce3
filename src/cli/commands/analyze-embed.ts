/**
 * The 2-D t-SNE and UMAP embeddings of a representation's n test samples, with the
 * trustworthiness (k = TRUST_K) of each against the samples themselves. t-SNE: analysis.tsne
 * with its defaults but the perplexity (checked against n by analyze-input.ts); UMAP:
 * analysis.umap with its defaults (UMAP_NEIGHBOURS neighbours, umap-js's epochs).
 */
import { trustworthiness, tsne, umap } from "../../analysis/index.js";
import type { Key } from "../../random/index.js";
import type { Tensor } from "../../tensor/tensor.js";
import { TRUST_K } from "./analyze-metrics.js";

/** analysis.umap's default neighbours, named for the report. */
export const UMAP_NEIGHBOURS = 15;

export interface EmbeddingFigures {
  readonly tsne: { readonly trustworthiness: number; readonly kl: number };
  readonly umap: { readonly trustworthiness: number };
}

export interface Embeddings {
  /** [n, 2] each. */
  readonly tsne: Tensor;
  readonly umap: Tensor;
  readonly figures: EmbeddingFigures;
}

/** t-SNE (perplexity, keys.tsne) and UMAP (keys.umap) of x [n, d] in two dimensions. */
export function embed(x: Tensor, perplexity: number, keys: { tsne: Key; umap: Key }): Embeddings {
  const t = tsne(x, { key: keys.tsne, perplexity });
  const u = umap(x, { key: keys.umap, nNeighbors: UMAP_NEIGHBOURS }).embedding;
  return {
    tsne: t.embedding, umap: u,
    figures: { tsne: { trustworthiness: trustworthiness(x, t.embedding, TRUST_K), kl: t.cost }, umap: { trustworthiness: trustworthiness(x, u, TRUST_K) } },
  };
}
