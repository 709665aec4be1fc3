/**
 * The WebGPU backend. Each method validates its arguments (errors name the kernel and the sizes),
 * rethrows any device error recorded since the last call, allocates its outputs and records the
 * kernels (kernels-*.ts); nothing waits for the GPU except `read`. float32 and int32 only.
 *
 * Memory: storages are pooled GPU buffers (gpu-buffers.ts); `free` returns the buffer to the pool
 * at once: every later use is recorded after the earlier ones, and the queue runs them in order.
 */
import type {
  AdamParams, Backend, BatchNormBackwardResult, BatchNormForwardResult, BatchNormParams, BinaryOp, Conv2dParams, GemmEpilogue, GMBackwardResult, GMForwardResult, GMLossParams, MatmulParams,
  LinfStepParams, MemoryInfo, Operand, Pool2dParams, ReduceOp, SgdParams, Storage, StridedView, UnaryOp,
} from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import type { AdapterInfo } from './gpu-adapter.js';
import type { KernelVariants } from './variant-select.js';
import {
  checkConvParams, checkPoolParams, checkView, expectCount, expectDType, expectFloat, expectSameDType, expectSize,
} from './gpu-checks.js';
import { GpuContext, type ContextOptions } from './gpu-context.js';
import { fail } from './gpu-errors.js';
import type { WebGpuStorage } from './gpu-storage.js';
import { sizeOf } from './gpu-views.js';
import * as attack from './kernels-attack.js';
import * as elementwise from './kernels-elementwise.js';
import * as gemm from './kernels-gemm.js';
import * as indexing from './kernels-indexing.js';
import * as nn from './kernels-nn.js';
import * as optim from './kernels-optim.js';
import * as pool from './kernels-pool.js';
import { reduce } from './kernels-reduce.js';
import { checkLinfStep } from '../cpu/attack-step.js';
import { checkBatchNorm } from '../cpu/batch-norm.js';
import { checkGmOperands } from '../cpu/gm.js';

const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'];

export type WebGpuBackendSettings = ContextOptions;

export interface WebGpuStats {
  pipelines: number;
  dispatches: number;
  submits: number;
  /** read-backs (each one a buffer map the CPU waits for) and uploads */
  reads: number;
  uploads: number;
  /** dispatches per op (kernel name) */
  dispatchesByKernel: Record<string, number>;
  /** bind groups created (dispatches whose group was not cached) */
  bindGroups: number;
  gemmCore: gemm.GemmCore;
  features: string[];
  /** the kernel variant set and why it was chosen */
  variants: KernelVariants;
}

export class WebGpuBackend implements Backend {
  readonly name: string = 'webgpu';
  readonly #ctx: GpuContext;
  readonly #info: AdapterInfo;
  readonly #features: string[];
  readonly #gemm: gemm.GemmRun;
  #disposed = false;

  constructor(readonly device: GPUDevice, info: AdapterInfo, settings: WebGpuBackendSettings, features: string[] = []) {
    this.#ctx = new GpuContext(device, this, settings);
    this.#info = { ...info };
    this.#features = [...features];
    this.#gemm = { core: settings.variants.gemm, gpuClass: settings.variants.gpuClass };
  }

