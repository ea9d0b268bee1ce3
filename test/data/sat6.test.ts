// SAT-6 from the Kaggle CSV files: the real fixture rows in test/fixtures/sat6 (16 train and 8
// test patches of the 400-patch sample), streaming in tiny chunks, every malformed case, and the
// full 400-patch sample in ../shared when it is there. The .mat loader is in mat.test.ts.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { left, right, tempRoot, expectBytes } from "./support.js";
import type { Dataset } from "../../src/data/dataset.js";
import { DataError } from "../../src/data/errors.js";
import { loadDataset } from "../../src/data/node/load.js";
import { loadSat6, loadSat6Csv, streamLines } from "../../src/data/node/sat6.js";
import { LineSplitter, parseAnnotations, parseByteRow, parseOneHotRow } from "../../src/data/sat6-csv.js";
import { SAT6_CLASSES, SAT6_VALUES } from "../../src/data/sat6-format.js";

const freshDir = tempRoot("latent-sat6-");

const FIXTURES = fileURLToPath(new URL("../fixtures/sat6", import.meta.url));
const SAMPLE = fileURLToPath(new URL("../../../shared/data/sat6-sample", import.meta.url));
const FILES = { trainX: "train_X_16.csv", trainY: "train_y_16.csv", testX: "test_X_8.csv", testY: "test_y_8.csv" } as const;

const lines = (file: string): string[] => readFileSync(file, "utf8").split(/\r?\n/).filter((l) => l !== "");
/** The CSV text parsed the slow, obvious way: the reference the loader must match. */
const parsedCsv = new Map<string, Uint8Array>();
const csvPixels = (file: string): Uint8Array => {
  let p = parsedCsv.get(file);
  if (!p) parsedCsv.set(file, p = Uint8Array.from(lines(file).flatMap((l) => l.split(",").map(Number))));
  return p;
};
const csvLabels = (file: string): Uint8Array => Uint8Array.from(lines(file).map((l) => l.split(",").indexOf("1")));

/** A copy of the fixture folder in a fresh temp folder, with some files' text replaced (given with "\n" line ends). */
function fixtureCopy(edit: Partial<Record<keyof typeof FILES | "annotations", (text: string) => string>> = {}): string {
  const dir = freshDir();
  for (const [key, name] of [...Object.entries(FILES), ["annotations", "sat6annotations.csv"]] as [keyof typeof edit, string][]) {
    const text = readFileSync(join(FIXTURES, name), "utf8");
    writeFileSync(join(dir, name), edit[key] ? edit[key](text.replace(/\r\n/g, "\n")) : text);
  }
  return dir;
}

/** Replaces field `col` (0-based) of line `line` (1-based). */
function setField(text: string, line: number, col: number, value: string): string {
  const ls = text.split("\n");
  const fields = ls[line - 1]!.split(",");
  fields[col] = value;
  ls[line - 1] = fields.join(",");
  return ls.join("\n");
}

function expectFixture(ds: Dataset, n = { train: 16, test: 8 }): void {
  expect(ds.name).toBe("sat6");
  expect(ds.imageShape).toEqual([28, 28, 4]);
  expect(ds.classNames).toEqual(["building", "barren_land", "trees", "grassland", "road", "water"]);
  expect([ds.train.n, ds.test.n]).toEqual([n.train, n.test]);
  expectBytes(ds.train.pixels, csvPixels(join(FIXTURES, FILES.trainX)).subarray(0, n.train * SAT6_VALUES));
  expectBytes(ds.test.pixels, csvPixels(join(FIXTURES, FILES.testX)).subarray(0, n.test * SAT6_VALUES));
  expect(ds.train.labels).toEqual(csvLabels(join(FIXTURES, FILES.trainY)).subarray(0, n.train));
  expect(ds.test.labels).toEqual(csvLabels(join(FIXTURES, FILES.testY)).subarray(0, n.test));
}

