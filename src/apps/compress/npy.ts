/**
 * NumPy .npy files (format version 1.0) of float32 arrays, readable by numpy.load: the magic
 * "\x93NUMPY", version bytes 1 0, the header length (uint16 LE), a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (...), } padded with spaces and ended by
 * "\n" so that the data starts at a multiple of 64 bytes, then the values in C order, little-endian.
 * Returned as parts (header, data) so a large array is not copied to be written.
 */
import { ShapeError } from "../../tensor/tensor.js";

export function encodeNpyF32(values: Float32Array, shape: readonly number[]): Uint8Array[] {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || size !== values.length) {
    throw new ShapeError(`npy: shape [${shape.join(", ")}] does not hold ${values.length} values`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + dict.length + 1;
  dict += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const header = new Uint8Array(10 + dict.length);
  header.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(header.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) header[10 + i] = dict.charCodeAt(i);
  const little = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
  if (little) return [header, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)];
  const data = new Uint8Array(values.length * 4);
  const view = new DataView(data.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  return [header, data];
}
