// The one WebAssembly module of latent. Every export is a pointer-and-stride function over
// this module's linear memory: pointers are byte addresses of f32 (or u32) arrays, sizes
// and leading dimensions count elements, matrices are row-major. The host owns all memory
// above heap_base() (see src/kernels/arena.ts); kernels never allocate.
// Built twice from this source: with SIMD (ASC_FEATURE_SIMD) and without.

export { heap_base, has_simd } from "./memory";
export * from "./gemm";
export * from "./elementwise";
export * from "./activations";
export * from "./losses";
export * from "./optim";
export * from "./random";
export * from "./conv";