describe("loadSat6 on the CSV fixtures", () => {
  it("loads the real rows: pixels equal the CSV text, labels the one-hot columns, names the annotations", async () => {
    const ds = right(await loadSat6(FIXTURES)());
    expectFixture(ds);
    expect(Object.getPrototypeOf(ds.train.pixels)).toBe(Uint8Array.prototype);
    // One pixel by hand: train sample 2, row 3, column 5, band 2 (blue) is field (3*28 + 5)*4 + 2 of line 3.
    const field = Number(lines(join(FIXTURES, FILES.trainX))[2]!.split(",")[(3 * 28 + 5) * 4 + 2]);
    expect(ds.train.pixels[2 * SAT6_VALUES + (3 * 28 + 5) * 4 + 2]).toBe(field);
    expect(lines(join(FIXTURES, FILES.trainY))[2]!.split(",")[ds.train.labels![2]!]).toBe("1");
    // the real first row starts 116,119,118,159 (R, G, B, NIR of the top-left pixel)
    expect(Array.from(ds.train.pixels.subarray(0, 4))).toEqual([116, 119, 118, 159]);
  });

  it("limit reads only the first rows of each split, and never looks at the rest", async () => {
    expectFixture(right(await loadSat6(FIXTURES, { limit: 5 })()), { train: 5, test: 5 });
    expectFixture(right(await loadSat6(FIXTURES, { limit: 8 })()), { train: 8, test: 8 });
    expectFixture(right(await loadSat6(FIXTURES, { limit: 1000 })()), { train: 16, test: 8 });
    // rows after the limit are broken: a reader that went on would fail
    const dir = fixtureCopy({ trainX: (t) => setField(t, 7, 10, "oops"), trainY: (t) => t.replace(/\n[^\n]*\n$/, "\n1,1,1,1,1,1\n") });
    expectFixture(right(await loadSat6(dir, { limit: 6 })()), { train: 6, test: 6 });
    expect(left(await loadSat6(dir)()).message).toMatch(/train_y_16\.csv, line 16: expected a one-hot label row/);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(left(await loadSat6(FIXTURES, { limit: bad })()).message).toMatch(/limit must be a positive integer/);
    }
  });

  it("streams: rows straddling chunks of a few bytes give the same data", async () => {
    for (const highWaterMark of [5, 64, 4093]) expectFixture(right(await loadSat6Csv(FIXTURES, { highWaterMark })()));
  });

  it("reads \\r\\n line ends, a missing final newline, trailing blank lines and a byte-order mark", async () => {
    const crlf = (t: string) => t.replace(/\n/g, "\r\n");
    const dir = fixtureCopy({
      trainX: crlf, trainY: (t) => crlf(t).replace(/\r\n$/, ""), testX: (t) => `\uFEFF${t}\n\r\n\n`, testY: crlf, annotations: crlf,
    });
    for (const highWaterMark of [13, 1 << 20]) expectFixture(right(await loadSat6(dir, { highWaterMark })()));
  });

  it("accepts the Kaggle names of the full release, with or without sat6annotations.csv", async () => {
    const dir = freshDir();
    copyFileSync(join(FIXTURES, FILES.trainX), join(dir, "X_train_sat6.csv"));
    copyFileSync(join(FIXTURES, FILES.trainY), join(dir, "y_train_sat6.csv"));
    copyFileSync(join(FIXTURES, FILES.testX), join(dir, "X_test_sat6.csv"));
    copyFileSync(join(FIXTURES, FILES.testY), join(dir, "y_test_sat6.csv"));
    const ds = right(await loadSat6(dir)());
    expectFixture(ds);
    expect(ds.classNames).toEqual(SAT6_CLASSES);
    writeFileSync(join(dir, "sat6annotations.csv"), "b,0,0,0,0,0,1\na,0,0,0,0,1,0\nc,1,0,0,0,0,0\nd,0,1,0,0,0,0\ne,0,0,1,0,0,0\nf,0,0,0,1,0,0\n");
    expect(right(await loadSat6(dir)()).classNames).toEqual(["c", "d", "e", "f", "a", "b"]);
  });

  it('loadDataset("sat6:PATH") loads it; other specs are unchanged', async () => {
    const ds = right(await loadDataset(`sat6:${FIXTURES}`, { sat6: { limit: 3 } })());
    expectFixture(ds, { train: 3, test: 3 });
    expect(left(await loadDataset("sat6:")()).message).toMatch(/expected "sat6:PATH"/);
    expect(left(await loadDataset(`sat6:${join(FIXTURES, "nope")}`)()).message).toMatch(/nope: no such file or folder: expected a folder of SAT-6 CSV files/);
  });
});

