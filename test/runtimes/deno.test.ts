// Deno on the packed tarball (on-tarball.ts): a script imports "latent", trains a small MLP VAE with
// init() (train-small.ts), again on two threads (Web Workers from Blob URLs, every call cut), and
// with init({ isa: "auto" }). The loss is finite and falls; two threads give the bits of one; the
// default gives the bits that Node gives (the library's default is the SIMD build in every
// runtime); "auto" reports relaxed SIMD where Deno validates it.
import { runtimeOnTarball } from "./on-tarball.js";

runtimeOnTarball("deno", "Deno", ["run", "--quiet", "--no-prompt", "run.ts"]);
