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
    if (this.top + size > this.memory.buffer.byteLength && this.freeBytes >= size) {
      // before growing the memory: merge neighbouring free blocks (of any class), take the best fit
      const fit = this.coalesceAndFit(size);
      if (fit !== null) return fit;
    }
    const ptr = this.top; // coalescing may have handed blocks back to the bump pointer
    if (ptr + size > this.memory.buffer.byteLength) {
      if (!this.tryGrow(ptr + size)) {
        throw new RangeError(`wasm heap: cannot allocate ${bytes} bytes: ${this.liveBytes} live, `
          + `${this.freeBytes} free in blocks too small even after merging neighbours, maximum ${this.maximumPages * PAGE_BYTES} bytes`);
      }
    }
    this.top = ptr + size;
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
    this.pushFree(ptr, size);
    this.freeBytes += size;
  }

  private pushFree(ptr: number, size: number): void {
    let list = this.freeLists.get(size);
    if (!list) { list = []; this.freeLists.set(size, list); }
    list.push(ptr);
    this.freeByEnd.set(ptr + size, ptr);
  }

  /**
   * The slow path when memory is exhausted: the size-class lists never merge, so a long run with
   * shifting shapes can hold plenty of free bytes in blocks too small for the request. Merge
   * address-adjacent free blocks, give a merged block that ends at the top back to the bump
   * pointer, then carve the request from the smallest block that holds it (the rest stays free).
   */
  private coalesceAndFit(size: number): number | null {
    const blocks: [number, number][] = [];
    for (const [s, list] of this.freeLists) for (const p of list) blocks.push([p, s]);
    blocks.sort((a, b) => a[0] - b[0]);
    this.freeLists.clear();
    this.freeByEnd.clear();
    const merged: [number, number][] = [];
    for (const [p, s] of blocks) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === p) last[1] += s;
      else merged.push([p, s]);
    }
    const tail = merged[merged.length - 1];
    if (tail && tail[0] + tail[1] === this.top) {
      this.top = tail[0];
      this.freeBytes -= tail[1];
      merged.pop();
    }
    let best = -1;
    for (let i = 0; i < merged.length; i++) {
      if (merged[i]![1] >= size && (best < 0 || merged[i]![1] < merged[best]![1])) best = i;
    }
    for (let i = 0; i < merged.length; i++) {
      if (i === best) continue;
      this.pushFree(merged[i]![0], merged[i]![1]);
    }
    if (best < 0) return null;
    const [ptr, blockSize] = merged[best]!;
    if (blockSize > size) this.pushFree(ptr + size, blockSize - size);
    this.freeBytes -= size;
    this.liveBytes += size;
    this.sizes.set(ptr, size);
    return ptr;
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
