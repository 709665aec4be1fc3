/**
 * The WebGPU backend. Each method validates its arguments (errors name the kernel and the sizes),
 * rethrows any device error recorded since the last call, allocates its outputs and records the
 * kernels (kernels-*.ts); nothing waits for the GPU except `read`. float32 and int32 only. The
 * required primitives are here; the fused kernels it runs (every acceleration of the contract) are
 * in webgpu-accelerations.ts.
 *
 * Memory: storages are pooled GPU buffers (gpu-buffers.ts); `free` returns the buffer to the pool
 * at once: every later use is recorded after the earlier ones, and the queue runs them in order.
 */
import type {
  Accelerations, Backend, BinaryOp, Conv2dParams, GemmEpilogue, MatmulParams, MemoryInfo, Operand, Pool2dParams, ReduceOp, Storage,
  StridedView, UnaryOp,
} from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { KernelChecks, sizeOfShape as sizeOf } from '../../core/kernel-contract.js';
import type { AdapterInfo } from './gpu-adapter.js';
import type { KernelVariants } from './variant-select.js';
import { GpuContext, type ContextOptions } from './gpu-context.js';
import { fail } from './gpu-errors.js';
import type { WebGpuStorage } from './gpu-storage.js';
import * as elementwise from './kernels-elementwise.js';
import * as gemm from './kernels-gemm.js';
import * as indexing from './kernels-indexing.js';
import * as pool from './kernels-pool.js';
import { reduce } from './kernels-reduce.js';
import { webGpuAccelerations } from './webgpu-accelerations.js';

export type WebGpuBackendSettings = ContextOptions;

export interface WebGpuStats {
  pipelines: number;
  /** the shader files of the compiled pipelines (shaders/<name>.wgsl, includes not listed) */
  shaderFiles: string[];
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

/** What the accelerations need from the backend: the context and its per-call bookkeeping. */
export interface GpuKernelScope {
  readonly ctx: GpuContext;
  readonly checks: KernelChecks;
  /** the GEMM core and GPU class the matmul and convolution kernels run with */
  readonly gemm: gemm.GemmRun;
  /** conv2d and matmul with a fused epilogue (the conv2dEpilogue and matmulEpilogue accelerations) */
  conv2dEpilogue(x: Storage, w: Storage, p: Conv2dParams, e: GemmEpilogue): Storage;
  matmulEpilogue(a: Storage, b: Storage, p: MatmulParams, e: GemmEpilogue): Storage;
  /** the kernel's name ("webgpu.conv2d") after checking the backend is alive and the device healthy */
  begin(op: string): string;
  /** a storage of this backend, checked alive */
  storage(kernel: string, what: string, s: Storage): WebGpuStorage;
}

export class WebGpuBackend implements Backend {
  readonly name: string = 'webgpu';
  readonly accelerated: Accelerations;
  readonly #checks = new KernelChecks(fail, ['float32']);
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
    const scope: GpuKernelScope = {
      ctx: this.#ctx, checks: this.#checks, gemm: this.#gemm,
      begin: (op) => this.#k(op), storage: (kernel, what, s) => this.#s(kernel, what, s),
      conv2dEpilogue: (x, w, p, e) => this.#conv2d('conv2dEpilogue', x, w, p, e),
      matmulEpilogue: (a, b, p, e) => this.#matmul('matmulEpilogue', a, b, p, e),
    };
    this.accelerated = webGpuAccelerations(scope);
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
    return {
      pipelines: this.#ctx.pipelines.size, shaderFiles: this.#ctx.pipelines.shaderFiles, dispatches: r.dispatchCount, submits: r.submitCount,
      reads: this.#ctx.readCount, uploads: this.#ctx.uploadCount, dispatchesByKernel: Object.fromEntries(r.dispatchesByKernel),
      bindGroups: r.bindGroups.created, gemmCore: this.#gemm.core, features: [...this.#features], variants: { ...this.#ctx.options.variants },
    };
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
    this.#checks.view(kernel, 'x', src, x.view, x.view.shape);
    const out = this.#ctx.allocate(kernel, sizeOf(x.view.shape), src.dtype);
    elementwise.stridedCopy(this.#ctx, kernel, src, x.view, out, elementwise.contiguousView(x.view.shape));
    return out;
  }

