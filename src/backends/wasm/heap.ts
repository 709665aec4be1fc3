/**
 * The wasm linear memory and a small allocator over it.
 *
 * Layout: the first 64 KiB hold the thread-pool control words and the per-thread parameter blocks;
 * blocks handed out start above. Blocks are 64-byte aligned (cache lines, and v128 loads never
 * straddle two lines of one panel) and come from segregated free lists keyed by size class, with a
 * bump pointer on top; freed blocks adjacent to the top are given back to the bump pointer.
 *
 * Growth: a shared memory keeps its address range when it grows, so typed-array views made before
 * stay valid (they just cover their original range); `memory.buffer` returns a new, longer
 * SharedArrayBuffer object for the same memory, which `owns` recognises. A non-shared memory
 * detaches its old buffer on growth, so in that mode callers must not keep views across calls that
 * may allocate (the kernels copy results out instead).
 */

export const PAGE_BYTES = 65536;
/** bytes below this address are reserved for control words and parameter blocks */
export const HEAP_BASE = 65536;
export const CONTROL_BYTES = 4096;
const ALIGN = 64;

export interface HeapOptions {
  shared: boolean;
  initialPages: number;
  maximumPages: number;
}

/** Rounds a byte count up to its size class: multiples of 64 up to 64 KiB, then 8 classes per power of two. */
export function sizeClass(bytes: number): number {
  const b = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (b <= 65536) return b;
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  readonly initialPages: number;
  readonly maximumPages: number;
  private top = HEAP_BASE;
  private readonly sizes = new Map<number, number>();
  private readonly freeLists = new Map<number, number[]>();
  /** free blocks by end address, to hand blocks under the bump pointer back to it */
  private readonly freeByEnd = new Map<number, number>();
  private readonly knownBuffers = new WeakSet<ArrayBufferLike>();
  private liveBytes = 0;
  private freeBytes = 0;

  constructor(opts: HeapOptions) {
    this.shared = opts.shared;
    this.initialPages = opts.initialPages;
    this.maximumPages = opts.maximumPages;
    this.memory = new WebAssembly.Memory({ initial: opts.initialPages, maximum: opts.maximumPages, shared: opts.shared });
    this.knownBuffers.add(this.memory.buffer);
  }

  /** the current buffer (after growth this is a different object than before) */
  get buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.knownBuffers.add(b);
    return b;
  }

  /** whether an array views this heap's memory (any buffer object it has had) */
  owns(a: ArrayBufferView): boolean {
    return this.knownBuffers.has(a.buffer) || a.buffer === this.memory.buffer;
  }

  /** a byte address for `bytes` bytes; throws a RangeError naming the sizes when memory is exhausted */
  alloc(bytes: number): number {
    const size = sizeClass(bytes);
    const list = this.freeLists.get(size);
    if (list && list.length > 0) {
      const ptr = list.pop()!;
      this.freeByEnd.delete(ptr + size);
      this.freeBytes -= size;
      this.liveBytes += size;
      this.sizes.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > this.memory.buffer.byteLength && !this.tryGrow(end)) {
      throw new RangeError(`wasm heap: cannot allocate ${bytes} bytes: ${this.liveBytes} live, `
        + `${this.freeBytes} free in other size classes, maximum ${this.maximumPages * PAGE_BYTES} bytes`);
    }
    this.top = end;
    this.liveBytes += size;
    this.sizes.set(ptr, size);
    return ptr;
  }

  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`wasm heap: free of unknown block ${ptr}`);
    this.sizes.delete(ptr);
    this.liveBytes -= size;
    if (ptr + size === this.top) {
      this.top = ptr;
      // blocks that now end at the top go back to the bump pointer too
      for (let p = this.freeByEnd.get(this.top); p !== undefined; p = this.freeByEnd.get(this.top)) {
        const s = this.top - p;
        this.freeByEnd.delete(this.top);
        const l = this.freeLists.get(s)!;
        l.splice(l.lastIndexOf(p), 1);
        this.freeBytes -= s;
        this.top = p;
      }
      return;
    }
    let list = this.freeLists.get(size);
    if (!list) { list = []; this.freeLists.set(size, list); }
    list.push(ptr);
    this.freeByEnd.set(ptr + size, ptr);
    this.freeBytes += size;
  }

  blockBytes(ptr: number): number {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`wasm heap: unknown block ${ptr}`);
    return size;
  }

  f32(ptr: number, length: number): Float32Array { return new Float32Array(this.buffer, ptr, length); }
  i32(ptr: number, length: number): Int32Array { return new Int32Array(this.buffer, ptr, length); }

  stats(): { liveBytes: number; freeBytes: number; liveBlocks: number; memoryBytes: number } {
    return { liveBytes: this.liveBytes, freeBytes: this.freeBytes, liveBlocks: this.sizes.size, memoryBytes: this.memory.buffer.byteLength };
  }

  private tryGrow(endByte: number): boolean {
    const have = this.memory.buffer.byteLength / PAGE_BYTES;
    const need = Math.ceil(endByte / PAGE_BYTES);
    if (need > this.maximumPages) return false;
    // grow geometrically so a run of allocations does not grow page by page
    const want = Math.min(this.maximumPages, Math.max(need, Math.ceil(have * 1.5)));
    try {
      this.memory.grow(want - have);
    } catch {
      try { this.memory.grow(need - have); } catch { return false; }
    }
    this.knownBuffers.add(this.memory.buffer);
    return true;
  }
}