describe("loadSat6 refuses malformed CSV files, naming file, line and what is wrong", () => {
  const message = async (edit: Parameters<typeof fixtureCopy>[0], o = {}): Promise<string> => {
    const e = left(await loadSat6(fixtureCopy(edit), o)());
    expect(e).toBeInstanceOf(DataError);
    return e.message;
  };

  it("ragged pixel rows: expected and found count", async () => {
    expect(await message({ trainX: (t) => t.replace(/^((?:[^\n]*\n){2}[^\n]*),\d+\n/, "$1\n") }))
      .toMatch(/train_X_16\.csv, line 3: expected 3136 comma-separated values, found 3135$/);
    expect(await message({ testX: (t) => t.replace(/\n/, ",7\n") })).toMatch(/test_X_8\.csv, line 1: expected 3136 comma-separated values, found 3137$/);
    expect(await message({ testX: (t) => t.replace(/\n/, ",\n") })).toMatch(/line 1: expected 3136 comma-separated values, found 3137$/);
    expect(await message({ testX: (t) => t.replace(/\n[^\n]*\n/, "\n5\n") })).toMatch(/line 2: expected 3136 comma-separated values, found 1$/);
  });

  it("bad values: column and text", async () => {
    const cases: [string, RegExp][] = [
      ["abc", /column 11: expected an integer 0\.\.255, found "abc"$/],
      ["NaN", /column 11: .*found "NaN"$/],
      ["1.5", /column 11: .*found "1\.5"$/],
      ["-3", /column 11: .*found "-3"$/],
      ["256", /column 11: .*found "256"$/],
      ["99999999999999999999999", /column 11: .*found "99999999999999999999999"$/],
      ["", /column 11: expected an integer 0\.\.255, found an empty field ""$/],
      ["1e2", /found "1e2"$/],
    ];
    for (const [text, pattern] of cases) {
      const m = await message({ trainX: (t) => setField(t, 4, 10, text) });
      expect(m).toMatch(/train_X_16\.csv, line 4: /);
      expect(m).toMatch(pattern);
    }
    expect(await message({ testX: (t) => setField(t, 8, 3135, "x") })).toMatch(/test_X_8\.csv, line 8: column 3136: .*found "x"$/);
    expect(await message({ testX: (t) => setField(t, 1, 0, "pixel0") })).toMatch(/line 1: column 1: .*found "pixel0"$/);
    // surrounding spaces are tolerated
    const ds = right(await loadSat6(fixtureCopy({ trainX: (t) => setField(t, 4, 10, " 17 ") }))());
    expect(ds.train.pixels[3 * SAT6_VALUES + 10]).toBe(17);
  });

  it("label rows: 6 columns, one-hot", async () => {
    expect(await message({ trainY: (t) => t.replace(/\n/, ",0\n") })).toMatch(/train_y_16\.csv, line 1: expected 6 comma-separated values, found 7$/);
    expect(await message({ trainY: (t) => t.replace(/^[^\n]*/, "0,0,1,0,0") })).toMatch(/line 1: expected 6 comma-separated values, found 5$/);
    const line5 = (row: string) => (t: string) => t.split("\n").map((l, i) => (i === 4 ? row : l)).join("\n");
    expect(await message({ testY: line5("1,0,0,0,0,1") })).toMatch(/test_y_8\.csv, line 5: expected a one-hot label row of 6 values \(one 1, the rest 0\), found 1,0,0,0,0,1$/);
    expect(await message({ testY: (t) => t.replace(/^[^\n]*/, "0,0,0,0,0,0") })).toMatch(/test_y_8\.csv, line 1: expected a one-hot .*found 0,0,0,0,0,0$/);
    expect(await message({ testY: (t) => t.replace(/^[^\n]*/, "0,0,2,0,0,0") })).toMatch(/line 1: expected a one-hot .*found 0,0,2,0,0,0$/);
    expect(await message({ testY: (t) => t.replace(/^[^\n]*/, "0,0,1.0,0,0,0") })).toMatch(/line 1: column 3: .*found "1\.0"$/);
  });

  it("X and y with different row counts: both counts, with and without a limit", async () => {
    const dropLast = (t: string) => t.slice(0, t.lastIndexOf("\n", t.length - 2) + 1);
    const addRow = (t: string) => t + t.slice(0, t.indexOf("\n") + 1);
    expect(await message({ trainX: dropLast })).toMatch(/row count mismatch: 15 rows in .*train_X_16\.csv but 16 rows in .*train_y_16\.csv$/);
    expect(await message({ trainY: dropLast })).toMatch(/row count mismatch: 16 rows in .*train_X_16\.csv but 15 rows in .*train_y_16\.csv$/);
    expect(await message({ testX: addRow })).toMatch(/row count mismatch: 9 rows in .*test_X_8\.csv but 8 rows in .*test_y_8\.csv$/);
    // with a limit: only when a file ends before it
    expect(await message({ testX: dropLast }, { limit: 100 })).toMatch(/7 rows in .*test_X_8\.csv but 8 rows in .*test_y_8\.csv$/);
    expect(await message({ testY: (t) => addRow(addRow(t)) }, { limit: 10 })).toMatch(/8 rows in .*test_X_8\.csv but 10 rows in .*test_y_8\.csv$/);
    expect(await message({ testY: (t) => addRow(addRow(addRow(t))) }, { limit: 10 })).toMatch(/8 rows in .*test_X_8\.csv but 11 rows in .*test_y_8\.csv$/);
    expect(right(await loadSat6(fixtureCopy({ testX: dropLast }), { limit: 7 })()).test.n).toBe(7);
    expect(await message({ testY: () => "" })).toMatch(/test_y_8\.csv: no label rows$/);
  });

  it("blank lines inside the rows", async () => {
    expect(await message({ trainX: (t) => t.replace(/\n/, "\n\n") })).toMatch(/train_X_16\.csv, line 2: blank line before more rows \(line 3\)/);
    expect(await message({ trainY: (t) => t.replace(/\n/, "\n\r\n") })).toMatch(/train_y_16\.csv, line 2: blank line/);
  });

  it("missing files: which, and the names looked for", async () => {
    const dir = fixtureCopy();
    writeFileSync(join(dir, FILES.trainY), "");
    const { rmSync } = await import("node:fs");
    rmSync(join(dir, FILES.trainY));
    const e = left(await loadSat6(dir)());
    expect(e.where).toBe(dir);
    expect(e.message).toMatch(/missing SAT-6 CSV file: the train labels \(looked for train_y_16\.csv, to go with train_X_16\.csv\)$/);
    rmSync(join(dir, FILES.testX));
    expect(left(await loadSat6(dir)()).message)
      .toMatch(/missing SAT-6 CSV files: the train labels .*; the test pixels \(looked for X_test_sat6\.csv and test_X_\*\.csv\)$/);
    copyFileSync(join(FIXTURES, FILES.trainX), join(dir, "train_X_other.csv"));
    expect(left(await loadSat6(dir)()).message).toMatch(/several train pixel files: train_X_16\.csv, train_X_other\.csv/);
    expect(left(await loadSat6(freshDir())()).message).toMatch(/missing SAT-6 CSV files: the train pixels \(looked for X_train_sat6\.csv and train_X_\*\.csv\); the test pixels/);
    expect(left(await loadSat6(join(FIXTURES, FILES.trainX))()).message).toMatch(/a single CSV file: pass the folder that holds it/);
  });

  it("bad annotations", async () => {
    expect(await message({ annotations: (t) => t.replace("trees,0,0,1", "trees,0,1,1") })).toMatch(/sat6annotations\.csv, line 3: expected a class name and a one-hot row/);
    expect(await message({ annotations: (t) => t.replace("trees,0,0,1,0,0,0", "trees,0,1,0,0,0,0") })).toMatch(/line 3: two class names for column 2: barren_land and trees/);
    expect(await message({ annotations: (t) => t.replace(/water.*\n/, "") })).toMatch(/sat6annotations\.csv: expected 6 class names, found 5/);
    expect(await message({ annotations: (t) => t.replace(",0,0,0,0,0,1", ",0,0") })).toMatch(/line 6: expected "name" or "name" and 6 one-hot values, found 3 fields/);
  });

  it("a file without newlines is refused before it fills memory", async () => {
    const dir = fixtureCopy();
    writeFileSync(join(dir, FILES.testX), new Uint8Array(3 << 20).fill(49));
    expect(left(await loadSat6(dir)()).message).toMatch(/test_X_8\.csv, line 1: line longer than 1048576 bytes/);
  });
});

