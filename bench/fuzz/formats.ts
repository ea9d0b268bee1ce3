/**
 * The formats the fuzz harness mutates: their seed files, the header fields worth setting, how a
 * case is mutated (inside the compression as well as the compressed bytes, CRCs fixed or not so
 * that mutations reach the checks behind them) and the loader each case runs.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { deflateSync, gunzipSync, gzipSync, inflateSync } from "node:zlib";
import * as E from "fp-ts/lib/Either.js";
import { decodeCompressed } from "../../src/apps/compress/format.js";
import { DataError } from "../../src/data/errors.js";
import { loadIdxDir } from "../../src/data/node/idx-dir.js";
import { loadPngFolder } from "../../src/data/node/png-folder.js";
import { loadSat6Csv, loadSat6Mat } from "../../src/data/node/sat6.js";
import { crc32 } from "../../src/io/crc32.js";
import { ModelFileError } from "../../src/io/model-file.js";
import { loadModel } from "../../src/io/node/model-file.js";
import { Draw, mutate, type Field, type Mutated } from "./mutate.js";
import { FIXTURES, SEEDS, type Files } from "./seeds.js";

export const FORMATS = ["idx", "idx-gz", "png", "csv", "mat", "mat-z", "safetensors", "latc"] as const;
export type FormatName = (typeof FORMATS)[number];

/** What a load ended in: a valid load, or a Left of the loader's error class (with the limit it names, if any). */
export type Outcome = { readonly kind: "valid" } | { readonly kind: "refused"; readonly error: string; readonly limit?: string; readonly message: string };

function readTree(dir: string): Files {
  const files: Files = new Map();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(relative(dir, p), new Uint8Array(readFileSync(p)));
    }
  };
  walk(dir);
  return files;
}

export function seedOf(format: FormatName): Files {
  if (format === "csv") return readTree(join(FIXTURES, "sat6"));
  if (format === "safetensors") return new Map([["model.safetensors", new Uint8Array(readFileSync(join(FIXTURES, "torch-twin", "conditional-vae.safetensors")))]]);
  return readTree(join(SEEDS, format));
}

const u32be = (at: number, name: string): Field => ({ at, width: 4, le: false, name });
const u32le = (at: number, name: string): Field => ({ at, width: 4, le: true, name });
const u8 = (at: number, name: string): Field => ({ at, width: 1, le: true, name });

function idxFields(b: Uint8Array): Field[] {
  const rank = Math.min(b[3] ?? 0, 4);
  return [u8(2, "dtype"), u8(3, "rank"), ...Array.from({ length: rank }, (_, i) => u32be(4 + 4 * i, `dim ${i}`))];
}

/** PNG chunks: offset of each chunk's length field, its data and its end (CRC included). */
function pngChunks(b: Uint8Array): { at: number; type: string; end: number }[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength), out = [];
  for (let at = 8; at + 12 <= b.length;) {
    const end = at + 12 + v.getUint32(at, false);
    out.push({ at, type: String.fromCharCode(...b.subarray(at + 4, at + 8)), end });
    at = end;
  }
  return out;
}

function pngFields(b: Uint8Array): Field[] {
  const ihdr = [u32be(8, "IHDR length"), u32be(16, "width"), u32be(20, "height"), u8(24, "bit depth"), u8(25, "colour type"),
    u8(26, "compression"), u8(27, "filter"), u8(28, "interlace")];
  return [...ihdr, ...pngChunks(b).filter((c) => c.type !== "IHDR").map((c) => u32be(c.at, `${c.type} length`))];
}

function fixPngCrcs(b: Uint8Array): Uint8Array {
  const out = b.slice(), v = new DataView(out.buffer);
  for (const c of pngChunks(out)) if (c.end <= out.length) v.setUint32(c.end - 4, crc32(out.subarray(c.at + 4, c.end - 4)), false);
  return out;
}

