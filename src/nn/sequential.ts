/**
 * Sequential composition. Parameter names follow torch.nn.Sequential: `${prefix}.${i}.${name}`
 * where i is the layer's position (activations count as positions, as in PyTorch).
 * A SequentialRun holds one batch size's activations on a backend: outputs[i] is layer i's
 * output [batch, out_i], kept for the backward pass; grads[i] is d(loss)/d(outputs[i]);
 * workspaces[i] is layer i's scratch (null when it needs none), kept from forward to backward.
 * A forward with a key gives layer i (only a layer with `random`, e.g. Dropout) the key
 * foldIn(key, i); its backward gets the same key. The run tells a layer's backward that its
 * workspace still holds what its forward left (ctx.wsHoldsForward) when the run's last forward
 * was on the same x buffer (===) and neither a later forward nor that layer's own backward has
 * run since: each layer has its own workspace, and any call of the layer may overwrite it.
 */
import type { Backend, Buffer } from "../backend/backend.js";
import { foldIn, split, type Key } from "../random/index.js";
import { ConfigError, type Layer, type LayerContext } from "./layer.js";
import type { LayerSpec } from "./layer-spec.js";

export class Sequential {
  constructor(readonly prefix: string, readonly layers: readonly Layer[]) {
    if (layers.length === 0) throw new ConfigError(`${prefix}: a sequential needs at least one layer`);
    for (let i = 1; i < layers.length; i++) {
      if (layers[i]!.inFeatures !== layers[i - 1]!.outFeatures) {
        throw new ConfigError(`${prefix}.${i}: takes ${layers[i]!.inFeatures} features but layer ${i - 1} gives ${layers[i - 1]!.outFeatures}`);
      }
    }
  }

  get inFeatures(): number { return this.layers[0]!.inFeatures; }
  get outFeatures(): number { return this.layers[this.layers.length - 1]!.outFeatures; }

  paramSpecs(): { name: string; shape: readonly number[] }[] {
    return this.layers.flatMap((layer, i) => layer.params.map((p) => ({ name: `${this.prefix}.${i}.${p.name}`, shape: p.shape })));
  }

  /** The layers' specs in order (sequentialFromSpec in ./layer-spec.ts builds an equal Sequential). */
  toSpec(): LayerSpec[] {
    return this.layers.map((l, i) => {
      if (!l.toSpec) throw new ConfigError(`${this.prefix}.${i} (${l.kind}) has no toSpec(): it cannot be stored`);
      return l.toSpec();
    });
  }

  /** Initial values in paramSpecs() order; layer i draws from the i-th key of split(key). */
  init(key: Key): Float32Array[] {
    const keys = split(key, this.layers.length);
    return this.layers.flatMap((layer, i) => layer.init(keys[i]!));
  }
}

export class SequentialRun<B extends Buffer> {
  private disposed = false;
  readonly outputs: B[];
  private readonly grads: B[];
  private readonly workspaces: (B | null)[];
  /** The x of the last forward (null before any). */
  private lastX: B | null = null;
  /** Per layer: the ctx its last forward got (a key for a random layer in a training forward). */
  private readonly contexts: (LayerContext | undefined)[];
  /** Per layer: its workspace holds what its forward left for lastX. */
  private readonly wsFresh: boolean[];

  /**
   * `params` and `grads` are views in paramSpecs() order (the model's flat buffers). Without
   * `paramGrads` the run is forward-only: it holds no gradient buffers and backward() throws.
   */
  constructor(private readonly be: Backend<B>, readonly seq: Sequential, readonly batch: number,
    private readonly params: readonly B[], private readonly paramGrads: readonly B[] | null) {
    this.outputs = seq.layers.map((l) => be.alloc(batch * l.outFeatures));
    this.grads = paramGrads ? seq.layers.slice(0, -1).map((l) => be.alloc(batch * l.outFeatures)) : [];
    this.workspaces = seq.layers.map((l) => {
      const n = l.workspace?.(batch) ?? 0;
      return n > 0 ? be.alloc(n) : null;
    });
    this.contexts = seq.layers.map(() => undefined);
    this.wsFresh = seq.layers.map(() => false);
  }

  get output(): B { return this.outputs[this.outputs.length - 1]!; }

  private slices(i: number, of: readonly B[]): B[] {
    let start = 0;
    for (let j = 0; j < i; j++) start += this.seq.layers[j]!.params.length;
    return of.slice(start, start + this.seq.layers[i]!.params.length);
  }

  /** Forward on x; a key (training) lets the layers that draw (Dropout) draw, each from foldIn(key, i). */
  forward(x: B, key?: Key | null): B {
    let input = x;
    this.lastX = x;
    this.seq.layers.forEach((layer, i) => {
      const ctx = key && layer.random === true ? { key: foldIn(key, i) } : undefined;
      this.contexts[i] = ctx;
      layer.forward(this.be, this.slices(i, this.params), this.batch, input, this.outputs[i]!, this.workspaces[i] ?? undefined, ctx);
      this.wsFresh[i] = this.workspaces[i] !== null;
      input = this.outputs[i]!;
    });
    return this.output;
  }

  /** Backward from dy = d(loss)/d(output); writes every parameter gradient and, if given, dx. */
  backward(x: B, dy: B, dx: B | null): void {
    if (!this.paramGrads) throw new Error(`${this.seq.prefix}: backward() on a forward-only run`);
    const paramGrads = this.paramGrads;
    const layers = this.seq.layers;
    const sameX = this.lastX !== null && x === this.lastX;
    for (let i = layers.length - 1; i >= 0; i--) {
      const input = i === 0 ? x : this.outputs[i - 1]!;
      const dOut = i === layers.length - 1 ? dy : this.grads[i]!;
      const dIn = i === 0 ? dx : this.grads[i - 1]!;
      const holds = sameX && this.wsFresh[i]!;
      const key = this.contexts[i]?.key;
      const ctx: LayerContext | undefined = holds || key ? { ...(key ? { key } : {}), ...(holds ? { wsHoldsForward: true } : {}) } : undefined;
      this.wsFresh[i] = false;
      layers[i]!.backward(this.be, this.slices(i, this.params), this.slices(i, paramGrads), this.batch,
        input, this.outputs[i]!, dOut, dIn, this.workspaces[i] ?? undefined, ctx);
    }
  }

  /** Frees the run's buffers; a second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of [...this.outputs, ...this.grads]) this.be.free(b);
    for (const b of this.workspaces) if (b) this.be.free(b);
  }
}
