/**
 * The CPU reference backend: every kernel in plain TypeScript over typed arrays, float32, float64
 * and int32. It is the oracle the other backends are tested against and the fallback when they
 * are unavailable, so each method validates its arguments (errors name the kernel and the sizes)
 * before allocating, and computes in float64, rounding once into a float32 output.
 *
 * Subclassing (the WebAssembly backend): arrays come from `newArray` and go back through
 * `releaseArray`, so a subclass can place them in its own memory; the float32 hot kernels
 * (matmul, conv2d, conv2dBackwardInput, conv2dBackwardWeight) are ordinary methods it can
 * override, reusing the `prepare…` validators, and calling super for the other dtypes.
 */
import type {
  AdamParams, Backend, BatchNormBackwardResult, BatchNormForwardResult, BatchNormParams, BinaryOp, Conv2dParams, GMBackwardResult, GMForwardResult, GMLossParams, MatmulParams,
  LinfStepParams, MemoryInfo, Operand, Pool2dParams, ReduceOp, SgdParams, Storage, StridedView, UnaryOp,
} from '../../core/backend.js';
import { bytesPerElement, dtypeOfArray, typedArrayFor, type DType, type TypedArray } from '../../core/dtype.js';
import { allocationRefusal, defaultMemoryLimit, formatBytes } from '../../core/memory-limit.js';
import { BINARY_ROWS, binaryInto, stridedCopy, whereInto } from './binary.js';
import {
  checkView, expectCount, expectDType, expectFloat, expectSameDType, expectSize, fail, sizeOfShape,
} from './checks.js';
import { conv2dBackwardInputInto, conv2dBackwardWeightInto, conv2dInto } from './conv.js';
import { checkGmOperands, checkLabels, gmBackwardInto, gmForwardInto } from './gm.js';
import { checkIndices, gatherInto, scatterAddInto } from './indexing.js';
import { matmulInto } from './matmul.js';
import { adamStepInPlace, sgdStepInPlace } from './optim.js';
import { checkLinfStep, linfStepInto } from './attack-step.js';
import { batchNormBackwardInto, batchNormForwardInto, checkBatchNorm } from './batch-norm.js';
import { avgPool2dBackwardInto, avgPool2dInto, checkArgmax, maxPool2dBackwardInto, maxPool2dInto } from './pool.js';
import { reduceInto } from './reduce.js';
import { Scratch } from './scratch.js';
import { softmaxInto } from './softmax.js';
import { CpuStorage, MemoryCounter } from './storage.js';
import { contiguous } from './strided.js';
import { UNARY_LOOPS, UNARY_PARAM_COUNT } from './unary.js';

const SUPPORTED: readonly DType[] = ['float32', 'float64', 'int32'];
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'];

export interface CpuBackendOptions {
  /** bytes all live storages may take together (default: half of this machine's memory) */
  memoryLimit?: number;
}

export class CpuBackend implements Backend {
  readonly name: string = 'cpu';
  /** float64 work buffers reused across kernel calls */
  protected readonly scratch = new Scratch();
  readonly #memory = new MemoryCounter();
  readonly memoryLimit: number;

  constructor(options: CpuBackendOptions = {}) {
    const limit = options.memoryLimit ?? defaultMemoryLimit();
    if (!(limit > 0)) throw new Error(`${this.name} backend: memoryLimit must be a positive number of bytes, got ${limit}`);
    this.memoryLimit = limit;
  }

  supportsDType(dtype: DType): boolean {
    return SUPPORTED.includes(dtype);
  }

  // ---- allocation hooks ----

  /**
   * A typed array of exactly `size` elements for a new storage. Its contents need not be zero:
   * every kernel writes all of its output (and `alloc` fills zeros itself).
   */
  protected newArray(dtype: DType, size: number): TypedArray {
    return typedArrayFor(dtype, size);
  }

