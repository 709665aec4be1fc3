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
 * Uploads: queue.writeBuffer runs before the batch being recorded, so an upload into a buffer that
 * batch already uses (a recycled pool buffer) cannot be written directly without submitting
 * first. Small ones go through a staging ring instead: written there, and copied into place by a
 * copy recorded in order with the batch, so uploads never split a training step's batch.
 *
 * Grids: a kernel's workgroup count is linear; counts above maxComputeWorkgroupsPerDimension fold
 * into 2-D or 3-D grids, and kernels rebuild the linear index (shaders/dispatch.wgsl).
 */
import { BindGroupCache } from './gpu-bindgroups.js';
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

/** bytes of the upload staging ring; larger uploads into busy buffers submit first */
const STAGING_BYTES = 1 << 20;

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
  #stagingRing: GPUBuffer | null = null;
  readonly bindGroups: BindGroupCache;
  #stagingUsed = 0;
  readonly #settling = new Set<Promise<void>>();
  /** dispatches recorded since the backend was created (statistics) */
  dispatchCount = 0;
  submitCount = 0;
  /** dispatches per kernel name (the op that recorded them) */
  readonly dispatchesByKernel = new Map<string, number>();

  constructor(private readonly device: GPUDevice, private readonly health: DeviceHealth, private readonly options: RecorderOptions) {
    this.#align = Math.max(16, device.limits.minUniformBufferOffsetAlignment ?? 256);
    this.#uniformBytes = this.#align * Math.max(8, options.dispatchesPerSubmit) * 2;
    this.#uniform = device.createBuffer({ size: this.#uniformBytes, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: 'gmgrad params ring' });
    this.#staging = new Uint8Array(this.#uniformBytes);
    this.bindGroups = new BindGroupCache(device);
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
    for (const b of buffers) if (b) b.buffer.lastBatch = this.#batch;
    const pass = this.#computePass();
    pass.setPipeline(kernel.pipeline);
    // the parameter block's ring slot is a dynamic offset, so the group itself is reusable
    pass.setBindGroup(0, this.bindGroups.get(kernel.layout, this.#uniform, params.byteLength, buffers, name), [offset]);
    const [x, y, z] = this.grid(workgroups);
    pass.dispatchWorkgroups(x, y, z);
    this.#dispatches++;
    this.dispatchCount++;
    this.dispatchesByKernel.set(name, (this.dispatchesByKernel.get(name) ?? 0) + 1);
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

  /**
   * Writes `data` into `dst` after everything recorded so far: directly when the pending batch
   * does not use dst, else through the staging ring (or, too big for it, after a submit).
   */
  write(dst: PooledBuffer, data: ArrayBufferView): void {
    const bytes = Math.ceil(data.byteLength / 4) * 4;
    if (this.#encoder && dst.lastBatch === this.#batch) {
      if (bytes <= STAGING_BYTES) {
        if (this.#stagingUsed + bytes > STAGING_BYTES) this.flush();
        this.#stagingRing ??= this.device.createBuffer({ size: STAGING_BYTES, usage: BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: 'gmgrad upload staging' });
        const offset = this.#stagingUsed;
        this.#stagingUsed += bytes;
        this.device.queue.writeBuffer(this.#stagingRing, offset, data.buffer, data.byteOffset, data.byteLength);
        if (this.#encoder) {
          this.#endPass();
          dst.lastBatch = this.#batch;
          this.#encoder.copyBufferToBuffer(this.#stagingRing, offset, dst.buffer, 0, bytes);
          this.#kernelNames.add('upload');
          return;
        }
        // the flush above emptied the batch: dst is free to write directly
      } else {
        this.flush();
      }
    }
    this.device.queue.writeBuffer(dst.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Destroys a buffer now, or after the pending batch is submitted when that batch uses it. */
  destroyLater(b: PooledBuffer): void {
    this.bindGroups.forget(b.buffer);
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
    this.#stagingUsed = 0;
    this.#kernelNames.clear();
  }

  /** Waits until the error scopes of every submitted batch have reported. */
  async settle(): Promise<void> {
    await Promise.all([...this.#settling]);
  }
}
