export { batches, gatherRows, permutation, type BatchOptions } from "./batches.js";
