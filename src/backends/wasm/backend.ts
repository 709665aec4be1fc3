/**
 * The WebAssembly CPU backend: generated SIMD kernels on a thread pool for the float32 hot paths,
 * and a reference host backend (the TypeScript CPU backend, given by the caller) that it holds and
 * calls, per op and dtype, for everything else. Each method below says which one runs:
 *
 *   wasm kernels (float32): matmul, conv2d, max and average pooling, the common unary and binary
 *     ops and strided copies (above ELEMENTWISE_MIN elements), sum/max/min reductions; and the
 *     accelerations in accelerations.ts (convolution and pooling gradients, softmax, GM loss,
 *     batch norm, SGD and Adam)
 *   the reference: float64 and int32, small elementwise calls, where, gather, scatterAdd, cast,
 *     fill, assign, the ops the kernels do not have, and the L∞ attack step
 *
 * Memory is the reference's, allocated inside the wasm heap (float32 and int32 with a shared
 * memory), so the kernels read and write storages in place and the reference's loops see ordinary
 * typed arrays. Storages belong to this backend and errors are named "wasm.<kernel>".
 */
import type {
  Accelerations, Backend, BinaryOp, Conv2dParams, HostArrays, HostBackend, MatmulParams, MemoryInfo, Operand, Pool2dParams,
  ReduceOp, Storage, StridedView, UnaryOp,
} from '../../core/backend.js';
import { typedArrayFor, type DType, type TypedArray } from '../../core/dtype.js';
import { failKernel, KernelChecks, sizeOfShape } from '../../core/kernel-contract.js';
import { formatBytes } from '../../core/memory-limit.js';
import { wasmAccelerations } from './accelerations.js';
import { WasmKernels, type WasmKernelOptions } from './calls/kernel-calls.js';
import { PAGE_BYTES } from './heap.js';
import type { WasmReduceOp } from './kernels/reduce.js';
import { ELEMENTWISE_MIN } from './thresholds.js';

/** Makes the reference the backend holds: a host backend whose storages belong to `owner`, under a memory limit. */
export type ReferenceFactory = (owner: Backend, arrays: HostArrays, memoryLimit?: number) => HostBackend;

export interface WasmBackendOptions extends WasmKernelOptions {
  /** true (or a `log`) prints the notice when threads are unavailable (as InitOptions.verbose; default silent) */
  verbose?: boolean;
  log?: (line: string) => void;
  /** bytes all live storages may take together (default: half of this machine's memory; the wasm heap caps float32/int32) */
  memoryLimit?: number;
}

export class WasmBackend implements Backend {
  readonly name: string = 'wasm';
  readonly accelerated: Accelerations;
  /** the host backend this one falls back to (float64, int32, small calls, ops without a kernel) */
  readonly reference: HostBackend;
  readonly checks = new KernelChecks(failKernel, ['float32', 'float64']);

  constructor(readonly kernels: WasmKernels, makeReference: ReferenceFactory, options: { memoryLimit?: number } = {}) {
    this.reference = makeReference(this, heapArrays(kernels), options.memoryLimit);
    this.accelerated = wasmAccelerations(this);
  }

  /** threads the kernels run on (read by init's description) */
  get threads(): number {
    return this.kernels.threads;
  }

  /** the kernels' instruction set: 'SIMD + FMA' (relaxed SIMD), 'SIMD' or 'scalar' */
  get instructions(): string {
    return this.kernels.relaxedMadd ? 'SIMD + FMA' : this.kernels.simd ? 'SIMD' : 'scalar';
  }

  /** Stops the worker threads. Storages stay readable; kernels cannot run afterwards. */
  dispose(): void {
    this.kernels.dispose();
  }

  /** The float32 array of a live storage of this backend (errors name the kernel). */
  f32(kernel: string, what: string, s: Storage): Float32Array {
    return this.reference.arrayOf(kernel, what, s) as Float32Array;
  }

  /** A new storage for a kernel to overwrite, and its array. */
  output<T extends TypedArray = Float32Array>(kernel: string, size: number, dtype: DType = 'float32'): [Storage, T] {
    const s = this.reference.allocate(kernel, size, dtype);
    return [s, this.reference.arrayOf(kernel, 'output', s) as T];
  }

