/**
 * The WebAssembly CPU backend: the TypeScript reference backend with its float32 hot kernels
 * (matmul, the three convolutions, max and average pooling, the common elementwise ops, strided
 * copies, reductions, softmax, the fused GM loss and batch norm, the SGD and Adam updates) replaced
 * by generated SIMD kernels running on a thread pool.
 *
 * With a shared memory every float32 storage is allocated inside the wasm heap (through the
 * `newArray`/`releaseArray` hooks), so the kernels read and write storages in place and the
 * inherited TypeScript kernels see ordinary Float32Arrays. Other dtypes, and every kernel not
 * overridden here, are the parent's.
 */
import type {
  AdamParams, BatchNormParams, BinaryOp, Conv2dParams, ReduceOp, SgdParams, GMBackwardResult, GMForwardResult, GMLossParams, MatmulParams, MemoryInfo, Operand,
  Pool2dParams, PreluParams, Storage, UnaryOp,
} from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { formatBytes } from '../../core/memory-limit.js';
import { binaryInto as cpuBinaryInto, stridedCopy } from '../cpu/binary.js';
import { contiguous } from '../cpu/strided.js';
import { checkView, expectCount, expectDType, expectSize, sizeOfShape } from '../cpu/checks.js';
import { CpuBackend } from '../cpu/index.js';
import type { CpuStorage } from '../cpu/storage.js';
import { checkArgmax } from '../cpu/pool.js';
import { UNARY_PARAM_COUNT } from '../cpu/unary.js';
import { gmBackwardFloat32, gmForwardFloat32, type GmFloat32Inputs } from './gm-loss.js';
import { WasmKernels, type WasmKernelOptions } from './kernels.js';
import { PAGE_BYTES } from './heap.js';
import type { WasmReduceOp } from './kernels/reduce.js';
import { checkPrelu, preluBackwardInto, preluForwardInto } from './prelu.js';

/** below this many elements the reference's loops beat the cost of a kernel call */
const ELEMENTWISE_MIN = 4096;
/** the same for softmax, whose reference pays two Math.exp per element */
const SOFTMAX_MIN = 1024;

export interface WasmBackendOptions extends WasmKernelOptions {
  /** false silences the notice printed when threads are unavailable (as InitOptions.verbose) */
  verbose?: boolean;
  /** bytes all live storages may take together (default: half of this machine's memory; the wasm heap caps float32/int32) */
  memoryLimit?: number;
}

export class WasmBackend extends CpuBackend {
  override readonly name: string = 'wasm';

