/**
 * The host-side allocator over the kernel module's linear memory (everything above
 * heap_base). Blocks are 64-byte aligned (a cache line; SIMD loads need 16). Freed blocks go
 * to an address-ordered free list and merge with free neighbours. Growing the memory detaches
 * old ArrayBuffer views, so callers keep pointers, never views: `f32(ptr, n)` makes a fresh
 * view on the current buffer each time.
 */
import type { KernelExports, Ptr } from "./exports.js";

const ALIGN = 64;
const PAGE = 65536;
/** wasm32 addresses 4 GiB; the byte just past the last usable one. */
const MAX_BYTES = 65536 * PAGE;
/** 16 MiB. */
const GROW_CAP_PAGES = 256;

export class ArenaError extends Error {
  override readonly name = "ArenaError";
}

interface Block { ptr: Ptr; bytes: number }

export class Arena {
  private top: Ptr;
  private readonly free: Block[] = [];
  private readonly sizes = new Map<Ptr, number>();

  constructor(readonly exports: KernelExports) {
    this.top = roundUp(exports.heap_base(), ALIGN);
  }

  /** Allocates `bytes` (rounded up to the alignment; 0 gives a valid, empty block). */
  allocBytes(bytes: number): Ptr {
    if (!Number.isInteger(bytes) || bytes < 0) throw new ArenaError(`allocation size must be a non-negative integer, got ${bytes}`);
    const size = Math.max(ALIGN, roundUp(bytes, ALIGN));
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!;
      if (block.bytes < size) continue;
      const ptr = block.ptr;
      if (block.bytes === size) this.free.splice(i, 1);
      else { block.ptr += size; block.bytes -= size; }
      this.sizes.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > MAX_BYTES) throw new ArenaError(`out of WebAssembly memory: ${end} bytes needed, 4 GiB is the limit`);
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (end > have) {
      // Grow by at least half the current size, but by no more than 16 MiB beyond what is needed,
      // so that many small allocations stay cheap and a big one does not leave tens of MB unused
      // (the memory never shrinks).
      const need = Math.ceil((end - have) / PAGE);
      const slack = Math.min(Math.ceil(have / PAGE / 2), GROW_CAP_PAGES);
      const pages = Math.min(Math.max(need, slack), MAX_BYTES / PAGE - have / PAGE);
      try { memory.grow(pages); } catch (e) {
        throw new ArenaError(`could not grow WebAssembly memory to ${end} bytes: ${String(e)}`);
      }
    }
    this.top = end;
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** Allocates room for n f32 (or u32) values. */
  alloc(n: number): Ptr {
    return this.allocBytes(4 * n);
  }

  /** Returns a block to the free list; freeing an unknown pointer is an error. */
  release(ptr: Ptr): void {
    const bytes = this.sizes.get(ptr);
    if (bytes === undefined) throw new ArenaError(`release of a pointer that is not allocated: ${ptr}`);
    this.sizes.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i]!.ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, bytes });
    // Merge with the next and the previous free block when adjacent.
    const next = this.free[i + 1];
    if (next && ptr + bytes === next.ptr) { this.free[i]!.bytes += next.bytes; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.bytes === ptr) { prev.bytes += this.free[i]!.bytes; this.free.splice(i, 1); }
    // A free block at the top returns to the bump region.
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.bytes === this.top) { this.top = last.ptr; this.free.pop(); }
  }

  /** Bytes currently allocated (for tests and diagnostics). */
  get allocatedBytes(): number {
    let total = 0;
    for (const bytes of this.sizes.values()) total += bytes;
    return total;
  }

  /** A fresh f32 view of n values at ptr, valid until the memory next grows. */
  f32(ptr: Ptr, n: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, ptr, n);
  }

  /** A fresh u32 view of n values at ptr, valid until the memory next grows. */
  u32(ptr: Ptr, n: number): Uint32Array {
    return new Uint32Array(this.exports.memory.buffer, ptr, n);
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}
