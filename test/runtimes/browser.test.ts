// The browser build in a real browser: Debian's headless Chromium, driven by playwright-core as in
// test/cli/report-browser.test.ts. The bundle (dist/browser/latent.js, its worker.js, the shared
// embedded kernels and the .wasm files, built into a temporary dist) is served from localhost by
// node:http with COOP/COEP, and loaded by a page with <script type="module"> and no bundler
// (browser-page.js). A small MLP VAE trains to a finite, falling loss on one thread, and two
// threads (Blob URL workers, and fileSpawn's worker.js) give the same parameter bits. A page
// whose CSP is script-src 'self' 'wasm-unsafe-eval' does the same; under script-src 'self' alone,
// init(), initSync() and compileStreaming fail. Without /usr/bin/chromium the test is skipped, and fails under CI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { promisify } from "node:util";
import { chromium, type BrowserContext } from "playwright-core";
import { CHROMIUM as chromiumPath, CHROMIUM_ARGS, chromiumReason, chromiumSkip } from "../support/chromium.js";

const CHROMIUM = chromiumPath, ARGS = CHROMIUM_ARGS, skip = chromiumSkip, reason = chromiumReason;
if (skip) console.warn(`browser.test.ts skipped: ${reason}`);

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "latent-browser-"));
const dist = join(dir, "dist");
const CSP: Record<string, string | null> = {
  "/plain.html": null,
  "/csp.html": "script-src 'self' 'wasm-unsafe-eval'",
  "/csp-strict.html": "script-src 'self'",
};
const TYPES: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

/** Serves the pages, /page.js and /dist/*, every response cross-origin isolated; the pages with their CSP. */
function serve(): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const headers: Record<string, string> = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin", "Cache-Control": "no-store" };
    let body: Buffer | string | null = null;
    if (path in CSP) {
      const csp = CSP[path];
      if (csp) headers["Content-Security-Policy"] = csp;
      body = `<!doctype html><meta charset="utf-8"><title>latent</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>`;
    } else if (path === "/page.js") {
      body = readFileSync(join(import.meta.dirname, "browser-page.js"));
    } else if (path.startsWith("/dist/")) {
      const file = normalize(join(dir, path));
      if (file.startsWith(dist + "/") && existsSync(file)) body = readFileSync(file);
    }
    if (body === null) { res.writeHead(404, headers).end(); return; }
    res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(path) || ".html"] ?? "application/octet-stream" }).end(body);
  });
}

let server: Server;
let origin = "";
let context: BrowserContext | undefined;

beforeAll(async () => {
  if (skip) return;
  await run(process.execPath, [join(root, "scripts/build-wasm.mjs"), "--out", dist], { cwd: root });
  await run(process.execPath, [join(root, "scripts/build-browser.mjs"), "--out", dist], { cwd: root });
  server = serve();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context = await chromium.launchPersistentContext(mkdtempSync(join(dir, "profile-")), { executablePath: CHROMIUM, headless: true, args: ARGS });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

interface Trained { losses: number[]; hash: string; threads: number; reason: string | null }
type Attempt<T> = { ok: true; value: T } | { ok: false; error: string };

/** Opens a page and waits for window.result; page errors and console errors are collected. */
async function open(path: string): Promise<{ result: Record<string, unknown>; errors: string[] }> {
  const page = await context!.newPage();
  const errors: string[] = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
  try {
    await page.goto(origin + path, { waitUntil: "load" });
    await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, undefined, { timeout: 90_000 });
    const result = await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
    return { result, errors };
  } finally {
    await page.close();
  }
}

function expectTrained(t: Trained, threads: number): void {
  expect(t.threads, t.reason ?? "").toBe(threads);
  expect(t.losses.length).toBe(3);
  for (const l of t.losses) expect(Number.isFinite(l)).toBe(true);
  expect(t.losses[2]!).toBeLessThan(t.losses[0]!);
}

describe("the browser build in headless Chromium", () => {
  for (const path of ["/plain.html", "/csp.html"]) {
    it.skipIf(skip)(skip ? `skipped: ${reason}` : `${path}: trains on 1 and 2 threads, the same bits; initSync takes latent/wasm/simd.wasm`, async () => {
      expect(existsSync(CHROMIUM), `${CHROMIUM} is needed under CI`).toBe(true);
      const { result, errors } = await open(path);
      expect(result.error, String(result.error)).toBeUndefined();
      expect(result.isolated).toBe(true);
      console.log(`${path}: isa ${String(result.isa)}; 1 thread ${JSON.stringify(result.one)}; blob ${JSON.stringify(result.blob)}; file ${JSON.stringify(result.file)}`);
      const one = result.one as Trained;
      expectTrained(one, 1);
      const file = result.file as Attempt<Trained>;
      expect(file.ok, file.ok ? "" : file.error).toBe(true);
      if (file.ok) { expectTrained(file.value, 2); expect(file.value.hash).toBe(one.hash); }
      const blob = result.blob as Attempt<Trained>;
      expect(blob.ok, blob.ok ? "" : blob.error).toBe(true);
      if (blob.ok && path === "/plain.html") {
        expectTrained(blob.value, 2);
        expect(errors).toEqual([]);
      }
      // The CSP forbids blob: workers: the pool falls back to one thread and says why.
      if (blob.ok && path === "/csp.html") {
        expectTrained(blob.value, 1);
        expect(blob.value.reason).toMatch(/kernel worker 1 failed to start: the worker.s script did not load \(refused by the page.s Content-Security-Policy/);
      }
      if (blob.ok) expect(blob.value.hash).toBe(one.hash);
      expect(result.fromFileIsa).toBe("simd");
    }, 120_000);
  }

  it.skipIf(skip)(skip ? `skipped: ${reason}` : "/csp-strict.html: without 'wasm-unsafe-eval', init(), initSync() and compileStreaming fail", async () => {
    const { result } = await open("/csp-strict.html");
    expect(result.error, String(result.error)).toBeUndefined();
    const init = result.init as Attempt<string>, compiled = result.compileStreaming as Attempt<string>;
    console.log(`/csp-strict.html: init ${JSON.stringify(init)}; compileStreaming ${JSON.stringify(compiled)}`);
    expect(init.ok).toBe(false);
    if (!init.ok) expect(init.error).toMatch(/^KernelLoadError: .*(Content Security Policy|wasm-unsafe-eval|disallowed)/i);
    expect(compiled.ok).toBe(false);
    const sync = result.initSync as Attempt<string>;
    expect(sync.ok).toBe(false);
    if (!sync.ok) expect(sync.error).toMatch(/^KernelLoadError: /);
  }, 120_000);
});