  /** Called once per storage when it is freed, with the array `newArray` returned for it. */
  protected releaseArray(_data: TypedArray, _dtype: DType): void {
    // plain typed arrays are garbage collected
  }

  /** "cpu.conv2d": the prefix of every error a kernel throws */
  protected kernelName(op: string): string {
    return `${this.name}.${op}`;
  }

  /** A new storage of `size` elements, counted in memory(). */
  protected allocate(kernel: string, size: number, dtype: DType): CpuStorage {
    if (!this.supportsDType(dtype)) fail(kernel, `dtype '${dtype}' is not supported by the ${this.name} backend (supported: ${SUPPORTED.join(', ')})`);
    if (!Number.isInteger(size) || size < 0) fail(kernel, `cannot allocate ${size} elements`);
    const bytes = size * bytesPerElement(dtype);
    const room = this.allocationRoom(dtype);
    if (bytes > room.bytes) fail(kernel, allocationRefusal(size, dtype, bytes, room.bytes, room.limit));
    let data: TypedArray;
    try {
      data = this.newArray(dtype, size);
    } catch (e) {
      return fail(kernel, `cannot allocate ${size} ${dtype} elements (${formatBytes(bytes)}): ${(e as Error).message}`);
    }
    if (data.length !== size || dtypeOfArray(data) !== dtype) {
      fail(kernel, `newArray returned ${data.length} ${dtypeOfArray(data)} elements, expected ${size} ${dtype}`);
    }
    const s = new CpuStorage(this, data, dtype);
    this.#memory.add(size, dtype);
    return s;
  }

  /** Bytes a new storage of `dtype` may still take, and the limit in words (for the refusal). */
  protected allocationRoom(_dtype: DType): { bytes: number; limit: string } {
    return {
      bytes: this.memoryLimit - this.#memory.info().liveBytes,
      limit: `the ${this.name} backend's ${formatBytes(this.memoryLimit)} memory limit (half of this machine's memory unless set with init({ memoryLimit }))`,
    };
  }

  /** The array behind a storage of this backend that is still alive. */
  protected arrayOf(kernel: string, what: string, s: Storage): TypedArray {
    if (!(s instanceof CpuStorage) || s.backend !== this) {
      fail(kernel, `${what} lives on backend '${s?.backend?.name ?? typeof s}', not on this '${this.name}' backend`);
    }
    if (s.freed) fail(kernel, `${what} (${s.size} ${s.dtype}) was already freed`);
    return s.data;
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
      fail(kernel, `expected a Float32Array, Float64Array or Int32Array, got ${Object.prototype.toString.call(data)}`);
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
    if (!(s instanceof CpuStorage) || s.backend !== this) {
      fail(kernel, `storage belongs to backend '${s?.backend?.name ?? typeof s}', not to this '${this.name}' backend`);
    }
    if (s.freed) fail(kernel, `double free of a storage of ${s.size} ${s.dtype}`);
    this.releaseArray(s.release(), s.dtype);
    this.#memory.remove(s.size, s.dtype);
  }

  memory(): MemoryInfo {
    return this.#memory.info();
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
    checkView(kernel, 'x', x.storage, x.view, x.view.shape);
    const out = this.allocate(kernel, sizeOfShape(x.view.shape), x.storage.dtype);
    stridedCopy(out.data, contiguous(x.view.shape), src, x.view, x.view.shape);
    return out;
  }

