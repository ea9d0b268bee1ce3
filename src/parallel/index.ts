export { startThreads, defaultThreads, type ThreadsOptions } from "./start.js";
export { ThreadedBackend, cut, type CutSizes } from "./threaded.js";
export { WorkerError, type Spawn, type WorkerHandle } from "./pool.js";
export { webSpawn } from "./spawn-web.js";