  // ---- memory, data movement: the reference's (its arrays live in the wasm heap) ----

  supportsDType(dtype: DType): boolean { return this.reference.supportsDType(dtype); }
  alloc(size: number, dtype: DType): Storage { return this.reference.alloc(size, dtype); }
  upload(data: TypedArray): Storage { return this.reference.upload(data); }
  read(s: Storage): Promise<TypedArray> { return this.reference.read(s); }
  readSync(s: Storage): TypedArray | undefined { return this.reference.readSync(s); }
  free(s: Storage): void { this.reference.free(s); }
  memory(): MemoryInfo { return this.reference.memory(); }
  flush(): void { this.reference.flush(); }
  fill(size: number, dtype: DType, value: number): Storage { return this.reference.fill(size, dtype, value); }
  assign(dst: Storage, dstView: StridedView, src: Operand): void { this.reference.assign(dst, dstView, src); }
  cast(x: Storage, to: DType): Storage { return this.reference.cast(x, to); }

  /** wasm: float32 views of at least ELEMENTWISE_MIN elements that simplify to two outer dimensions */
  copy(x: Operand): Storage {
    const size = sizeOfShape(x.view.shape);
    if (x.storage.dtype !== 'float32' || size < ELEMENTWISE_MIN || !WasmKernels.stridedFits(x.view.shape, [x.view])) {
      return this.reference.copy(x);
    }
    const kernel = this.reference.kernelName('copy');
    const X = this.f32(kernel, 'x', x.storage);
    this.checks.view(kernel, 'x', x.storage, x.view, x.view.shape);
    const [out, O] = this.output(kernel, size);
    this.kernels.copyInto(O, x.view.shape, X, x.view);
    return out;
  }

  // ---- elementwise ----

  /** wasm: affine and the ops of WasmKernels.unaryOps on float32 of at least ELEMENTWISE_MIN elements */
  unary(op: UnaryOp, x: Storage, params: readonly number[] = []): Storage {
    const kernel = this.reference.kernelName(`unary(${op})`);
    const wasmOp = op === 'affine' || WasmKernels.unaryOps.has(op);
    if (x.dtype !== 'float32' || x.size < ELEMENTWISE_MIN || !wasmOp) return this.reference.unary(op, x, params);
    const X = this.f32(kernel, 'x', x);
    this.checks.unaryParams(kernel, op, params);
    const [out, O] = this.output(kernel, x.size);
    if (op === 'affine') this.kernels.affineInto(X, O, params[0]!, params[1]!);
    else this.kernels.unaryInto(op, X, O, params);
    return out;
  }

