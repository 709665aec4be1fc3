/**
 * The WebGPU backend: WGSL kernels from shaders/, specialised by text substitution and compiled
 * once per specialisation; dispatches recorded into one command encoder and submitted in batches;
 * buffers pooled by size class; errors from the device surface on the next call.
 */
import type {
  AdamParams, Backend, BinaryOp, Conv2dParams, GMBackwardResult, GMForwardResult, GMLossParams, MatmulParams,
  MemoryInfo, Operand, Pool2dParams, ReduceOp, SgdParams, Storage, StridedView, UnaryOp,
} from '../../core/backend.js';
import type { DType, TypedArray } from '../../core/dtype.js';
import { SHADERS } from './shaders.generated.js';
import type { AdapterInfo } from './device.js';
import { BufferPool } from './buffer-pool.js';
import { BINARY_EXPR, UNARY_EXPR, reduceSpecialisation } from './expressions.js';

const MAX_DIMS = 6;
const SUBMIT_EVERY = 64;
const PARAM_SLOT = 256;
const F32_MAX = 3.4028234663852886e38;

export interface WebGpuOptions {
  /** fill every new output with NaN before the kernel writes it (tests: proves every element is written) */
  poisonOutputs?: boolean;
}

class GpuStorage implements Storage {
  freed = false;
  constructor(readonly backend: WebGpuBackend, readonly size: number, readonly dtype: DType, readonly buffer: GPUBuffer, readonly bytes: number) {}
}

function wgslType(dtype: DType): 'f32' | 'i32' {
  if (dtype === 'float64') throw new Error('webgpu: float64 is not supported by WebGPU (use float32, or the cpu backend for float64)');
  return dtype === 'int32' ? 'i32' : 'f32';
}

/** Encode floats for the u32 parameter array (±Infinity clamps to ±FLT_MAX: WGSL has no guaranteed infinities). */
function f32Bits(v: number): number {
  const c = Number.isNaN(v) ? v : Math.max(-F32_MAX, Math.min(F32_MAX, v));
  const f = new Float32Array([c]);
  return new Uint32Array(f.buffer)[0]!;
}
const i32Bits = (v: number) => v >>> 0;

