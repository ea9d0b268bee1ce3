// Cloudflare workerd (the npm package `workerd`, node_modules/.bin/workerd) on the packed tarball,
// installed into a project, as the README says to run it there: the worker imports "latent" and
// `latent/wasm/simd.wasm` (and relaxed.wasm), is bundled by esbuild with the .wasm imports left
// external, and config.capnp gives each .wasm the name the worker imports, so that workerd hands
// it over as a compiled WebAssembly.Module. On a request the worker trains a small MLP VAE
// (train-small.ts) after initSync(simd), and answers JSON. Checked: init() (which compiles bytes)
// is refused with a KernelLoadError, as workerd forbids compiling; initSync(simd.wasm) trains to
// a finite, falling loss and to the bits Node gives here in the test process, on src/, with the
// library's default; fit({ threads: 2 }) trains on one thread to the same bits instead of throwing,
// and a pool from parallel.startThreads({ threads: 2 }) says why it runs on one; relaxed.wasm
// reports itself as relaxed. Without the binary the test is skipped, and fails under CI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { build } from "esbuild";
import * as latent from "../../src/index.js";
import { binary, installed, version, workspace } from "./installed.js";
import { expectFalling } from "./expect-trained.js";
import { trainSmall, type Trained } from "./train-small.js";

const workerd = binary("workerd");
let dir = "";
let node: Trained;
let child: ChildProcess | undefined;

const worker = `import * as latent from "latent";
import simd from "latent/wasm/simd.wasm";
import relaxed from "latent/wasm/relaxed.wasm";
import { trainSmall } from "./train-small.ts";

async function attempt(f) {
  try { return { ok: true, value: await f() }; } catch (e) { return { ok: false, error: \`\${e?.name}: \${e?.message}\` }; }
}

export default {
  async fetch() {
    const init = await attempt(async () => (await latent.init()).isa);
    const one = await attempt(() => trainSmall(latent, { module: simd }));
    const fitTwo = await attempt(() => trainSmall(latent, { module: simd, fitThreads: 2 }));
    const poolTwo = await attempt(() => trainSmall(latent, { module: simd, threads: 2 }));
    const relaxedRun = await attempt(() => trainSmall(latent, { module: relaxed }));
    return Response.json({ moduleIsModule: simd instanceof WebAssembly.Module, init, one, fitTwo, poolTwo, relaxed: relaxedRun });
  },
};
`;

function config(port: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "bundle.js"),
    (name = "latent/wasm/simd.wasm", wasm = embed "../node_modules/latent/dist/wasm/simd.wasm"),
    (name = "latent/wasm/relaxed.wasm", wasm = embed "../node_modules/latent/dist/wasm/relaxed.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
`;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

/** Starts workerd and fetches / once it listens; its stderr goes into the error if it exits or never answers. */
async function serveAndFetch(): Promise<Record<string, unknown>> {
  const port = await freePort();
  writeFileSync(join(dir, "config.capnp"), config(port));
  let stderr = "";
  let exited: string | null = null;
  child = spawn(workerd.path, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.on("data", (d: Buffer) => { stderr += d.toString(); });
  child.on("exit", (code, signal) => { exited = `exited with ${code ?? signal}`; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`workerd ${exited}: ${stderr.slice(-3000)}`);
    const answer = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(90_000) }).then((r) => r, (e: unknown) => e);
    if (answer instanceof Response) {
      const text = await answer.text();
      if (!answer.ok) throw new Error(`workerd answered ${answer.status}: ${text.slice(0, 2000)}\n${stderr.slice(-3000)}`);
      return JSON.parse(text) as Record<string, unknown>;
    }
    if (Date.now() > deadline) throw new Error(`workerd never answered on port ${port}: ${String(answer)}\n${stderr.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  if (workerd.skip) return;
  node = await trainSmall(latent);
  dir = workspace(await installed(), "workerd", { "worker.ts": worker });
  // As a user bundles a worker for workerd alone (README): one ES module, the .wasm imports left to workerd.
  await build({ absWorkingDir: dir, entryPoints: ["worker.ts"], bundle: true, format: "esm", platform: "neutral",
    mainFields: ["module", "main"], external: ["latent/wasm/*"], outfile: join(dir, "bundle.js"), logLevel: "error" });
}, 240_000);

afterAll(() => {
  child?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Attempt<T> = { ok: true; value: T } | { ok: false; error: string };

function value<T>(a: unknown, what: string): T {
  const attempt = a as Attempt<T>;
  expect(attempt.ok, `${what}: ${attempt.ok ? "" : attempt.error}`).toBe(true);
  return (attempt as { value: T }).value;
}

describe("workerd on the packed tarball", () => {
  it.skipIf(workerd.skip)(workerd.skip ? `skipped: ${workerd.reason}` : "initSync(simd.wasm) trains to Node's bits; init() is refused; 2 threads fall back to one", async () => {
    expect(workerd.present, `${workerd.path} is needed under CI`).toBe(true);
    const started = performance.now();
    const out = await serveAndFetch();
    console.log(`${await version(workerd)}: ${((performance.now() - started) / 1000).toFixed(1)} s; node ${JSON.stringify(node)}; workerd ${JSON.stringify(out)}`);
    expect(out.moduleIsModule).toBe(true);
    const init = out.init as Attempt<string>;
    expect(init.ok).toBe(false);
    if (!init.ok) expect(init.error).toMatch(/^KernelLoadError: .*disallowed/);
    const one = value<Trained>(out.one, "initSync(simd)");
    expectFalling(one);
    expect(one.isa).toBe("simd");
    expect(one.hash).toBe(node.hash);
    expect(one.losses).toEqual(node.losses);
    // fit({ threads: 2 }): one thread, no throw, the same bits.
    const fitTwo = value<Trained>(out.fitTwo, "fit({ threads: 2 })");
    expect(fitTwo.hash).toBe(one.hash);
    expect(fitTwo.threads).toBe(1); // and fit's result says so, with the reason
    expect(fitTwo.reason).toMatch(/spawn/);
    const pool = value<Trained>(out.poolTwo, "startThreads({ threads: 2 })");
    expect(pool.threads).toBe(1);
    expect(pool.reason).toMatch(/workers|SharedArrayBuffer|refused/);
    expect(pool.hash).toBe(one.hash);
    const relaxed = value<Trained>(out.relaxed, "initSync(relaxed)");
    expect(relaxed.isa).toBe("relaxed");
    expectFalling(relaxed);
  }, 120_000);
});
