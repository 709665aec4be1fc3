/**
 * Everything a kernel needs to run: storages (allocation, ownership checks, poisoning), the
 * pipeline cache, and the recorder. The kernel modules (kernels-*.ts) take a context and stay free
 * of device bookkeeping; WebGpuBackend validates arguments and calls them.
 */
import type { Backend, Storage } from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { BufferPool, type PooledBuffer } from './gpu-buffers.js';
import { DeviceHealth, WebGpuError, fail } from './gpu-errors.js';
import { MapMode, STAGING_USAGE, STORAGE_USAGE } from './gpu-flags.js';
import { params } from './gpu-params.js';
import { PipelineCache, type KernelSpec } from './gpu-pipelines.js';
import { Recorder, type BufferBinding } from './gpu-recorder.js';
import { WebGpuStorage } from './gpu-storage.js';
import type { KernelVariants } from './variant-select.js';

export interface ContextOptions {
  poisonOutputs: boolean;
  dispatchesPerSubmit: number;
  maxWorkgroupsPerDimension: number;
  maxPooledBytes: number;
  /** the kernel variants this device runs (variant-select.ts) */
  variants: KernelVariants;
}

export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** A kernel operand: a storage of this backend, a raw pooled buffer with its size, or none. */
export type Operand = WebGpuStorage | BufferBinding | null;

/** float32 NaN (quiet) and an int32 sentinel: the poison written into fresh outputs */
export const POISON_F32_BITS = 0x7fc00000;
export const POISON_I32 = -0x6b6b6b6c;

export function wgslType(dtype: DType): 'f32' | 'i32' {
  return dtype === 'int32' ? 'i32' : 'f32';
}

/** the 32-bit pattern of `value` stored as `dtype` */
export function bitsOf(value: number, dtype: DType): number {
  const buf = new ArrayBuffer(4);
  if (dtype === 'int32') new Int32Array(buf)[0] = value;
  else new Float32Array(buf)[0] = value;
  return new Uint32Array(buf)[0]!;
}

export class GpuContext {
  readonly health: DeviceHealth;
  readonly recorder: Recorder;
  readonly pipelines: PipelineCache;
  readonly pool: BufferPool;
  readonly limits: GpuLimits;
  readonly #dummyRead: PooledBuffer;
  readonly #dummyWrite: PooledBuffer[] = [];
  #liveBuffers = 0;
  #liveBytes = 0;
  /** read-backs (buffer maps) and uploads since the context was created (statistics) */
  readCount = 0;
  uploadCount = 0;

  constructor(readonly device: GPUDevice, readonly backend: Backend, readonly options: ContextOptions) {
    const l = device.limits;
    this.limits = {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    };
    this.health = new DeviceHealth(device);
    this.recorder = new Recorder(device, this.health, {
      dispatchesPerSubmit: options.dispatchesPerSubmit,
      maxWorkgroupsPerDimension: Math.min(options.maxWorkgroupsPerDimension, l.maxComputeWorkgroupsPerDimension),
    });
    this.pipelines = new PipelineCache(device, (message) => this.health.report(message));
    this.pool = new BufferPool(device, l.maxBufferSize, options.maxPooledBytes, (b) => this.recorder.destroyLater(b));
    this.#dummyRead = this.pool.acquire(16, STORAGE_USAGE, 'gmgrad unused input');
  }

  get name(): string {
    return this.backend.name;
  }

  kernelName(op: string): string {
    return `${this.backend.name}.${op}`;
  }

  /** Throws a device error or loss recorded since the last call. */
  check(kernel: string): void {
    this.health.check(kernel);
  }

  // ---- storages ----

  /** The live WebGpuStorage behind `s`, or a clear error. */
  storage(kernel: string, what: string, s: Storage): WebGpuStorage {
    if (!(s instanceof WebGpuStorage) || s.backend !== this.backend) {
      fail(kernel, `${what} lives on backend '${s?.backend?.name ?? typeof s}', not on this '${this.backend.name}' backend`);
    }
    if (s.freed) fail(kernel, `${what} (${s.size} ${s.dtype}) was already freed`);
    return s;
  }