  /** vendor / architecture / device / description of the adapter, and whether it is a CPU one */
  adapterInfo(): AdapterInfo {
    return { ...this.#info };
  }

  /** the device limits the kernels are sized by */
  get limits() {
    return { ...this.#ctx.limits };
  }

  stats(): WebGpuStats {
    const r = this.#ctx.recorder;
    return { pipelines: this.#ctx.pipelines.size, dispatches: r.dispatchCount, submits: r.submitCount,
      reads: this.#ctx.readCount, uploads: this.#ctx.uploadCount, dispatchesByKernel: Object.fromEntries(r.dispatchesByKernel), bindGroups: r.bindGroups.created, gemmCore: this.#gemm.core, features: [...this.#features], variants: { ...this.#ctx.options.variants } };
  }

  supportsDType(dtype: DType): boolean {
    return dtype === 'float32' || dtype === 'int32';
  }

  #k(op: string): string {
    const kernel = this.#ctx.kernelName(op);
    if (this.#disposed) fail(kernel, 'the backend was disposed');
    this.#ctx.check(kernel);
    return kernel;
  }

  #s(kernel: string, what: string, s: Storage): WebGpuStorage {
    return this.#ctx.storage(kernel, what, s);
  }

  // ---- memory ----

  alloc(size: number, dtype: DType): Storage {
    const kernel = this.#k('alloc');
    const s = this.#ctx.allocate(kernel, size, dtype, false);
    if (size > 0) this.#ctx.fillBits(s, 0);
    return s;
  }

  upload(data: TypedArray): Storage {
    return this.#ctx.upload(this.#k('upload'), data);
  }

  async read(s: Storage): Promise<TypedArray> {
    const kernel = this.#k('read');
    return this.#ctx.read(kernel, this.#s(kernel, 'storage', s));
  }

  readSync(_s: Storage): TypedArray | undefined {
    return undefined;
  }

  free(s: Storage): void {
    const kernel = this.#ctx.kernelName('free');
    this.#ctx.release(this.#s(kernel, 'storage', s));
  }

  memory(): MemoryInfo {
    return this.#ctx.memory();
  }

  flush(): void {
    this.#k('flush');
    this.#ctx.recorder.flush();
  }

  /** Waits for all submitted work and throws any error it raised. */
  async sync(): Promise<void> {
    const kernel = this.#k('sync');
    this.#ctx.recorder.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.#ctx.recorder.settle();
    this.#ctx.check(kernel);
  }

  /** Destroys pooled (free) buffers; live storages are untouched. */
  trimPool(): void {
    this.#ctx.pool.trim();
  }

  /** Submits pending work and destroys the device; the backend cannot be used afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      this.#ctx.recorder.flush();
    } finally {
      this.device.destroy();
    }
  }

  // ---- data movement ----

  fill(size: number, dtype: DType, value: number): Storage {
    const kernel = this.#k('fill');
    const out = this.#ctx.allocate(kernel, size, dtype, false);
    elementwise.fill(this.#ctx, out, value);
    return out;
  }

  copy(x: Operand): Storage {
    const kernel = this.#k('copy');
    const src = this.#s(kernel, 'x', x.storage);
    checkView(kernel, 'x', src, x.view, x.view.shape);
    const out = this.#ctx.allocate(kernel, sizeOf(x.view.shape), src.dtype);
    elementwise.stridedCopy(this.#ctx, kernel, src, x.view, out, elementwise.contiguousView(x.view.shape));
    return out;
  }

  assign(dst: Storage, dstView: StridedView, src: Operand): void {
    const kernel = this.#k('assign');
    const d = this.#s(kernel, 'dst', dst);
    const s = this.#s(kernel, 'src', src.storage);
    expectSameDType(kernel, 'src', s, d, 'dst');
    checkView(kernel, 'dst', d, dstView, dstView.shape);
    checkView(kernel, 'src', s, src.view, dstView.shape);
    if (sizeOf(dstView.shape) === 0) return;
    if (s === d) {
      // one buffer cannot be bound for reading and writing at once, and the views may overlap:
      // snapshot the source first
      const snapshot = this.#ctx.allocate(kernel, sizeOf(dstView.shape), d.dtype, false);
      const flat = elementwise.contiguousView(dstView.shape);
      elementwise.stridedCopy(this.#ctx, kernel, s, src.view, snapshot, flat);
      elementwise.stridedCopy(this.#ctx, kernel, snapshot, flat, d, dstView);
      this.#ctx.release(snapshot);
      return;
    }
    elementwise.stridedCopy(this.#ctx, kernel, s, src.view, d, dstView);
  }

  cast(x: Storage, to: DType): Storage {
    const kernel = this.#k('cast');
    const s = this.#s(kernel, 'x', x);
    const out = this.#ctx.allocate(kernel, s.size, to);
    elementwise.cast(this.#ctx, kernel, s, to, out);
    return out;
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, params: readonly number[] = []): Storage {
    const kernel = this.#k(`unary(${op})`);
    const s = this.#s(kernel, 'x', x);
    const wanted = elementwise.UNARY_PARAM_COUNT[op];
    if (wanted === undefined) fail(kernel, `unknown unary op '${op}'`);
    if (params.length < wanted) fail(kernel, `needs ${wanted} parameter(s), got ${params.length}`);
    const out = this.#ctx.allocate(kernel, s.size, s.dtype);
    elementwise.unary(this.#ctx, kernel, op, s, params, out);
    return out;
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.#k(`binary(${op})`);
    if (!elementwise.BINARY_F32[op]) fail(kernel, `unknown binary op '${op}'`);
    const A = this.#s(kernel, 'a', a.storage), B = this.#s(kernel, 'b', b.storage);
    expectSameDType(kernel, 'b', B, A, 'a');
    checkView(kernel, 'a', A, a.view, outShape);
    checkView(kernel, 'b', B, b.view, outShape);
    const out = this.#ctx.allocate(kernel, sizeOf(outShape), A.dtype);
    elementwise.binary(this.#ctx, kernel, op, A, a.view, B, b.view, outShape, out);
    return out;
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.#k('where');
    const C = this.#s(kernel, 'cond', cond.storage);
    const A = this.#s(kernel, 'a', a.storage), B = this.#s(kernel, 'b', b.storage);
    expectSameDType(kernel, 'b', B, A, 'a');
    checkView(kernel, 'cond', C, cond.view, outShape);
    checkView(kernel, 'a', A, a.view, outShape);
    checkView(kernel, 'b', B, b.view, outShape);
    const out = this.#ctx.allocate(kernel, sizeOf(outShape), A.dtype);
    elementwise.where(this.#ctx, kernel, C, cond.view, A, a.view, B, b.view, outShape, out);
    return out;
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, outer: number, red: number, inner: number): Storage {
    const kernel = this.#k(`reduce(${op})`);
    if (!REDUCE_OPS.includes(op)) fail(kernel, `unknown reduction '${op}'`);
    const s = this.#s(kernel, 'x', x);
    expectCount(kernel, 'outer', outer); expectCount(kernel, 'reduce', red); expectCount(kernel, 'inner', inner);
    expectSize(kernel, 'x', s, outer * red * inner, `outer·reduce·inner = ${outer}·${red}·${inner}`);
    const arg = op === 'argmax' || op === 'argmin';
    const out = this.#ctx.allocate(kernel, outer * inner, arg ? 'int32' : s.dtype);
    reduce(this.#ctx, kernel, op, s, outer, red, inner, out);
    return out;
  }

  // ---- linear algebra ----

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    return this.#matmul('matmul', a, b, p, null);
  }

  matmulEpilogue(a: Storage, b: Storage, p: MatmulParams, e: GemmEpilogue): Storage {
    return this.#matmul('matmulEpilogue', a, b, p, e);
  }

  /** the epilogue's operands: float32 [channels] storages of this backend, on a float32 result */
  #epilogue(kernel: string, e: GemmEpilogue | null, channels: number, result: WebGpuStorage): gemm.Epilogue | null {
    if (!e) return null;
    expectDType(kernel, 'the result', result, 'float32');
    const operand = (what: string, s: Storage | null) => {
      if (!s) return null;
      const S = this.#s(kernel, what, s);
      expectDType(kernel, what, S, 'float32');
      expectSize(kernel, what, S, channels, 'one per output channel');
      return S;
    };
    return { scale: operand('scale', e.scale), shift: operand('shift', e.shift), relu: e.relu };
  }

  #matmul(op: string, a: Storage, b: Storage, p: MatmulParams, e: GemmEpilogue | null): Storage {
    const kernel = this.#k(op);
    const A = this.#s(kernel, 'a', a), B = this.#s(kernel, 'b', b);
    expectSameDType(kernel, 'b', B, A, 'a');
    for (const [name, v] of [['batch', p.batch], ['m', p.m], ['n', p.n], ['k', p.k], ['aBatchStride', p.aBatchStride], ['bBatchStride', p.bBatchStride]] as const) {
      expectCount(kernel, name, v);
    }
    const span = (stride: number, rows: number, cols: number) => (p.batch > 0 && rows * cols > 0 ? (p.batch - 1) * stride + rows * cols : 0);
    const needA = span(p.aBatchStride, p.m, p.k), needB = span(p.bBatchStride, p.k, p.n);
    if (A.size < needA) fail(kernel, `a has ${A.size} elements, needs ${needA} (batch ${p.batch}, stride ${p.aBatchStride}, ${p.transA ? `k×m = ${p.k}×${p.m}` : `m×k = ${p.m}×${p.k}`})`);
    if (B.size < needB) fail(kernel, `b has ${B.size} elements, needs ${needB} (batch ${p.batch}, stride ${p.bBatchStride}, ${p.transB ? `n×k = ${p.n}×${p.k}` : `k×n = ${p.k}×${p.n}`})`);
    const epilogue = this.#epilogue(kernel, e, p.n, A);
    const out = this.#ctx.allocate(kernel, p.batch * p.m * p.n, A.dtype);
    gemm.matmul(this.#ctx, kernel, this.#gemm, A, B, p, out, epilogue);
    return out;
  }

  // ---- convolution ----

  #convOperand(kernel: string, role: 'x' | 'w' | 'dy', s: Storage, p: Conv2dParams): void {
    switch (role) {
      case 'x': return expectSize(kernel, 'x', s, p.n * p.inC * p.inH * p.inW, `n·inC·inH·inW = ${p.n}·${p.inC}·${p.inH}·${p.inW}`);
      case 'w': return expectSize(kernel, 'w', s, p.outC * (p.inC / p.groups) * p.kH * p.kW, `outC·(inC/groups)·kH·kW = ${p.outC}·${p.inC / p.groups}·${p.kH}·${p.kW}`);
      case 'dy': return expectSize(kernel, 'dy', s, p.n * p.outC * p.outH * p.outW, `n·outC·outH·outW = ${p.n}·${p.outC}·${p.outH}·${p.outW}`);
    }
  }

  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    return this.#conv2d('conv2d', x, w, p, null);
  }

  conv2dEpilogue(x: Storage, w: Storage, p: Conv2dParams, e: GemmEpilogue): Storage {
    return this.#conv2d('conv2dEpilogue', x, w, p, e);
  }

  #conv2d(op: string, x: Storage, w: Storage, p: Conv2dParams, e: GemmEpilogue | null): Storage {
    const kernel = this.#k(op);
    const X = this.#s(kernel, 'x', x), W = this.#s(kernel, 'w', w);
    checkConvParams(kernel, p);
    expectSameDType(kernel, 'w', W, X, 'x');
    this.#convOperand(kernel, 'x', X, p);
    this.#convOperand(kernel, 'w', W, p);
    const epilogue = this.#epilogue(kernel, e, p.outC, X);
    const out = this.#ctx.allocate(kernel, p.n * p.outC * p.outH * p.outW, X.dtype);
    gemm.conv2d(this.#ctx, kernel, this.#gemm, X, W, p, out, epilogue);
    return out;
  }

  conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage {
    const kernel = this.#k('conv2dBackwardInput');
    const D = this.#s(kernel, 'dy', dy), W = this.#s(kernel, 'w', w);
    checkConvParams(kernel, p);
    expectSameDType(kernel, 'w', W, D, 'dy');
    this.#convOperand(kernel, 'dy', D, p);
    this.#convOperand(kernel, 'w', W, p);
    const out = this.#ctx.allocate(kernel, p.n * p.inC * p.inH * p.inW, D.dtype);
    gemm.conv2dBackwardInput(this.#ctx, kernel, this.#gemm, D, W, p, out);
    return out;
  }

  conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage {
    const kernel = this.#k('conv2dBackwardWeight');
    const X = this.#s(kernel, 'x', x), D = this.#s(kernel, 'dy', dy);
    checkConvParams(kernel, p);
    expectSameDType(kernel, 'dy', D, X, 'x');
    this.#convOperand(kernel, 'x', X, p);
    this.#convOperand(kernel, 'dy', D, p);
    const out = this.#ctx.allocate(kernel, p.outC * (p.inC / p.groups) * p.kH * p.kW, X.dtype);
    gemm.conv2dBackwardWeight(this.#ctx, kernel, this.#gemm, X, D, p, out);
    return out;
  }

  // ---- pooling ----

  #poolInput(p: Pool2dParams): [number, string] {
    return [p.n * p.c * p.inH * p.inW, `n·c·inH·inW = ${p.n}·${p.c}·${p.inH}·${p.inW}`];
  }

  #poolOutput(p: Pool2dParams): [number, string] {
    return [p.n * p.c * p.outH * p.outW, `n·c·outH·outW = ${p.n}·${p.c}·${p.outH}·${p.outW}`];
  }

  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    const kernel = this.#k('maxPool2d');
    const X = this.#s(kernel, 'x', x);
    checkPoolParams(kernel, p);
    expectSize(kernel, 'x', X, ...this.#poolInput(p));
    const [size] = this.#poolOutput(p);
    const out = this.#ctx.allocate(kernel, size, X.dtype), argmax = this.#ctx.allocate(kernel, size, 'int32');
    pool.maxPool2d(this.#ctx, kernel, X, p, out, argmax);
    return { out, argmax };
  }

  maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage {
    const kernel = this.#k('maxPool2dBackward');
    const D = this.#s(kernel, 'dy', dy), A = this.#s(kernel, 'argmax', argmax);
    checkPoolParams(kernel, p);
    expectSize(kernel, 'dy', D, ...this.#poolOutput(p));
    expectSize(kernel, 'argmax', A, ...this.#poolOutput(p));
    expectDType(kernel, 'argmax', A, 'int32');
    const out = this.#ctx.allocate(kernel, this.#poolInput(p)[0], D.dtype);
    pool.maxPool2dBackward(this.#ctx, kernel, D, A, p, out);
    return out;
  }

  avgPool2d(x: Storage, p: Pool2dParams): Storage {
    const kernel = this.#k('avgPool2d');
    const X = this.#s(kernel, 'x', x);
    checkPoolParams(kernel, p);
    expectFloat(kernel, 'x', X);
    expectSize(kernel, 'x', X, ...this.#poolInput(p));
    const out = this.#ctx.allocate(kernel, this.#poolOutput(p)[0], X.dtype);
    pool.avgPool2d(this.#ctx, kernel, X, p, out);
    return out;
  }

  avgPool2dBackward(dy: Storage, p: Pool2dParams): Storage {
    const kernel = this.#k('avgPool2dBackward');
    const D = this.#s(kernel, 'dy', dy);
    checkPoolParams(kernel, p);
    expectFloat(kernel, 'dy', D);
    expectSize(kernel, 'dy', D, ...this.#poolOutput(p));
    const out = this.#ctx.allocate(kernel, this.#poolInput(p)[0], D.dtype);
    pool.avgPool2dBackward(this.#ctx, kernel, D, p, out);
    return out;
  }

  // ---- indexing ----

  #axisShape(kernel: string, outer: number, axis: number, inner: number, count: number): indexing.AxisShape {
    expectCount(kernel, 'outer', outer); expectCount(kernel, 'axis', axis);
    expectCount(kernel, 'inner', inner); expectCount(kernel, 'count', count);
    return { outer, axis, inner, count };
  }

  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.#k('gather');
    const X = this.#s(kernel, 'x', x), I = this.#s(kernel, 'index', index);
    const shape = this.#axisShape(kernel, outer, axis, inner, count);
    expectSize(kernel, 'x', X, outer * axis * inner, `outer·axis·inner = ${outer}·${axis}·${inner}`);
    expectSize(kernel, 'index', I, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    expectDType(kernel, 'index', I, 'int32');
    const out = this.#ctx.allocate(kernel, outer * count * inner, X.dtype);
    indexing.gather(this.#ctx, kernel, X, I, shape, out);
    return out;
  }

  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.#k('scatterAdd');
    const S = this.#s(kernel, 'src', src), I = this.#s(kernel, 'index', index);
    const shape = this.#axisShape(kernel, outer, axis, inner, count);
    expectSize(kernel, 'src', S, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    expectSize(kernel, 'index', I, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    expectDType(kernel, 'index', I, 'int32');
    const out = this.#ctx.allocate(kernel, outer * axis * inner, S.dtype);
    indexing.scatterAdd(this.#ctx, kernel, S, I, shape, out);
    return out;
  }

  // ---- fused nn ----

  softmax(x: Storage, outer: number, inner: number, log: boolean): Storage {
    const kernel = this.#k(log ? 'logSoftmax' : 'softmax');
    const X = this.#s(kernel, 'x', x);
    expectFloat(kernel, 'x', X);
    expectCount(kernel, 'outer', outer); expectCount(kernel, 'inner', inner);
    expectSize(kernel, 'x', X, outer * inner, `outer·inner = ${outer}·${inner}`);
    const out = this.#ctx.allocate(kernel, outer * inner, X.dtype);
    nn.softmax(this.#ctx, kernel, X, outer, inner, log, out);
    return out;
  }

  #gmInputs(kernel: string, x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) {
    const X = this.#s(kernel, 'x', x), M = this.#s(kernel, 'means', means), Y = this.#s(kernel, 'labels', labels);
    const V = logVar ? this.#s(kernel, 'logVar', logVar) : null;
    checkGmOperands(kernel, X, M, V, Y, p, fail);
    return { X, M, V, Y };
  }

  gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams): GMForwardResult {
    const kernel = this.#k('gmForward');
    const { X, M, V, Y } = this.#gmInputs(kernel, x, means, logVar, labels, p);
    const result = {
      loss: this.#ctx.allocate(kernel, 1, 'float32'),
      logits: this.#ctx.allocate(kernel, p.n * p.k, 'float32'),
      logSumExp: this.#ctx.allocate(kernel, p.n, 'float32'),
      prediction: this.#ctx.allocate(kernel, p.n, 'int32'),
      score: this.#ctx.allocate(kernel, p.n, 'float32'),
    };
    nn.gmForward(this.#ctx, kernel, X, M, V, Y, p, result);
    return result;
  }

  gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage,
    gradLoss: Storage, p: GMLossParams): GMBackwardResult {
    const kernel = this.#k('gmBackward');
    const { X, M, V, Y } = this.#gmInputs(kernel, x, means, logVar, labels, p);
    const L = this.#s(kernel, 'logSumExp', logSumExp), G = this.#s(kernel, 'gradLoss', gradLoss);
    expectSize(kernel, 'logSumExp', L, p.n, 'n');
    expectSize(kernel, 'gradLoss', G, 1, 'a scalar');
    expectFloat(kernel, 'logSumExp', L);
    expectFloat(kernel, 'gradLoss', G);
    const dx = this.#ctx.allocate(kernel, p.n * p.d, 'float32');
    const dMeans = this.#ctx.allocate(kernel, p.k * p.d, 'float32');
    const dLogVar = V ? this.#ctx.allocate(kernel, p.k * p.d, 'float32') : null;
    nn.gmBackward(this.#ctx, kernel, X, M, V, Y, L, G, p, { dx, dMeans, dLogVar });
    return dLogVar ? { dx, dMeans, dLogVar } : { dx, dMeans };
  }

  // ---- batch normalisation ----

  batchNormForward(x: Storage, weight: Storage | null, bias: Storage | null, p: BatchNormParams): BatchNormForwardResult {
    const kernel = this.#k('batchNormForward');
    const X = this.#s(kernel, 'x', x);
    const W = weight && this.#s(kernel, 'weight', weight), B = bias && this.#s(kernel, 'bias', bias);
    expectDType(kernel, 'x', X, 'float32');
    checkBatchNorm(kernel, X, [['weight', W], ['bias', B]], p, [], fail);
    const result = {
      out: this.#ctx.allocate(kernel, X.size, 'float32'),
      mean: this.#ctx.allocate(kernel, p.c, 'float32'),
      variance: this.#ctx.allocate(kernel, p.c, 'float32'),
    };
    nn.batchNormForward(this.#ctx, kernel, X, W, B, p, result);
    return result;
  }

  batchNormBackward(dy: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    p: BatchNormParams): BatchNormBackwardResult {
    const kernel = this.#k('batchNormBackward');
    const X = this.#s(kernel, 'x', x), D = this.#s(kernel, 'dy', dy);
    const M = this.#s(kernel, 'mean', mean), V = this.#s(kernel, 'variance', variance);
    const W = weight && this.#s(kernel, 'weight', weight);
    expectDType(kernel, 'x', X, 'float32');
    checkBatchNorm(kernel, X, [['mean', M], ['variance', V], ['weight', W]], p, [['dy', D]], fail);
    const result = {
      dx: this.#ctx.allocate(kernel, X.size, 'float32'),
      dWeight: this.#ctx.allocate(kernel, p.c, 'float32'),
      dBias: this.#ctx.allocate(kernel, p.c, 'float32'),
    };
    nn.batchNormBackward(this.#ctx, kernel, D, X, M, V, W, p, result);
    return result;
  }

  // ---- attacks ----

  linfStep(xAdv: Storage, x: Storage, g: Storage, p: LinfStepParams): Storage {
    const kernel = this.#k('linfStep');
    checkLinfStep(kernel, p);
    const [A, X, G] = ([['xAdv', xAdv], ['x', x], ['g', g]] as const).map(([name, s]) => {
      const S = this.#s(kernel, name, s);
      expectFloat(kernel, name, S);
      expectSize(kernel, name, S, p.size, 'size');
      return S;
    });
    const out = this.#ctx.allocate(kernel, p.size, 'float32');
    attack.linfStep(this.#ctx, kernel, A!, X!, G!, out, p);
    return out;
  }

  // ---- optimizer updates ----

  #updateOperands(kernel: string, param: Storage, others: readonly [string, Storage][]): WebGpuStorage[] {
    const P = this.#s(kernel, 'param', param);
    expectFloat(kernel, 'param', P);
    const out = [P];
    for (const [name, s] of others) {
      const S = this.#s(kernel, name, s);
      if (S === P) fail(kernel, `${name} is the same storage as param`);
      expectSameDType(kernel, name, S, P, 'param');
      expectSize(kernel, name, S, P.size, 'the size of param');
      out.push(S);
    }
    return out;
  }

  sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams): void {
    const kernel = this.#k('sgdStep');
    const [P, G, B] = this.#updateOperands(kernel, param, momentumBuf ? [['grad', grad], ['momentumBuf', momentumBuf]] : [['grad', grad]]);
    optim.sgdStep(this.#ctx, kernel, P!, G!, B ?? null, p);
  }

  adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
    const kernel = this.#k('adamStep');
    if (!(Number.isInteger(p.step) && p.step >= 1)) fail(kernel, `step must be a positive integer (1-based), got ${p.step}`);
    const [P, G, M, V] = this.#updateOperands(kernel, param, [['grad', grad], ['m', m], ['v', v]]);
    if (M === V || M === G || V === G) fail(kernel, 'grad, m and v must be distinct storages');
    optim.adamStep(this.#ctx, kernel, P!, G!, M!, V!, p);
  }
}