  constructor(readonly kernels: WasmKernels, options: { memoryLimit?: number } = {}) {
    super(options);
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

  protected override newArray(dtype: DType, size: number): TypedArray {
    if (this.kernels.resident) {
      if (dtype === 'float32') return this.kernels.allocF32(size, false);
      // int32 too: max-pool argmax is written and read by the kernels
      if (dtype === 'int32') return this.kernels.allocI32(size, false);
    }
    return super.newArray(dtype, size);
  }

  /** float32 and int32 storages live in the wasm heap, which cannot grow past its maximum */
  protected override allocationRoom(dtype: DType): { bytes: number; limit: string } {
    const host = super.allocationRoom(dtype);
    if (!this.kernels.resident || (dtype !== 'float32' && dtype !== 'int32')) return host;
    const heap = this.kernels.heap;
    const max = heap.maximumPages * PAGE_BYTES;
    const room = max - heap.stats().liveBytes;
    return room < host.bytes ? { bytes: room, limit: `the ${formatBytes(max)} wasm heap` } : host;
  }

  protected override releaseArray(data: TypedArray, dtype: DType): void {
    if (data instanceof Float32Array || data instanceof Int32Array) this.kernels.release(data);
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

  override maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    if (x.dtype !== 'float32') return super.maxPool2d(x, p);
    const kernel = this.kernelName('maxPool2d');
    const X = this.arrayOf(kernel, 'x', x);
    this.checkPoolParams(kernel, p);
    expectSize(kernel, 'x', x, ...this.poolInputSize(p));
    const [size] = this.poolOutputSize(p);
    const out = this.allocate(kernel, size, x.dtype), argmax = this.allocate(kernel, size, 'int32');
    this.kernels.maxPool2dInto(X as Float32Array, out.data as Float32Array, argmax.data as Int32Array, p);
    return { out, argmax };
  }

  override maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage {
    if (dy.dtype !== 'float32') return super.maxPool2dBackward(dy, argmax, p);
    const kernel = this.kernelName('maxPool2dBackward');
    const D = this.arrayOf(kernel, 'dy', dy), A = this.arrayOf(kernel, 'argmax', argmax);
    this.checkPoolParams(kernel, p);
    expectSize(kernel, 'dy', dy, ...this.poolOutputSize(p));
    expectSize(kernel, 'argmax', argmax, ...this.poolOutputSize(p));
    expectDType(kernel, 'argmax', argmax, 'int32');
    checkArgmax(kernel, A, p);
    const out = this.allocate(kernel, this.poolInputSize(p)[0], dy.dtype);
    this.kernels.maxPool2dBackwardInto(D as Float32Array, A as Int32Array, out.data as Float32Array, p);
    return out;
  }

  override unary(op: UnaryOp, x: Storage, params: readonly number[] = []): Storage {
    if (op === 'affine' && x.dtype === 'float32' && x.size >= ELEMENTWISE_MIN && params.length >= 2) {
      const kernel = this.kernelName('unary(affine)');
      const X = this.arrayOf(kernel, 'x', x);
      const out = this.allocate(kernel, x.size, x.dtype);
      this.kernels.affineInto(X as Float32Array, out.data as Float32Array, params[0]!, params[1]!);
      return out;
    }
    if (x.dtype !== 'float32' || x.size < ELEMENTWISE_MIN || !WasmKernels.unaryOps.has(op)
      || params.length < UNARY_PARAM_COUNT[op]) {
      return super.unary(op, x, params);
    }
    const kernel = this.kernelName(`unary(${op})`);
    const X = this.arrayOf(kernel, 'x', x);
    const out = this.allocate(kernel, x.size, x.dtype);
    this.kernels.unaryInto(op, X as Float32Array, out.data as Float32Array, params);
    return out;
  }

  override copy(x: Operand): Storage {
    const size = sizeOfShape(x.view.shape);
    if (x.storage.dtype !== 'float32' || size < ELEMENTWISE_MIN) return super.copy(x);
    const kernel = this.kernelName('copy');
    const X = this.arrayOf(kernel, 'x', x.storage) as Float32Array;
    checkView(kernel, 'x', x.storage, x.view, x.view.shape);
    const out = this.allocate(kernel, size, 'float32');
    const O = out.data as Float32Array;
    if (!this.kernels.copyInto(O, x.view.shape, X, x.view)) stridedCopy(O, contiguous(x.view.shape), X, x.view, x.view.shape);
    return out;
  }

  override binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const size = sizeOfShape(outShape);
    if (a.storage.dtype !== 'float32' || b.storage.dtype !== 'float32' || size < ELEMENTWISE_MIN
      || !WasmKernels.binaryOps.has(op)) {
      return super.binary(op, a, b, outShape);
    }
    const kernel = this.kernelName(`binary(${op})`);
    const A = this.arrayOf(kernel, 'a', a.storage) as Float32Array, B = this.arrayOf(kernel, 'b', b.storage) as Float32Array;
    checkView(kernel, 'a', a.storage, a.view, outShape);
    checkView(kernel, 'b', b.storage, b.view, outShape);
    const out = this.allocate(kernel, size, 'float32');
    const O = out.data as Float32Array;
    // views that do not simplify to two outer dimensions and a row take the reference loops
    if (!this.kernels.binaryInto(op, O, outShape, A, a.view, B, b.view)) cpuBinaryInto(op, O, outShape, A, a.view, B, b.view);
    return out;
  }

