// References of the PRNG kernels (assembly/random.ts), in the kernels' signature order
// (k0, k1, stream, n). Bits and uniforms are exact; normals are float64 Box-Muller.
export {
  streamBits as randomBitsU32,
  streamUniform as randomUniformF32,
  streamNormalF64 as randomNormalF64,
  threefry2x32,
} from "../../random/threefry.js";
