/**
 * Hand-made hostile cases per format, run before the mutated ones: decompression bombs, sizes
 * at the edges of the limits, headers that declare far more than the file holds. Each replaces
 * one file of the seed; each must end in a refusal (or a valid load) within the case's bounds.
 */
import { deflateSync } from "node:zlib";
import { crc32 } from "../../src/io/crc32.js";
import { gzipZeros, zlibZeros } from "./bomb.js";
import type { FormatName } from "./formats.js";
import type { Files } from "./seeds.js";

export interface Bomb { readonly name: string; readonly make: (seed: Files) => Files }

const GB = 1e9;

export const idxHeader = (...dims: number[]) => {
  const b = new Uint8Array(4 + 4 * dims.length);
  b.set([0, 0, 8, dims.length]);
  dims.forEach((d, i) => new DataView(b.buffer).setUint32(4 + 4 * i, d, false));
  return b;
};

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { out.set(p, at); return at + p.length; }, 0);
  return out;
};

const replace = (seed: Files, name: string, bytes: Uint8Array): Files => new Map([...seed, [name, bytes]]);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length), v = new DataView(out.buffer);
  v.setUint32(0, data.length, false);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)), false);
  return out;
}

/** A PNG with a valid IHDR (CRC included) and the given image data. */
export function pngFile(width: number, height: number, colorType: number, interlace: number, idat: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13), v = new DataView(ihdr.buffer);
  v.setUint32(0, width, false);
  v.setUint32(4, height, false);
  ihdr.set([8, colorType, 0, 0, interlace], 8);
  return concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))]);
}

const matHeader = () => {
  const h = new Uint8Array(128);
  h.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, Platform: latent fuzz bomb".padEnd(116, " ")));
  h.set([0x00, 0x01, 0x49, 0x4d], 124);
  return h;
};

/** A .mat holding one compressed element of `zlib` bytes. */
export function matCompressed(zlib: Uint8Array): Uint8Array {
  const out = new Uint8Array(136 + zlib.length);
  out.set(matHeader());
  new DataView(out.buffer).setUint32(128, 15, true);
  new DataView(out.buffer).setUint32(132, zlib.length, true);
  out.set(zlib, 136);
  return out;
}

export const tag = (type: number, size: number) => {
  const t = new Uint8Array(8);
  new DataView(t.buffer).setUint32(0, type, true);
  new DataView(t.buffer).setUint32(4, size, true);
  return t;
};