describe("row parsing and line splitting", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it("parseByteRow agrees with split and Number on any valid row", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 3 }), (values, pad) => {
      const text = values.map((v) => `${"0".repeat(pad & 1)}${v}${pad & 2 ? " " : ""}`).join(",");
      const out = new Uint8Array(values.length + 2);
      const b = bytes(`xx${text}yy`);
      parseByteRow(b, 2, b.length - 2, out, 1, values.length, "f", 9);
      expect(Array.from(out.subarray(1, values.length + 1))).toEqual(values);
      expect([out[0], out[values.length + 1]]).toEqual([0, 0]);
    }));
  });

  it("parseByteRow and parseOneHotRow name file, line, column", () => {
    const b = bytes("1,2,x");
    expect(() => parseByteRow(b, 0, b.length, new Uint8Array(3), 0, 3, "f.csv", 12)).toThrow(/^f\.csv, line 12: column 3: expected an integer 0\.\.255, found "x"$/);
    expect(() => parseByteRow(b, 0, 3, new Uint8Array(3), 0, 3, "f.csv", 1)).toThrow(/expected 3 comma-separated values, found 2/);
    expect(() => parseByteRow(b, 0, 0, new Uint8Array(3), 0, 3, "f.csv", 1)).toThrow(/found 0$/);
    const long = bytes(`${"7".repeat(60)},1`);
    expect(() => parseByteRow(long, 0, long.length, new Uint8Array(2), 0, 2, "f", 1)).toThrow(/found "7{40}\.\.\."$/);
    expect(parseOneHotRow(bytes("0,0,0,0,1,0"), 0, 11, new Uint8Array(6), "y", 1)).toBe(4);
  });

  it("LineSplitter gives the same lines however the bytes are chunked", () => {
    const line = fc.string({ unit: fc.constantFrom("a", "b", ",", "1", "\r"), maxLength: 12 }).filter((s) => !s.endsWith("\r"));
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 8 }), fc.boolean(), (ls, cuts, crlf) => {
      // no blank lines except trailing ones: those are tested elsewhere
      const body = ls.filter((l) => l !== "");
      const text = body.map((l) => `${l}${crlf ? "\r\n" : "\n"}`).join("");
      const all = bytes(text);
      const got: string[] = [];
      const s = new LineSplitter("f", (b, start, end) => { got.push(new TextDecoder().decode(b.subarray(start, end))); return true; });
      const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
      let at = 0;
      for (const p of [...points, all.length]) { s.push(all.subarray(at, p)); at = p; }
      s.end();
      expect(got).toEqual(body);
    }));
  });

  it("LineSplitter stops when asked", () => {
    const got: number[] = [];
    const s = new LineSplitter("f", (_b, _s, _e, line) => { got.push(line); return line < 2; });
    expect(s.push(bytes("a\nb\nc\nd\n"))).toBe(false);
    expect(got).toEqual([1, 2]);
  });

  it("streamLines names a file it cannot read", async () => {
    await expect(streamLines(join(freshDir(), "none.csv"), () => true)).rejects.toThrow(/none\.csv: cannot read: .*ENOENT/);
  });

  it("parseAnnotations reads both layouts", () => {
    expect(right(parseAnnotations("a\nb\nc\nd\ne\nf\n", "n"))).toEqual(["a", "b", "c", "d", "e", "f"]);
    expect(right(parseAnnotations(readFileSync(join(FIXTURES, "sat6annotations.csv"), "utf8"), "n"))).toEqual(SAT6_CLASSES);
  });

  it("parseAnnotations returns a DataError naming the file and line, never throws", () => {
    const k = SAT6_CLASSES.length;
    const cases: [string, RegExp][] = [
      ["a\n\nb", /^n, line 2: blank line among the class names$/],
      ["a\n,1,0,0,0,0,0", /^n, line 2: empty class name$/],
      ["a,1,0,0,0,0,2", /^n, line 1: expected a class name and a one-hot row of 6 values, found "a,1,0,0,0,0,2"$/],
      ["a,1,0", /^n, line 1: expected "name" or "name" and 6 one-hot values, found 3 fields$/],
      ["a\nb\nc\nd\ne\nf\ng", /^n, line 7: more than 6 class names$/],
      ["a,1,0,0,0,0,0\nb,1,0,0,0,0,0", /^n, line 2: two class names for column 1: a and b$/],
      ["a\nb", new RegExp(`^n: expected ${k} class names, found 2$`)],
      ["", new RegExp(`^n: expected ${k} class names, found 0$`)],
    ];
    for (const [text, message] of cases) expect(left(parseAnnotations(text, "n")).message).toMatch(message);
  });
});

