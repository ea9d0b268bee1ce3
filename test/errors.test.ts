// The error model of DESIGN.md ("Errors"), kept true mechanically: every class that extends
// Error in src/ is listed there, is named after itself and is mapped by the CLI; every public
// function named like a parser returns an Either or TaskEither with one Left class; garbage given
// to each edge comes back as a Left of that class, never as a throw; and failures the CLI meets
// while writing are one line with exit code 2.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import * as latent from "../src/index.js";
import * as latentNode from "../src/node/index.js";
import { EXPECTED_ERRORS, report } from "../src/cli/errors.js";
import { DataError } from "../src/data/errors.js";
import { readMaybeGzipped } from "../src/data/node/gzip.js";
import { sat6FromMat } from "../src/data/sat6-mat.js";
import { SafetensorsError } from "../src/io/safetensors-format.js";
import { encodeSafetensors } from "../src/io/safetensors-write.js";
import { ModelFileError } from "../src/io/model-file.js";
import { chooseIsa, instantiate, instantiateSync, KernelLoadError, type Isa } from "../src/kernels/module.js";
import { decodePng, readPng } from "../src/viz/node/png.js";
import { latent as cli } from "./cli/support.js";

const dir = mkdtempSync(join(tmpdir(), "latent-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Every `class X extends Error` in src/, by name, with its file. */
const declared = new Map<string, string>();
for (const file of sources("src")) {
  for (const m of readFileSync(file, "utf8").matchAll(/\bclass (\w+) extends Error\b/g)) declared.set(m[1]!, file);
}
/** Classes that never leave their module (not exported): each must say so in DESIGN.md. */
const internal = new Set(["TooLarge"]);

function errorsSection(): string {
  const design = readFileSync("DESIGN.md", "utf8");
  const start = design.indexOf("\n## Errors\n");
  expect(start).toBeGreaterThanOrEqual(0);
  const end = design.indexOf("\n## ", start + 1);
  return design.slice(start, end < 0 ? design.length : end);
}

type ErrorClass = new (...args: unknown[]) => Error;

async function classOf(name: string): Promise<ErrorClass> {
  const file = declared.get(name)!;
  const mod = (await import(/* @vite-ignore */ `../${file.replace(/\.ts$/, ".js")}`)) as Record<string, unknown>;
  return mod[name] as ErrorClass;
}

describe("the error classes", () => {
  it("are found in src/", () => {
    for (const name of ["DataError", "SafetensorsError", "ModelFileError", "FileWriteError", "KernelLoadError", "ConfigError",
      "ShapeError", "OptimError", "NonFiniteError", "NotInitialisedError", "ArenaError", "WorkerError", "VizError", "UsageError"]) {
      expect(declared.has(name), name).toBe(true);
    }
  });

  it("are each listed in DESIGN.md's Errors section, which lists no other", () => {
    const section = errorsSection();
    for (const name of declared.keys()) expect(section, `DESIGN.md does not list ${name}`).toContain(`\`${name}\``);
    const listed = [...section.matchAll(/`(\w+Error|TooLarge)`/g)].map((m) => m[1]!);
    for (const name of listed) expect(declared.has(name), `DESIGN.md lists ${name}, which src/ does not declare`).toBe(true);
  });

  it("are exported from their module, except the internal ones, and named after themselves", async () => {
    for (const [name, file] of declared) {
      const exported = new RegExp(`export class ${name}\\b`).test(readFileSync(file, "utf8"));
      expect(exported, `${name} in ${file}`).toBe(!internal.has(name));
      if (!exported) continue;
      const C = await classOf(name);
      expect(C.prototype, name).toBeInstanceOf(Error);
      expect(C.name).toBe(name);
      const e = new C("where", "write", "what went wrong");
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
    }
  });

  it("exported from the package (latent and latent/node) extend Error and are named after themselves", () => {
    const isClass = (v: unknown): boolean => typeof v === "function" && /^class\b/.test(Function.prototype.toString.call(v));
    const found = new Map<string, unknown>();
    const collect = (mod: Record<string, unknown>, depth: number): void => {
      for (const [key, value] of Object.entries(mod)) {
        if (key.endsWith("Error") && isClass(value)) found.set(key, value);
        else if (depth === 0 && value !== null && typeof value === "object") collect(value as Record<string, unknown>, 1);
      }
    };
    collect(latent as Record<string, unknown>, 0);
    collect(latentNode as Record<string, unknown>, 0);
    for (const name of ["DataError", "SafetensorsError", "ModelFileError", "KernelLoadError", "ConfigError", "ShapeError", "OptimError",
      "NonFiniteError", "NotInitialisedError", "WorkerError", "VizError"]) {
      expect(found.has(name), `${name} is not exported from the package`).toBe(true);
    }
    for (const [name, C] of found) {
      expect((C as ErrorClass).prototype, name).toBeInstanceOf(Error);
      expect((C as ErrorClass).name).toBe(name);
      expect(declared.get(name), `${name} is exported but not declared as a class extending Error`).toBeDefined();
      expect(new (C as ErrorClass)("where", "write", "what").name).toBe(name);
    }
  });

  it("become one line and exit code 2 in the CLI; NotInitialisedError and anything else are internal errors (exit 1)", async () => {
    for (const name of declared.keys()) {
      if (internal.has(name)) continue;
      const e = new (await classOf(name))("where", "write", "what went wrong");
      const lines: string[] = [];
      const code = report(e, (l) => lines.push(l));
      if (name === "NotInitialisedError" || name === "CheckError") {
        expect(code).toBe(1);
        expect(lines[0]).toMatch(new RegExp(`^latent: internal error: ${name}`));
        continue;
      }
      expect(EXPECTED_ERRORS.has(name), `the CLI does not map ${name}`).toBe(true);
      expect(code, name).toBe(2);
      expect(lines).toEqual([`latent: ${e.message.split("\n")[0]}`]);
    }
    for (const name of EXPECTED_ERRORS) expect(declared.has(name), `the CLI maps ${name}, which src/ does not declare`).toBe(true);
    const lines: string[] = [];
    expect(report(new DataError("f.idx at byte 3", "first line\nsecond line"), (l) => lines.push(l))).toBe(2);
    expect(lines).toEqual(["latent: f.idx at byte 3: first line"]);
    expect(report(new TypeError("x is undefined"), (l) => lines.push(l))).toBe(1);
    expect(lines[1]).toMatch(/^latent: internal error: TypeError: x is undefined\n\s+at /);
  });
});

describe("the public parsers", () => {
  // Names that say a function reads something from outside: parse*, read*, load*, and decoders or
  // builders from a file format. Builders from a spec (layerFromSpec) and the model's decoder
  // (decodeRows) are not parsers and do not match.
  const parserName = /^(parse|read|load)[A-Z]|(From|decode)(Json|Text|Bytes|File|Safetensors|Mat|Idx|Png|Csv|Wasm)/;

  it("return an Either or a TaskEither whose Left is one error class; only saveModel has two", () => {
    const parsed = ts.getParsedCommandLineOfConfigFile("tsconfig.json", {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    const program = ts.createProgram(["src/index.ts", "src/node/index.ts"], { ...parsed!.options, noEmit: true });
    const checker = program.getTypeChecker();
    const functions: { name: string; returns: ts.Type }[] = [];
    const walk = (sym: ts.Symbol, prefix: string, depth: number): void => {
      const s = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      if (s.flags & ts.SymbolFlags.ValueModule) {
        if (depth === 0) for (const e of checker.getExportsOfModule(s)) walk(e, `${prefix}${sym.name}.`, 1);
        return;
      }
      const decl = s.valueDeclaration;
      if (!decl || !(s.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable))) return;
      for (const sig of checker.getTypeOfSymbolAtLocation(s, decl).getCallSignatures()) functions.push({ name: `${prefix}${sym.name}`, returns: sig.getReturnType() });
    };
    for (const root of ["src/index.ts", "src/node/index.ts"]) {
      const mod = checker.getSymbolAtLocation(program.getSourceFile(root)!)!;
      for (const e of checker.getExportsOfModule(mod)) walk(e, root === "src/index.ts" ? "" : "node:", 0);
    }
    expect(functions.length).toBeGreaterThan(100);

    /** The Left type of an Either or TaskEither, else null. */
    const leftOf = (t: ts.Type): ts.Type | null => {
      if (t.aliasSymbol?.name === "Either") return t.aliasTypeArguments![0]!;
      if (t.getSymbol()?.name === "TaskEither") return checker.getTypeArguments(t as ts.TypeReference)[0]!;
      return null;
    };
    const problems: string[] = [];
    const parsers: string[] = [];
    for (const f of functions) {
      const base = f.name.slice(f.name.search(/[^.:]*$/));
      const left = leftOf(f.returns);
      if (parserName.test(base)) {
        parsers.push(f.name);
        if (!left) problems.push(`${f.name} returns ${checker.typeToString(f.returns)}, not an Either or TaskEither`);
      }
      if (!left) continue;
      const leftText = checker.typeToString(left);
      if (f.name === "node:saveModel") {
        expect(leftText).toBe("ModelFileError | FileWriteError");
      } else if (left.isUnion() || !/^\w+Error$/.test(leftText) || !declared.has(leftText)) {
        problems.push(`${f.name}'s Left is ${leftText}, not one error class`);
      }
    }
    expect(problems).toEqual([]);
    for (const name of ["data.parseIdx", "data.parseMat", "data.readPngHeader", "data.parseAnnotations", "data.normalizationFromJson",
      "io.decodeSafetensors", "io.modelFromSafetensors", "node:loadModel", "node:loadDataset"]) {
      expect(parsers).toContain(name);
    }
  }, 120_000);
});

/** Runs an edge on garbage: it must return (not throw) an Either; a Left must be of `cls`. */
function settle(what: string, run: () => E.Either<unknown, unknown>, cls: abstract new (...args: never[]) => Error): E.Either<Error, unknown> {
  let r: E.Either<unknown, unknown>;
  try {
    r = run();
  } catch (e) {
    throw new Error(`${what} threw instead of returning a Left: ${String(e)}`);
  }
  expect(r._tag === "Left" || r._tag === "Right", what).toBe(true);
  if (E.isLeft(r)) {
    expect(r.left, what).toBeInstanceOf(cls);
    expect((r.left as Error).message.length, what).toBeGreaterThan(0);
  }
  return r as E.Either<Error, unknown>;
}

/** `settle`, insisting on a Left; returns its message. */
function leftMessage(what: string, run: () => E.Either<unknown, unknown>, cls: abstract new (...args: never[]) => Error): string {
  const r = settle(what, run, cls);
  if (E.isRight(r)) throw new Error(`${what} accepted garbage`);
  return r.left.message;
}

/** A TaskEither must resolve (not reject) to a Left of `cls`; returns its message. */
async function taskLeftMessage(what: string, task: () => Promise<E.Either<unknown, unknown>>, cls: abstract new (...args: never[]) => Error): Promise<string> {
  let r: E.Either<unknown, unknown>;
  try {
    r = await task();
  } catch (e) {
    throw new Error(`${what} rejected instead of resolving to a Left: ${String(e)}`);
  }
  return leftMessage(what, () => r, cls);
}

const garbage = new TextEncoder().encode("this is not a file of any format, just a line of text\n");

describe("garbage at every edge is a Left of the edge's class, never a throw", () => {
  const { data, io } = latent;

  it("data: IDX, MAT, PNG header, SAT-6 annotations and .mat variables, normalisation metadata", () => {
    expect(leftMessage("parseIdx", () => data.parseIdx(garbage, "g.idx"), DataError)).toMatch(/^g\.idx at byte 0: not an IDX file/);
    expect(leftMessage("parseMat", () => data.parseMat(garbage, "g.mat"), DataError)).toMatch(/^g\.mat at byte 0: truncated MAT-file header/);
    expect(leftMessage("readPngHeader", () => data.readPngHeader(garbage, "g.png"), DataError)).toMatch(/^g\.png at byte 0: not a PNG file/);
    expect(leftMessage("parseAnnotations", () => data.parseAnnotations("x,y\n", "g.csv"), DataError)).toMatch(/^g\.csv, line 1: /);
    expect(leftMessage("normalizationFromJson", () => data.normalizationFromJson({ method: "band" }, "g.safetensors"), DataError))
      .toMatch(/^g\.safetensors: normalization metadata: low must be/);
    expect(leftMessage("normalizationFromJson", () => data.normalizationFromJson("band", "g.safetensors"), DataError))
      .toMatch(/^g\.safetensors: normalization metadata: expected a JSON object/);
    expect(leftMessage("sat6FromMat", () => sat6FromMat({ text: "MATLAB", littleEndian: true, variables: new Map() }, "g.mat"), DataError))
      .toMatch(/^g\.mat: missing variable train_x/);
  });

  it("io: safetensors and model files", () => {
    expect(leftMessage("decodeSafetensors", () => io.decodeSafetensors(garbage), SafetensorsError)).toMatch(/header length/);
    expect(leftMessage("modelFromSafetensors", () => io.modelFromSafetensors(garbage), ModelFileError)).toMatch(/not a valid safetensors file/);
    const noSpec = encodeSafetensors({}, { "latent.format": "1", "latent.spec": "{\"arch\": \"mlp\"" });
    expect(leftMessage("modelFromSafetensors", () => io.modelFromSafetensors(noSpec), ModelFileError)).toMatch(/latent\.spec" is not valid JSON/);
  });

  it("PNG files read back (src/viz/node/png.ts)", () => {
    expect(leftMessage("decodePng", () => decodePng(garbage, "g.png"), DataError)).toMatch(/^g\.png at byte 0: not a PNG file/);
    expect(leftMessage("readPng", () => readPng(join(dir, "none.png")), DataError)).toMatch(/none\.png: cannot read: .*ENOENT/);
    writeFileSync(join(dir, "big.png"), new Uint8Array(2000));
    expect(leftMessage("readPng", () => readPng(join(dir, "big.png"), 1999), DataError))
      .toMatch(/big\.png: file is 2000 bytes, more than the limit of 1999 bytes \(MAX_PNG_FILE_BYTES\)/);
    expect(leftMessage("readPng", () => readPng(join(dir, "big.png"), 2000), DataError)).toMatch(/big\.png at byte 0: not a PNG file/);
  });

  it("kernels: choosing and instantiating the module", async () => {
    expect(leftMessage("chooseIsa", () => chooseIsa({ isa: "fast" as Isa }), KernelLoadError)).toMatch(/isa must be/);
    expect(leftMessage("instantiateSync", () => instantiateSync(garbage), KernelLoadError)).toMatch(/instantiating the kernel module failed/);
    expect(await taskLeftMessage("instantiate", instantiate({ isa: "fast" as Isa }), KernelLoadError)).toMatch(/isa must be/);
  });

  it("files and folders: loadModel, loadDataset, gzip", async () => {
    const junk = join(dir, "junk.safetensors");
    writeFileSync(junk, garbage);
    expect(await taskLeftMessage("loadModel", latentNode.loadModel(junk), ModelFileError)).toContain(junk);
    expect(await taskLeftMessage("loadModel", latentNode.loadModel(join(dir, "none.safetensors")), ModelFileError)).toMatch(/none\.safetensors/);
    const idx = join(dir, "idx");
    mkdirSync(idx);
    for (const f of ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) writeFileSync(join(idx, f), garbage);
    expect(await taskLeftMessage("loadDataset", latentNode.loadDataset(idx), DataError)).toMatch(/not an IDX file/);
    expect(await taskLeftMessage("loadDataset", latentNode.loadDataset(join(dir, "nowhere")), DataError)).toMatch(/nowhere: no such directory/);
    expect(await taskLeftMessage("loadDataset", latentNode.loadDataset(`sat6:${junk}`), DataError)).toMatch(/junk\.safetensors at byte 0/);
    const sat6 = join(dir, "sat6");
    mkdirSync(sat6);
    for (const f of ["X_train_sat6.csv", "y_train_sat6.csv", "X_test_sat6.csv", "y_test_sat6.csv"]) writeFileSync(join(sat6, f), "1,2,3\n");
    writeFileSync(join(sat6, "sat6annotations.csv"), "a,b\n");
    expect(await taskLeftMessage("loadDataset", latentNode.loadDataset(`sat6:${sat6}`), DataError)).toMatch(/sat6annotations\.csv, line 1: /);
    const gz = join(dir, "cut.gz");
    writeFileSync(gz, gzipSync(garbage).subarray(0, 20));
    expect(await taskLeftMessage("readMaybeGzipped", readMaybeGzipped(gz), DataError)).toMatch(/cut\.gz: .*gzip/);
  });

  // Random input, shaped to get past the first checks: an edge may accept it, but never throws.
  const bytes = fc.uint8Array({ maxLength: 300 });
  const withPrefix = (prefix: readonly number[]) => bytes.map((b) => Uint8Array.from([...prefix, ...b]));
  const matHeader = Array.from({ length: 128 }, (_, i) => (i < 6 ? "MATLAB".charCodeAt(i) : i === 124 ? 0 : i === 125 ? 1 : i === 126 ? 73 : i === 127 ? 77 : 32));
  const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];

  it("byte parsers on random bytes", () => {
    fc.assert(fc.property(fc.oneof(bytes, withPrefix([0, 0, 8, 1]), withPrefix([0, 0, 0x0d, 2]), withPrefix(matHeader), withPrefix(pngSignature)), (b) => {
      settle("parseIdx", () => data.parseIdx(b, "r"), DataError);
      settle("parseMat", () => data.parseMat(b, "r"), DataError);
      settle("readPngHeader", () => data.readPngHeader(b, "r"), DataError);
      settle("decodePng", () => decodePng(b, "r"), DataError);
      settle("decodeSafetensors", () => io.decodeSafetensors(b), SafetensorsError);
      settle("modelFromSafetensors", () => io.modelFromSafetensors(b), ModelFileError);
    }), { numRuns: 300 });
  });

  it("safetensors headers of random JSON, and model files of random specs", () => {
    const header = (text: string): Uint8Array => {
      const json = new TextEncoder().encode(text);
      const out = new Uint8Array(8 + json.length + 8);
      new DataView(out.buffer).setUint32(0, json.length, true);
      out.set(json, 8);
      return out;
    };
    fc.assert(fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
      settle("decodeSafetensors", () => io.decodeSafetensors(header(text)), SafetensorsError);
    }), { numRuns: 300 });
    const spec = fc.record({
      arch: fc.constantFrom("mlp", "conv", "composed", "gan"),
      kind: fc.constantFrom("ae", "vae", 3),
      input: fc.oneof(fc.integer({ min: -2, max: 20 }), fc.jsonValue()),
      hidden: fc.oneof(fc.array(fc.integer({ min: -1, max: 8 }), { maxLength: 3 }), fc.jsonValue()),
      latent: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.jsonValue()),
      encoder: fc.jsonValue(), decoder: fc.jsonValue(), likelihood: fc.jsonValue(),
    }, { requiredKeys: ["arch"] });
    fc.assert(fc.property(spec, fc.jsonValue(), (s, normalization) => {
      const file = encodeSafetensors({}, { "latent.format": "1", "latent.spec": JSON.stringify(s), "latent.normalization": JSON.stringify(normalization) ?? "null" });
      settle("modelFromSafetensors", () => io.modelFromSafetensors(file), ModelFileError);
    }), { numRuns: 300 });
  });

  it("normalisation metadata and annotation text at random", () => {
    const field = fc.oneof(fc.jsonValue(), fc.anything({ withBigInt: true }));
    const band = fc.record({ method: fc.constantFrom("band", "global", "zscore"), low: field, high: field, percentiles: field });
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), band, fc.anything({ withBigInt: true })), (json) => {
      settle("normalizationFromJson", () => data.normalizationFromJson(json, "r"), DataError);
    }), { numRuns: 500 });
    const line = fc.oneof(fc.string(), fc.array(fc.constantFrom("a", "b", "0", "1", "2", " ", ""), { maxLength: 8 }).map((f) => f.join(",")));
    fc.assert(fc.property(fc.array(line, { maxLength: 9 }), fc.constantFrom("\n", "\r\n"), (lines, eol) => {
      settle("parseAnnotations", () => data.parseAnnotations(lines.join(eol), "r"), DataError);
    }), { numRuns: 500 });
  });
});

describe("the CLI: write failures are one line and exit code 2", () => {
  const small = ["--limit", "100", "--hidden", "8", "--batch", "50", "--epochs", "1"];

  it("a run folder that cannot be created", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "in the way");
    const r = await cli("train", ...small, "--out", join(file, "run"));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^latent: writing .*a-file\/run failed at step "prepare": cannot create the run folder: .*ENOTDIR/);
  });

  it("a picture into a folder that does not exist", async () => {
    const run = join(dir, "run");
    expect((await cli("train", ...small, "--out", run)).code).toBe(0);
    const r = await cli("sample", "--model", join(run, "model.safetensors"), "--out", join(dir, "missing", "s.png"));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^latent: writing .*missing\/s\.png failed at step "write": .*ENOENT/);
  });
});
