/** GPU buffers pooled by size class (powers of two from 256 bytes), all with storage + copy usage. */

// read lazily: in Node the GPU* globals exist only once the webgpu package has been loaded
const usage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function sizeClass(bytes: number): number {
  let c = 256;
  while (c < bytes) c *= 2;
  return c;
}

export class BufferPool {
  readonly #free = new Map<number, GPUBuffer[]>();
  #pooledBytes = 0;

  constructor(readonly device: GPUDevice) {}

  get pooledBytes(): number { return this.#pooledBytes; }

  acquire(bytes: number): GPUBuffer {
    const c = sizeClass(bytes);
    const list = this.#free.get(c);
    const reused = list?.pop();
    if (reused) {
      this.#pooledBytes -= c;
      return reused;
    }
    return this.device.createBuffer({ size: c, usage: usage() });
  }

  release(buffer: GPUBuffer): void {
    const c = buffer.size;
    let list = this.#free.get(c);
    if (!list) { list = []; this.#free.set(c, list); }
    list.push(buffer);
    this.#pooledBytes += c;
  }

  /** Give pooled memory back to the driver. */
  trim(): void {
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
    this.#pooledBytes = 0;
  }

  destroy(): void {
    this.trim();
  }
}
