/**
 * `checkLayer(layer, options)`: a layer's rules proven the way latent proves its own.
 * 1. On the float64 ReferenceBackend, with parameters from layer.init(key), an input x ~ N(0, 1)
 *    [batch, in] and a cotangent r ~ N(0, 1) [batch, out], the scalar f(params, x) = <forward(x), r>
 *    has the gradient that backward(dy = r) writes (parameter gradients, dx). Each parameter
 *    tensor and x are checked by central differences along `directions` random directions
 *    (./gradients.ts).
 * 2. On a kernel backend (`kernels`, e.g. a runtime's backend: the wasm f32 kernels), forward and
 *    backward on the same inputs rounded to f32 agree with the float64 results within
 *    rtol * (|expected| + max |expected|) elementwise: f32 arithmetic against exact arithmetic.
 * A layer that draws (Dropout) gets a fixed key, so its function is deterministic. Throws a
 * CheckError naming the part, the array, the index and the values; wrap it in a fast-check
 * property over sizes to find the smallest layer that fails.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { ReferenceBackend } from "../backend/reference.js";
import type { Layer, LayerContext } from "../nn/layer.js";
import { foldIn, key as makeKey, normalF64 } from "../random/index.js";
import { CheckError } from "./check-error.js";
import { directionalCheck, gradientTable, type GradCheck } from "./gradients.js";

export interface LayerCheckOptions {
  /** Rows of the batch (default 3). */
  readonly batch?: number;
  /** Seed of the parameters, inputs, cotangent and directions (default 1). */
  readonly seed?: number;
  /** Random directions per parameter tensor and for x (default 2). */
  readonly directions?: number;
  /** Central-difference tolerance in float64 (defaults of directionalCheck: rtol 1e-6, atol 1e-9). */
  readonly rtol?: number;
  readonly atol?: number;
  /** A backend to compare against the float64 results (e.g. runtime.backend), with its tolerance (default 1e-4). */
  readonly kernels?: Backend<Buffer>;
  readonly kernelRtol?: number;
}

export interface LayerReport {
  readonly gradients: readonly { readonly name: string; readonly seed: number; readonly check: GradCheck }[];
  /** Worst elementwise error of the kernels against float64, in units of the tolerance (0 without kernels). */
  readonly kernels: number;
}

interface Outputs { readonly y: Float64Array; readonly grads: readonly Float64Array[]; readonly dx: Float64Array }

/** Forward and backward of the layer on a backend; values in and out as float64. */
function run<B extends Buffer>(be: Backend<B>, layer: Layer, params: readonly ArrayLike<number>[], batch: number,
  x: ArrayLike<number>, r: ArrayLike<number>, ctxKey: LayerContext["key"]): Outputs {
  const owned: B[] = [];
  const buf = (n: number, values?: ArrayLike<number>): B => { const b = be.alloc(n); owned.push(b); if (values) be.write(b, values); return b; };
  try {
    const p = layer.params.map((s, i) => buf(s.shape.reduce((a, b) => a * b, 1), params[i]));
    const g = layer.params.map((s) => buf(s.shape.reduce((a, b) => a * b, 1)));
    const xb = buf(batch * layer.inFeatures, x), yb = buf(batch * layer.outFeatures);
    const dyb = buf(batch * layer.outFeatures, r), dxb = buf(batch * layer.inFeatures);
    const n = layer.workspace?.(batch) ?? 0;
    const ws = n > 0 ? buf(n) : undefined;
    const ctx = layer.random ? { key: ctxKey } : {};
    layer.forward(be, p, batch, xb, yb, ws, ctx);
    const y = Float64Array.from(be.read(yb));
    layer.backward(be, p, g, batch, xb, yb, dyb, dxb, ws, { ...ctx, wsHoldsForward: true });
    return { y, grads: g.map((b) => Float64Array.from(be.read(b))), dx: Float64Array.from(be.read(dxb)) };
  } finally {
    for (const b of owned) be.free(b);
  }
}

export function checkLayer(layer: Layer, o: LayerCheckOptions = {}): LayerReport {
  const batch = o.batch ?? 3, seed = o.seed ?? 1, directions = o.directions ?? 2;
  const ref = new ReferenceBackend() as unknown as Backend<Buffer>;
  const base = makeKey(seed);
  const params = layer.init(foldIn(base, 1)).map((a) => Float64Array.from(a));
  const x = normalF64(foldIn(base, 2), batch * layer.inFeatures);
  const r = normalF64(foldIn(base, 3), batch * layer.outFeatures);
  const ctxKey = foldIn(base, 4);
  const exact = run(ref, layer, params, batch, x, r, ctxKey);
  const dot = (y: Float64Array) => { let s = 0; for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!; return s; };

  const gradients: { name: string; seed: number; check: GradCheck }[] = [];
  const parts = [...layer.params.map((s, i) => ({ name: s.name, index: i })), { name: "x (the input)", index: -1 }];
  let dir = seed * 1000;
  for (const part of parts) {
    const at = part.index < 0 ? x : params[part.index]!;
    if (at.length === 0) continue;
    const grad = part.index < 0 ? exact.dx : exact.grads[part.index]!;
    const f = (v: Float64Array) => dot(run(ref, layer, part.index < 0 ? params : params.map((q, i) => (i === part.index ? v : q)), batch,
      part.index < 0 ? v : x, r, ctxKey).y);
    let worst: { name: string; seed: number; check: GradCheck } | null = null;
    for (let j = 0; j < directions; j++, dir++) {
      const check = directionalCheck(f, at, grad, dir, 1e-4, o.rtol, o.atol);
      if (!worst || !(check.ratio <= worst.check.ratio)) worst = { name: part.name, seed: dir, check };
    }
    gradients.push(worst!);
  }
  const bad = gradients.filter((g) => !(g.check.ratio <= 1));
  if (bad.length > 0) {
    throw new CheckError(`${layer.kind} (${layer.inFeatures} -> ${layer.outFeatures} features, batch ${batch}, seed ${seed}): `
      + `backward disagrees with central differences of <forward(x), r> for ${bad.map((b) => b.name).join(", ")}:\n${gradientTable(bad)}`, { gradients });
  }

  let kernels = 0;
  if (o.kernels) {
    const rtol = o.kernelRtol ?? 1e-4;
    const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));
    const p32 = params.map(f32), x32 = f32(x), r32 = f32(r);
    const want = run(ref, layer, p32, batch, x32, r32, ctxKey);
    const got = run(o.kernels, layer, p32, batch, x32, r32, ctxKey);
    const arrays: [string, Float64Array, Float64Array][] = [["forward y", got.y, want.y], ["dx", got.dx, want.dx],
      ...layer.params.map((s, i): [string, Float64Array, Float64Array] => [`d${s.name}`, got.grads[i]!, want.grads[i]!])];
    for (const [name, a, b] of arrays) {
      let scale = 0;
      for (const v of b) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < b.length; i++) {
        const allowed = rtol * (Math.abs(b[i]!) + scale) + 1e-30;
        const ratio = Math.abs(a[i]! - b[i]!) / allowed;
        if (!(ratio <= 1)) {
          throw new CheckError(`${layer.kind} (batch ${batch}, seed ${seed}) on ${o.kernels.name}: ${name}[${i}] is ${a[i]}, the float64 reference gives ${b[i]} `
            + `(error ${Math.abs(a[i]! - b[i]!).toPrecision(3)}, allowed ${allowed.toPrecision(3)})`, { name, index: i, actual: a[i], expected: b[i] });
        }
        kernels = Math.max(kernels, ratio);
      }
    }
  }
  return { gradients, kernels };
}
