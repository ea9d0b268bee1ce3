/**
 * PNG files from Node, through pngjs: writePng(path, raster), encodePng(raster) -> Buffer,
 * and decodePng / readPng back to a Raster. Node only (pngjs uses Node's zlib and Buffer);
 * the runtime-neutral encoder is encodePng in ../png.ts.
 *
 * Errors: encodePng and writePng throw VizError for a raster that cannot be drawn; writePng
 * writes atomically (writeFileAtomic) and rejects with FileWriteError when the write fails.
 * decodePng and readPng read bytes from outside, so they return Either<DataError, Raster>, the
 * class of every PNG-reading edge (as readPngHeader and the PNG folder loader), and check the
 * header and the image data against the image limits first, as the PNG folder loader does.
 */
import { readFileSync, statSync } from "node:fs";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { DataError } from "../../data/errors.js";
import { MAX_PNG_FILE_BYTES } from "../../data/limits.js";
import { checkImageData } from "../../data/node/png-folder.js";
import { readPngHeader } from "../../data/png-header.js";
import { writeFileAtomic } from "../../io/node/atomic-write.js";
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

/** Writes the raster as a PNG file, atomically: the file is the whole new picture or what was there before. */
export async function writePng(path: string, r: Raster): Promise<void> {
  await writeFileAtomic(path, encodePng(r));
}

/**
 * A raster from the bytes of a PNG file (any colour type pngjs reads; returned as RGBA).
 * `where` names the bytes in errors (e.g. the file's path).
 */
export function decodePng(bytes: Uint8Array, where = "PNG data"): E.Either<DataError, Raster> {
  // The header within the image limits, and the image data within what the header needs
  // (data/limits.ts), before pngjs inflates anything.
  const header = readPngHeader(bytes, where);
  if (E.isLeft(header)) return header;
  try {
    checkImageData(bytes, header.right, where);
  } catch (e) {
    if (e instanceof DataError) return E.left(e);
    throw e;
  }
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  } catch (e) {
    return E.left(new DataError(where, `cannot decode the PNG (${bytes.length} bytes): ${e instanceof Error ? e.message : String(e)}`));
  }
  return E.right(fromRgba(png.width, png.height, new Uint8ClampedArray(png.data)));
}

/**
 * The raster of the PNG file at `path`; Left: a DataError naming the path (also for a file larger
 * than `maxFileBytes`, default MAX_PNG_FILE_BYTES, checked before it is read).
 */
export function readPng(path: string, maxFileBytes: number = MAX_PNG_FILE_BYTES): E.Either<DataError, Raster> {
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > maxFileBytes) {
      return E.left(new DataError(path, `file is ${size} bytes, more than the limit of ${maxFileBytes} bytes (MAX_PNG_FILE_BYTES)`,
        { name: "MAX_PNG_FILE_BYTES", max: maxFileBytes, found: size }));
    }
    bytes = readFileSync(path);
  } catch (e) {
    return E.left(new DataError(path, `cannot read: ${String(e)}`));
  }
  return decodePng(bytes, path);
}