  /**
   * A new storage of `size` elements. `fresh` outputs are poisoned (NaN, or a sentinel for int32)
   * when options.poisonOutputs is on, so a test sees any element a kernel forgot to write.
   */
  allocate(kernel: string, size: number, dtype: DType, fresh = true): WebGpuStorage {
    if (dtype !== 'float32' && dtype !== 'int32') {
      fail(kernel, `dtype '${dtype}' is not supported by the ${this.backend.name} backend (WebGPU has float32 and int32; use the cpu backend for float64)`);
    }
    if (!Number.isInteger(size) || size < 0) fail(kernel, `cannot allocate ${size} elements`);
    const bytes = size * 4;
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      fail(kernel, `a tensor of ${size} ${dtype} elements (${bytes} bytes) exceeds this adapter's maxStorageBufferBindingSize of ${this.limits.maxStorageBufferBindingSize} bytes`);
    }
    const buffer = this.pool.acquire(bytes, STORAGE_USAGE, `gmgrad ${dtype}[${size}]`);
    this.#liveBuffers++;
    this.#liveBytes += bytes;
    const s = new WebGpuStorage(this.backend, size, dtype, buffer);
    if (fresh && this.options.poisonOutputs && size > 0) this.fillBits(s, dtype === 'int32' ? POISON_I32 >>> 0 : POISON_F32_BITS);
    return s;
  }

  /** Frees a storage: its buffer returns to the pool (reuse is ordered after every recorded use). */
  release(s: WebGpuStorage): void {
    this.#liveBuffers--;
    this.#liveBytes -= s.bytes;
    this.pool.release(s.release());
  }

  memory(): { liveBuffers: number; liveBytes: number; pooledBytes: number } {
    return { liveBuffers: this.#liveBuffers, liveBytes: this.#liveBytes, pooledBytes: this.pool.pooledBytes };
  }

  upload(kernel: string, data: TypedArray): WebGpuStorage {
    const dtype = data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : data instanceof Float64Array ? 'float64' : null;
    if (!dtype) fail(kernel, `expected a Float32Array or Int32Array, got ${Object.prototype.toString.call(data)}`);
    const s = this.allocate(kernel, data.length, dtype, false);
    this.uploadCount++;
    // ordered after the commands recorded so far, without a submit (gpu-recorder.ts)
    if (data.length > 0) this.recorder.write(s.pooled, data);
    return s;
  }

  async read(kernel: string, s: WebGpuStorage): Promise<TypedArray> {
    const out = s.dtype === 'int32' ? new Int32Array(s.size) : new Float32Array(s.size);
    this.readCount++;
    if (s.size === 0) {
      this.recorder.flush();
      await this.recorder.settle();
      this.check(kernel);
      return out;
    }
    const staging = this.pool.acquire(s.bytes, STAGING_USAGE, 'gmgrad read-back');
    this.recorder.copy(s.pooled, staging, s.bytes);
    this.recorder.flush();
    const mapped = staging.buffer.mapAsync(MapMode.READ, 0, Math.ceil(s.bytes / 4) * 4);
    // a lost device may never answer the map: stop waiting when it is lost
    let unsubscribe = () => {};
    const lost = new Promise<never>((_, reject) => {
      unsubscribe = this.health.onLost((reason) => reject(new WebGpuError(`${kernel}: the WebGPU device was lost while reading (${reason})`)));
    });
    try {
      await Promise.race([mapped, lost]);
    } catch (e) {
      await this.recorder.settle();
      this.check(kernel);
      throw e instanceof WebGpuError ? e : new WebGpuError(`${kernel}: mapping the read-back buffer failed: ${(e as Error)?.message ?? e}`);
    } finally {
      unsubscribe();
    }
    new Uint8Array(out.buffer).set(new Uint8Array(staging.buffer.getMappedRange(0, Math.ceil(s.bytes / 4) * 4), 0, s.bytes));
    staging.buffer.unmap();
    this.pool.release(staging);
    await this.recorder.settle();
    this.check(kernel);
    return out;
  }

  // ---- kernels ----

  /** binding for an unused read-only input */
  get unusedInput(): BufferBinding {
    return { buffer: this.#dummyRead, bytes: 16 };
  }

  /** binding for an unused output (the i-th distinct one in a dispatch) */
  unusedOutput(i = 0): BufferBinding {
    while (this.#dummyWrite.length <= i) this.#dummyWrite.push(this.pool.acquire(16, STORAGE_USAGE, 'gmgrad unused output'));
    return { buffer: this.#dummyWrite[i]!, bytes: 16 };
  }

  binding(op: Operand): BufferBinding | null {
    if (op === null) return null;
    if (op instanceof WebGpuStorage) return { buffer: op.pooled, bytes: op.bytes };
    return op;
  }

  /**
   * Records one dispatch of the kernel `spec` over `workgroups` workgroups (folded into a 2-D/3-D
   * grid when needed). `operands[i]` is bound at binding i + 1, in the order of spec.layout.
   */
  run(kernel: string, spec: KernelSpec, block: Uint8Array, operands: readonly Operand[], workgroups: number): void {
    if (workgroups <= 0) return;
    const compiled = this.pipelines.get(spec);
    const bindings: (BufferBinding | null)[] = operands.map((o) => this.binding(o));
    const needed = spec.layout.length - 1;
    if (bindings.length !== needed) throw new Error(`webgpu: ${kernel} binds ${bindings.length} buffers, its layout has ${needed}`);
    bindings.forEach((b, i) => {
      if ((b === null) !== (spec.layout[i + 1] === null)) throw new Error(`webgpu: ${kernel} binding ${i + 1} does not match its layout`);
    });
    this.recorder.dispatch(kernel, compiled, block, bindings, workgroups);
  }

  /** s[i] = bits for every element (fill, zeros, poison) */
  fillBits(s: WebGpuStorage, bits: number): void {
    const WG = 64;
    this.run('fill', { shaders: ['fillBits'], subs: { WG }, layout: ['uniform', 'rw'] },
      params().u32(s.size).bits(bits).bytes(), [s], Math.ceil(s.size / WG));
  }
}
