// MAT-files (level 5): a small writer below builds them in both byte orders, compressed or
// not; parseMat reads them back; malformed files become DataErrors with byte offsets. Then
// SAT-6 from sat-6-full.mat-style files written from the real fixture rows, which must load
// equal to the CSV loader's result on the same rows. No .mat file is committed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import * as fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { left, right, tempRoot, expectBytes } from "./support.js";
import type { Dataset } from "../../src/data/dataset.js";
import { matNumbers, matStrings, MI, MX, parseMat, type MatOptions } from "../../src/data/mat.js";
import { loadSat6, nodeInflate } from "../../src/data/node/sat6.js";
import { SAT6_CLASSES, SAT6_VALUES } from "../../src/data/sat6-format.js";
import { annotationNames, colMajorToHwc, hwcToColMajor, sat6FromMat } from "../../src/data/sat6-mat.js";

const freshDir = tempRoot("latent-mat-");

const FIXTURES = fileURLToPath(new URL("../fixtures/sat6", import.meta.url));

// ---- a small MAT-file writer -------------------------------------------------------------

const SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

/** Values encoded as data type `type` in the given byte order. */
function encode(type: number, values: ArrayLike<number>, le: boolean): Uint8Array {
  const size = SIZES[type]!;
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!, at = i * size;
    switch (type) {
      case MI.INT8: v.setInt8(at, x); break;
      case MI.UINT8: case MI.UTF8: v.setUint8(at, x); break;
      case MI.INT16: v.setInt16(at, x, le); break;
      case MI.UINT16: case MI.UTF16: v.setUint16(at, x, le); break;
      case MI.INT32: v.setInt32(at, x, le); break;
      case MI.UINT32: case MI.UTF32: v.setUint32(at, x, le); break;
      case MI.SINGLE: v.setFloat32(at, x, le); break;
      case MI.DOUBLE: v.setFloat64(at, x, le); break;
      case MI.INT64: v.setBigInt64(at, BigInt(x), le); break;
      case MI.UINT64: v.setBigUint64(at, BigInt(x), le); break;
      default: throw new Error(`type ${type}`);
    }
  }
  return out;
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

/** A data element: the small form for 1..4 bytes (unless `long`), else tag + data padded to 8 (unless `unpadded`). */
function element(type: number, data: Uint8Array, le: boolean, o: { long?: boolean; unpadded?: boolean } = {}): Uint8Array {
  if (!o.long && data.length >= 1 && data.length <= 4) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, (data.length << 16) | type, le);
    out.set(data, 4);
    return out;
  }
  const padded = o.unpadded ? data.length : data.length + ((8 - (data.length % 8)) % 8);
  const out = new Uint8Array(8 + padded);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, data.length, le);
  out.set(data, 8);
  return out;
}

