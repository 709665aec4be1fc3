/**
 * The CPU reference backend: every kernel in plain TypeScript over typed arrays, float32, float64
 * and int32. It is the oracle the other backends are tested against and the fallback when they
 * are unavailable, so each method validates its arguments (errors name the kernel and the sizes)
 * before allocating, and computes in float64, rounding once into a float32 output. It runs every
 * acceleration of the contract (accelerations.ts).
 *
 * Another backend can hold one as its reference (`owner`: the storages are that backend's, and
 * errors carry its name; `arrays`: where the typed arrays live, e.g. a WebAssembly heap), and call
 * it for whatever it does not run itself.
 */
import type {
  Accelerations, Backend, BinaryOp, Conv2dParams, HostArrays, HostBackend, MatmulParams, MemoryInfo, Operand, Pool2dParams,
  ReduceOp, Storage, StridedView, UnaryOp,
} from '../../core/backend.js';
import { bytesPerElement, dtypeOfArray, typedArrayFor, type DType, type TypedArray } from '../../core/dtype.js';
import { failKernel, KernelChecks, sizeOfShape } from '../../core/kernel-contract.js';
import { allocationRefusal, defaultMemoryLimit, formatBytes } from '../../core/memory-limit.js';
import { contiguous } from '../common/strided-rows.js';
import { cpuAccelerations } from './accelerations.js';
import { binaryInto, stridedCopy, whereInto } from './binary.js';
import { conv2dInto } from './conv.js';
import { gatherInto, scatterAddInto } from './indexing.js';
import { matmulInto } from './matmul.js';
import { avgPool2dInto, maxPool2dInto } from './pool.js';
import { reduceInto } from './reduce.js';
import { Scratch } from './scratch.js';
import { CpuStorage, MemoryCounter } from './storage.js';
import { UNARY_LOOPS } from './unary.js';

const SUPPORTED: readonly DType[] = ['float32', 'float64', 'int32'];

/** ordinary typed arrays, garbage collected */
const PLAIN_ARRAYS: HostArrays = {
  newArray: (dtype, size) => typedArrayFor(dtype, size),
  release: () => {},
  pooledBytes: () => 0,
};

export interface CpuBackendOptions {
  /** bytes all live storages may take together (default: half of this machine's memory) */
  memoryLimit?: number;
  /** the backend the storages belong to and errors are named after (default: this one) */
  owner?: Backend;
  /** where the arrays live (default: ordinary typed arrays) */
  arrays?: HostArrays;
}

export class CpuBackend implements HostBackend {
  readonly name: string = 'cpu';
  readonly accelerated: Accelerations;
  /** float64 work buffers reused across kernel calls */
  readonly scratch = new Scratch();
  readonly checks = new KernelChecks(failKernel, ['float32', 'float64']);
  readonly #memory = new MemoryCounter();
  readonly #owner: Backend;
  readonly #arrays: HostArrays;
  readonly memoryLimit: number;

  constructor(options: CpuBackendOptions = {}) {
    this.#owner = options.owner ?? this;
    this.#arrays = options.arrays ?? PLAIN_ARRAYS;
    const limit = options.memoryLimit ?? defaultMemoryLimit();
    if (!(limit > 0)) throw new Error(`${this.#owner.name} backend: memoryLimit must be a positive number of bytes, got ${limit}`);
    this.memoryLimit = limit;
    this.accelerated = cpuAccelerations(this);
  }

  supportsDType(dtype: DType): boolean {
    return SUPPORTED.includes(dtype);
  }

  kernelName(op: string): string {
    return `${this.#owner.name}.${op}`;
  }

  allocate(kernel: string, size: number, dtype: DType): CpuStorage {
    if (!this.supportsDType(dtype)) failKernel(kernel, `dtype '${dtype}' is not supported by the ${this.#owner.name} backend (supported: ${SUPPORTED.join(', ')})`);
    if (!Number.isInteger(size) || size < 0) failKernel(kernel, `cannot allocate ${size} elements`);
    // refused before it is attempted: a lazily allocated host array is OOM-killed later instead
    const bytes = size * bytesPerElement(dtype);
    const room = this.#room(dtype);
    if (bytes > room.bytes) failKernel(kernel, allocationRefusal(size, dtype, bytes, room.bytes, room.limit));
    let data: TypedArray;
    try {
      data = this.#arrays.newArray(dtype, size);
    } catch (e) {
      return failKernel(kernel, `cannot allocate ${size} ${dtype} elements (${formatBytes(bytes)}): ${(e as Error).message}`);
    }
    if (data.length !== size || dtypeOfArray(data) !== dtype) {
      failKernel(kernel, `the array store returned ${data.length} ${dtypeOfArray(data)} elements, expected ${size} ${dtype}`);
    }
    const s = new CpuStorage(this.#owner, data, dtype);
    this.#memory.add(size, dtype);
    return s;
  }

  /** Bytes a new storage of `dtype` may still take: the memory limit, or the array store's own when smaller. */
  #room(dtype: DType): { bytes: number; limit: string } {
    const owner = this.#owner.name, memoryLimit = this.memoryLimit;
    const host = {
      bytes: memoryLimit - this.#memory.info().liveBytes,
      // worded only for a refusal (this runs on every allocation)
      get limit() { return `the ${owner} backend's ${formatBytes(memoryLimit)} memory limit (half of this machine's memory unless set with init({ memoryLimit }))`; },
    };
    const store = this.#arrays.room?.(dtype) ?? null;
    return store && store.bytes < host.bytes ? store : host;
  }

