/**
 * Files: safetensors encoding and decoding, and model files built on it. Runtime-neutral; the
 * Node helpers (writeFileAtomic, saveModel, loadModel) live in ./node/ and are not re-exported
 * here so that this module loads in any runtime.
 */
export {
  dtypeSize, dtypes, MAX_HEADER_BYTES, MAX_HEADER_VALUES, MAX_TENSOR_BYTES, SafetensorsError,
  type Dtype, type DtypeArrays, type SafeTensor, type Safetensors, type SafetensorsErrorKind, type SafetensorsErrorDetails,
} from "./safetensors-format.js";
export { encodeSafetensors } from "./safetensors-write.js";
export { decodeSafetensors } from "./safetensors-read.js";
export {
  modelToSafetensors, modelFromSafetensors, ModelFileError, MODEL_FORMAT_VERSION, OPTIMIZER_SLOTS, metadataKeys,
  type ModelFile, type ModelFileInput, type ModelFileErrorKind, type JsonValue, type JsonObject,
} from "./model-file.js";
