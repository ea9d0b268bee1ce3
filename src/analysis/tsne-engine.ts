/**
 * The state of a t-SNE optimisation (Y, updates, gains, the last forces) and its per-iteration
 * work: on a WasmBackend the kernels of assembly/tsne.ts over the backend's arena (every block
 * freed by dispose), on any other backend float64 host code: for the exact method the original
 * tsneGradient (the oracle), for Barnes-Hut the kernels' references. Y is row-major [n, dims].
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { WasmBackend } from "../backend/wasm.js";
import type { KernelExports, Ptr } from "../kernels/exports.js";
import * as ref from "../kernels/reference/tsne.js";
import { tsneCost, tsneGradient } from "./tsne-objective.js";
import { upperTriangle, type SparseAffinities } from "./tsne-sparse.js";

/** Most points a Barnes-Hut leaf holds (its points share one tree walk; measured fastest among 8..64 at n = 10,000). */
export const BH_LEAF = 32;

export type Affinities =
  | { readonly method: "exact"; readonly p: Float64Array }
  | { readonly method: "barnes-hut"; readonly p: SparseAffinities; readonly theta: number };

export interface TsneEngine {
  /** Forces at the current Y with P multiplied by pscale (early exaggeration). */
  forces(pscale: number): void;
  /** The gradient [n * dims] from the last forces: 4 (attr - rep / Z). */
  gradient(): Float64Array;
  /** bhtsne's step from the last forces (gains, momentum, re-centring). */
  step(momentum: number, eta: number): void;
  /** KL(P || Q) at the current Y; Barnes-Hut: over the sparse P with the tree's estimate of Z. Spends the last forces. */
  cost(): number;
  /** A copy of Y. */
  embedding(): Float64Array;
  dispose(): void;
}

export function makeEngine(be: Backend<Buffer>, n: number, dims: number, y0: Float64Array, a: Affinities): TsneEngine {
  return be instanceof WasmBackend ? new WasmEngine(be, n, dims, y0, a) : new ReferenceEngine(n, dims, y0, a);
}

/** KL(P || Q) = sum over the entries of P of p log(p Z / w), w = 1 / (1 + d^2); 2-D Y. */
export function sparseCost(p: SparseAffinities, y: ArrayLike<number>, z: number): number {
  let kl = 0;
  for (let i = 0; i < p.n; i++) {
    for (let e = p.rowPtr[i]!; e < p.rowPtr[i + 1]!; e++) {
      const v = p.values[e]!, j = p.cols[e]!;
      if (!(v > 0)) continue;
      const dx = y[2 * i]! - y[2 * j]!, dy = y[2 * i + 1]! - y[2 * j + 1]!;
      kl += v * Math.log(v * z * (1 + (dx * dx + dy * dy)));
    }
  }
  return kl;
}

/** 4 (attr - zInv rep), as tsne_step_f64 forms it. */
function combine(attr: ArrayLike<number>, rep: ArrayLike<number>, zInv: number): Float64Array {
  const g = new Float64Array(attr.length);
  for (let i = 0; i < g.length; i++) g[i] = 4 * (attr[i]! - zInv * rep[i]!);
  return g;
}

class WasmEngine implements TsneEngine {
  private readonly k: KernelExports;
  private readonly blocks: Ptr[] = [];
  private readonly len: number;
  private y = 0; private update = 0; private gains = 0; private attr = 0; private rep = 0;
  private p = 0; private rowPtr = 0; private cols = 0; private vals = 0; private work = 0;
  private zInv = 0;

  constructor(private readonly be: WasmBackend, private readonly n: number, private readonly dims: number,
    y0: Float64Array, private readonly a: Affinities) {
    this.k = be.module.exports;
    const len = this.len = n * dims;
    const up = a.method === "barnes-hut" ? upperTriangle(a.p) : undefined;
    try {
      this.y = this.alloc(8 * len); this.update = this.alloc(8 * len); this.gains = this.alloc(8 * len);
      this.attr = this.alloc(8 * len); this.rep = this.alloc(8 * len);
      if (a.method === "exact") {
        this.p = this.alloc(8 * n * n);
        this.work = this.alloc(this.k.tsne_exact_work_size(n, dims));
      } else {
        const nnz = up!.cols.length;
        this.rowPtr = this.alloc(4 * (n + 1)); this.cols = this.alloc(4 * nnz); this.vals = this.alloc(8 * nnz);
        this.work = this.alloc(this.k.tsne_bh_work_size(n));
      }
      // Views only now: an allocation may have grown (and detached) the memory.
      this.f64(this.y, len).set(y0);
      this.f64(this.update, len).fill(0);
      this.f64(this.gains, len).fill(1);
      if (a.method === "exact") this.f64(this.p, n * n).set(a.p);
      else {
        const mem = this.k.memory.buffer;
        new Int32Array(mem, this.rowPtr, n + 1).set(up!.rowPtr);
        new Int32Array(mem, this.cols, up!.cols.length).set(up!.cols);
        this.f64(this.vals, up!.values.length).set(up!.values);
      }
    } catch (e) { this.dispose(); throw e; }
  }