interface WArray {
  readonly name?: string;
  readonly cls: number;
  readonly dims: readonly number[];
  /** Data type and values of the real part. */
  readonly real?: { readonly type: number; readonly values: ArrayLike<number> };
  readonly imag?: { readonly type: number; readonly values: ArrayLike<number> };
  readonly cells?: readonly WArray[];
  /** Flag bits (complex 0x08, logical 0x02). */
  readonly flags?: number;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function matrix(a: WArray, le: boolean): Uint8Array {
  return element(MI.MATRIX, concat([
    element(MI.UINT32, encode(MI.UINT32, [a.cls | ((a.flags ?? 0) << 8), 0], le), le),
    element(MI.INT32, encode(MI.INT32, a.dims, le), le),
    element(MI.INT8, ascii(a.name ?? ""), le),
    ...(a.real ? [element(a.real.type, encode(a.real.type, a.real.values, le), le)] : []),
    ...(a.imag ? [element(a.imag.type, encode(a.imag.type, a.imag.values, le), le)] : []),
    ...(a.cells ?? []).map((c) => matrix(c, le)),
  ]), le, { long: true });
}

interface FileOptions { readonly le?: boolean; readonly compress?: boolean; readonly version?: number; readonly text?: string }

/** A MAT-file: the 128-byte header, then each array as miMATRIX or wrapped in miCOMPRESSED. */
function matFile(arrays: readonly WArray[], o: FileOptions = {}): Uint8Array {
  const le = o.le ?? true;
  const header = new Uint8Array(128).fill(32);
  header.set(ascii((o.text ?? "MATLAB 5.0 MAT-file, Platform: GLNXA64, written by the latent tests").slice(0, 116)));
  header.fill(0, 116, 124);
  new DataView(header.buffer).setUint16(124, o.version ?? 0x0100, le);
  header.set(ascii(le ? "IM" : "MI"), 126);
  return concat([header, ...arrays.map((a) => {
    const m = matrix(a, le);
    return o.compress ? element(MI.COMPRESSED, deflateSync(m), le, { long: true, unpadded: true }) : m;
  })]);
}

const char = (name: string, rows: readonly string[], type: number = MI.UTF16): WArray => {
  const width = Math.max(...rows.map((r) => r.length));
  const padded = rows.map((r) => r.padEnd(width));
  const values: number[] = [];
  for (let c = 0; c < width; c++) for (const r of padded) values.push(r.charCodeAt(c));
  return { name, cls: MX.CHAR, dims: [rows.length, width], real: { type, values } };
};

const parse = (bytes: Uint8Array, o: MatOptions = { inflate: nodeInflate }) => parseMat(bytes, "t.mat", o);
const BOTH: FileOptions[] = [{ le: true }, { le: false }, { le: true, compress: true }, { le: false, compress: true }];

// ---- parseMat --------------------------------------------------------------------------------

describe("parseMat", () => {
  const arrays: WArray[] = [
    { name: "u8", cls: MX.UINT8, dims: [2, 3], real: { type: MI.UINT8, values: [0, 1, 2, 253, 254, 255] } },
    { name: "x", cls: MX.UINT8, dims: [1, 3], real: { type: MI.UINT8, values: [7, 8, 9] } }, // small elements: name and data
    { name: "dbl", cls: MX.DOUBLE, dims: [1, 2], real: { type: MI.DOUBLE, values: [1.5, -2.25] } },
    { name: "narrowed", cls: MX.DOUBLE, dims: [2, 2], real: { type: MI.UINT8, values: [0, 1, 0, 1] } },
    { name: "i16", cls: MX.INT16, dims: [1, 3], real: { type: MI.INT16, values: [-300, 0, 300] } },
    { name: "u16", cls: MX.UINT16, dims: [1, 1], real: { type: MI.UINT16, values: [65535] } },
    { name: "i32", cls: MX.INT32, dims: [1, 2], real: { type: MI.INT32, values: [-70000, 70000] } },
    { name: "u32", cls: MX.UINT32, dims: [1, 1], real: { type: MI.UINT32, values: [4e9] } },
    { name: "sgl", cls: MX.SINGLE, dims: [1, 2], real: { type: MI.SINGLE, values: [0.5, -8] } },
    { name: "i64", cls: MX.INT64, dims: [1, 2], real: { type: MI.INT64, values: [-5, 2 ** 40] } },
    { name: "u64", cls: MX.UINT64, dims: [1, 1], real: { type: MI.UINT64, values: [2 ** 50] } },
    { name: "cplx", cls: MX.DOUBLE, dims: [1, 1], flags: 0x08, real: { type: MI.DOUBLE, values: [1] }, imag: { type: MI.DOUBLE, values: [2] } },
    { name: "logic", cls: MX.UINT8, dims: [1, 2], flags: 0x02, real: { type: MI.UINT8, values: [1, 0] } },
    char("txt", ["hello", "ab"]),
    { name: "cell", cls: MX.CELL, dims: [1, 3], cells: [char("", ["one"], MI.UTF8), { cls: MX.DOUBLE, dims: [1, 1], real: { type: MI.DOUBLE, values: [3] } }, { cls: MX.DOUBLE, dims: [0, 0] }] },
    { name: "st", cls: MX.STRUCT, dims: [1, 1] },
  ];

  it("reads every numeric class and data type, char and cell arrays, in both byte orders, compressed or not", () => {
    for (const o of BOTH) {
      const mat = right(parse(matFile(arrays, o)));
      expect(mat.littleEndian).toBe(o.le);
      expect(mat.text).toBe("MATLAB 5.0 MAT-file, Platform: GLNXA64, written by the latent tests");
      expect([...mat.variables.keys()]).toEqual(arrays.map((a) => a.name));
      for (const a of arrays.filter((a) => a.real)) {
        const v = mat.variables.get(a.name!)!;
        expect(v.dims).toEqual(a.dims);
        expect(v.classId).toBe(a.cls);
        if (a.cls !== MX.CHAR) expect(Array.from(matNumbers(v.real!))).toEqual(Array.from(a.real!.values));
      }
      const get = (n: string) => mat.variables.get(n)!;
      expect(get("u8").real!.type).toBe(MI.UINT8);
      expect(matNumbers(get("u8").real!)).toBeInstanceOf(Uint8Array);
      expect([get("narrowed").className, get("narrowed").real!.type]).toEqual(["double", MI.UINT8]);
      expect([get("cplx").complex, get("logic").logical, get("u8").complex]).toEqual([true, true, false]);
      expect(matStrings(get("txt"))).toEqual(["hello", "ab"]);
      const cells = get("cell").cells!;
      expect(cells.map((c) => c.className)).toEqual(["char", "double", "double"]);
      expect(matStrings(cells[0]!)).toEqual(["one"]);
      expect(cells[2]!.dims).toEqual([0, 0]);
      expect([get("st").className, get("st").real, get("st").cells]).toEqual(["struct", null, null]);
    }
  });

  it("keeps only the variables asked for", () => {
    const mat = right(parse(matFile(arrays, { compress: true }), { inflate: nodeInflate, names: ["x", "txt", "absent"] }));
    expect([...mat.variables.keys()]).toEqual(["x", "txt"]);
  });

  it("round-trips random uint8 and double arrays", () => {
    const arb = fc.record({
      dims: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 4 }),
      le: fc.boolean(), compress: fc.boolean(), dbl: fc.boolean(),
      name: fc.stringMatching(/^[a-z][a-z0-9_]{0,9}$/),
    }).chain((r) => {
      const n = r.dims.reduce((p, d) => p * d, 1);
      return fc.array(r.dbl ? fc.double({ noNaN: true }) : fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n }).map((values) => ({ ...r, values }));
    });
    fc.assert(fc.property(arb, (r) => {
      const a: WArray = { name: r.name, cls: r.dbl ? MX.DOUBLE : MX.UINT8, dims: r.dims, real: { type: r.dbl ? MI.DOUBLE : MI.UINT8, values: r.values } };
      const v = right(parse(matFile([a], r)))!.variables.get(r.name)!;
      expect(v.dims).toEqual(r.dims);
      expect(Array.from(matNumbers(v.real!))).toEqual(r.values);
    }));
  });

  it("refuses broken headers", () => {
    const good = matFile([arrays[0]!]);
    expect(left(parse(good.subarray(0, 100))).message).toMatch(/^t\.mat at byte 0: truncated MAT-file header: expected 128 bytes, found 100$/);
    expect(left(parse(matFile([], { text: "Something else" }))).message).toMatch(/not a level-5 MAT-file: expected the header text to start with "MATLAB", found "Something else"/);
    expect(left(parse(matFile([], { version: 0x0200 }))).message).toMatch(/t\.mat at byte 124: MAT-file version 7\.3 \(an HDF5 file\) is not supported/);
    expect(left(parse(matFile([], { version: 0x0101, le: false }))).message).toMatch(/at byte 124: MAT-file version: expected 0x0100, found 0x0101/);
    const swapped = Uint8Array.from(good);
    swapped.set(ascii("XY"), 126);
    expect(left(parse(swapped)).message).toMatch(/at byte 126: MAT-file endian indicator: expected "IM" .* found bytes 0x58 0x59/);
    expect(right(parse(matFile([]))).variables.size).toBe(0);
  });

  it("refuses elements that run past the end, truncated tags and unknown types", () => {
    for (const le of [true, false]) {
      const good = matFile([arrays[0]!], { le });
      expect(left(parse(good.subarray(0, good.length - 9))).message).toMatch(/t\.mat at byte 128: data element: element of miMATRIX claims 56 bytes, only 47 remain/);
      expect(left(parse(good.subarray(0, 132))).message).toMatch(/at byte 128: truncated data element: a tag needs 8 bytes, 4 remain/);
      expect(right(parse(concat([good, new Uint8Array(5)]))).variables.size).toBe(1); // zero padding at the end is fine
      const unknown = concat([good, element(99, new Uint8Array(8), le)]);
      expect(left(parse(unknown)).message).toMatch(/at byte 192: unknown data element type 99/);
    }
    // a sub-element whose size runs past its array
    const inner = matFile([arrays[0]!]);
    new DataView(inner.buffer).setUint32(128 + 8 + 16 + 4, 200, true); // the dims element claims 200 bytes
    expect(left(parse(inner)).message).toMatch(/at byte 152: array dimensions: element of miINT32 claims 200 bytes, only \d+ remain/);
    // a small element claiming more than 4 bytes
    const small = matFile([arrays[1]!]);
    new DataView(small.buffer).setUint16(128 + 8 + 16 + 16 + 2, 6, true); // the name "x": small form, 6 bytes
    expect(left(parse(small)).message).toMatch(/array name: small data element of miINT8 claims 6 bytes, at most 4 fit/);
  });

  it("refuses bad array flags, classes, dimensions and real parts", () => {
    const patch = (a: WArray, at: number, value: number, size: 4 | 1 = 4) => {
      const b = matFile([a]);
      if (size === 4) new DataView(b.buffer).setUint32(at, value, true); else b[at] = value;
      return left(parse(b)).message;
    };
    const u8 = arrays[0]!;
    expect(patch(u8, 136, MI.INT32)).toMatch(/at byte 136: array flags: expected miUINT32 of 8 bytes, found miINT32 of 8 bytes/);
    expect(patch(u8, 144, 42, 1)).toMatch(/at byte 144: unknown array class 42 \(expected 1\.\.17\)/);
    expect(patch(u8, 152, MI.DOUBLE)).toMatch(/at byte 152: array dimensions: expected miINT32 with at least 2 values, found miDOUBLE/);
    expect(patch(u8, 160, -1)).toMatch(/array dimensions: negative dimension in \[-1, 3\]/);
    expect(left(parse(matFile([{ ...u8, dims: [2, 4] }]))).message).toMatch(/at byte 128: uint8 array u8: dims \[2, 4\] need 8 values, the real part holds 6/);
    // the real part's (or first cell's) tag is at byte 176 for a one-letter name
    const poked = (a: WArray, value: number) => left(parse(matFile([a]).map((b, i) => (i === 176 ? value : b)))).message;
    expect(poked({ name: "m", cls: MX.DOUBLE, dims: [1, 1], real: { type: MI.DOUBLE, values: [1] } }, MI.MATRIX))
      .toMatch(/at byte 176: real part of m: .*expected numeric data, found miMATRIX|real part of double array m: expected numeric data, found miMATRIX/);
    expect(poked({ name: "d", cls: MX.DOUBLE, dims: [1, 1], real: { type: MI.INT16, values: [1, 2, 3] } }, MI.INT32))
      .toMatch(/at byte 176: real part of d: 6 bytes is not a whole number of miINT32 values/);
    expect(poked({ name: "c", cls: MX.CELL, dims: [1, 1], cells: [arrays[0]!] }, MI.DOUBLE)).toMatch(/at byte 176: cell 1: expected miMATRIX, found miDOUBLE/);
    expect(left(parse(matFile([{ name: "c", cls: MX.CELL, dims: [1000, 1000], cells: [] }]))).message).toMatch(/cell array \[1000, 1000\]: more cells than/);
  });

  it("refuses corrupt, truncated and oversized compressed elements, naming the inflated offset", () => {
    const good = matFile([arrays[0]!, arrays[2]!], { compress: true });
    const corrupt = Uint8Array.from(good);
    for (let i = 140; i < 150; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
    expect(left(parse(corrupt)).message).toMatch(/^t\.mat at byte 128: corrupt compressed element \(\d+ zlib bytes\): (corrupt zlib data|truncated zlib stream)/);
    // cut the zlib stream short and shrink its tag to match
    const size = new DataView(good.buffer).getUint32(132, true);
    const cut = Uint8Array.from(good.subarray(0, 136 + size - 10));
    new DataView(cut.buffer).setUint32(132, size - 10, true);
    expect(left(parse(cut)).message).toMatch(/at byte 128: corrupt compressed element .*truncated zlib stream: unexpected end of file/);
    // the first tag declares more than the cap: refused before the element is inflated
    const early = left(parse(good, { inflate: nodeInflate, maxInflatedBytes: 50 }));
    expect(early.message).toMatch(/declares an element of 64 bytes, more than the 50 allowed \(the maxInflatedBytes limit, MAX_DATA_BYTES\)/);
    expect(early.limit).toEqual({ name: "MAX_DATA_BYTES", max: 50, found: 64 });
    // an inflate that gives no head: the cap stops the inflation itself
    const noHead: MatOptions["inflate"] = (data, max, head) => (head ? null : nodeInflate(data, max));
    expect(left(parse(good, { inflate: noHead, maxInflatedBytes: 50 })).message).toMatch(/inflates to more than 50 bytes \(the maxInflatedBytes limit, MAX_DATA_BYTES\)/);
    expect(left(parse(good, {})).message).toMatch(/at byte 128: compressed element .* but no inflate function was given/);
    // an error inside the inflated data names both offsets
    const badInside = matFile([], {});
    const m = matrix(arrays[0]!, true);
    m[16] = 42; // class byte
    const file = concat([badInside, element(MI.COMPRESSED, deflateSync(m), true, { long: true, unpadded: true })]);
    expect(left(parse(file)).message).toMatch(/^t\.mat at byte 128 \(compressed element, inflated byte 16 of 64\): unknown array class 42/);
    // a compressed element inside a compressed element
    const nested = element(MI.COMPRESSED, deflateSync(m), true, { long: true, unpadded: true });
    const twice = concat([badInside, element(MI.COMPRESSED, deflateSync(nested), true, { long: true, unpadded: true })]);
    expect(left(parse(twice)).message).toMatch(/inflated byte 0 of \d+\): compressed element inside a compressed element/);
  });
});