  assign(dst: Storage, dstView: StridedView, src: Operand): void {
    const kernel = this.#k('assign');
    const d = this.#s(kernel, 'dst', dst);
    const s = this.#s(kernel, 'src', src.storage);
    this.#checks.sameDType(kernel, 'src', s, d, 'dst');
    this.#checks.view(kernel, 'dst', d, dstView, dstView.shape);
    this.#checks.view(kernel, 'src', s, src.view, dstView.shape);
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
    this.#checks.unaryParams(kernel, op, params);
    const out = this.#ctx.allocate(kernel, s.size, s.dtype);
    elementwise.unary(this.#ctx, kernel, op, s, params, out);
    return out;
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.#k(`binary(${op})`);
    this.#checks.binaryOp(kernel, op);
    const A = this.#s(kernel, 'a', a.storage), B = this.#s(kernel, 'b', b.storage);
    this.#checks.sameDType(kernel, 'b', B, A, 'a');
    this.#checks.view(kernel, 'a', A, a.view, outShape);
    this.#checks.view(kernel, 'b', B, b.view, outShape);
    const out = this.#ctx.allocate(kernel, sizeOf(outShape), A.dtype);
    elementwise.binary(this.#ctx, kernel, op, A, a.view, B, b.view, outShape, out);
    return out;
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const kernel = this.#k('where');
    const C = this.#s(kernel, 'cond', cond.storage);
    const A = this.#s(kernel, 'a', a.storage), B = this.#s(kernel, 'b', b.storage);
    this.#checks.sameDType(kernel, 'b', B, A, 'a');
    this.#checks.view(kernel, 'cond', C, cond.view, outShape);
    this.#checks.view(kernel, 'a', A, a.view, outShape);
    this.#checks.view(kernel, 'b', B, b.view, outShape);
    const out = this.#ctx.allocate(kernel, sizeOf(outShape), A.dtype);
    elementwise.where(this.#ctx, kernel, C, cond.view, A, a.view, B, b.view, outShape, out);
    return out;
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, outer: number, red: number, inner: number): Storage {
    const kernel = this.#k(`reduce(${op})`);
    const s = this.#s(kernel, 'x', x);
    this.#checks.reduce(kernel, op, s, outer, red, inner);
    const arg = op === 'argmax' || op === 'argmin';
    const out = this.#ctx.allocate(kernel, outer * inner, arg ? 'int32' : s.dtype);
    reduce(this.#ctx, kernel, op, s, outer, red, inner, out);
    return out;
  }

  // ---- linear algebra ----

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    return this.#matmul('matmul', a, b, p, null);
  }

  /** the epilogue's operands: float32 [channels] storages of this backend, on a float32 result */
  #epilogue(kernel: string, e: GemmEpilogue | null, channels: number, result: WebGpuStorage): gemm.Epilogue | null {
    if (!e) return null;
    this.#checks.dtype(kernel, 'the result', result, 'float32');
    const operand = (what: string, s: Storage | null) => {
      if (!s) return null;
      const S = this.#s(kernel, what, s);
      this.#checks.dtype(kernel, what, S, 'float32');
      this.#checks.size(kernel, what, S, channels, 'one per output channel');
      return S;
    };
    return { scale: operand('scale', e.scale), shift: operand('shift', e.shift), relu: e.relu };
  }

  #matmul(op: string, a: Storage, b: Storage, p: MatmulParams, e: GemmEpilogue | null): Storage {
    const kernel = this.#k(op);
    const A = this.#s(kernel, 'a', a), B = this.#s(kernel, 'b', b);
    this.#checks.matmul(kernel, A, B, p);
    const epilogue = this.#epilogue(kernel, e, p.n, A);
    const out = this.#ctx.allocate(kernel, p.batch * p.m * p.n, A.dtype);
    gemm.matmul(this.#ctx, kernel, this.#gemm, A, B, p, out, epilogue);
    return out;
  }

  // ---- convolution ----

  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    return this.#conv2d('conv2d', x, w, p, null);
  }

  #conv2d(op: string, x: Storage, w: Storage, p: Conv2dParams, e: GemmEpilogue | null): Storage {
    const kernel = this.#k(op);
    const X = this.#s(kernel, 'x', x), W = this.#s(kernel, 'w', w);
    this.#checks.convCall(kernel, p, ['x', X], ['w', W]);
    const epilogue = this.#epilogue(kernel, e, p.outC, X);
    const out = this.#ctx.allocate(kernel, p.n * p.outC * p.outH * p.outW, X.dtype);
    gemm.conv2d(this.#ctx, kernel, this.#gemm, X, W, p, out, epilogue);
    return out;
  }

  // ---- pooling ----

  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    const kernel = this.#k('maxPool2d');
    const X = this.#s(kernel, 'x', x);
    this.#checks.pool(kernel, p);
    this.#checks.poolInput(kernel, 'x', X, p);
    const size = p.n * p.c * p.outH * p.outW;
    const out = this.#ctx.allocate(kernel, size, X.dtype), argmax = this.#ctx.allocate(kernel, size, 'int32');
    pool.maxPool2d(this.#ctx, kernel, X, p, out, argmax);
    return { out, argmax };
  }

  avgPool2d(x: Storage, p: Pool2dParams): Storage {
    const kernel = this.#k('avgPool2d');
    const X = this.#s(kernel, 'x', x);
    this.#checks.pool(kernel, p);
    this.#checks.float(kernel, 'x', X);
    this.#checks.poolInput(kernel, 'x', X, p);
    const out = this.#ctx.allocate(kernel, p.n * p.c * p.outH * p.outW, X.dtype);
    pool.avgPool2d(this.#ctx, kernel, X, p, out);
    return out;
  }

  // ---- indexing ----

  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.#k('gather');
    const X = this.#s(kernel, 'x', x), I = this.#s(kernel, 'index', index);
    this.#checks.axisShape(kernel, outer, axis, inner, count, I);
    this.#checks.size(kernel, 'x', X, outer * axis * inner, `outer·axis·inner = ${outer}·${axis}·${inner}`);
    const shape = { outer, axis, inner, count };
    const out = this.#ctx.allocate(kernel, outer * count * inner, X.dtype);
    indexing.gather(this.#ctx, kernel, X, I, shape, out);
    return out;
  }

  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const kernel = this.#k('scatterAdd');
    const S = this.#s(kernel, 'src', src), I = this.#s(kernel, 'index', index);
    this.#checks.axisShape(kernel, outer, axis, inner, count, I);
    this.#checks.size(kernel, 'src', S, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    const shape = { outer, axis, inner, count };
    const out = this.#ctx.allocate(kernel, outer * axis * inner, S.dtype);
    indexing.scatterAdd(this.#ctx, kernel, S, I, shape, out);
    return out;
  }
}