/** Top-level MAT elements from byte 128: tag, class byte and dimension fields of each. */
function matFields(b: Uint8Array, start = 128): Field[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength), out: Field[] = [{ at: 124, width: 2, le: true, name: "version" }];
  for (let p = start, k = 0; p + 8 <= b.length && k < 8; k++) {
    const type = v.getUint32(p, true), size = v.getUint32(p + 4, true);
    out.push(u32le(p, `element ${k} type`), u32le(p + 4, `element ${k} size`));
    if (type === 14) out.push(u8(p + 16, `element ${k} class`), u32le(p + 28, `element ${k} dims size`), ...[0, 1, 2, 3].map((i) => u32le(p + 32 + 4 * i, `element ${k} dim ${i}`)));
    p += 8 + (type === 15 ? size : size + ((8 - (size % 8)) % 8));
  }
  return out;
}

function latcFields(): Field[] {
  return [{ at: 4, width: 2, le: true, name: "version" }, u8(6, "quantiser"), u8(7, "bits"), u32le(8, "count"), u32le(12, "latent"),
    u32le(48, "payload length"), u32le(52, "payload CRC"), u32le(56, "images CRC")];
}

function fixLatcCrcs(b: Uint8Array): Uint8Array {
  if (b.length < 64) return b;
  const out = b.slice(), v = new DataView(out.buffer);
  const q = out[6] === 0 ? 8 * v.getUint32(12, true) : 0;
  if (60 + q + 4 > out.length) return out;
  const p = v.getUint32(48, true), start = 64 + q;
  if (start + p <= out.length) v.setUint32(52, crc32(out.subarray(start, start + p)), true);
  v.setUint32(60 + q, crc32(out.subarray(0, 60 + q)), true);
  return out;
}

/** A mutation of a safetensors header: one number of its JSON set to an edge value, N fixed or not. */
function safetensorsJson(b: Uint8Array, d: Draw): Mutated {
  const n = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  const text = new TextDecoder().decode(b.subarray(8, 8 + n));
  const numbers = [...text.matchAll(/\d+/g)];
  if (numbers.length === 0) return mutate(b, d, []);
  const m = d.pick(numbers), value = String(d.pick([0, 1, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 53, Number(m[0]) + 1]));
  const header = new TextEncoder().encode(text.slice(0, m.index) + value + text.slice(m.index! + m[0].length));
  const keep = d.chance(0.3);
  const out = new Uint8Array(8 + header.length + b.length - 8 - n);
  new DataView(out.buffer).setUint32(0, keep ? n : header.length, true);
  out.set(header, 8);
  out.set(b.subarray(8 + n), 8 + header.length);
  return { bytes: out, what: `header number ${m[0]} at char ${m.index} -> ${value}${keep ? " (N kept)" : ""}` };
}

/** A CSV mutation on the text: a value replaced, a comma or a line removed, a line repeated. */
function csvText(b: Uint8Array, d: Draw): Mutated {
  const text = new TextDecoder().decode(b);
  const lines = text.split("\n");
  const li = d.below(lines.length), line = lines[li]!;
  const mode = d.below(4);
  if (mode === 0) {
    const fields = line.split(","), fi = d.below(fields.length), value = d.pick(["256", "-1", "", " 7 ", "2147483647", "4294967295", "1e3", "0x10"]);
    fields[fi] = value;
    lines[li] = fields.join(",");
    return { bytes: new TextEncoder().encode(lines.join("\n")), what: `line ${li + 1} field ${fi + 1} -> ${JSON.stringify(value)}` };
  }
  if (mode === 1) lines[li] = line.replace(",", "");
  else if (mode === 2) lines.splice(li, 1);
  else lines.splice(li, 0, line);
  return { bytes: new TextEncoder().encode(lines.join("\n")), what: `line ${li + 1}: ${["", "a comma removed", "removed", "repeated"][mode]}` };
}

