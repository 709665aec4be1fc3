/**
 * The WebAssembly CPU backend: the TypeScript reference backend with its float32 hot kernels
 * (matmul and the three convolutions) replaced by generated SIMD kernels running on a thread pool.
 *
 * With a shared memory every float32 storage is allocated inside the wasm heap (through the
 * `newArray`/`releaseArray` hooks), so the kernels read and write storages in place and the
 * inherited TypeScript kernels see ordinary Float32Arrays. Other dtypes, and every kernel not
 * overridden here, are the parent's.
 */
import type { Conv2dParams, MatmulParams, MemoryInfo, Storage } from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { CpuBackend } from '../cpu/index.js';
import { WasmKernels, type WasmKernelOptions } from './kernels.js';

export interface WasmBackendOptions extends WasmKernelOptions {
  /** false silences the notice printed when threads are unavailable (as InitOptions.verbose) */
  verbose?: boolean;
}

export class WasmBackend extends CpuBackend {
  override readonly name: string = 'wasm';

  constructor(readonly kernels: WasmKernels) {
    super();
  }

  /** threads the kernels run on (read by init's description) */
  get threads(): number {
    return this.kernels.threads;
  }

  /** Stops the worker threads. Storages stay readable; kernels cannot run afterwards. */
  dispose(): void {
    this.kernels.dispose();
  }

  protected override newArray(dtype: DType, size: number): TypedArray {
    if (dtype === 'float32' && this.kernels.resident) return this.kernels.allocF32(size, false);
    return super.newArray(dtype, size);
  }

  protected override releaseArray(data: TypedArray, dtype: DType): void {
    if (dtype === 'float32' && data instanceof Float32Array) this.kernels.release(data);
    else super.releaseArray(data, dtype);
  }

  override memory(): MemoryInfo {
    return { ...super.memory(), pooledBytes: this.kernels.heap.stats().freeBytes };
  }

  override matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return super.matmul(a, b, p);
    const { a: A, b: B, out } = this.prepareMatmul(a, b, p);
    this.kernels.matmulInto(A as Float32Array, B as Float32Array, out.data as Float32Array, p);
    return out;
  }

  override conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    if (x.dtype !== 'float32' || w.dtype !== 'float32') return super.conv2d(x, w, p);
    const { x: X, w: W, out } = this.prepareConv2d(x, w, p);
    this.kernels.conv2dInto(X as Float32Array, W as Float32Array, out.data as Float32Array, p);
    return out;
  }

  override conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage {
    if (dy.dtype !== 'float32' || w.dtype !== 'float32') return super.conv2dBackwardInput(dy, w, p);
    const { dy: D, w: W, out } = this.prepareConv2dBackwardInput(dy, w, p);
    this.kernels.conv2dBackwardInputInto(D as Float32Array, W as Float32Array, out.data as Float32Array, p);
    return out;
  }

  override conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage {
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') return super.conv2dBackwardWeight(x, dy, p);
    const { x: X, dy: D, out } = this.prepareConv2dBackwardWeight(x, dy, p);
    this.kernels.conv2dBackwardWeightInto(X as Float32Array, D as Float32Array, out.data as Float32Array, p);
    return out;
  }
}

/**
 * Creates the backend: probes SIMD / relaxed SIMD / shared memory, generates and compiles the
 * kernel module, and starts `threads − 1` workers (default: one thread per core).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const { verbose, ...rest } = options;
  const kernels = await WasmKernels.create({ quiet: verbose === false, ...rest });
  return new WasmBackend(kernels);
}