  /** wasm: the ops of WasmKernels.binaryOps on float32 views that simplify to two outer dimensions */
  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const size = sizeOfShape(outShape);
    if (a.storage.dtype !== 'float32' || b.storage.dtype !== 'float32' || size < ELEMENTWISE_MIN
      || !WasmKernels.binaryOps.has(op) || !WasmKernels.stridedFits(outShape, [a.view, b.view])) {
      return this.reference.binary(op, a, b, outShape);
    }
    const kernel = this.reference.kernelName(`binary(${op})`);
    const A = this.f32(kernel, 'a', a.storage), B = this.f32(kernel, 'b', b.storage);
    this.checks.view(kernel, 'a', a.storage, a.view, outShape);
    this.checks.view(kernel, 'b', b.storage, b.view, outShape);
    const [out, O] = this.output(kernel, size);
    this.kernels.binaryInto(op, O, outShape, A, a.view, B, b.view);
    return out;
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    return this.reference.where(cond, a, b, outShape);
  }

  /** wasm: sum, max and min of float32 (max and min over a non-empty axis) of at least ELEMENTWISE_MIN elements */
  reduce(op: ReduceOp, x: Storage, outer: number, red: number, inner: number): Storage {
    if (x.dtype !== 'float32' || !WasmKernels.reduceOps.has(op) || outer * red * inner < ELEMENTWISE_MIN || (red === 0 && op !== 'sum')) {
      return this.reference.reduce(op, x, outer, red, inner);
    }
    const kernel = this.reference.kernelName(`reduce(${op})`);
    const X = this.f32(kernel, 'x', x);
    this.checks.reduce(kernel, op, x, outer, red, inner);
    const [out, O] = this.output(kernel, outer * inner);
    this.kernels.reduceInto(op as WasmReduceOp, X, O, outer, red, inner);
    return out;
  }

  // ---- linear algebra, convolution, pooling: wasm for float32 ----

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return this.reference.matmul(a, b, p);
    const kernel = this.reference.kernelName('matmul');
    const A = this.f32(kernel, 'a', a), B = this.f32(kernel, 'b', b);
    this.checks.matmul(kernel, a, b, p);
    const [out, O] = this.output(kernel, p.batch * p.m * p.n);
    this.kernels.matmulInto(A, B, O, p);
    return out;
  }

  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    if (x.dtype !== 'float32' || w.dtype !== 'float32') return this.reference.conv2d(x, w, p);
    const kernel = this.reference.kernelName('conv2d');
    const X = this.f32(kernel, 'x', x), W = this.f32(kernel, 'w', w);
    this.checks.convCall(kernel, p, ['x', x], ['w', w]);
    const [out, O] = this.output(kernel, p.n * p.outC * p.outH * p.outW);
    this.kernels.conv2dInto(X, W, O, p);
    return out;
  }

  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    if (x.dtype !== 'float32') return this.reference.maxPool2d(x, p);
    const kernel = this.reference.kernelName('maxPool2d');
    const X = this.f32(kernel, 'x', x);
    this.checks.pool(kernel, p);
    this.checks.poolInput(kernel, 'x', x, p);
    const size = p.n * p.c * p.outH * p.outW;
    const [out, O] = this.output(kernel, size), [argmax, A] = this.output<Int32Array>(kernel, size, 'int32');
    this.kernels.maxPool2dInto(X, O, A, p);
    return { out, argmax };
  }

  avgPool2d(x: Storage, p: Pool2dParams): Storage {
    if (x.dtype !== 'float32') return this.reference.avgPool2d(x, p);
    const kernel = this.reference.kernelName('avgPool2d');
    const X = this.f32(kernel, 'x', x);
    this.checks.pool(kernel, p);
    this.checks.poolInput(kernel, 'x', x, p);
    const [out, O] = this.output(kernel, p.n * p.c * p.outH * p.outW);
    this.kernels.avgPool2dInto(X, O, p);
    return out;
  }

  // ---- indexing: the reference's ----

  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    return this.reference.gather(x, index, outer, axis, inner, count);
  }

  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    return this.reference.scatterAdd(src, index, outer, axis, inner, count);
  }
}

/**
 * The reference's arrays: float32 and int32 (max-pool argmax, which the kernels write and read) in
 * the wasm heap when the memory is shared; float64, and everything without a shared memory,
 * ordinary typed arrays.
 */
function heapArrays(kernels: WasmKernels): HostArrays {
  return {
    newArray(dtype, size) {
      if (kernels.resident && dtype === 'float32') return kernels.allocF32(size, false);
      if (kernels.resident && dtype === 'int32') return kernels.allocI32(size, false);
      return typedArrayFor(dtype, size);
    },
    release(data) {
      if (data instanceof Float32Array || data instanceof Int32Array) kernels.release(data);
    },
    pooledBytes: () => kernels.heap.stats().freeBytes,
    // float32 and int32 storages live in the wasm heap, which cannot grow past its maximum
    room(dtype) {
      if (!kernels.resident || (dtype !== 'float32' && dtype !== 'int32')) return null;
      const max = kernels.heap.maximumPages * PAGE_BYTES;
      // worded only for a refusal (this runs on every allocation)
      return { bytes: max - kernels.heap.stats().liveBytes, get limit() { return `the ${formatBytes(max)} wasm heap`; } };
    },
  };
}

/**
 * Creates the backend: probes SIMD / relaxed SIMD / shared memory, generates and compiles the
 * kernel module, starts `threads − 1` workers (default: one thread per core), and makes the
 * reference it falls back to.
 */
export async function createWasmBackend(makeReference: ReferenceFactory, options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const { verbose, log, memoryLimit, ...rest } = options;
  const kernels = await WasmKernels.create({ quiet: verbose !== true && log === undefined, ...rest });
  return new WasmBackend(kernels, makeReference, { memoryLimit });
}