  arrayOf(kernel: string, what: string, s: Storage): TypedArray {
    if (!(s instanceof CpuStorage) || s.backend !== this.#owner) {
      failKernel(kernel, `${what} lives on backend '${s?.backend?.name ?? typeof s}', not on this '${this.#owner.name}' backend`);
    }
    if (s.freed) failKernel(kernel, `${what} (${s.size} ${s.dtype}) was already freed`);
    return s.data;
  }

  /** float64 accumulator for a float result: the output itself when float64, else a scratch buffer */
  accumulatorFor(out: CpuStorage): Float64Array {
    return out.data instanceof Float64Array ? out.data : this.scratch.get('accumulator', out.size);
  }

  // ---- memory ----

  alloc(size: number, dtype: DType): Storage {
    const s = this.allocate(this.kernelName('alloc'), size, dtype);
    s.data.fill(0);
    return s;
  }

  upload(data: TypedArray): Storage {
    const kernel = this.kernelName('upload');
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)) {
      failKernel(kernel, `expected a Float32Array, Float64Array or Int32Array, got ${Object.prototype.toString.call(data)}`);
    }
    const s = this.allocate(kernel, data.length, dtypeOfArray(data));
    s.data.set(data);
    return s;
  }

  async read(s: Storage): Promise<TypedArray> {
    return this.arrayOf(this.kernelName('read'), 'storage', s).slice();
  }

  /** The storage's own array, not a copy: valid until the storage is freed. */
  readSync(s: Storage): TypedArray {
    return this.arrayOf(this.kernelName('readSync'), 'storage', s);
  }

  free(s: Storage): void {
    const kernel = this.kernelName('free');
    if (!(s instanceof CpuStorage) || s.backend !== this.#owner) {
      failKernel(kernel, `storage belongs to backend '${s?.backend?.name ?? typeof s}', not to this '${this.#owner.name}' backend`);
    }
    if (s.freed) failKernel(kernel, `double free of a storage of ${s.size} ${s.dtype}`);
    this.#arrays.release(s.release(), s.dtype);
    this.#memory.remove(s.size, s.dtype);
  }

  memory(): MemoryInfo {
    return { ...this.#memory.info(), pooledBytes: this.#arrays.pooledBytes() };
  }

  flush(): void {
    // CPU kernels run when called; nothing is queued
  }

  // ---- data movement ----

  fill(size: number, dtype: DType, value: number): Storage {
    const s = this.allocate(this.kernelName('fill'), size, dtype);
    s.data.fill(value);
    return s;
  }

  copy(x: Operand): Storage {
    const kernel = this.kernelName('copy');
    const src = this.arrayOf(kernel, 'x', x.storage);
    this.checks.view(kernel, 'x', x.storage, x.view, x.view.shape);
    const out = this.allocate(kernel, sizeOfShape(x.view.shape), x.storage.dtype);
    stridedCopy(out.data, contiguous(x.view.shape), src, x.view, x.view.shape);
    return out;
  }

  assign(dst: Storage, dstView: StridedView, src: Operand): void {
    const kernel = this.kernelName('assign');
    const d = this.arrayOf(kernel, 'dst', dst);
    let s = this.arrayOf(kernel, 'src', src.storage);
    this.checks.sameDType(kernel, 'src', src.storage, dst, 'dst');
    this.checks.view(kernel, 'dst', dst, dstView, dstView.shape);
    this.checks.view(kernel, 'src', src.storage, src.view, dstView.shape);
    let sv: { strides: readonly number[]; offset: number } = src.view;
    if (d === s) {
      // reading and writing one array: snapshot the source first so overlap cannot corrupt it
      const snapshot = typedArrayFor(dst.dtype, sizeOfShape(dstView.shape));
      stridedCopy(snapshot, contiguous(dstView.shape), s, src.view, dstView.shape);
      s = snapshot;
      sv = contiguous(dstView.shape);
    }
    stridedCopy(d, dstView, s, sv, dstView.shape);
  }

  cast(x: Storage, to: DType): Storage {
    const kernel = this.kernelName('cast');
    const src = this.arrayOf(kernel, 'x', x);
    const out = this.allocate(kernel, x.size, to);
    // typed-array set converts: float→int32 truncates toward zero, float64→float32 rounds
    out.data.set(src);
    return out;
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, params: readonly number[] = []): Storage {
    const kernel = this.kernelName(`unary(${op})`);
    const src = this.arrayOf(kernel, 'x', x);
    this.checks.unaryParams(kernel, op, params);
    const out = this.allocate(kernel, x.size, x.dtype);
    UNARY_LOOPS[op](src, out.data, x.size, params[0] ?? 0, params[1] ?? 0);
    return out;
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.kernelName(`binary(${op})`);
    this.checks.binaryOp(kernel, op);
    const A = this.arrayOf(kernel, 'a', a.storage), B = this.arrayOf(kernel, 'b', b.storage);
    this.checks.sameDType(kernel, 'b', b.storage, a.storage, 'a');
    this.checks.view(kernel, 'a', a.storage, a.view, outShape);
    this.checks.view(kernel, 'b', b.storage, b.view, outShape);
    const out = this.allocate(kernel, sizeOfShape(outShape), a.storage.dtype);
    binaryInto(op, out.data, outShape, A, a.view, B, b.view);
    return out;
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.kernelName('where');
    const C = this.arrayOf(kernel, 'cond', cond.storage);
    const A = this.arrayOf(kernel, 'a', a.storage), B = this.arrayOf(kernel, 'b', b.storage);
    this.checks.sameDType(kernel, 'b', b.storage, a.storage, 'a');
    this.checks.view(kernel, 'cond', cond.storage, cond.view, outShape);
    this.checks.view(kernel, 'a', a.storage, a.view, outShape);
    this.checks.view(kernel, 'b', b.storage, b.view, outShape);
    const out = this.allocate(kernel, sizeOfShape(outShape), a.storage.dtype);
    whereInto(out.data, outShape, C, cond.view, A, a.view, B, b.view);
    return out;
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, outer: number, red: number, inner: number): Storage {
    const kernel = this.kernelName(`reduce(${op})`);
    const src = this.arrayOf(kernel, 'x', x);
    this.checks.reduce(kernel, op, x, outer, red, inner);
    const arg = op === 'argmax' || op === 'argmin';
    const out = this.allocate(kernel, outer * inner, arg ? 'int32' : x.dtype);
    reduceInto(op, src, out.data, outer, red, inner, this.scratch);
    return out;
  }

  // ---- linear algebra and convolution ----

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    const kernel = this.kernelName('matmul');
    const A = this.arrayOf(kernel, 'a', a), B = this.arrayOf(kernel, 'b', b);
    this.checks.matmul(kernel, a, b, p);
    const out = this.allocate(kernel, p.batch * p.m * p.n, a.dtype);
    matmulInto(A, B, out.data, p, this.scratch);
    return out;
  }

  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    const kernel = this.kernelName('conv2d');
    const X = this.arrayOf(kernel, 'x', x), W = this.arrayOf(kernel, 'w', w);
    this.checks.convCall(kernel, p, ['x', x], ['w', w]);
    const out = this.allocate(kernel, p.n * p.outC * p.outH * p.outW, x.dtype);
    conv2dInto(X, W, out.data, p, this.scratch);
    return out;
  }

  // ---- pooling ----

  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    const kernel = this.kernelName('maxPool2d');
    const X = this.arrayOf(kernel, 'x', x);
    this.checks.pool(kernel, p);
    this.checks.poolInput(kernel, 'x', x, p);
    const size = p.n * p.c * p.outH * p.outW;
    const out = this.allocate(kernel, size, x.dtype), argmax = this.allocate(kernel, size, 'int32');
    maxPool2dInto(X, out.data, argmax.data, p);
    return { out, argmax };
  }

  avgPool2d(x: Storage, p: Pool2dParams): Storage {
    const kernel = this.kernelName('avgPool2d');
    const X = this.arrayOf(kernel, 'x', x);
    this.checks.pool(kernel, p);
    this.checks.float(kernel, 'x', x);
    this.checks.poolInput(kernel, 'x', x, p);
    const out = this.allocate(kernel, p.n * p.c * p.outH * p.outW, x.dtype);
    avgPool2dInto(X, out.data, p);
    return out;
  }

  // ---- indexing ----

  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.kernelName('gather');
    const X = this.arrayOf(kernel, 'x', x), I = this.arrayOf(kernel, 'index', index);
    this.checks.axisShape(kernel, outer, axis, inner, count, index);
    this.checks.size(kernel, 'x', x, outer * axis * inner, `outer·axis·inner = ${outer}·${axis}·${inner}`);
    this.checks.hostIndices(kernel, I, axis);
    const out = this.allocate(kernel, outer * count * inner, x.dtype);
    gatherInto(X, I, out.data, { outer, axis, inner, count });
    return out;
  }

  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.kernelName('scatterAdd');
    const S = this.arrayOf(kernel, 'src', src), I = this.arrayOf(kernel, 'index', index);
    this.checks.axisShape(kernel, outer, axis, inner, count, index);
    this.checks.size(kernel, 'src', src, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    this.checks.hostIndices(kernel, I, axis);
    const out = this.allocate(kernel, outer * axis * inner, src.dtype);
    // float sums collect in float64 and round once; int32 sums are exact in place
    const acc = src.dtype === 'int32' ? out.data : this.accumulatorFor(out);
    scatterAddInto(S, I, acc, { outer, axis, inner, count });
    if (acc !== out.data) out.data.set(acc);
    return out;
  }
}
