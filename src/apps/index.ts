/**
 * The autoencoder applications as library functions over a model and rows (runtime-neutral):
 * image quality, denoising, retrieval, anomaly scores, sparse-code figures, and compression
 * (its own namespace: quantisers, the range coder, the .latc format, rate-distortion).
 */
export { batchQuality, finiteOrNull, gaussianWindow, mse, psnr, ssim, type BatchQuality, type SsimOptions } from "./image-quality.js";
export { clip01, corrupt, corruptionName, corruptRows, denoiseRows, denoiseScores, pcaReconstruct, type QualityFigures } from "./denoise.js";
export { averagePrecisionAtK, chancePrecision, leaveOneOut, precisionAtK, retrievalGrid, type Retrieval, type RetrievalGridOptions } from "./retrieve.js";
export { auroc, averagePrecision, detection, objectiveScores, reconstructionErrors, rowKey, type Detection, type ScoreOptions } from "./anomaly.js";
export { codeActivity, filterImages, firstLayerFilters, type CodeActivity, type Filters, type FilterStyle } from "./sparse.js";
export * as compress from "./compress/index.js";
