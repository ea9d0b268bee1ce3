// The static import graph of built ES modules, parsed by esbuild (a bundle with every package
// left external, written nowhere): the files reached from an entry through relative imports, and
// the bare specifiers (packages, node: modules) they import, each with one file that imports it.
// `require("x")` and `require.resolve("x")` (any `.resolve("x")` of a bare name, e.g. on
// createRequire's result) are no imports to a bundler, so the text of every reached file is
// searched for them too: that is how the CLI finds the optional `mnist` package.
import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface ImportGraph {
  /** Every file reached, as absolute paths. */
  readonly files: readonly string[];
  /** Each bare specifier reached, with one file that names it. */
  readonly bare: ReadonlyMap<string, string>;
}

const REQUIRE = /\b(?:require|resolve)\s*\(\s*(["'])([^"'\n./][^"'\n]*)\1/g;

/** Leaves every import that is not a relative path external, as a package or node: module. */
const externalBare: Plugin = {
  name: "external-bare",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
  },
};

export async function importGraph(entry: string): Promise<ImportGraph> {
  const result = await build({
    entryPoints: [resolve(entry)], bundle: true, write: false, metafile: true, format: "esm",
    platform: "neutral", logLevel: "silent", absWorkingDir: "/", plugins: [externalBare],
  });
  const inputs = result.metafile.inputs;
  const files = Object.keys(inputs).map((f) => resolve("/", f));
  const bare = new Map<string, string>();
  for (const [file, input] of Object.entries(inputs)) {
    for (const imp of input.imports) if (imp.external && !bare.has(imp.path)) bare.set(imp.path, resolve("/", file));
  }
  for (const file of files) {
    for (const m of readFileSync(file, "utf8").matchAll(REQUIRE)) if (!bare.has(m[2]!)) bare.set(m[2]!, file);
  }
  return { files, bare };
}

/** The package a bare specifier names: "fp-ts/lib/Either.js" -> "fp-ts", "@a/b/c" -> "@a/b", "node:fs" -> "node:fs". */
export function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}
