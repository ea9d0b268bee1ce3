export { batches, gatherRows, permutation, type BatchOptions } from "./batches.js";
export { splitRows } from "./rows.js";
export { features, gather, gatherInto, pickSamples, splitBatches, splitTensor, type Dataset, type Split } from "./dataset.js";
export { bandHistograms, denormalizeForDisplay, fitBandNormalization, GLOBAL, normalizationFromJson, normalizationToJson,
  percentileRanks, valueAtRank, type Normalization } from "./normalize.js";
export { DataError } from "./errors.js";
export { parseIdx, encodeIdx, IDX_DTYPES, type IdxArray, type IdxDtype } from "./idx.js";
export { readPngHeader, pngChannels, type PngHeader, type PngLimits } from "./png-header.js";
export { SAT6_CLASSES, SAT6_IMAGE_SHAPE } from "./sat6-format.js";
export { parseAnnotations } from "./sat6-csv.js";
export { parseMat } from "./mat.js";
export { INFLATE_RATIO_GRACE_BYTES, MAX_CSV_LINE_BYTES, MAX_DATA_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MAX_INFLATE_RATIO,
  MAX_GZIP_HEADER_BYTES, MAX_MAT_FILE_BYTES, MAX_PNG_FILE_BYTES, type DataLimit, type DataLimitName } from "./limits.js";
