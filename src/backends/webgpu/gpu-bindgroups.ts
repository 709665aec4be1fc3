/**
 * Bind groups, cached. Creating one per dispatch is a large part of a dispatch's CPU cost; a
 * training step binds the same buffers in the same roles every step (the pool hands them out in
 * the same order), so groups are kept by (layout, parameter-block size, bound buffers and sizes).
 * The parameter block is bound with a dynamic offset, so the ring slot of each dispatch does not
 * enter the key. A group is dropped when one of its buffers is destroyed; past `limit` groups the
 * cache starts over.
 */
import type { BufferBinding } from './gpu-recorder.js';

export class BindGroupCache {
  readonly #groups = new Map<string, GPUBindGroup>();
  readonly #ids = new WeakMap<object, number>();
  readonly #keysByBuffer = new Map<number, string[]>();
  #nextId = 1;
  /** bind groups created (statistics: a cache miss each) */
  created = 0;

  constructor(private readonly device: GPUDevice, private readonly limit = 4096) {}

  #id(o: object): number {
    let id = this.#ids.get(o);
    if (id === undefined) this.#ids.set(o, (id = this.#nextId++));
    return id;
  }

  get(layout: GPUBindGroupLayout, uniform: GPUBuffer, paramBytes: number, buffers: readonly (BufferBinding | null)[], label: string): GPUBindGroup {
    const bound = buffers.map((b) => (b ? [this.#id(b.buffer.buffer), Math.max(4, Math.ceil(b.bytes / 4) * 4)] as const : null));
    const key = `${this.#id(layout)}|${paramBytes}|${bound.map((b) => (b ? `${b[0]}:${b[1]}` : '-')).join(',')}`;
    const hit = this.#groups.get(key);
    if (hit) return hit;
    if (this.#groups.size >= this.limit) this.clear();
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform, offset: 0, size: paramBytes } }];
    buffers.forEach((b, i) => {
      if (b) entries.push({ binding: i + 1, resource: { buffer: b.buffer.buffer, offset: 0, size: bound[i]![1] } });
    });
    const group = this.device.createBindGroup({ layout, entries, label });
    this.created++;
    this.#groups.set(key, group);
    for (const b of bound) {
      if (!b) continue;
      const keys = this.#keysByBuffer.get(b[0]);
      if (keys) keys.push(key); else this.#keysByBuffer.set(b[0], [key]);
    }
    return group;
  }

  /** Drops the groups that bind `buffer` (it is about to be destroyed). */
  forget(buffer: GPUBuffer): void {
    const id = this.#ids.get(buffer);
    if (id === undefined) return;
    for (const key of this.#keysByBuffer.get(id) ?? []) this.#groups.delete(key);
    this.#keysByBuffer.delete(id);
  }

  clear(): void {
    this.#groups.clear();
    this.#keysByBuffer.clear();
  }
}
