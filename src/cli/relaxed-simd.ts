/**
 * Node 20 validates relaxed-SIMD modules only with --experimental-wasm-relaxed-simd (Node 22
 * and Chrome have relaxed SIMD on). The `latent` command turns the flag on when it starts,
 * before any module is compiled, so that `--isa auto` picks the relaxed build on Node 20 as it
 * does on newer runtimes (worker threads started later share the process's V8 flags). Only
 * the command does this: the library never changes V8 flags.
 */
import { setFlagsFromString } from "node:v8";
import { relaxedSimdSupported } from "../kernels/module.js";

/** True when this runtime now validates relaxed SIMD. */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  try {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return relaxedSimdSupported();
}
