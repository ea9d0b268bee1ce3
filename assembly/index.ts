// The one WebAssembly module of latent. Every export is a pointer-and-stride function over
// this module's linear memory: pointers are byte addresses of f32 (or u32) arrays, sizes
// and leading dimensions count elements, matrices are row-major. The host owns all memory
// above heap_base() (see src/kernels/arena.ts); kernels never allocate.
// Built three times from this source: with relaxed SIMD (ASC_FEATURE_RELAXED_SIMD), with SIMD
// (ASC_FEATURE_SIMD) and without.

export { heap_base, has_simd, has_relaxed_simd } from "./memory";
export * from "./gemm";
export * from "./elementwise";
export * from "./activations";
export * from "./losses";
export * from "./likelihoods";
export * from "./optim";
export * from "./random";
export * from "./conv";
export * from "./conv-one-channel";
export * from "./layernorm";
export * from "./tsne";
export * from "./distances";
export * from "./kmeans";