  private alloc(bytes: number): Ptr { const p = this.be.arena.allocBytes(bytes); this.blocks.push(p); return p; }
  private f64(ptr: Ptr, len: number): Float64Array { return new Float64Array(this.k.memory.buffer, ptr, len); }

  private repulsion(): number {
    const a = this.a as Extract<Affinities, { method: "barnes-hut" }>;
    return this.k.tsne_bh_repulsive_2d(this.n, this.y, a.theta, BH_LEAF, this.work, this.rep);
  }

  forces(pscale: number): void {
    const { k, n, dims } = this;
    let z: number;
    if (this.a.method === "exact") z = k.tsne_exact_f64(n, dims, this.p, pscale, this.y, this.work, this.attr, this.rep);
    else {
      k.tsne_attractive_2d_f64(n, this.rowPtr, this.cols, this.vals, pscale, this.y, this.attr);
      z = this.repulsion();
    }
    this.zInv = z > 0 ? 1 / z : 0;
  }

  gradient(): Float64Array { return combine(this.f64(this.attr, this.len), this.f64(this.rep, this.len), this.zInv); }

  step(momentum: number, eta: number): void {
    this.k.tsne_step_f64(this.n, this.dims, this.attr, this.rep, this.zInv, momentum, eta, this.gains, this.update, this.y);
  }

  cost(): number {
    if (this.a.method === "exact") return tsneCost(this.a.p, this.embedding());
    const z = this.repulsion();
    return sparseCost(this.a.p, this.embedding(), z);
  }

  embedding(): Float64Array { return this.f64(this.y, this.len).slice(); }

  dispose(): void {
    while (this.blocks.length > 0) this.be.arena.release(this.blocks.pop()!);
  }
}

class ReferenceEngine implements TsneEngine {
  private readonly y: Float64Array;
  private readonly update: Float64Array;
  private readonly gains: Float64Array;
  private grad: Float64Array;
  private scaled: { s: number; p: Float64Array } | undefined;
  private readonly upper: SparseAffinities | undefined;

  constructor(private readonly n: number, private readonly dims: number, y0: Float64Array, private readonly a: Affinities) {
    this.y = y0.slice();
    this.update = new Float64Array(n * dims);
    this.gains = new Float64Array(n * dims).fill(1);
    this.grad = new Float64Array(n * dims);
    if (a.method === "barnes-hut") this.upper = upperTriangle(a.p);
  }

  forces(pscale: number): void {
    const { a, n, dims, y } = this;
    if (a.method === "exact") {
      if (pscale !== 1 && this.scaled?.s !== pscale) this.scaled = { s: pscale, p: a.p.map((v) => v * pscale) };
      this.grad = tsneGradient(pscale === 1 ? a.p : this.scaled!.p, y, n, dims);
      return;
    }
    const attr = new Float64Array(2 * n), rep = new Float64Array(2 * n);
    const up = this.upper!;
    ref.attractive2d(n, up.rowPtr, up.cols, up.values, pscale, y, attr);
    const z = ref.bhRepulsive2d(n, y, a.theta, BH_LEAF, rep);
    this.grad = combine(attr, rep, z > 0 ? 1 / z : 0);
  }

  gradient(): Float64Array { return this.grad.slice(); }

  step(momentum: number, eta: number): void {
    ref.applyStep(this.n, this.dims, this.grad, momentum, eta, this.gains, this.update, this.y);
  }

  cost(): number {
    const a = this.a;
    if (a.method === "exact") return tsneCost(a.p, this.y);
    return sparseCost(a.p, this.y, ref.bhRepulsive2d(this.n, this.y, a.theta, BH_LEAF, new Float64Array(2 * this.n)));
  }

  embedding(): Float64Array { return this.y.slice(); }

  dispose(): void {}
}
