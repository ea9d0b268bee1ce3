/**
 * CRC-32 as in zlib, PNG and gzip: reflected polynomial 0xEDB88320, initial value and final XOR
 * 0xFFFFFFFF. `crc32Update` continues a running CRC, so crc32(a ++ b) = crc32Update(crc32(a), b).
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 of `crc`'s bytes followed by `bytes` (start with 0 for a fresh CRC). */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function crc32(bytes: Uint8Array): number {
  return crc32Update(0, bytes);
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Continues a CRC-32 over float32 values as little-endian bytes (their layout in the files). */
export function crc32UpdateF32(crc: number, values: Float32Array): number {
  if (LITTLE_ENDIAN) return crc32Update(crc, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  return crc32Update(crc, bytes);
}