  assign(dst: Storage, dstView: StridedView, src: Operand): void {
    const kernel = this.kernelName('assign');
    const d = this.arrayOf(kernel, 'dst', dst);
    let s = this.arrayOf(kernel, 'src', src.storage);
    expectSameDType(kernel, 'src', src.storage, dst, 'dst');
    checkView(kernel, 'dst', dst, dstView, dstView.shape);
    checkView(kernel, 'src', src.storage, src.view, dstView.shape);
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
    const loop = UNARY_LOOPS[op];
    if (!loop) fail(kernel, `unknown unary op '${op}'`);
    const wanted = UNARY_PARAM_COUNT[op];
    if (params.length < wanted) fail(kernel, `needs ${wanted} parameter(s), got ${params.length}`);
    const out = this.allocate(kernel, x.size, x.dtype);
    loop(src, out.data, x.size, params[0] ?? 0, params[1] ?? 0);
    return out;
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.kernelName(`binary(${op})`);
    if (!BINARY_ROWS[op]) fail(kernel, `unknown binary op '${op}'`);
    const A = this.arrayOf(kernel, 'a', a.storage), B = this.arrayOf(kernel, 'b', b.storage);
    expectSameDType(kernel, 'b', b.storage, a.storage, 'a');
    checkView(kernel, 'a', a.storage, a.view, outShape);
    checkView(kernel, 'b', b.storage, b.view, outShape);
    const out = this.allocate(kernel, sizeOfShape(outShape), a.storage.dtype);
    binaryInto(op, out.data, outShape, A, a.view, B, b.view);
    return out;
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.kernelName('where');
    const C = this.arrayOf(kernel, 'cond', cond.storage);
    const A = this.arrayOf(kernel, 'a', a.storage), B = this.arrayOf(kernel, 'b', b.storage);
    expectSameDType(kernel, 'b', b.storage, a.storage, 'a');
    checkView(kernel, 'cond', cond.storage, cond.view, outShape);
    checkView(kernel, 'a', a.storage, a.view, outShape);
    checkView(kernel, 'b', b.storage, b.view, outShape);
    const out = this.allocate(kernel, sizeOfShape(outShape), a.storage.dtype);
    whereInto(out.data, outShape, C, cond.view, A, a.view, B, b.view);
    return out;
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, outer: number, reduce: number, inner: number): Storage {
    const kernel = this.kernelName(`reduce(${op})`);
    if (!REDUCE_OPS.includes(op)) fail(kernel, `unknown reduction '${op}'`);
    const src = this.arrayOf(kernel, 'x', x);
    expectCount(kernel, 'outer', outer); expectCount(kernel, 'reduce', reduce); expectCount(kernel, 'inner', inner);
    expectSize(kernel, 'x', x, outer * reduce * inner, `outer·reduce·inner = ${outer}·${reduce}·${inner}`);
    const arg = op === 'argmax' || op === 'argmin';
    const out = this.allocate(kernel, outer * inner, arg ? 'int32' : x.dtype);
    this.reduceArrays(op, src, out.data, outer, reduce, inner);
    return out;
  }

  /** The reduction on validated arrays (a subclass may run it elsewhere). */
  protected reduceArrays(op: ReduceOp, x: TypedArray, out: TypedArray, outer: number, reduce: number, inner: number): void {
    reduceInto(op, x, out, outer, reduce, inner, this.scratch);
  }

  // ---- linear algebra ----

