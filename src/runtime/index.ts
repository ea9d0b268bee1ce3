export { createRuntime, createRuntimeSync, instantiateAgain, type Runtime } from "./runtime.js";
