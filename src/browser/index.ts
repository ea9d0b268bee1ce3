/**
 * latent/browser: the whole library as one ES module that a page loads with
 * `<script type="module">` and no bundler (scripts/build-browser.mjs bundles this entry, fp-ts
 * included, into dist/browser/latent.js), plus `fileSpawn`, which starts the thread pool's
 * workers from dist/browser/worker.js beside it, for pages whose CSP forbids blob: workers.
 */
export * from "../index.js";
export { fileSpawn } from "./spawn-file.js";
