// Removes from dist/ what tsc emitted for TypeScript sources that no longer exist (x.js, x.d.ts,
// x.js.map without an x.ts), so that a renamed or deleted module never reaches the package.
// dist/wasm and dist/browser are written by their own build steps and are left alone.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const emitted = /(\.d\.ts|\.js\.map|\.js)$/;

function prune(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else if (emitted.test(name) && !existsSync(join(root, relative(dist, path)).replace(emitted, ".ts"))) {
      rmSync(path);
    }
  }
}

if (existsSync(dist)) {
  for (const top of readdirSync(dist)) if (top !== "wasm" && top !== "browser" && statSync(join(dist, top)).isDirectory()) prune(join(dist, top));
}