// ---- SAT-6 from .mat ------------------------------------------------------------------------

const csvLines = (name: string): string[] => readFileSync(join(FIXTURES, name), "utf8").split(/\r?\n/).filter((l) => l !== "");

/** The fixture rows as sat-6-full.mat arrays: x column-major [28, 28, 4, n], y [6, n] one-hot. */
function sat6Arrays(o: { yType?: number; yClass?: number; n?: { train: number; test: number } } = {}): WArray[] {
  const split = (prefix: "train" | "test", x: string, y: string, n: number): WArray[] => {
    const hwc = Uint8Array.from(csvLines(x).slice(0, n).flatMap((l) => l.split(",").map(Number)));
    const onehot = csvLines(y).slice(0, n).flatMap((l) => l.split(",").map(Number));
    return [
      { name: `${prefix}_x`, cls: MX.UINT8, dims: [28, 28, 4, n], real: { type: MI.UINT8, values: hwcToColMajor(hwc, n) } },
      { name: `${prefix}_y`, cls: o.yClass ?? MX.DOUBLE, dims: [6, n], real: { type: o.yType ?? MI.DOUBLE, values: onehot } },
    ];
  };
  return [
    ...split("train", "train_X_16.csv", "train_y_16.csv", o.n?.train ?? 16),
    ...split("test", "test_X_8.csv", "test_y_8.csv", o.n?.test ?? 8),
  ];
}

