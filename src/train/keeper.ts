/**
 * What a function keeps between calls in a backend's memory (a Trainer, a Program), owned by the
 * function: `dispose()` frees it, and if the function is collected first the backend's
 * finalizer does. The finalizer's callback holds only the holder of the kept value, never the
 * function, or the function could never be collected.
 */
import type { Backend, Buffer } from "../backend/backend.js";

interface Holder<T> { value: T | null }

function release<T extends { dispose(): void }>(holder: Holder<T>): void {
  holder.value?.dispose();
  holder.value = null;
}

/** Made at module level, so that the callback's scope holds the holder and nothing else. */
function releaser<T extends { dispose(): void }>(holder: Holder<T>): () => void {
  return () => release(holder);
}

export class Keeper<T extends { dispose(): void }> {
  private readonly holder: Holder<T> = { value: null };
  private registeredOn: Backend<Buffer> | null = null;
  private readonly token = {};

  get value(): T | null { return this.holder.value; }

  /** Keeps `value` (freeing what was kept before), to be freed when `owner` is collected if not disposed. */
  keep(value: T, be: Backend<Buffer>, owner: object): T {
    release(this.holder);
    this.holder.value = value;
    if (this.registeredOn !== be) {
      this.registeredOn?.finalizer?.unregister(this.token);
      be.finalizer?.register(owner, releaser(this.holder), this.token);
      this.registeredOn = be;
    }
    return value;
  }

  /** Frees what is kept, now. */
  dispose(): void {
    release(this.holder);
    this.registeredOn?.finalizer?.unregister(this.token);
    this.registeredOn = null;
  }
}
