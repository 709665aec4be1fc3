/**
 * CPU storages: a typed array plus the bookkeeping the Backend contract needs (size, dtype, owner,
 * freed flag), and the live-buffer counter behind `memory()`.
 */
import type { Backend, MemoryInfo, Storage } from '../../core/backend.js';
import { bytesPerElement, type DType, type TypedArray } from '../../core/dtype.js';

export class CpuStorage implements Storage {
  #data: TypedArray;
  #freed = false;
  readonly size: number;

  constructor(readonly backend: Backend, data: TypedArray, readonly dtype: DType) {
    this.#data = data;
    this.size = data.length;
  }

  /** The elements. Reading a freed storage throws: it would otherwise read memory that the
   *  array store (the WebAssembly heap, when a wasm backend holds this one) may have handed on. */
  get data(): TypedArray {
    if (this.#freed) throw new Error(`${this.backend.name}: storage of ${this.size} ${this.dtype} used after free`);
    return this.#data;
  }

  get freed(): boolean {
    return this.#freed;
  }

  /** Marks the storage freed and returns the array it held (for the allocator to reclaim). */
  release(): TypedArray {
    this.#freed = true;
    const data = this.#data;
    this.#data = EMPTY[this.dtype];
    return data;
  }
}

const EMPTY: Record<DType, TypedArray> = {
  float32: new Float32Array(0),
  float64: new Float64Array(0),
  int32: new Int32Array(0),
};

/** Live buffers and bytes, counted at allocation and free. */
export class MemoryCounter {
  #buffers = 0;
  #bytes = 0;

  add(size: number, dtype: DType): void {
    this.#buffers++;
    this.#bytes += size * bytesPerElement(dtype);
  }

  remove(size: number, dtype: DType): void {
    this.#buffers--;
    this.#bytes -= size * bytesPerElement(dtype);
  }

  info(): MemoryInfo {
    return { liveBuffers: this.#buffers, liveBytes: this.#bytes, pooledBytes: 0 };
  }
}