  /** Validates a matmul and allocates its [batch, m, n] output. */
  protected prepareMatmul(a: Storage, b: Storage, p: MatmulParams): { a: TypedArray; b: TypedArray; out: CpuStorage } {
    const kernel = this.kernelName('matmul');
    const A = this.arrayOf(kernel, 'a', a), B = this.arrayOf(kernel, 'b', b);
    expectSameDType(kernel, 'b', b, a, 'a');
    for (const [name, v] of [['batch', p.batch], ['m', p.m], ['n', p.n], ['k', p.k], ['aBatchStride', p.aBatchStride], ['bBatchStride', p.bBatchStride]] as const) {
      expectCount(kernel, name, v);
    }
    const span = (stride: number, rows: number, cols: number) => (p.batch > 0 ? (p.batch - 1) * stride + rows * cols : 0);
    const needA = span(p.aBatchStride, p.m, p.k), needB = span(p.bBatchStride, p.k, p.n);
    if (a.size < needA) fail(kernel, `a has ${a.size} elements, needs ${needA} (batch ${p.batch}, stride ${p.aBatchStride}, ${p.transA ? 'k×m' : 'm×k'} = ${p.transA ? `${p.k}×${p.m}` : `${p.m}×${p.k}`})`);
    if (b.size < needB) fail(kernel, `b has ${b.size} elements, needs ${needB} (batch ${p.batch}, stride ${p.bBatchStride}, ${p.transB ? 'n×k' : 'k×n'} = ${p.transB ? `${p.n}×${p.k}` : `${p.k}×${p.n}`})`);
    return { a: A, b: B, out: this.allocate(kernel, p.batch * p.m * p.n, a.dtype) };
  }

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    const { a: A, b: B, out } = this.prepareMatmul(a, b, p);
    matmulInto(A, B, out.data, p, this.scratch);
    return out;
  }

  // ---- convolution ----

  protected checkConvParams(kernel: string, p: Conv2dParams): void {
    for (const key of ['n', 'inC', 'inH', 'inW', 'outC', 'kH', 'kW', 'outH', 'outW', 'padTop', 'padLeft'] as const) {
      expectCount(kernel, key, p[key]);
    }
    for (const key of ['strideH', 'strideW', 'dilationH', 'dilationW', 'groups'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 1) fail(kernel, `${key} must be a positive integer, got ${p[key]}`);
    }
    if (p.inC % p.groups !== 0 || p.outC % p.groups !== 0) {
      fail(kernel, `groups ${p.groups} must divide inC ${p.inC} and outC ${p.outC}`);
    }
  }

  protected checkConvOperand(kernel: string, role: 'x' | 'w' | 'dy', s: Storage, p: Conv2dParams): void {
    switch (role) {
      case 'x': return expectSize(kernel, 'x', s, p.n * p.inC * p.inH * p.inW, `n·inC·inH·inW = ${p.n}·${p.inC}·${p.inH}·${p.inW}`);
      case 'w': return expectSize(kernel, 'w', s, p.outC * (p.inC / p.groups) * p.kH * p.kW, `outC·(inC/groups)·kH·kW = ${p.outC}·${p.inC / p.groups}·${p.kH}·${p.kW}`);
      case 'dy': return expectSize(kernel, 'dy', s, p.n * p.outC * p.outH * p.outW, `n·outC·outH·outW = ${p.n}·${p.outC}·${p.outH}·${p.outW}`);
    }
  }

  /** Validates conv2d(x, w) and allocates y [n, outC, outH, outW]. */
  protected prepareConv2d(x: Storage, w: Storage, p: Conv2dParams): { x: TypedArray; w: TypedArray; out: CpuStorage } {
    const kernel = this.kernelName('conv2d');
    const X = this.arrayOf(kernel, 'x', x), W = this.arrayOf(kernel, 'w', w);
    this.checkConvParams(kernel, p);
    expectSameDType(kernel, 'w', w, x, 'x');
    this.checkConvOperand(kernel, 'x', x, p);
    this.checkConvOperand(kernel, 'w', w, p);
    return { x: X, w: W, out: this.allocate(kernel, p.n * p.outC * p.outH * p.outW, x.dtype) };
  }

  /** Validates conv2dBackwardInput(dy, w) and allocates dx [n, inC, inH, inW]. */
  protected prepareConv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): { dy: TypedArray; w: TypedArray; out: CpuStorage } {
    const kernel = this.kernelName('conv2dBackwardInput');
    const D = this.arrayOf(kernel, 'dy', dy), W = this.arrayOf(kernel, 'w', w);
    this.checkConvParams(kernel, p);
    expectSameDType(kernel, 'w', w, dy, 'dy');
    this.checkConvOperand(kernel, 'dy', dy, p);
    this.checkConvOperand(kernel, 'w', w, p);
    return { dy: D, w: W, out: this.allocate(kernel, p.n * p.inC * p.inH * p.inW, dy.dtype) };
  }

  /** Validates conv2dBackwardWeight(x, dy) and allocates dw [outC, inC/groups, kH, kW]. */
  protected prepareConv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): { x: TypedArray; dy: TypedArray; out: CpuStorage } {
    const kernel = this.kernelName('conv2dBackwardWeight');
    const X = this.arrayOf(kernel, 'x', x), D = this.arrayOf(kernel, 'dy', dy);
    this.checkConvParams(kernel, p);
    expectSameDType(kernel, 'dy', dy, x, 'x');
    this.checkConvOperand(kernel, 'x', x, p);
    this.checkConvOperand(kernel, 'dy', dy, p);
    return { x: X, dy: D, out: this.allocate(kernel, p.outC * (p.inC / p.groups) * p.kH * p.kW, x.dtype) };
  }

  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    const { x: X, w: W, out } = this.prepareConv2d(x, w, p);
    conv2dInto(X, W, out.data, p, this.scratch);
    return out;
  }

  conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage {
    const { dy: D, w: W, out } = this.prepareConv2dBackwardInput(dy, w, p);
    conv2dBackwardInputInto(D, W, out.data, p, this.scratch);
    return out;
  }

  conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage {
    const { x: X, dy: D, out } = this.prepareConv2dBackwardWeight(x, dy, p);
    conv2dBackwardWeightInto(X, D, out.data, p, this.scratch);
    return out;
  }

  // ---- pooling ----

  protected checkPoolParams(kernel: string, p: Pool2dParams): void {
    for (const key of ['n', 'c', 'inH', 'inW', 'outH', 'outW', 'padTop', 'padLeft'] as const) expectCount(kernel, key, p[key]);
    for (const key of ['kH', 'kW', 'strideH', 'strideW'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 1) fail(kernel, `${key} must be a positive integer, got ${p[key]}`);
    }
    // every window must hold at least one real cell: the first ends past the top/left padding,
    // the last starts inside the input
    const emptyH = p.outH > 0 && (p.kH <= p.padTop || (p.outH - 1) * p.strideH - p.padTop >= p.inH);
    const emptyW = p.outW > 0 && (p.kW <= p.padLeft || (p.outW - 1) * p.strideW - p.padLeft >= p.inW);
    if (emptyH || emptyW) {
      fail(kernel, `a ${p.kH}×${p.kW} window (stride ${p.strideH}×${p.strideW}, padding ${p.padTop}×${p.padLeft}) for a ${p.outH}×${p.outW} output of a ${p.inH}×${p.inW} input covers only padding`);
    }
  }

  protected poolInputSize(p: Pool2dParams): [number, string] {
    return [p.n * p.c * p.inH * p.inW, `n·c·inH·inW = ${p.n}·${p.c}·${p.inH}·${p.inW}`];
  }

  protected poolOutputSize(p: Pool2dParams): [number, string] {
    return [p.n * p.c * p.outH * p.outW, `n·c·outH·outW = ${p.n}·${p.c}·${p.outH}·${p.outW}`];
  }

  /** float64 accumulator for a gradient: the output itself when float64, else a scratch buffer */
  #accumulatorFor(out: CpuStorage): Float64Array {
    return out.data instanceof Float64Array ? out.data : this.scratch.get('accumulator', out.size);
  }

  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    const kernel = this.kernelName('maxPool2d');
    const X = this.arrayOf(kernel, 'x', x);
    this.checkPoolParams(kernel, p);
    expectSize(kernel, 'x', x, ...this.poolInputSize(p));
    const [size] = this.poolOutputSize(p);
    const out = this.allocate(kernel, size, x.dtype), argmax = this.allocate(kernel, size, 'int32');
    maxPool2dInto(X, out.data, argmax.data, p);
    return { out, argmax };
  }

  maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage {
    const kernel = this.kernelName('maxPool2dBackward');
    const D = this.arrayOf(kernel, 'dy', dy), A = this.arrayOf(kernel, 'argmax', argmax);
    this.checkPoolParams(kernel, p);
    expectSize(kernel, 'dy', dy, ...this.poolOutputSize(p));
    expectSize(kernel, 'argmax', argmax, ...this.poolOutputSize(p));
    expectDType(kernel, 'argmax', argmax, 'int32');
    checkArgmax(kernel, A, p);
    const out = this.allocate(kernel, this.poolInputSize(p)[0], dy.dtype);
    const acc = this.#accumulatorFor(out);
    maxPool2dBackwardInto(D, A, acc, p);
    if (acc !== out.data) out.data.set(acc);
    return out;
  }

  avgPool2d(x: Storage, p: Pool2dParams): Storage {
    const kernel = this.kernelName('avgPool2d');
    const X = this.arrayOf(kernel, 'x', x);
    this.checkPoolParams(kernel, p);
    expectSize(kernel, 'x', x, ...this.poolInputSize(p));
    const out = this.allocate(kernel, this.poolOutputSize(p)[0], x.dtype);
    this.avgPoolArrays(X, out.data, p);
    return out;
  }

  /** Average pooling on validated arrays (a subclass may run it elsewhere). */
  protected avgPoolArrays(x: TypedArray, out: TypedArray, p: Pool2dParams): void {
    avgPool2dInto(x, out, p);
  }

  avgPool2dBackward(dy: Storage, p: Pool2dParams): Storage {
    const kernel = this.kernelName('avgPool2dBackward');
    const D = this.arrayOf(kernel, 'dy', dy);
    this.checkPoolParams(kernel, p);
    expectSize(kernel, 'dy', dy, ...this.poolOutputSize(p));
    const out = this.allocate(kernel, this.poolInputSize(p)[0], dy.dtype);
    this.avgPoolBackwardArrays(D, out, p);
    return out;
  }

  /** The average-pooling gradient on validated arrays (a subclass may run it elsewhere). */
  protected avgPoolBackwardArrays(dy: TypedArray, out: CpuStorage, p: Pool2dParams): void {
    const acc = this.#accumulatorFor(out);
    avgPool2dBackwardInto(dy, acc, p);
    if (acc !== out.data) out.data.set(acc);
  }

  // ---- indexing ----

  protected checkAxisShape(kernel: string, outer: number, axis: number, inner: number, count: number): void {
    expectCount(kernel, 'outer', outer); expectCount(kernel, 'axis', axis);
    expectCount(kernel, 'inner', inner); expectCount(kernel, 'count', count);
  }

  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.kernelName('gather');
    const X = this.arrayOf(kernel, 'x', x), I = this.arrayOf(kernel, 'index', index);
    this.checkAxisShape(kernel, outer, axis, inner, count);
    expectSize(kernel, 'x', x, outer * axis * inner, `outer·axis·inner = ${outer}·${axis}·${inner}`);
    expectSize(kernel, 'index', index, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    expectDType(kernel, 'index', index, 'int32');
    checkIndices(kernel, I, axis);
    const out = this.allocate(kernel, outer * count * inner, x.dtype);
    gatherInto(X, I, out.data, { outer, axis, inner, count });
    return out;
  }

  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.kernelName('scatterAdd');
    const S = this.arrayOf(kernel, 'src', src), I = this.arrayOf(kernel, 'index', index);
    this.checkAxisShape(kernel, outer, axis, inner, count);
    expectSize(kernel, 'src', src, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    expectSize(kernel, 'index', index, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    expectDType(kernel, 'index', index, 'int32');
    checkIndices(kernel, I, axis);
    const out = this.allocate(kernel, outer * axis * inner, src.dtype);
    // float sums collect in float64 and round once; int32 sums are exact in place
    const acc = src.dtype === 'int32' ? out.data : this.#accumulatorFor(out);
    scatterAddInto(S, I, acc, { outer, axis, inner, count });
    if (acc !== out.data) out.data.set(acc);
    return out;
  }

  // ---- fused nn ----

  softmax(x: Storage, outer: number, inner: number, log: boolean): Storage {
    const kernel = this.kernelName(log ? 'logSoftmax' : 'softmax');
    const X = this.arrayOf(kernel, 'x', x);
    expectFloat(kernel, 'x', x);
    expectCount(kernel, 'outer', outer); expectCount(kernel, 'inner', inner);
    expectSize(kernel, 'x', x, outer * inner, `outer·inner = ${outer}·${inner}`);
    const out = this.allocate(kernel, outer * inner, x.dtype);
    softmaxInto(X, out.data, outer, inner, log);
    return out;
  }

  /** validates the GM loss operands (labels included) and returns their arrays */
  protected gmInputs(kernel: string, x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) {
    const X = this.arrayOf(kernel, 'x', x), M = this.arrayOf(kernel, 'means', means);
    const Y = this.arrayOf(kernel, 'labels', labels);
    const V = logVar ? this.arrayOf(kernel, 'logVar', logVar) : null;
    checkGmOperands(kernel, x, means, logVar, labels, p);
    checkLabels(kernel, Y, p.k);
    return { x: X, means: M, logVar: V, labels: Y };
  }

  gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams): GMForwardResult {
    const kernel = this.kernelName('gmForward');
    const inputs = this.gmInputs(kernel, x, means, logVar, labels, p);
    const result: GMForwardResult = {
      loss: this.allocate(kernel, 1, x.dtype),
      logits: this.allocate(kernel, p.n * p.k, x.dtype),
      logSumExp: this.allocate(kernel, p.n, x.dtype),
      prediction: this.allocate(kernel, p.n, 'int32'),
      score: this.allocate(kernel, p.n, x.dtype),
    };
    const data = (s: Storage) => (s as CpuStorage).data;
    gmForwardInto(inputs, p, {
      loss: data(result.loss), logits: data(result.logits), logSumExp: data(result.logSumExp),
      prediction: data(result.prediction), score: data(result.score),
    });
    return result;
  }

  gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage,
    gradLoss: Storage, p: GMLossParams): GMBackwardResult {
    const kernel = this.kernelName('gmBackward');
    const inputs = this.gmInputs(kernel, x, means, logVar, labels, p);
    const L = this.arrayOf(kernel, 'logSumExp', logSumExp), G = this.arrayOf(kernel, 'gradLoss', gradLoss);
    expectSize(kernel, 'logSumExp', logSumExp, p.n, 'n');
    expectSize(kernel, 'gradLoss', gradLoss, 1, 'a scalar');
    const dx = this.allocate(kernel, p.n * p.d, x.dtype);
    const dMeans = this.allocate(kernel, p.k * p.d, x.dtype);
    const dLogVar = logVar ? this.allocate(kernel, p.k * p.d, x.dtype) : null;
    gmBackwardInto(inputs, p, L, G[0]!, { dx: dx.data, dMeans: dMeans.data, dLogVar: dLogVar?.data ?? null });
    return dLogVar ? { dx, dMeans, dLogVar } : { dx, dMeans };
  }

  // ---- optimizer updates ----

  #checkUpdate(kernel: string, param: Storage, others: readonly [string, Storage][]): TypedArray[] {
    const arrays = [this.arrayOf(kernel, 'param', param)];
    expectFloat(kernel, 'param', param);
    for (const [name, s] of others) {
      arrays.push(this.arrayOf(kernel, name, s));
      expectSameDType(kernel, name, s, param, 'param');
      expectSize(kernel, name, s, param.size, 'the size of param');
    }
    return arrays;
  }

  // ---- batch normalisation ----

  batchNormForward(x: Storage, weight: Storage | null, bias: Storage | null, p: BatchNormParams): BatchNormForwardResult {
    const kernel = this.kernelName('batchNormForward');
    checkBatchNorm(kernel, x, [['weight', weight], ['bias', bias]], p);
    const out = this.allocate(kernel, x.size, x.dtype), mean = this.allocate(kernel, p.c, x.dtype), variance = this.allocate(kernel, p.c, x.dtype);
    this.batchNormForwardArrays(this.arrayOf(kernel, 'x', x), weight && this.arrayOf(kernel, 'weight', weight),
      bias && this.arrayOf(kernel, 'bias', bias), out.data, mean.data, variance.data, p);
    return { out, mean, variance };
  }

  batchNormBackward(dy: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    p: BatchNormParams): BatchNormBackwardResult {
    const kernel = this.kernelName('batchNormBackward');
    checkBatchNorm(kernel, x, [['mean', mean], ['variance', variance], ['weight', weight]], p, [['dy', dy]]);
    const dx = this.allocate(kernel, x.size, x.dtype), dWeight = this.allocate(kernel, p.c, x.dtype), dBias = this.allocate(kernel, p.c, x.dtype);
    this.batchNormBackwardArrays(this.arrayOf(kernel, 'dy', dy), this.arrayOf(kernel, 'x', x), this.arrayOf(kernel, 'mean', mean),
      this.arrayOf(kernel, 'variance', variance), weight && this.arrayOf(kernel, 'weight', weight), dx.data, dWeight.data, dBias.data, p);
    return { dx, dWeight, dBias };
  }

  /** The batch-norm forward on validated arrays (a subclass may run it elsewhere). */
  protected batchNormForwardArrays(x: TypedArray, weight: TypedArray | null, bias: TypedArray | null, out: TypedArray,
    mean: TypedArray, variance: TypedArray, p: BatchNormParams): void {
    batchNormForwardInto(x, weight, bias, out, mean, variance, p);
  }

  /** The batch-norm gradient on validated arrays (a subclass may run it elsewhere). */
  protected batchNormBackwardArrays(dy: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray, weight: TypedArray | null,
    dx: TypedArray, dWeight: TypedArray, dBias: TypedArray, p: BatchNormParams): void {
    batchNormBackwardInto(dy, x, mean, variance, weight, dx, dWeight, dBias, p);
  }

  // ---- attacks ----

  linfStep(xAdv: Storage, x: Storage, g: Storage, p: LinfStepParams): Storage {
    const kernel = this.kernelName('linfStep');
    checkLinfStep(kernel, p);
    const arrays = [['xAdv', xAdv], ['x', x], ['g', g]] as const;
    const [A, X, G] = arrays.map(([name, s]) => {
      expectFloat(kernel, name, s);
      expectSameDType(kernel, name, s, xAdv, 'xAdv');
      expectSize(kernel, name, s, p.size, 'size');
      return this.arrayOf(kernel, name, s);
    });
    const out = this.allocate(kernel, p.size, xAdv.dtype);
    linfStepInto(out.data, A!, X!, G!, p);
    return out;
  }

  sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams): void {
    const kernel = this.kernelName('sgdStep');
    const [P, G, B] = this.#checkUpdate(kernel, param, momentumBuf ? [['grad', grad], ['momentumBuf', momentumBuf]] : [['grad', grad]]);
    this.sgdUpdate(P!, G!, B ?? null, p);
  }

  /** The SGD update on validated arrays of one dtype (a subclass may run it elsewhere). */
  protected sgdUpdate(param: TypedArray, grad: TypedArray, buf: TypedArray | null, p: SgdParams): void {
    sgdStepInPlace(param, grad, buf, p);
  }

  adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
    const kernel = this.kernelName('adamStep');
    if (!(Number.isInteger(p.step) && p.step >= 1)) fail(kernel, `step must be a positive integer (1-based), got ${p.step}`);
    const [P, G, M, V] = this.#checkUpdate(kernel, param, [['grad', grad], ['m', m], ['v', v]]);
    this.adamUpdate(P!, G!, M!, V!, p);
  }

  /** The Adam update on validated arrays of one dtype (a subclass may run it elsewhere). */
  protected adamUpdate(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, p: AdamParams): void {
    adamStepInPlace(param, grad, m, v, p);
  }
}
