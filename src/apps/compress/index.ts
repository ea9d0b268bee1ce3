/**
 * Compression of images to a model's quantised codes: a static range coder over per-dimension
 * frequency tables, the ".latc" file format, quantisers, the codec that predicts the decoded images,
 * and the rate-distortion table against PCA and PNG. Runtime-neutral.
 */
export { crc32, crc32Update, crc32UpdateF32 } from "../../io/crc32.js";
export { countSymbols, frequencyTable, idealBits, MAX_ALPHABET, MAX_TOTAL, type FrequencyTable } from "./frequency.js";
export { decodeSymbols, encodeSymbols, RangeDecoder, RangeEncoder } from "./range-coder.js";
export { checkBits, dequantise, fitUniform, MAX_BITS, quantise, quantiserLevels, type Quantiser } from "./quantiser.js";
export { decodeCompressed, encodeCompressed, FORMAT_VERSION, MAGIC, MAX_COUNT, MAX_LATENT, MAX_SYMBOLS, type CompressedCodes, type CompressedSizes } from "./format.js";
export { checkAgainstModel, checkCompressible, compressCodes, decodeCodes, quantiserFor, type Compressed, type CompressOptions } from "./codec.js";
export { DECODE_CHUNK, displayOf, Distortion, forEachDecoded, psnr, referenceImages, toBytes } from "./images.js";
export { encodeNpyF32 } from "./npy.js";
export { choosePca, pcaAt, pcaBaseline, pcaCandidates, type PcaBaseline, type PcaCandidate } from "./pca-baseline.js";
export { evenlySpaced, rateDistortion, type RateDistortion, type RdInput, type RdOptions } from "./rate-distortion.js";
export { rdFigure } from "./rd-figure.js";