  override softmax(x: Storage, outer: number, inner: number, log: boolean): Storage {
    if (x.dtype !== 'float32' || !(outer * inner >= SOFTMAX_MIN)) return super.softmax(x, outer, inner, log);
    const kernel = this.kernelName(log ? 'logSoftmax' : 'softmax');
    const X = this.arrayOf(kernel, 'x', x);
    expectCount(kernel, 'outer', outer); expectCount(kernel, 'inner', inner);
    expectSize(kernel, 'x', x, outer * inner, `outer·inner = ${outer}·${inner}`);
    const out = this.allocate(kernel, outer * inner, 'float32');
    this.kernels.softmaxInto(X as Float32Array, out.data as Float32Array, outer, inner, log);
    return out;
  }

  override gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams): GMForwardResult {
    if (x.dtype !== 'float32') return super.gmForward(x, means, logVar, labels, p);
    const kernel = this.kernelName('gmForward');
    // the reference's checks (shapes, dtypes, labels in [0, k)) and its errors
    const inputs = this.gmInputs(kernel, x, means, logVar, labels, p) as GmFloat32Inputs;
    const loss = this.allocate(kernel, 1, 'float32'), logits = this.allocate(kernel, p.n * p.k, 'float32');
    const logSumExp = this.allocate(kernel, p.n, 'float32'), prediction = this.allocate(kernel, p.n, 'int32');
    const score = this.allocate(kernel, p.n, 'float32');
    gmForwardFloat32(this.kernels, inputs, p, {
      loss: loss.data as Float32Array, logits: logits.data as Float32Array, logSumExp: logSumExp.data as Float32Array,
      prediction: prediction.data as Int32Array, score: score.data as Float32Array,
    });
    return { loss, logits, logSumExp, prediction, score };
  }

  override gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage,
    gradLoss: Storage, p: GMLossParams): GMBackwardResult {
    if (x.dtype !== 'float32') return super.gmBackward(x, means, logVar, labels, logSumExp, gradLoss, p);
    const kernel = this.kernelName('gmBackward');
    const inputs = this.gmInputs(kernel, x, means, logVar, labels, p) as GmFloat32Inputs;
    const L = this.arrayOf(kernel, 'logSumExp', logSumExp), G = this.arrayOf(kernel, 'gradLoss', gradLoss);
    expectSize(kernel, 'logSumExp', logSumExp, p.n, 'n');
    expectSize(kernel, 'gradLoss', gradLoss, 1, 'a scalar');
    const dx = this.allocate(kernel, p.n * p.d, 'float32'), dMeans = this.allocate(kernel, p.k * p.d, 'float32');
    const dLogVar = logVar ? this.allocate(kernel, p.k * p.d, 'float32') : null;
    gmBackwardFloat32(this.kernels, inputs, p, L, G[0]!, {
      dx: dx.data as Float32Array, dMeans: dMeans.data as Float32Array, dLogVar: (dLogVar?.data ?? null) as Float32Array | null,
    });
    return dLogVar ? { dx, dMeans, dLogVar } : { dx, dMeans };
  }

  protected override avgPoolArrays(x: TypedArray, out: TypedArray, p: Pool2dParams): void {
    if (x instanceof Float32Array && out instanceof Float32Array) this.kernels.avgPool2dInto(x, out, p);
    else super.avgPoolArrays(x, out, p);
  }

  protected override avgPoolBackwardArrays(dy: TypedArray, out: CpuStorage, p: Pool2dParams): void {
    if (dy instanceof Float32Array && out.data instanceof Float32Array) this.kernels.avgPool2dBackwardInto(dy, out.data, p);
    else super.avgPoolBackwardArrays(dy, out, p);
  }

  protected override batchNormForwardArrays(x: TypedArray, weight: TypedArray | null, bias: TypedArray | null, out: TypedArray,
    mean: TypedArray, variance: TypedArray, p: BatchNormParams): void {
    const f32 = (a: TypedArray | null) => a === null || a instanceof Float32Array;
    if (x instanceof Float32Array && f32(weight) && f32(bias) && out instanceof Float32Array && mean instanceof Float32Array
      && variance instanceof Float32Array) {
      this.kernels.batchNormForwardInto(x, weight as Float32Array | null, bias as Float32Array | null, out, mean, variance, p);
    } else {
      super.batchNormForwardArrays(x, weight, bias, out, mean, variance, p);
    }
  }

  protected override batchNormBackwardArrays(dy: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
    weight: TypedArray | null, dx: TypedArray, dWeight: TypedArray, dBias: TypedArray, p: BatchNormParams): void {
    const all = [dy, x, mean, variance, dx, dWeight, dBias];
    if (all.every((a) => a instanceof Float32Array) && (weight === null || weight instanceof Float32Array)) {
      this.kernels.batchNormBackwardInto(dy as Float32Array, x as Float32Array, mean as Float32Array, variance as Float32Array,
        weight as Float32Array | null, dx as Float32Array, dWeight as Float32Array, dBias as Float32Array, p);
    } else {
      super.batchNormBackwardArrays(dy, x, mean, variance, weight, dx, dWeight, dBias, p);
    }
  }

  protected override reduceArrays(op: ReduceOp, x: TypedArray, out: TypedArray, outer: number, reduce: number, inner: number): void {
    if (x instanceof Float32Array && out instanceof Float32Array && WasmKernels.reduceOps.has(op)
      && outer * reduce * inner >= ELEMENTWISE_MIN && (reduce > 0 || op === 'sum')) {
      this.kernels.reduceInto(op as WasmReduceOp, x, out, outer, reduce, inner);
    } else {
      super.reduceArrays(op, x, out, outer, reduce, inner);
    }
  }

  protected override sgdUpdate(param: TypedArray, grad: TypedArray, buf: TypedArray | null, p: SgdParams): void {
    if (param instanceof Float32Array && grad instanceof Float32Array && (buf === null || buf instanceof Float32Array)
      && param.length >= ELEMENTWISE_MIN) {
      this.kernels.sgdStepInto(param, grad, buf, p);
    } else {
      super.sgdUpdate(param, grad, buf, p);
    }
  }

  protected override adamUpdate(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, p: AdamParams): void {
    if (param instanceof Float32Array && grad instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array
      && param.length >= ELEMENTWISE_MIN) {
      this.kernels.adamStepInto(param, grad, m, v, p);
    } else {
      super.adamUpdate(param, grad, m, v, p);
    }
  }

  /** the fused PReLU (an optional Backend kernel; the op composes it from others elsewhere) */
  prelu(x: Storage, weight: Storage, p: PreluParams): Storage {
    const kernel = this.kernelName('prelu');
    for (const [name, s] of [['x', x], ['weight', weight]] as const) expectDType(kernel, name, s, 'float32');
    checkPrelu(p);
    const out = this.allocate(kernel, p.outer * p.c * p.inner, 'float32');
    preluForwardInto(this.kernels, this.arrayOf(kernel, 'x', x) as Float32Array, this.arrayOf(kernel, 'weight', weight) as Float32Array,
      out.data as Float32Array, p);
    return out;
  }

  preluBackward(g: Storage, x: Storage, weight: Storage, p: PreluParams): { dx: Storage; dWeight: Storage } {
    const kernel = this.kernelName('preluBackward');
    for (const [name, s] of [['g', g], ['x', x], ['weight', weight]] as const) expectDType(kernel, name, s, 'float32');
    checkPrelu(p);
    const dx = this.allocate(kernel, p.outer * p.c * p.inner, 'float32'), dWeight = this.allocate(kernel, p.shared ? 1 : p.c, 'float32');
    preluBackwardInto(this.kernels, this.arrayOf(kernel, 'g', g) as Float32Array, this.arrayOf(kernel, 'x', x) as Float32Array,
      this.arrayOf(kernel, 'weight', weight) as Float32Array, dx.data as Float32Array, dWeight.data as Float32Array, p);
    return { dx, dWeight };
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
  const { verbose, memoryLimit, ...rest } = options;
  const kernels = await WasmKernels.create({ quiet: verbose === false, ...rest });
  return new WasmBackend(kernels, { memoryLimit });
}
