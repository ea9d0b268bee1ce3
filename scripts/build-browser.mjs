// Bundles the browser build with esbuild into dist/browser/: src/browser/index.ts (the library,
// fp-ts included) as latent.js, one ES module that a page loads with <script type="module"> and
// no bundler, and src/browser/worker.ts as worker.js, the kernel worker that fileSpawn starts.
// The embedded kernel modules (base64, src/kernels/generated/wasm-modules.ts) are not copied into
// the bundle: latent.js imports them from ../src/kernels/generated/wasm-modules.js, the file the
// main entry uses, so the package holds them once. That file is tsc's output; it is written here
// (a plain transpile) where it is missing or older than its source.
// `--out DIR` takes DIR as the dist folder (the tests build into a temporary one).
import { build, transform } from "esbuild";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const at = process.argv.indexOf("--out");
const dist = at >= 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(root, "dist");

const EMBEDDED = "src/kernels/generated/wasm-modules";
const source = join(root, `${EMBEDDED}.ts`);
const emitted = join(dist, `${EMBEDDED}.js`);
if (!existsSync(emitted) || statSync(emitted).mtimeMs < statSync(source).mtimeMs) {
  const { code } = await transform(readFileSync(source, "utf8"), { loader: "ts", format: "esm" });
  mkdirSync(dirname(emitted), { recursive: true });
  writeFileSync(emitted, code);
}

/** Resolves the embedded modules' import to the shared file, relative to dist/browser/. */
const sharedEmbedding = {
  name: "shared-embedding",
  setup(b) {
    b.onResolve({ filter: /generated\/wasm-modules\.js$/ }, () => ({ path: `../${EMBEDDED}.js`, external: true }));
  },
};
/**
 * fp-ts/lib is CommonJS, which a bundler cannot tree-shake (it made the minified bundle 66 kB
 * larger); its ES module twin fp-ts/es6 holds the same functions.
 */
const fpTsEs6 = {
  name: "fp-ts-es6",
  setup(b) {
    b.onResolve({ filter: /^fp-ts\/lib\/.+\.js$/ }, (args) =>
      b.resolve(args.path.replace("/lib/", "/es6/"), { kind: args.kind, resolveDir: args.resolveDir }));
  },
};
const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
};
await build({ ...common, entryPoints: [join(root, "src/browser/index.ts")], outfile: join(dist, "browser/latent.js"),
  plugins: [sharedEmbedding, fpTsEs6] });
await build({ ...common, entryPoints: [join(root, "src/browser/worker.ts")], outfile: join(dist, "browser/worker.js") });
