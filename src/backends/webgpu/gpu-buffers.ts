/**
 * GPU buffers pooled by size class and usage. Sizes round up to the next class (powers of two and
 * the halfway steps between them: 16, 24, 32, 48, 64, 96, ... bytes), so a freed buffer serves any
 * later request of its class and the waste stays under a third.
 *
 * Reuse is safe because every use of a buffer goes through one queue in order: commands recorded
 * later run after commands recorded earlier, within a submit and across submits. The exception is
 * `queue.writeBuffer`, which runs at the next submit *before* the commands still being recorded;
 * `lastBatch` lets the backend flush first when it is about to write a buffer that the unsubmitted
 * batch still reads (see WebGpuContext.upload).
 */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  readonly capacity: number;
  readonly usage: number;
  /** id of the last command batch that referenced the buffer (0: never) */
  lastBatch: number;
}

const MIN_BYTES = 16;

export function sizeClass(bytes: number, maxBytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  const half = (p / 4) * 3;
  const c = half >= bytes ? half : p;
  // above the device's largest buffer, fall back to the exact (4-byte aligned) size
  return c <= maxBytes ? c : Math.ceil(bytes / 4) * 4;
}

export class BufferPool {
  readonly #free = new Map<string, PooledBuffer[]>();
  #pooledBytes = 0;
  #createdBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    /** pooled bytes above this are destroyed instead of kept */
    private readonly maxPooledBytes: number,
    /** destroys a buffer once no unsubmitted command references it */
    private readonly destroyLater: (b: PooledBuffer) => void,
  ) {}

  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /** bytes in every buffer this pool created and has not destroyed */
  get createdBytes(): number {
    return this.#createdBytes;
  }

  acquire(bytes: number, usage: number, label: string): PooledBuffer {
    const capacity = sizeClass(bytes, this.maxBufferSize);
    const key = `${usage}:${capacity}`;
    const stack = this.#free.get(key);
    const reused = stack?.pop();
    if (reused) {
      this.#pooledBytes -= capacity;
      return reused;
    }
    const buffer = this.device.createBuffer({ size: capacity, usage, label });
    this.#createdBytes += capacity;
    return { buffer, capacity, usage, lastBatch: 0 };
  }

  release(b: PooledBuffer): void {
    if (this.#pooledBytes + b.capacity > this.maxPooledBytes) {
      this.#createdBytes -= b.capacity;
      this.destroyLater(b);
      return;
    }
    const key = `${b.usage}:${b.capacity}`;
    let stack = this.#free.get(key);
    if (!stack) this.#free.set(key, (stack = []));
    stack.push(b);
    this.#pooledBytes += b.capacity;
  }

  /** Destroys every pooled buffer (live ones are untouched). */
  trim(): void {
    for (const stack of this.#free.values()) {
      for (const b of stack) {
        this.#createdBytes -= b.capacity;
        this.destroyLater(b);
      }
    }
    this.#free.clear();
    this.#pooledBytes = 0;
  }
}
