export { createRuntime, createRuntimeSync, instantiateAgain, loadRuntime, loadRuntimeSync, type Runtime } from "./runtime.js";