function safetensors(header: string, data = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** A .latc of n codes of `latent` dimensions at `bits`, every symbol 0, with valid checksums. */
function latc(count: number, latent: number, bits: number): Uint8Array {
  const K = 2 ** bits, body: number[] = [];
  const varint = (v: number) => { while (v >= 0x80) { body.push((v & 0x7f) | 0x80); v = Math.floor(v / 128); } body.push(v); };
  for (let j = 0; j < latent; j++) { varint(count); varint(0); varint(K - 2); }
  const payload = Uint8Array.from(body);
  const out = new Uint8Array(64 + payload.length), v = new DataView(out.buffer);
  out.set([0x4c, 0x41, 0x54, 0x43]);
  v.setUint16(4, 1, true);
  out.set([1, bits], 6);
  v.setUint32(8, count, true);
  v.setUint32(12, latent, true);
  v.setUint32(48, payload.length, true);
  v.setUint32(52, crc32(payload), true);
  v.setUint32(60, crc32(out.subarray(0, 60)), true);
  out.set(payload, 64);
  return out;
}

export const BOMBS: Readonly<Record<FormatName, readonly Bomb[]>> = {
  idx: [
    { name: "header declaring 2^32-1 images in 16 bytes", make: (s) => replace(s, "train-images-idx3-ubyte", idxHeader(2 ** 32 - 1, 28, 28)) },
  ],
  "idx-gz": [
    { name: "2,000,000 images declared over 1.5 GB of zeros", make: (s) => replace(s, "train-images-idx3-ubyte.gz", gzipZeros(idxHeader(2_000_000, 28, 28), 1.5 * GB)) },
    { name: "10 GB of zeros", make: (s) => replace(s, "train-images-idx3-ubyte.gz", gzipZeros(new Uint8Array(0), 10 * GB)) },
    { name: "300,000 images of zeros (235 MB from 230 KB)", make: (s) => replace(s, "train-images-idx3-ubyte.gz", gzipZeros(idxHeader(300_000, 28, 28), 300_000 * 784)) },
    { name: "labels declaring 2^32-1 over 10 GB of zeros", make: (s) => replace(s, "train-labels-idx1-ubyte.gz", gzipZeros(idxHeader(2 ** 32 - 1), 10 * GB)) },
  ],
  png: [
    { name: "100,000 x 100,000", make: (s) => replace(s, "a/0.png", pngFile(100_000, 100_000, 6, 0, deflateSync(new Uint8Array(1000)))) },
    { name: "8192 x 8192 RGBA of zeros (268 MB from 260 KB)", make: (s) => replace(s, "a/0.png", pngFile(8192, 8192, 6, 0, zlibZeros(new Uint8Array(0), 8192 * (1 + 4 * 8192)))) },
    { name: "28 x 28 with 10 GB of image data", make: (s) => replace(s, "a/0.png", pngFile(28, 28, 6, 0, zlibZeros(new Uint8Array(0), 10 * GB))) },
    { name: "28 x 28 interlaced with 10 GB of image data", make: (s) => replace(s, "a/0.png", pngFile(28, 28, 6, 1, zlibZeros(new Uint8Array(0), 10 * GB))) },
  ],
  csv: [
    { name: "a 2 MB line", make: (s) => replace(s, "test_X_8.csv", new TextEncoder().encode("1,".repeat(1 << 20))) },
    { name: "300,000 label rows for 8 pixel rows", make: (s) => replace(s, "test_y_8.csv", new TextEncoder().encode("0,0,1,0,0,0\n".repeat(300_000))) },
    { name: "400,000 label rows (pixels past 1 GiB)", make: (s) => replace(s, "test_y_8.csv", new TextEncoder().encode("0,0,1,0,0,0\n".repeat(400_000))) },
  ],
  mat: [
    { name: "train_x declaring [28, 28, 4, 2^31-1]", make: (s) => {
      const b = s.get("sat-6.mat")!.slice();
      new DataView(b.buffer).setInt32(128 + 44, 2 ** 31 - 1, true);
      return replace(s, "sat-6.mat", b);
    } },
  ],
  "mat-z": [
    { name: "a compressed element of 10 GB of zeros", make: (s) => replace(s, "sat-6.mat", matCompressed(zlibZeros(new Uint8Array(0), 10 * GB))) },
    { name: "an array declaring 4 GB over 10 GB of zeros", make: (s) => replace(s, "sat-6.mat", matCompressed(zlibZeros(tag(14, 2 ** 32 - 8), 10 * GB))) },
    { name: "an array declaring 64 bytes over 10 GB of zeros", make: (s) => replace(s, "sat-6.mat", matCompressed(zlibZeros(tag(14, 56), 10 * GB))) },
  ],
  safetensors: [
    { name: "header length 2^64-1", make: (s) => replace(s, "model.safetensors", new Uint8Array(64).fill(0xff)) },
    { name: "a tensor of 2^31 F32 declared", make: (s) => replace(s, "model.safetensors", safetensors('{"a":{"dtype":"F32","shape":[2147483648],"data_offsets":[0,0]}}')) },
    { name: "a 99 MB header: one shape of 49 million zeros", make: (s) => replace(s, "model.safetensors",
      safetensors(`{"a":{"dtype":"F32","shape":[${"0,".repeat(49_000_000)}0],"data_offsets":[0,0]}}`)) },
    { name: "a 16 MiB header: one shape of 8 million zeros", make: (s) => replace(s, "model.safetensors",
      safetensors(`{"a":{"dtype":"F32","shape":[${"0,".repeat(2 ** 23 - 64)}0],"data_offsets":[0,0]}}`)) },
    { name: "a 16 MiB header: 300,000 metadata keys", make: (s) => replace(s, "model.safetensors",
      safetensors(`{"__metadata__":{${Array.from({ length: 300_000 }, (_, i) => `"k${i}":"${"v".repeat(40)}"`).join(",")}}}`)) },
  ],
  latc: [
    { name: "2^24 symbols declared, tables valid, no stream", make: (s) => replace(s, "codes.latc", latc(2 ** 20, 16, 12)) },
  ],
};