/** Mutates one file of the seed (chosen by the draw); says which and how. */
export function mutateCase(format: FormatName, seed: Files, d: Draw): { files: Files; what: string } {
  const names = [...seed.keys()].filter((n) => format !== "csv" || !n.endsWith(".md"));
  const name = d.pick(names), b = seed.get(name)!;
  let m: Mutated;
  switch (format) {
    case "idx": m = mutate(b, d, idxFields(b)); break;
    case "idx-gz": {
      if (d.chance(0.5)) {
        const inner = mutate(new Uint8Array(gunzipSync(b)), d, idxFields(gunzipSync(b)));
        m = { bytes: new Uint8Array(gzipSync(inner.bytes)), what: `inside the gzip: ${inner.what}` };
      } else m = mutate(b, d, [u32le(b.length - 4, "ISIZE"), u32le(b.length - 8, "CRC-32"), u8(3, "flags"), u8(2, "method")]);
      break;
    }
    case "png": {
      const raw = mutate(b, d, pngFields(b));
      m = d.chance(0.5) ? { bytes: fixPngCrcs(raw.bytes), what: `${raw.what}; CRCs fixed` } : raw;
      break;
    }
    case "csv": m = d.chance(0.5) ? csvText(b, d) : mutate(b, d, []); break;
    case "mat": m = mutate(b, d, matFields(b)); break;
    case "mat-z": m = d.chance(0.5) ? mutateMatInner(b, d) : mutate(b, d, matFields(b)); break;
    case "safetensors": m = d.chance(0.5) ? safetensorsJson(b, d) : mutate(b, d, [u32le(0, "N low"), u32le(4, "N high")]); break;
    case "latc": {
      const raw = mutate(b, d, latcFields());
      m = d.chance(0.5) ? { bytes: fixLatcCrcs(raw.bytes), what: `${raw.what}; CRCs fixed` } : raw;
      break;
    }
  }
  const files = new Map(seed);
  files.set(name, m.bytes);
  return { files, what: `${name}: ${m.what}` };
}

/** Mutates the inflated array of one compressed element of a .mat and compresses it again. */
function mutateMatInner(b: Uint8Array, d: Draw): Mutated {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength), elements: { at: number; size: number }[] = [];
  for (let p = 128; p + 8 <= b.length;) {
    const size = v.getUint32(p + 4, true);
    elements.push({ at: p, size });
    p += 8 + size;
  }
  const e = d.pick(elements);
  const inner = new Uint8Array(inflateSync(b.subarray(e.at + 8, e.at + 8 + e.size)));
  const m = mutate(inner, d, matFields(inner, 0).slice(1));
  const z = deflateSync(m.bytes);
  const out = new Uint8Array(b.length - e.size + z.length);
  out.set(b.subarray(0, e.at + 8));
  new DataView(out.buffer).setUint32(e.at + 4, z.length, true);
  out.set(z, e.at + 8);
  out.set(b.subarray(e.at + 8 + e.size), e.at + 8 + z.length);
  return { bytes: out, what: `inside the compressed element at byte ${e.at}: ${m.what}` };
}

/** The limit an error names: a DataError's `limit`, or a safetensors "...-too-large" kind (of a ModelFileError's cause). */
function limitOf(e: Error): { limit?: string } {
  if (e instanceof DataError) return e.limit ? { limit: e.limit.name } : {};
  const kind = (x: unknown) => (x instanceof Error && "kind" in x ? String(x.kind) : "");
  const k = kind(e).endsWith("too-large") ? kind(e) : kind(e.cause);
  return k.endsWith("too-large") ? { limit: k } : {};
}

function outcome<L extends Error>(r: E.Either<L, unknown>, expected: new (...a: never[]) => L): Outcome {
  if (E.isRight(r)) return { kind: "valid" };
  const e = r.left;
  if (!(e instanceof expected)) throw new Error(`a Left of ${e?.constructor?.name ?? typeof e}, expected ${expected.name}: ${String(e)}`);
  const limit = limitOf(e);
  return { kind: "refused", error: e.name, message: e.message.split("\n")[0]!.slice(0, 300), ...limit };
}

/** Runs the format's loader on a case written into `dir`. */
export async function load(format: FormatName, dir: string): Promise<Outcome> {
  switch (format) {
    case "idx": case "idx-gz": return outcome(await loadIdxDir(dir, "fuzz")(), DataError);
    case "png": return outcome(await loadPngFolder(dir)(), DataError);
    case "csv": return outcome(await loadSat6Csv(dir)(), DataError);
    case "mat": case "mat-z": return outcome(await loadSat6Mat(join(dir, "sat-6.mat"))(), DataError);
    case "safetensors": return outcome(await loadModel(join(dir, "model.safetensors"))(), ModelFileError);
    case "latc": { const p = join(dir, "codes.latc"); return outcome(decodeCompressed(new Uint8Array(readFileSync(p)), p), DataError); }
  }
}
