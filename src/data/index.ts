export { batches, gatherRows, permutation, type BatchOptions } from "./batches.js";
export { features, gather, pickSamples, splitBatches, splitTensor, type Dataset, type Split } from "./dataset.js";
export { DataError } from "./errors.js";
