/**
 * latent/node: what only Node can do. Starting kernel workers on worker_threads (pass `nodeSpawn`
 * to train.fit or parallel.startThreads), model files on disk, and the data sets on disk.
 */
export { nodeSpawn } from "../parallel/node/spawn.js";
export { saveModel, loadModel } from "../io/node/model-file.js";
export { writeFileAtomic, FileWriteError } from "../io/node/atomic-write.js";
export { loadDataset, type LoadDatasetOptions } from "../data/node/load.js";