function padView(view: StridedView): { shape: number[]; strides: number[] } {
  if (view.shape.length > MAX_DIMS) throw new Error(`webgpu: views of more than ${MAX_DIMS} dimensions are not supported (got ${view.shape.length})`);
  const shape = [...view.shape], strides = [...view.strides];
  while (shape.length < MAX_DIMS) { shape.push(1); strides.push(0); }
  return { shape, strides };
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly #device: GPUDevice;
  readonly #info: AdapterInfo;
  readonly #pool: BufferPool;
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #poison: boolean;
  #encoder: GPUCommandEncoder | null = null;
  #pending = 0;
  #transient: GPUBuffer[] = [];
  #error: Error | null = null;
  #dummy: GPUBuffer;
  #live = 0;
  #liveBytes = 0;

  constructor(device: GPUDevice, info: AdapterInfo, options: WebGpuOptions = {}) {
    this.#device = device;
    this.#info = info;
    this.#poison = options.poisonOutputs ?? false;
    this.#pool = new BufferPool(device);
    device.onuncapturederror = (e: GPUUncapturedErrorEvent) => {
      this.#error ??= new Error(`webgpu: the device reported an error: ${e.error.message}`);
    };
    void device.lost.then((info) => {
      this.#error ??= new Error(`webgpu: the device was lost (${info.reason}): ${info.message}`);
    });
    this.#dummy = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  }

  adapterInfo(): AdapterInfo { return this.#info; }
  get limits(): GPUSupportedLimits { return this.#device.limits; }

  #check(): void {
    if (this.#error) throw this.#error;
  }

  supportsDType(dtype: DType): boolean { return dtype !== 'float64'; }

  // ------------------------------------------------------------------ memory

  #new(size: number, dtype: DType): GpuStorage {
    this.#check();
    wgslType(dtype);
    const bytes = Math.max(16, size * 4);
    if (bytes > this.#device.limits.maxStorageBufferBindingSize) {
      throw new Error(`webgpu: a tensor of ${size} ${dtype} elements (${bytes} bytes) exceeds this adapter's maxStorageBufferBindingSize of ${this.#device.limits.maxStorageBufferBindingSize} bytes`);
    }
    const buffer = this.#pool.acquire(bytes);
    this.#live++;
    this.#liveBytes += size * 4;
    const s = new GpuStorage(this, size, dtype, buffer, bytes);
    if (this.#poison && size > 0) this.#writeRaw(s, dtype === 'int32' ? new Int32Array(size).fill(-2147483648) : new Float32Array(size).fill(NaN));
    return s;
  }

  #s(x: Storage): GpuStorage {
    const s = x as GpuStorage;
    if (!(s instanceof GpuStorage) || s.backend !== this) throw new Error('webgpu: storage belongs to another backend');
    if (s.freed) throw new Error('webgpu: storage used after it was freed');
    return s;
  }

  alloc(size: number, dtype: DType): Storage { return this.#new(size, dtype); }

  #writeRaw(s: GpuStorage, data: TypedArray): void {
    // queue.writeBuffer runs before commands still in the open encoder: submit those first so a
    // recycled buffer is not overwritten while earlier recorded work still reads it
    this.flush();
    if (data.byteLength > 0) this.#device.queue.writeBuffer(s.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  upload(data: TypedArray): Storage {
    if (data instanceof Float64Array) throw new Error('webgpu: float64 is not supported by WebGPU (use float32, or the cpu backend for float64)');
    const s = this.#new(data.length, data instanceof Int32Array ? 'int32' : 'float32');
    this.#writeRaw(s, data);
    return s;
  }

  async read(x: Storage): Promise<TypedArray> {
    const s = this.#s(x);
    this.#check();
    const out = s.dtype === 'int32' ? new Int32Array(s.size) : new Float32Array(s.size);
    if (s.size === 0) return out;
    const staging = this.#device.createBuffer({ size: s.size * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.#enc().copyBufferToBuffer(s.buffer, 0, staging, 0, s.size * 4);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      this.#check();
      throw new Error(`webgpu: reading a result failed: ${(e as Error).message}`);
    }
    this.#check();
    const bytes = new Uint8Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }

  readSync(): TypedArray | undefined { return undefined; }

  free(x: Storage): void {
    const s = x as GpuStorage;
    if (s.freed) throw new Error('webgpu.free: double free');
    s.freed = true;
    this.#live--;
    this.#liveBytes -= s.size * 4;
    // safe to recycle at once: later work is recorded (and submitted) after the work reading it
    this.#pool.release(s.buffer);
  }

  memory(): MemoryInfo {
    return { liveBuffers: this.#live, liveBytes: this.#liveBytes, pooledBytes: this.#pool.pooledBytes };
  }

  #enc(): GPUCommandEncoder {
    this.#encoder ??= this.#device.createCommandEncoder();
    return this.#encoder;
  }

  flush(): void {
    if (!this.#encoder) return;
    if (this.#arena) {
      this.#arena.buffer.unmap();
      this.#transient.push(this.#arena.buffer);
      this.#arena = null;
    }
    this.#device.queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    this.#pending = 0;
    for (const b of this.#transient) b.destroy();
    this.#transient = [];
  }

  // ------------------------------------------------------------------ dispatch

  #pipeline(key: string, code: string): GPUComputePipeline {
    let p = this.#pipelines.get(key);
    if (!p) {
      const module = this.#device.createShaderModule({ code, label: key });
      p = this.#device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.#pipelines.set(key, p);
    }
    return p;
  }

  /** Build the WGSL for `shader` with includes and substitutions; key = name + substitutions. */
  #code(shader: string, includes: string[], subs: Record<string, string>): [string, string] {
    const key = `${shader}|${includes.join(',')}|${Object.entries(subs).map(([k, v]) => `${k}=${v}`).join('|')}`;
    if (this.#pipelines.has(key)) return [key, ''];
    let body = [SHADERS.common!, ...includes.map((i) => SHADERS[i]!), SHADERS[shader]!].join('\n');
    // longest names first so that e.g. TOUT is not clobbered by T
    for (const k of Object.keys(subs).sort((a, b) => b.length - a.length)) body = body.replace(new RegExp(`\\b${k}\\b`, 'g'), subs[k]!);
    return [key, body];
  }

  /**
   * Parameters of every dispatch of one submit batch live in one buffer, mapped at creation and
   * filled slot by slot (256 bytes each: the storage-offset alignment), unmapped at submit.
   */
  #params(values: number[]): GPUBufferBinding {
    if (values.length > PARAM_SLOT / 4) throw new Error(`webgpu: ${values.length} kernel parameters exceed one slot`);
    if (!this.#arena) {
      const buffer = this.#device.createBuffer({ size: PARAM_SLOT * SUBMIT_EVERY, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
      this.#arena = { buffer, words: new Uint32Array(buffer.getMappedRange()), used: 0 };
    }
    const slot = this.#arena.used++;
    this.#arena.words.set(values, slot * PARAM_SLOT / 4);
    return { buffer: this.#arena.buffer, offset: slot * PARAM_SLOT, size: PARAM_SLOT };
  }
  #arena: { buffer: GPUBuffer; words: Uint32Array; used: number } | null = null;

  /** Record one dispatch: grid is a thread count (1-D, folded into 2-D past the per-dimension limit) or explicit workgroups. */
  #dispatch(shader: string, includes: string[], subs: Record<string, string>, params: number[], buffers: GPUBuffer[],
    grid: { threads: number } | { workgroups: [number, number, number] }): void {
    this.#check();
    let wg: [number, number, number];
    if ('threads' in grid) {
      if (grid.threads === 0) return;
      wg = this.#fold(Math.ceil(grid.threads / 64));
    } else {
      wg = grid.workgroups;
      if (wg[0] === 0 || wg[1] === 0 || wg[2] === 0) return;
    }
    if (this.#pending >= SUBMIT_EVERY) this.flush();
    const [key, code] = this.#code(shader, includes, subs);
    const pipeline = this.#pipeline(key, code);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: this.#params(params) },
      ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
    ];
    const bindGroup = this.#device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.#enc().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(wg[0], wg[1], wg[2]);
    pass.end();
    this.#pending++;
  }

  /** Workgroup counts for a 1-D grid of `groups` workgroups; kernels rebuild the index as y·nx + x. */
  #fold(groups: number): [number, number, number] {
    const max = this.#device.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1, 1];
    const y = Math.ceil(groups / max);
    if (y > max) throw new Error(`webgpu: a grid of ${groups} workgroups exceeds ${max}² (the tensor is too large for one dispatch)`);
    return [Math.ceil(groups / y), y, 1];
  }

  // ------------------------------------------------------------------ data movement

  fill(size: number, dtype: DType, value: number): Storage {
    const out = this.#new(size, dtype);
    const lit = dtype === 'int32' ? `${Math.trunc(value)}` : Number.isNaN(value) ? 'bitcast<f32>(0x7fc00000u)' : `bitcast<f32>(${f32Bits(value)}u)`;
    this.#dispatch('fill', [], { T: wgslType(dtype), FILL_VALUE: lit }, [size], [out.buffer], { threads: size });
    return out;
  }

  copy(x: Operand): Storage {
    const src = this.#s(x.storage);
    const size = x.view.shape.reduce((a, b) => a * b, 1);
    const out = this.#new(size, src.dtype);
    const v = padView(x.view);
    this.#dispatch('stridedCopy', [], { T: wgslType(src.dtype) }, [size, x.view.shape.length, i32Bits(x.view.offset), ...v.shape, ...v.strides.map(i32Bits)], [src.buffer, out.buffer], { threads: size });
    return out;
  }

  assign(dst: Storage, dstView: StridedView, src: Operand): void {
    const d = this.#s(dst), s = this.#s(src.storage);
    const size = dstView.shape.reduce((a, b) => a * b, 1);
    const dv = padView(dstView), sv = padView(src.view);
    let source = s;
    if (d === s) {
      // the same buffer cannot be bound read-only and writable at once: copy the source first
      source = this.#s(this.copy(src));
      this.#dispatch('stridedAssign', [], { T: wgslType(d.dtype) }, [size, dstView.shape.length, i32Bits(dstView.offset), 0, ...dv.shape, ...dv.strides.map(i32Bits), ...padView({ shape: src.view.shape, strides: contiguous(src.view.shape), offset: 0 }).strides.map(i32Bits)], [source.buffer, d.buffer], { threads: size });
      this.free(source);
      return;
    }
    this.#dispatch('stridedAssign', [], { T: wgslType(d.dtype) }, [size, dstView.shape.length, i32Bits(dstView.offset), i32Bits(src.view.offset), ...dv.shape, ...dv.strides.map(i32Bits), ...sv.strides.map(i32Bits)], [s.buffer, d.buffer], { threads: size });
  }

  cast(x: Storage, to: DType): Storage {
    const s = this.#s(x);
    const out = this.#new(s.size, to);
    this.#dispatch('cast', [], { FROM: wgslType(s.dtype), TO: wgslType(to) }, [s.size], [s.buffer, out.buffer], { threads: s.size });
    return out;
  }

  // ------------------------------------------------------------------ elementwise

  unary(op: UnaryOp, x: Storage, params: readonly number[] = []): Storage {
    const s = this.#s(x);
    if (s.dtype !== 'float32') throw new Error(`webgpu.unary(${op}): expected float32, got ${s.dtype}`);
    const out = this.#new(s.size, 'float32');
    this.#dispatch('unary', [], { EXPR: UNARY_EXPR[op] }, [s.size, f32Bits(params[0] ?? 0), f32Bits(params[1] ?? 0)], [s.buffer, out.buffer], { threads: s.size });
    return out;
  }

  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const sa = this.#s(a.storage), sb = this.#s(b.storage);
    const size = outShape.reduce((p, q) => p * q, 1);
    const out = this.#new(size, sa.dtype);
    const av = padView(a.view), bv = padView(b.view);
    const shape = padView({ shape: outShape, strides: outShape.map(() => 0), offset: 0 }).shape;
    const expr = BINARY_EXPR[op](wgslType(sa.dtype));
    this.#dispatch('binaryBroadcast', [], { T: wgslType(sa.dtype), EXPR: expr },
      [size, outShape.length, i32Bits(a.view.offset), i32Bits(b.view.offset), ...shape, ...av.strides.map(i32Bits), ...bv.strides.map(i32Bits)],
      [sa.buffer, sb.buffer, out.buffer], { threads: size });
    return out;
  }

  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage {
    const sc = this.#s(cond.storage), sa = this.#s(a.storage), sb = this.#s(b.storage);
    const size = outShape.reduce((p, q) => p * q, 1);
    const out = this.#new(size, sa.dtype);
    const shape = padView({ shape: outShape, strides: outShape.map(() => 0), offset: 0 }).shape;
    this.#dispatch('where', [], { TC: wgslType(sc.dtype), T: wgslType(sa.dtype) },
      [size, outShape.length, i32Bits(cond.view.offset), i32Bits(a.view.offset), i32Bits(b.view.offset), ...shape,
        ...padView(cond.view).strides.map(i32Bits), ...padView(a.view).strides.map(i32Bits), ...padView(b.view).strides.map(i32Bits)],
      [sc.buffer, sa.buffer, sb.buffer, out.buffer], { threads: size });
    return out;
  }

  // ------------------------------------------------------------------ reductions

  reduce(op: ReduceOp, x: Storage, outer: number, red: number, inner: number): Storage {
    const s = this.#s(x);
    const arg = op === 'argmax' || op === 'argmin';
    const out = this.#new(outer * inner, arg ? 'int32' : s.dtype);
    const t = wgslType(s.dtype);
    this.#dispatch('reduce', [], { T: t, TOUT: arg ? 'i32' : t, ...reduceSpecialisation(op, t) }, [outer, red, inner], [s.buffer, out.buffer],
      { workgroups: this.#fold(outer * inner) });
    return out;
  }

  // ------------------------------------------------------------------ linear algebra

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    const sa = this.#s(a), sb = this.#s(b);
    const out = this.#new(p.batch * p.m * p.n, 'float32');
    if (p.k === 0) return this.#zero(out);
    this.#dispatch('matmulRegisterTiled', [], { TRANS_A: String(p.transA), TRANS_B: String(p.transB) },
      [p.batch, p.m, p.n, p.k, p.aBatchStride, p.bBatchStride], [sa.buffer, sb.buffer, out.buffer],
      { workgroups: [Math.ceil(p.n / 32), Math.ceil(p.m / 32), p.batch] });
    return out;
  }

  #zero(out: GpuStorage): GpuStorage {
    this.#dispatch('fill', [], { T: wgslType(out.dtype), FILL_VALUE: out.dtype === 'int32' ? '0' : '0.0' }, [out.size], [out.buffer], { threads: out.size });
    return out;
  }

  // ------------------------------------------------------------------ convolution and pooling

  #convParams(p: Conv2dParams, chunks = 1, chunkLen = 0): number[] {
    return [p.n, p.inC, p.inH, p.inW, p.outC, p.kH, p.kW, p.outH, p.outW, p.strideH, p.strideW, p.padTop, p.padLeft, p.dilationH, p.dilationW, p.groups, chunks, chunkLen].map(i32Bits);
  }

  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage {
    const out = this.#new(p.n * p.outC * p.outH * p.outW, 'float32');
    this.#dispatch('conv2dForward', ['conv2dParams'], {}, this.#convParams(p), [this.#s(x).buffer, this.#s(w).buffer, out.buffer], { threads: out.size });
    return out;
  }

  conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage {
    const out = this.#new(p.n * p.inC * p.inH * p.inW, 'float32');
    this.#dispatch('conv2dBackwardInput', ['conv2dParams'], {}, this.#convParams(p), [this.#s(dy).buffer, this.#s(w).buffer, out.buffer], { threads: out.size });
    return out;
  }

  conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage {
    const wSize = p.outC * (p.inC / p.groups) * p.kH * p.kW;
    const total = p.n * p.outH * p.outW;
    // split the long reduction so enough invocations run; partial sums are added in a fixed order
    const chunks = Math.max(1, Math.min(Math.ceil(total / 64), Math.ceil(16384 / Math.max(1, wSize))));
    const chunkLen = Math.ceil(total / chunks);
    const out = this.#new(wSize, 'float32');
    if (chunks === 1) {
      this.#dispatch('conv2dWeightGrad', ['conv2dParams'], {}, this.#convParams(p, 1, chunkLen), [this.#s(x).buffer, this.#s(dy).buffer, out.buffer], { threads: wSize });
      return out;
    }
    const partial = this.#new(wSize * chunks, 'float32');
    this.#dispatch('conv2dWeightGrad', ['conv2dParams'], {}, this.#convParams(p, chunks, chunkLen), [this.#s(x).buffer, this.#s(dy).buffer, partial.buffer], { threads: wSize * chunks });
    this.#dispatch('reduceChunks', [], {}, [wSize, chunks], [partial.buffer, out.buffer], { threads: wSize });
    this.free(partial);
    return out;
  }

  #poolParams(p: Pool2dParams): number[] {
    return [p.n, p.c, p.inH, p.inW, p.outH, p.outW, p.kH, p.kW, p.strideH, p.strideW, p.padTop, p.padLeft, p.countIncludePad ? 1 : 0].map(i32Bits);
  }

  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage } {
    const size = p.n * p.c * p.outH * p.outW;
    const out = this.#new(size, 'float32'), arg = this.#new(size, 'int32');
    this.#dispatch('maxPool2d', ['poolParams'], {}, this.#poolParams(p), [this.#s(x).buffer, out.buffer, arg.buffer], { threads: size });
    return { out, argmax: arg };
  }

  maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage {
    const out = this.#new(p.n * p.c * p.inH * p.inW, 'float32');
    this.#dispatch('maxPool2dBackward', ['poolParams'], {}, this.#poolParams(p), [this.#s(dy).buffer, this.#s(argmax).buffer, out.buffer], { threads: out.size });
    return out;
  }

  avgPool2d(x: Storage, p: Pool2dParams): Storage {
    const out = this.#new(p.n * p.c * p.outH * p.outW, 'float32');
    this.#dispatch('avgPool2d', ['poolParams'], {}, this.#poolParams(p), [this.#s(x).buffer, out.buffer], { threads: out.size });
    return out;
  }

  avgPool2dBackward(dy: Storage, p: Pool2dParams): Storage {
    const out = this.#new(p.n * p.c * p.inH * p.inW, 'float32');
    this.#dispatch('avgPool2dBackward', ['poolParams'], {}, this.#poolParams(p), [this.#s(dy).buffer, out.buffer], { threads: out.size });
    return out;
  }

  // ------------------------------------------------------------------ indexing

  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const s = this.#s(x);
    const out = this.#new(outer * count * inner, s.dtype);
    this.#dispatch('gather', [], { T: wgslType(s.dtype) }, [outer, axis, inner, count], [s.buffer, this.#s(index).buffer, out.buffer], { threads: out.size });
    return out;
  }

  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage {
    const s = this.#s(src);
    const out = this.#new(outer * axis * inner, s.dtype);
    this.#dispatch('scatterAdd', [], { T: wgslType(s.dtype) }, [outer, axis, inner, count], [s.buffer, this.#s(index).buffer, out.buffer], { threads: out.size });
    return out;
  }

  // ------------------------------------------------------------------ fused nn

  softmax(x: Storage, outer: number, inner: number, log: boolean): Storage {
    const out = this.#new(outer * inner, 'float32');
    if (inner === 0) return out;
    this.#dispatch('softmax', [], { LOG: String(log) }, [outer, inner], [this.#s(x).buffer, out.buffer], { threads: outer });
    return out;
  }

  #gmParams(p: GMLossParams): number[] {
    return [p.n, p.k, p.d, f32Bits(p.alpha), f32Bits(p.lambda), ['true-class', 'true-class-sq', 'all-class'].indexOf(p.likelihood), p.diagonal ? 1 : 0];
  }

  gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams): GMForwardResult {
    const logits = this.#new(p.n * p.k, 'float32'), lse = this.#new(p.n, 'float32'), lossPer = this.#new(p.n, 'float32');
    const prediction = this.#new(p.n, 'int32'), score = this.#new(p.n, 'float32');
    const v = logVar ? this.#s(logVar).buffer : this.#dummy;
    this.#dispatch('gmLossForward', ['gmParams'], {}, this.#gmParams(p),
      [this.#s(x).buffer, this.#s(means).buffer, v, this.#s(labels).buffer, logits.buffer, lse.buffer, lossPer.buffer, prediction.buffer, score.buffer],
      { threads: p.n });
    const total = this.reduce('sum', lossPer, 1, p.n, 1);
    const loss = this.unary('affine', total, [1 / p.n, 0]);
    this.free(total);
    this.free(lossPer);
    return { loss, logits, logSumExp: lse, prediction, score };
  }

  gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage, gradLoss: Storage, p: GMLossParams): GMBackwardResult {
    const cd = this.#new(p.n * p.k, 'float32'), cl = this.#new(p.n * p.k, 'float32');
    const v = logVar ? this.#s(logVar).buffer : this.#dummy;
    const params = this.#gmParams(p);
    const X = this.#s(x).buffer, M = this.#s(means).buffer;
    this.#dispatch('gmLossCoefficients', ['gmParams'], {}, params,
      [X, M, v, this.#s(labels).buffer, this.#s(logSumExp).buffer, this.#s(gradLoss).buffer, cd.buffer, cl.buffer], { threads: p.n * p.k });
    const dx = this.#new(p.n * p.d, 'float32'), dMeans = this.#new(p.k * p.d, 'float32');
    this.#dispatch('gmLossBackward', ['gmParams'], { WHICH: '0u' }, params, [X, M, v, cd.buffer, cl.buffer, dx.buffer], { threads: p.n * p.d });
    this.#dispatch('gmLossBackward', ['gmParams'], { WHICH: '1u' }, params, [X, M, v, cd.buffer, cl.buffer, dMeans.buffer], { threads: p.k * p.d });
    let dLogVar: Storage | undefined;
    if (logVar) {
      const dv = this.#new(p.k * p.d, 'float32');
      this.#dispatch('gmLossBackward', ['gmParams'], { WHICH: '2u' }, params, [X, M, v, cd.buffer, cl.buffer, dv.buffer], { threads: p.k * p.d });
      dLogVar = dv;
    }
    this.free(cd);
    this.free(cl);
    return { dx, dMeans, ...(dLogVar ? { dLogVar } : {}) };
  }

  // ------------------------------------------------------------------ optimizers

  sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams): void {
    const s = this.#s(param);
    const useMomentum = momentumBuf !== null && p.momentum !== 0;
    this.#dispatch('sgdStep', [], {}, [s.size, f32Bits(p.lr), f32Bits(p.momentum), f32Bits(p.dampening), f32Bits(p.weightDecay), p.nesterov ? 1 : 0, p.firstStep ? 1 : 0, useMomentum ? 1 : 0],
      [s.buffer, this.#s(grad).buffer, useMomentum ? this.#s(momentumBuf!).buffer : this.#scratch(s.size)], { threads: s.size });
  }

  /** a writable buffer of at least n floats that no kernel reads (for binding slots a specialisation leaves unused) */
  #scratch(n: number): GPUBuffer {
    if (!this.#scratchBuf || this.#scratchBuf.size < n * 4) {
      this.#scratchBuf?.destroy();
      this.#scratchBuf = this.#device.createBuffer({ size: Math.max(16, n * 4), usage: GPUBufferUsage.STORAGE });
    }
    return this.#scratchBuf;
  }
  #scratchBuf: GPUBuffer | null = null;

  adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
    const s = this.#s(param);
    this.#dispatch('adamStep', [], {}, [s.size, f32Bits(p.lr), f32Bits(p.beta1), f32Bits(p.beta2), f32Bits(p.eps), f32Bits(p.weightDecay), p.decoupled ? 1 : 0,
      f32Bits(1 - p.beta1 ** p.step), f32Bits(1 - p.beta2 ** p.step)],
    [s.buffer, this.#s(grad).buffer, this.#s(m).buffer, this.#s(v).buffer], { threads: s.size });
  }

  dispose(): void {
    this.flush();
    this.#pool.destroy();
  }
}

function contiguous(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) { out[i] = s; s *= shape[i]!; }
  return out;
}
