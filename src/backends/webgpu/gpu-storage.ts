/** A tensor's memory on the GPU: one pooled buffer plus the bookkeeping the Backend contract needs. */
import type { Backend, Storage } from '../../core/backend.js';
import type { DType } from '../../core/dtype.js';
import type { PooledBuffer } from './gpu-buffers.js';

export class WebGpuStorage implements Storage {
  #buffer: PooledBuffer | null;

  constructor(readonly backend: Backend, readonly size: number, readonly dtype: DType, buffer: PooledBuffer) {
    this.#buffer = buffer;
  }

  get freed(): boolean {
    return this.#buffer === null;
  }

  /** bytes of the elements (the buffer itself may be larger: pooled size classes) */
  get bytes(): number {
    return this.size * 4;
  }

  /** The pooled buffer; throws after free so a stale handle can never reach a reused buffer. */
  get pooled(): PooledBuffer {
    if (!this.#buffer) throw new Error(`${this.backend.name}: storage of ${this.size} ${this.dtype} used after free`);
    return this.#buffer;
  }

  /** Marks the storage freed and hands its buffer back (to the pool). */
  release(): PooledBuffer {
    const b = this.pooled;
    this.#buffer = null;
    return b;
  }
}
