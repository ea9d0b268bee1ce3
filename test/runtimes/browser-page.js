// The browser test's page script (served as /page.js by browser.test.ts, never run by Node): it
// loads the browser build with no bundler and leaves its findings in window.result.
//   /plain.html, /csp.html: init(); a small MLP VAE trained 3 epochs on synthetic data on 1
//     thread, on 2 threads with the default (Blob URL) workers and on 2 with fileSpawn's
//     worker.js; a hash of the trained parameters' bits for each; initSync on a module compiled
//     from latent/wasm/simd.wasm.
//   /csp-strict.html: what fails without 'wasm-unsafe-eval' (init, initSync, compileStreaming).
import { init, initSync, random, models, optim, train, data, tensor, parallel, fileSpawn } from "/dist/browser/latent.js";

const page = location.pathname;

/** FNV-1a over the bits of every parameter, in the record's order. */
function hashParams(params) {
  let h = 0x811c9dc5;
  let count = 0;
  for (const t of Object.values(params)) {
    const u = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    for (const w of u) { h = Math.imul(h ^ w, 0x01000193) >>> 0; count++; }
  }
  return `${count}:${h.toString(16)}`;
}

/** 240 rows of 64 features: three noisy stripe patterns, from a fixed LCG. */
function syntheticRows() {
  const n = 240, d = 64, x = new Float32Array(n * d);
  let s = 12345;
  const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    const on = i % 3 === 0 ? j % 8 < 4 : i % 3 === 1 ? (j >> 3) % 2 === 0 : j % 3 === 0;
    x[i * d + j] = Math.min(1, Math.max(0, (on ? 0.8 : 0.15) + 0.3 * (next() - 0.5)));
  }
  return tensor(x, [n, d]);
}

async function trainOn(x, threads, spawn) {
  const vae = models.vae.mlp({ input: 64, hidden: [32], latent: 4 });
  const opt = optim.adam({ learningRate: 1e-2 });
  const [kInit, kData, kFit] = random.split(random.key(1), 3);
  // cutSizes 0: even this small model's calls are cut across the threads.
  const backend = threads === 1 ? undefined : await parallel.startThreads({ threads, spawn, cutSizes: { minFlops: 0, minElements: 0 } });
  try {
    const fitted = await train.fit(vae, opt, { state: train.initState(vae.init(kInit), opt), epochs: 3, key: kFit,
      data: data.batches(x, { batchSize: 32, key: kData }), backend });
    return { losses: fitted.history.map((m) => m.train.loss), hash: hashParams(fitted.state.params),
      threads: backend?.threads ?? 1, reason: backend?.singleThreadReason ?? null };
  } finally {
    backend?.close();
  }
}

async function attempt(f) {
  try { return { ok: true, value: await f() }; } catch (e) { return { ok: false, error: `${e?.name}: ${e?.message}` }; }
}

async function trainingPage() {
  const runtime = await init();
  const x = syntheticRows();
  const one = await trainOn(x, 1);
  const blob = await attempt(() => trainOn(x, 2));
  const file = await attempt(() => trainOn(x, 2, fileSpawn()));
  const module = await WebAssembly.compileStreaming(fetch("/dist/wasm/simd.wasm"));
  const fromFile = initSync(module);
  return { isolated: globalThis.crossOriginIsolated === true, isa: runtime.isa, one, blob, file, fromFileIsa: fromFile.isa };
}

async function strictPage() {
  return {
    init: await attempt(() => init().then((r) => r.isa)),
    initSync: await attempt(() => initSync().isa),
    compileStreaming: await attempt(() => WebAssembly.compileStreaming(fetch("/dist/wasm/simd.wasm")).then(() => "compiled")),
  };
}

(page === "/csp-strict.html" ? strictPage() : trainingPage()).then(
  (r) => { window.result = r; },
  (e) => { window.result = { error: `${e?.name}: ${e?.message}\n${e?.stack}` }; },
);
