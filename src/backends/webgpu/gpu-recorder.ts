/**
 * Command recording. Kernels are recorded as dispatches into one compute pass of one command
 * encoder and submitted in batches (every `dispatchesPerSubmit` dispatches, and on flush/read).
 * Within a pass WebGPU orders dispatches and makes each one's writes visible to the next, so a
 * batch is a plain program order.
 *
 * Parameters: each dispatch gets a slot (aligned to minUniformBufferOffsetAlignment) in one
 * uniform ring buffer; the slots are staged on the CPU and written with one writeBuffer just
 * before the batch is submitted. Reusing the ring for the next batch is safe: the queue runs that
 * write after the previous submit.
 *
 * Errors: each batch runs inside validation and out-of-memory error scopes; their results are
 * collected when the batch is submitted and reported (with the batch's kernel names) to
 * DeviceHealth, which throws them on the next call. `settle()` waits for every submitted batch's
 * scopes, so `read()` throws the errors of the work it waited for.
 *
 * Grids: a kernel's workgroup count is linear; counts above maxComputeWorkgroupsPerDimension fold
 * into 2-D or 3-D grids, and kernels rebuild the linear index (shaders/dispatch.wgsl).
 */
import type { PooledBuffer } from './gpu-buffers.js';
import type { DeviceHealth } from './gpu-errors.js';
import { BufferUsage } from './gpu-flags.js';
import type { CompiledKernel } from './gpu-pipelines.js';

export interface BufferBinding {
  buffer: PooledBuffer;
  /** bytes the kernel may touch (bound range); at least 4 */
  bytes: number;
}

export interface RecorderOptions {
  dispatchesPerSubmit: number;
  maxWorkgroupsPerDimension: number;
}

export class Recorder {
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #batch = 1;
  #dispatches = 0;
  #kernelNames = new Set<string>();
  readonly #uniform: GPUBuffer;
  readonly #uniformBytes: number;
  readonly #staging: Uint8Array<ArrayBuffer>;
  #uniformUsed = 0;
  readonly #align: number;
  #toDestroy: GPUBuffer[] = [];
  readonly #settling = new Set<Promise<void>>();
  /** dispatches recorded since the backend was created (statistics) */
  dispatchCount = 0;
  submitCount = 0;

  constructor(private readonly device: GPUDevice, private readonly health: DeviceHealth, private readonly options: RecorderOptions) {
    this.#align = Math.max(16, device.limits.minUniformBufferOffsetAlignment ?? 256);
    this.#uniformBytes = this.#align * Math.max(8, options.dispatchesPerSubmit) * 2;
    this.#uniform = device.createBuffer({ size: this.#uniformBytes, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: 'gmgrad params ring' });
    this.#staging = new Uint8Array(this.#uniformBytes);
  }

  /** id of the batch being recorded (buffers referenced by it carry this id in lastBatch) */
  get batch(): number {
    return this.#batch;
  }

  get pending(): boolean {
    return this.#encoder !== null;
  }

  #begin(): GPUCommandEncoder {
    if (!this.#encoder) {
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.#encoder = this.device.createCommandEncoder({ label: `gmgrad batch ${this.#batch}` });
    }
    return this.#encoder;
  }

  #computePass(): GPUComputePassEncoder {
    if (!this.#pass) this.#pass = this.#begin().beginComputePass();
    return this.#pass;
  }

  #endPass(): void {
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
  }

  /** The (x, y, z) grid for a linear workgroup count. */
  grid(count: number): [number, number, number] {
    const max = this.options.maxWorkgroupsPerDimension;
    if (count <= max) return [count, 1, 1];
    const y = Math.ceil(count / max);
    if (y <= max) return [max, y, 1];
    const z = Math.ceil(y / max);
    if (z > max) throw new Error(`webgpu: ${count} workgroups exceed a ${max}³ grid`);
    return [max, max, z];
  }

  dispatch(name: string, kernel: CompiledKernel, params: Uint8Array, buffers: readonly (BufferBinding | null)[], workgroups: number): void {
    if (workgroups <= 0) return;
    const slot = Math.ceil(params.byteLength / this.#align) * this.#align;
    if (this.#uniformUsed + slot > this.#uniformBytes || this.#dispatches >= this.options.dispatchesPerSubmit) this.flush();
    const offset = this.#uniformUsed;
    this.#staging.set(params, offset);
    this.#uniformUsed += slot;
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.#uniform, offset, size: params.byteLength } }];
    buffers.forEach((b, i) => {
      if (!b) return;
      b.buffer.lastBatch = this.#batch;
      entries.push({ binding: i + 1, resource: { buffer: b.buffer.buffer, offset: 0, size: Math.max(4, Math.ceil(b.bytes / 4) * 4) } });
    });
    const pass = this.#computePass();
    const bindGroup = this.device.createBindGroup({ layout: kernel.layout, entries, label: name });
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y, z] = this.grid(workgroups);
    pass.dispatchWorkgroups(x, y, z);
    this.#dispatches++;
    this.dispatchCount++;
    this.#kernelNames.add(name);
  }

  /** Records a buffer-to-buffer copy (offsets and size in bytes, multiples of 4). */
  copy(src: PooledBuffer, dst: PooledBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    if (bytes <= 0) return;
    this.#endPass();
    src.lastBatch = this.#batch;
    dst.lastBatch = this.#batch;
    this.#begin().copyBufferToBuffer(src.buffer, srcOffset, dst.buffer, dstOffset, Math.ceil(bytes / 4) * 4);
    this.#kernelNames.add('copy');
  }

  /** Destroys a buffer now, or after the pending batch is submitted when that batch uses it. */
  destroyLater(b: PooledBuffer): void {
    if (this.#encoder && b.lastBatch === this.#batch) this.#toDestroy.push(b.buffer);
    else b.buffer.destroy();
  }

  /** Submits the pending batch (no-op when nothing is recorded). */
  flush(): void {
    if (!this.#encoder) return;
    this.#endPass();
    const commands = this.#encoder.finish();
    this.#encoder = null;
    if (this.#uniformUsed > 0) this.device.queue.writeBuffer(this.#uniform, 0, this.#staging, 0, this.#uniformUsed);
    this.device.queue.submit([commands]);
    this.submitCount++;
    const kernels = [...this.#kernelNames].join(', ');
    const oom = this.device.popErrorScope();
    const validation = this.device.popErrorScope();
    const settled = Promise.all([validation, oom]).then(([v, o]) => {
      if (v) this.health.report(`validation error in a batch running [${kernels}]: ${v.message}`);
      if (o) this.health.report(`out of GPU memory in a batch running [${kernels}]: ${o.message}`);
    }, (e: unknown) => this.health.report(`error scope failed: ${(e as Error)?.message ?? e}`));
    this.#settling.add(settled);
    void settled.then(() => this.#settling.delete(settled));
    for (const b of this.#toDestroy) b.destroy();
    this.#toDestroy = [];
    this.#batch++;
    this.#dispatches = 0;
    this.#uniformUsed = 0;
    this.#kernelNames.clear();
  }

  /** Waits until the error scopes of every submitted batch have reported. */
  async settle(): Promise<void> {
    await Promise.all([...this.#settling]);
  }
}
