/**
 * PNG files from Node, through pngjs: writePng(path, raster), encodePng(raster) -> Buffer,
 * and decodePng / readPng back to a Raster. Node only (pngjs uses Node's zlib and Buffer);
 * the runtime-neutral encoder is encodePng in ../png.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { PNG } from "pngjs";
import { fromRgba, VizError, type Raster } from "../raster.js";

/** The PNG file of a raster (8-bit RGBA), encoded by pngjs. */
export function encodePng(r: Raster): Buffer {
  if (!r || r.width < 1 || r.height < 1 || !r.data || r.data.length !== r.width * r.height * 4) {
    throw new VizError("encodePng: not a drawable raster", { expected: "width, height >= 1 and width*height*4 bytes", found: r ? `${r.width} x ${r.height}, ${r.data?.length} bytes` : String(r) });
  }
  const png = new PNG({ width: r.width, height: r.height });
  png.data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length);
  return PNG.sync.write(png, { colorType: 6 });
}

/** Writes the raster as a PNG file. */
export function writePng(path: string, r: Raster): void {
  writeFileSync(path, encodePng(r));
}

/** A raster from the bytes of a PNG file (any colour type pngjs reads; returned as RGBA). */
export function decodePng(bytes: Uint8Array): Raster {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  return fromRgba(png.width, png.height, new Uint8ClampedArray(png.data));
}

export function readPng(path: string): Raster {
  return decodePng(readFileSync(path));
}