describe.skipIf(!existsSync(SAMPLE))("the 400-patch sample in ../shared/data/sat6-sample", () => {
  it("loads all 200 + 200 patches, equal to the CSV text", async () => {
    const ds = right(await loadSat6(SAMPLE)());
    expect([ds.train.n, ds.test.n]).toEqual([200, 200]);
    expect(ds.classNames).toEqual(SAT6_CLASSES);
    expectBytes(ds.train.pixels, csvPixels(join(SAMPLE, "train_X_200.csv")));
    expectBytes(ds.test.pixels, csvPixels(join(SAMPLE, "test_X_200.csv")));
    expect(ds.train.labels).toEqual(csvLabels(join(SAMPLE, "train_y_200.csv")));
    expect(ds.test.labels).toEqual(csvLabels(join(SAMPLE, "test_y_200.csv")));
    // the fixtures are its first rows
    const fixture = right(await loadSat6(FIXTURES)());
    expectBytes(ds.train.pixels.subarray(0, 16 * SAT6_VALUES), fixture.train.pixels);
    expect(ds.test.labels!.subarray(0, 8)).toEqual(fixture.test.labels);
    const limited = right(await loadSat6(SAMPLE, { limit: 50, highWaterMark: 999 })());
    expectBytes(limited.train.pixels, ds.train.pixels.subarray(0, 50 * SAT6_VALUES));
  });
});