const annotations = {
  cell: {
    name: "annotations", cls: MX.CELL, dims: [6, 2],
    cells: [
      ...SAT6_CLASSES.map((c) => char("", [c])),
      ...SAT6_CLASSES.map((_, i) => ({ cls: MX.DOUBLE, dims: [1, 6], real: { type: MI.UINT8, values: [0, 1, 2, 3, 4, 5].map((j) => (j === i ? 1 : 0)) } })),
    ],
  } satisfies WArray,
};

function writeMat(arrays: readonly WArray[], o: FileOptions = {}): string {
  const file = join(freshDir(), "sat-6-full.mat");
  writeFileSync(file, matFile(arrays, o));
  return file;
}

function expectSame(a: Dataset, b: Dataset): void {
  expect(a.name).toBe(b.name);
  expect(a.imageShape).toEqual(b.imageShape);
  expect(a.classNames).toEqual(b.classNames);
  for (const s of ["train", "test"] as const) {
    expect(a[s].n).toBe(b[s].n);
    expectBytes(a[s].pixels, b[s].pixels);
    expect(a[s].labels).toEqual(b[s].labels);
  }
}

describe("loadSat6 on sat-6-full.mat", () => {
  it("equals the CSV loader on the same real patches, compressed or not, either byte order, y as double or uint8", async () => {
    const csv = right(await loadSat6(FIXTURES)());
    for (const o of BOTH) {
      for (const y of [{ yType: MI.DOUBLE }, { yType: MI.UINT8 }, { yType: MI.UINT8, yClass: MX.UINT8 }, { yType: MI.SINGLE, yClass: MX.SINGLE }]) {
        const ds = right(await loadSat6(writeMat([...sat6Arrays(y), annotations.cell], o))());
        expectSame(ds, csv);
        expect(Object.getPrototypeOf(ds.train.pixels)).toBe(Uint8Array.prototype);
      }
    }
  });

  it("limit keeps the first samples", async () => {
    const file = writeMat([...sat6Arrays(), annotations.cell], { compress: true });
    for (const limit of [1, 5, 8, 100]) expectSame(right(await loadSat6(file, { limit })()), right(await loadSat6(FIXTURES, { limit })()));
  });

  it("class names: from a cell array (ordered by its one-hot column), a char matrix, or the fallback", async () => {
    const shuffled: WArray = { ...annotations.cell, cells: [...annotations.cell.cells.slice(0, 6).reverse(), ...annotations.cell.cells.slice(6).reverse()] };
    expect(right(await loadSat6(writeMat([...sat6Arrays(), shuffled]))()).classNames).toEqual(SAT6_CLASSES);
    const names = ["a", "bb", "ccc", "d", "e", "f"];
    expect(right(await loadSat6(writeMat([...sat6Arrays(), char("annotations", names)]))()).classNames).toEqual(names);
    expect(right(await loadSat6(writeMat(sat6Arrays()))()).classNames).toEqual(SAT6_CLASSES);
    expect(right(await loadSat6(writeMat([...sat6Arrays(), char("annotations", ["only", "two"])]))()).classNames).toEqual(SAT6_CLASSES);
    expect(right(await loadSat6(writeMat([...sat6Arrays(), { name: "annotations", cls: MX.STRUCT, dims: [1, 1] }]))()).classNames).toEqual(SAT6_CLASSES);
    expect(annotationNames(undefined)).toBeNull();
  });

  it("accepts a single patch stored as [28, 28, 4] (MATLAB drops the trailing 1)", async () => {
    const arrays = sat6Arrays({ n: { train: 1, test: 2 } }).map((a) => (a.name === "train_x" ? { ...a, dims: [28, 28, 4] } : a));
    const ds = right(await loadSat6(writeMat(arrays))());
    const csv = right(await loadSat6(FIXTURES, { limit: 2 })());
    expect([ds.train.n, ds.test.n]).toEqual([1, 2]);
    expectBytes(ds.train.pixels, csv.train.pixels.subarray(0, SAT6_VALUES));
    expectBytes(ds.test.pixels, csv.test.pixels);
    expect([ds.train.labels![0], ...ds.test.labels!]).toEqual([csv.train.labels![0], ...csv.test.labels!]);
  });

  it("refuses missing variables, wrong classes, wrong dims, count mismatches and labels that are not one-hot", async () => {
    const base = sat6Arrays();
    const without = (name: string) => base.filter((a) => a.name !== name);
    const replace = (name: string, f: (a: WArray) => WArray) => base.map((a) => (a.name === name ? f(a) : a));
    const message = async (arrays: WArray[], o: FileOptions = { compress: true }) => {
      const file = writeMat(arrays, o);
      const e = left(await loadSat6(file)());
      expect(e.where).toBe(file);
      return e.message;
    };
    expect(await message(without("test_y"))).toMatch(/missing variable test_y \(expected train_x, train_y, test_x, test_y\); found train_x, train_y, test_x$/);
    expect(await message([])).toMatch(/missing variable train_x .*found no variables$/);
    expect(await message(replace("train_x", (a) => ({ ...a, cls: MX.DOUBLE, real: { type: MI.UINT8, values: a.real!.values } }))))
      .toMatch(/train_x: expected a real uint8 array \(class mxUINT8_CLASS = 9\), found double$/);
    expect(await message(replace("train_x", (a) => ({ ...a, flags: 0x08, imag: a.real }))))
      .toMatch(/train_x: expected a real uint8 array .*found complex uint8$/);
    expect(await message(replace("test_x", (a) => ({ ...a, dims: [28, 28, 2, 16] }))))
      .toMatch(/test_x: expected dims \[28, 28, 4, N\], found \[28, 28, 2, 16\]$/);
    expect(await message(replace("test_x", (a) => ({ ...a, dims: [28 * 28 * 4, 8] }))))
      .toMatch(/test_x: expected dims \[28, 28, 4, N\], found \[3136, 8\]$/);
    const short = sat6Arrays({ n: { train: 16, test: 8 } });
    const fewer = short.map((a) => (a.name === "train_y" ? { ...a, dims: [6, 15], real: { type: MI.DOUBLE, values: Array.from(a.real!.values).slice(0, 90) } } : a));
    expect(await message(fewer)).toMatch(/sample count mismatch: 15 labels in train_y but 16 patches in train_x$/);
    expect(await message(replace("train_y", (a) => ({ ...a, dims: [16, 6] })))).toMatch(/train_y: expected dims \[6, N\] \(one-hot columns\), found \[16, 6\]$/);
    expect(await message(replace("train_y", (a) => ({ ...a, real: { type: MI.DOUBLE, values: Array.from(a.real!.values, (v, i) => (i === 14 ? 0.5 : v)) } }))))
      .toMatch(/train_y: column 3 is not one-hot \(one 1, the rest 0\): 0,0,0.5,0,0,1$/);
    expect(await message(replace("train_y", (a) => ({ ...a, real: { type: MI.DOUBLE, values: Array.from(a.real!.values, (v, i) => (i < 6 ? 1 : v)) } }))))
      .toMatch(/train_y: column 1 is not one-hot .*: 1,1,1,1,1,1$/);
    expect(await message(replace("test_y", (a) => ({ ...char("test_y", ["ab"]), dims: [1, 2], name: a.name })))).toMatch(/test_y: expected a real numeric array .*found char$/);
  });

  it("refuses files that are not, or not wholly, MAT-files", async () => {
    const dir = freshDir();
    const junk = join(dir, "junk.mat");
    writeFileSync(junk, "hello, I am not a MAT-file at all; ".repeat(10));
    expect(left(await loadSat6(junk)()).message).toMatch(/junk\.mat at byte 0: not a level-5 MAT-file/);
    const bytes = matFile(sat6Arrays(), { compress: true });
    const cut = join(dir, "cut.mat");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    expect(left(await loadSat6(cut)()).message).toMatch(/cut\.mat at byte \d+: data element: element of miCOMPRESSED claims \d+ bytes, only \d+ remain/);
    const big = writeMat(sat6Arrays());
    expect(left(await loadSat6(big, { maxMatBytes: 1000 })()).message).toMatch(/file is \d+ bytes, more than the limit of 1000 bytes \(maxMatBytes\)/);
    expect(left(await loadSat6(big, { limit: 0 })()).message).toMatch(/limit must be a positive integer, got 0/);
    expect(left(await loadSat6(writeMat([], { version: 0x0200 }))()).message).toMatch(/version 7\.3/);
  });

  it("sat6FromMat copies unless told to convert in place", () => {
    const bytes = matFile(sat6Arrays());
    const before = Uint8Array.from(bytes);
    const mat = right(parseMat(bytes, "m"));
    const copied = right(sat6FromMat(mat, "m"));
    expect(bytes).toEqual(before);
    const inPlace = right(sat6FromMat(right(parseMat(bytes, "m")), "m", { inPlace: true }));
    expect(inPlace.train.pixels.buffer).toBe(bytes.buffer);
    expectBytes(inPlace.train.pixels, copied.train.pixels);
    expect(E.isLeft(sat6FromMat(mat, "m", { limit: -1 }))).toBe(true);
  });

  it("colMajorToHwc inverts hwcToColMajor, also in place", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 31 }), (n, seed) => {
      const hwc = Uint8Array.from({ length: n * SAT6_VALUES }, (_, i) => (i * 2654435761 + seed) >>> 24);
      const cm = hwcToColMajor(hwc, n);
      // the layouts: value (r, c, b) of sample s
      if (n > 0) expect(cm[(n - 1) * SAT6_VALUES + 5 + 28 * (7 + 28 * 3)]).toBe(hwc[(n - 1) * SAT6_VALUES + (5 * 28 + 7) * 4 + 3]);
      const out = new Uint8Array(cm.length);
      colMajorToHwc(cm, out, n);
      expect(out).toEqual(hwc);
      colMajorToHwc(cm, cm, n);
      expect(cm).toEqual(hwc);
    }), { numRuns: 20 });
  });
});
