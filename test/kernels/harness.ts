// Shared by the kernel tests: both builds of the module, each with its own arena, and
// helpers that move float64 test data in (rounded to f32) and out of linear memory.
import * as E from "fp-ts/lib/Either.js";
import { instantiateSync, type Isa } from "../../src/kernels/module.js";
import { Arena } from "../../src/kernels/arena.js";
import type { KernelExports, Ptr } from "../../src/kernels/exports.js";

export interface Loaded {
  readonly isa: Isa;
  readonly k: KernelExports;
  readonly arena: Arena;
}

function load(isa: Isa): Loaded {
  const loaded = instantiateSync(undefined, { isa });
  if (E.isLeft(loaded)) throw loaded.left;
  return { isa, k: loaded.right.exports, arena: new Arena(loaded.right.exports) };
}

/** Both builds, loaded once per test file. Walk this list so every kernel is tested on each. */
export const builds: readonly Loaded[] = [load("simd"), load("scalar")];

/** Copies values into a fresh f32 block; returns its pointer. */
export function put(m: Loaded, values: ArrayLike<number>): Ptr {
  const ptr = m.arena.alloc(values.length);
  m.arena.f32(ptr, values.length).set(values);
  return ptr;
}

/** Copies n f32 values out as float64. */
export function get(m: Loaded, ptr: Ptr, n: number): Float64Array {
  return Float64Array.from(m.arena.f32(ptr, n));
}

/** Rounds every value to f32, so the float64 reference sees exactly what the kernel sees. */
export function f32(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(values));
}

/** A small deterministic generator for test data (mulberry32): uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs body with a `put` that copies values into fresh blocks, releasing them all afterwards. */
export function scoped<T>(m: Loaded, body: (put: (v: ArrayLike<number>) => Ptr) => T): T {
  const ptrs: Ptr[] = [];
  try {
    return body((v) => { const p = put(m, v); ptrs.push(p); return p; });
  } finally {
    for (const p of ptrs) m.arena.release(p);
  }
}
