/**
 * The float32 kernels on Float32Arrays: builds the module for this engine's features, owns the heap
 * and the thread pool, splits each call across threads and fills the parameter blocks.
 *
 * Operands that already live in the heap (allocated through `allocF32`) are used in place; others
 * are copied in for the call. With a shared memory results are returned as views into the heap
 * (free them with `release`); with a non-shared memory (no SharedArrayBuffer) they are copied out,
 * because growing such a memory detaches every view of it.
 */
import type { Conv2dParams, MatmulParams } from '../../core/backend.js';
import { isNode, probeFeatures, type WasmFeatures } from './features.js';
import { CONTROL_BYTES, PAGE_BYTES, WasmHeap } from './heap.js';
import { CONV_FIELDS, GEMM_FIELDS, PARAM_BLOCK_BYTES } from './layout.js';
import { buildKernelModule, defaultShape, DRIVERS, type DriverName } from './module.js';
import { splitRange, splitsEvenly } from './partition.js';
import { MAX_THREADS, ThreadPool } from './thread-pool.js';
import type { GemmShape } from './kernels/gemm.js';

export interface WasmKernelOptions {
  /** threads including the calling one; default: the number of cores (1 where blocking is impossible) */
  threads?: number;
  /** false forces the scalar (non-SIMD) kernels; default: SIMD when the engine validates it */
  simd?: boolean;
  /** use relaxed-simd multiply-add; default: when the engine validates it */
  relaxedMadd?: boolean;
  /** false forces a non-shared memory: one thread, results copied out of the heap (as without SharedArrayBuffer) */
  sharedMemory?: boolean;
  /** upper bound of the wasm memory in MiB (default 2048; at most 4096) */
  maxMemoryMB?: number;
  /** work (in flops) below which a call runs on the calling thread alone (default 2^21) */
  parallelThreshold?: number;
  /** silence the one-line notice printed when threads are unavailable */
  quiet?: boolean;
  /**
   * Input-gradient algorithm for stride-1 convolutions: 'auto' picks by shape; 'transposed' runs a
   * forward convolution with flipped weights; 'col2im' a GEMM then col2im (always used for stride > 1).
   */
  backwardInput?: 'auto' | 'transposed' | 'col2im';
  /** override the register/cache blocking (for tuning) */
  shape?: { gemm: GemmShape; convNc: number };
}

type Exports = Record<string, (...args: number[]) => void>;
type Fields = Record<string, number>;

const DRIVER_INDEX: ReadonlyMap<string, number> = new Map(DRIVERS.map((d, i) => [d, i]));

/** os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers */
async function coreCount(): Promise<number> {
  if (isNode()) {
    try {
      const os = await import(/* @vite-ignore */ 'node:os');
      return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    } catch { /* fall through */ }
  }
  const g = globalThis as { navigator?: { hardwareConcurrency?: number } };
  return g.navigator?.hardwareConcurrency ?? 1;
}

export class WasmKernels {
  readonly threads: number;
  readonly simd: boolean;
  readonly relaxedMadd: boolean;
  readonly features: WasmFeatures;
  readonly heap: WasmHeap;
  readonly shape: { gemm: GemmShape; convNc: number };
  private readonly exports: Exports;
  private readonly pool: ThreadPool | null;
  private readonly threshold: number;
  private readonly backwardInput: 'auto' | 'transposed' | 'col2im';
  private readonly scratch: Array<{ ptr: number; bytes: number }> = [];
  private disposed = false;

  private constructor(init: {
    threads: number; simd: boolean; relaxedMadd: boolean; features: WasmFeatures; heap: WasmHeap;
    shape: { gemm: GemmShape; convNc: number }; exports: Exports; pool: ThreadPool | null; threshold: number;
    backwardInput: 'auto' | 'transposed' | 'col2im';
  }) {
    this.backwardInput = init.backwardInput;
    this.threads = init.threads;
    this.simd = init.simd;
    this.relaxedMadd = init.relaxedMadd;
    this.features = init.features;
    this.heap = init.heap;
    this.shape = init.shape;
    this.exports = init.exports;
    this.pool = init.pool;
    this.threshold = init.threshold;
  }

  static async create(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
    const features = probeFeatures();
    const simd = opts.simd ?? features.simd;
    if (simd && !features.simd) throw new Error('wasm kernels: SIMD requested but this engine does not validate wasm SIMD');
    const relaxedMadd = simd && (opts.relaxedMadd ?? features.relaxedMadd);
    if (relaxedMadd && !features.relaxedMadd) throw new Error('wasm kernels: relaxed madd requested but not supported by this engine');
    const cores = await coreCount();
    let threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(opts.threads ?? cores)));
    const shared = features.sharedMemory && opts.sharedMemory !== false;
    if (threads > 1 && opts.sharedMemory === false) threads = 1;
    if (threads > 1 && (!shared || !features.canBlockMainThread)) {
      if (!opts.quiet) {
        console.info(!features.sharedMemory
          ? 'gmgrad wasm: SharedArrayBuffer unavailable (needs cross-origin isolation); running on one thread'
          : 'gmgrad wasm: the page\'s main thread cannot block in Atomics.wait; running on one thread');
      }
      threads = 1;
    }
    const maximumPages = Math.min(65536, Math.floor(((opts.maxMemoryMB ?? 2048) * 1024 * 1024) / PAGE_BYTES));
    const initialPages = Math.min(maximumPages, 64);
    const heap = new WasmHeap({ shared, initialPages, maximumPages });
    const shape = opts.shape ?? defaultShape(simd);
    const bytes = buildKernelModule({ simd, relaxedMadd, sharedMemory: shared, initialPages, maximumPages, ...shape });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory: heap.memory } });
    const exports = instance.exports as unknown as Exports;
    const pool = threads > 1
      ? await ThreadPool.create({ threads, memory: heap.memory, moduleBytes: bytes, drivers: DRIVERS, controlBase: 0, mainExports: exports })
      : null;
    return new WasmKernels({ threads, simd, relaxedMadd, features, heap, shape, exports, pool, threshold: opts.parallelThreshold ?? 2 ** 21, backwardInput: opts.backwardInput ?? 'auto' });
  }

  /** Stops the worker threads. Heap views stay readable; kernels cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
  }

  /** Whether arrays from allocF32 live in the heap (shared memory), so kernels use them in place. */
  get resident(): boolean { return this.heap.shared; }

  /**
   * A float32 array inside the heap, or a plain one when the memory is not shared. Zero-filled
   * unless `zero` is false (then its contents are whatever the block last held).
   */
  allocF32(length: number, zero = true): Float32Array {
    if (!this.heap.shared) return new Float32Array(length);
    const a = this.heap.f32(this.heap.alloc(length * 4), length);
    if (zero) a.fill(0);
    return a;
  }

  /** Frees an array returned by allocF32 or a kernel; other arrays are ignored. */
  release(a: Float32Array): void {
    if (this.heap.shared && this.heap.owns(a)) this.heap.free(a.byteOffset);
  }

  // ---------------------------------------------------------------- allocating forms

  /** out[batch, m, n] = op(a) · op(b), MatmulParams as in the Backend interface */
  matmul(a: Float32Array, b: Float32Array, p: MatmulParams): Float32Array {
    const out = this.allocF32(p.batch * p.m * p.n, false);
    this.matmulInto(a, b, out, p);
    return out;
  }

  conv2d(x: Float32Array, w: Float32Array, p: Conv2dParams): Float32Array {
    const out = this.allocF32(p.n * p.outC * p.outH * p.outW, false);
    this.conv2dInto(x, w, out, p);
    return out;
  }

  conv2dBackwardInput(dy: Float32Array, w: Float32Array, p: Conv2dParams): Float32Array {
    const out = this.allocF32(p.n * p.inC * p.inH * p.inW, false);
    this.conv2dBackwardInputInto(dy, w, out, p);
    return out;
  }

  conv2dBackwardWeight(x: Float32Array, dy: Float32Array, p: Conv2dParams): Float32Array {
    const out = this.allocF32(p.outC * (p.inC / p.groups) * p.kH * p.kW, false);
    this.conv2dBackwardWeightInto(x, dy, out, p);
    return out;
  }

  // ---------------------------------------------------------------- kernels writing a given output

  matmulInto(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams): void {
    const { batch, m, n, k } = p;
    const span = (stride: number, size: number) => (batch > 0 ? (batch - 1) * stride + size : 0);
    need('matmul', 'a', a, span(p.aBatchStride, m * k));
    need('matmul', 'b', b, span(p.bBatchStride, k * n));
    this.withOperands('matmul', out, batch * m * n, [a, b], (c, [A, B]) => {
      if (k === 0) this.heap.f32(c, batch * m * n).fill(0);
      else this.gemmPtrs(A!, B!, c, p);
    });
  }

  conv2dInto(x: Float32Array, w: Float32Array, out: Float32Array, p: Conv2dParams): void {
    need('conv2d', 'x', x, p.n * p.inC * p.inH * p.inW);
    need('conv2d', 'w', w, p.outC * (p.inC / p.groups) * p.kH * p.kW);
    const count = p.n * p.outC * p.outH * p.outW;
    this.withOperands('conv2d', out, count, [x, w], (y, [X, W]) => {
      // an empty window (no input channels or a 0×k kernel) sums nothing
      if (p.inC * p.kH * p.kW === 0) this.heap.f32(y, count).fill(0);
      else this.convForwardPtrs(X!, W!, y, p);
    });
  }

  conv2dBackwardInputInto(dy: Float32Array, w: Float32Array, out: Float32Array, p: Conv2dParams): void {
    const count = p.n * p.inC * p.inH * p.inW;
    need('conv2dBackwardInput', 'dy', dy, p.n * p.outC * p.outH * p.outW);
    need('conv2dBackwardInput', 'w', w, p.outC * (p.inC / p.groups) * p.kH * p.kW);
    const empty = p.n * p.outC * p.outH * p.outW * p.kH * p.kW === 0;
    if (count > 0 && !empty && this.useTransposedForward(p)) {
      // the flipped weights are made here; the forward driver does the rest
      const wt = this.flippedWeights(w, p);
      try {
        this.withOperands('conv2dBackwardInput', out, count, [dy], (dx, [D]) => {
          this.convForwardPtrs(D!, wt, dx, {
            ...p, inC: p.outC, inH: p.outH, inW: p.outW, outC: p.inC, outH: p.inH, outW: p.inW,
            padTop: p.dilationH * (p.kH - 1) - p.padTop, padLeft: p.dilationW * (p.kW - 1) - p.padLeft,
          });
        });
      } finally {
        this.heap.free(wt);
      }
      return;
    }
    this.withOperands('conv2dBackwardInput', out, count, [dy, w], (dx, [D, W]) => {
      if (empty) this.heap.f32(dx, count).fill(0);
      else this.backwardInputCol2im(D!, W!, dx, p);
    });
  }

  conv2dBackwardWeightInto(x: Float32Array, dy: Float32Array, out: Float32Array, p: Conv2dParams): void {
    const icg = p.inC / p.groups, ocg = p.outC / p.groups;
    const K = icg * p.kH * p.kW, count = p.outC * K, HW = p.outH * p.outW;
    need('conv2dBackwardWeight', 'x', x, p.n * p.inC * p.inH * p.inW);
    need('conv2dBackwardWeight', 'dy', dy, p.n * p.outC * HW);
    this.withOperands('conv2dBackwardWeight', out, count, [x, dy], (dw, [X, D]) => {
      this.heap.f32(dw, count).fill(0);
      if (p.n * HW === 0) return;
      const { mr, nr, kc, mc, nc } = this.shape.gemm;
      let parts: Fields[] = [{}];
      let partials = false;
      if (this.parallel(2 * p.n * ocg * K * HW * p.groups)) {
        const T = this.threads;
        if (splitsEvenly(p.n, T)) { parts = splitRange(p.n, T).map(([b0, b1]) => ({ b0, b1 })); partials = true; }
        else if (K >= nr * T) parts = splitRange(K, T, nr).map(([lo, hi]) => ({ lo, hi }));
      }
      const bWidth = Math.min(nc, roundUp(K, nr));
      const base = { ...this.convFields(p), x: X!, w: D!, b0: 0, b1: p.n, lo: 0, hi: K };
      const outputs: number[] = [];
      const blocks = parts.map((part, t) => {
        const sizes = [mc * kc, kc * bWidth, mr * nr];
        if (partials && t > 0) sizes.push(count);
        const [bufA, bufB, tile, partial] = this.ensureScratch(t, sizes);
        let y = dw;
        if (partial !== undefined) { this.heap.f32(partial, count).fill(0); y = partial; }
        outputs.push(y);
        return [base, part, { y, bufA: bufA!, bufB: bufB!, tile: tile! }];
      });
      this.dispatch('convBackwardWeight', CONV_FIELDS, blocks);
      // each thread summed its own images; add the partial sums into thread 0's result
      for (let t = 1; partials && t < outputs.length; t++) this.exports.addIntoF32!(dw, outputs[t]!, count);
    });
  }

  private gemmPtrs(a: number, b: number, c: number, p: MatmulParams): void {
    const { batch, m, n, k } = p;
    const { mr, nr, kc, mc, nc } = this.shape.gemm;
    if (batch > 1 && p.bBatchStride === 0 && !p.transA && p.aBatchStride === m * k) {
      // one B under a stack of row-major A matrices is a single taller GEMM
      this.gemmPtrs(a, b, c, { ...p, batch: 1, m: batch * m, aBatchStride: 0 });
      return;
    }
    const base: Fields = {
      a, b, c, m, n, k,
      rsA: p.transA ? 1 : k, csA: p.transA ? m : 1, rsB: p.transB ? 1 : n, csB: p.transB ? k : 1, ldc: n,
      batchA: p.aBatchStride, batchB: p.bBatchStride, batchC: m * n,
      b0: 0, b1: batch, m0: 0, m1: m, n0: 0, n1: n, accumulate: 0,
    };
    let parts: Fields[] = [{}];
    if (this.parallel(2 * batch * m * n * k)) {
      // whole matrices per thread when the batch divides well; else columns (each thread packs
      // only its part of B) or rows, whichever leaves the smaller operand to be packed twice
      const T = this.threads;
      if (splitsEvenly(batch, T)) parts = splitRange(batch, T).map(([b0, b1]) => ({ b0, b1 }));
      else if (m <= n && n >= nr * T) parts = splitRange(n, T, nr).map(([n0, n1]) => ({ n0, n1 }));
      else if (m >= mr * T) parts = splitRange(m, T, mr).map(([m0, m1]) => ({ m0, m1 }));
      else if (n >= nr * T) parts = splitRange(n, T, nr).map(([n0, n1]) => ({ n0, n1 }));
    }
    const bWidth = Math.min(nc, roundUp(n, nr));
    const blocks = parts.map((part, t) => {
      const [bufA, bufB, tile] = this.ensureScratch(t, [mc * kc, kc * bWidth, mr * nr]);
      return [base, part, { bufA: bufA!, bufB: bufB!, tile: tile! }];
    });
    this.dispatch('gemm', GEMM_FIELDS, blocks);
  }

  /**
   * Stride 1 can run as a forward convolution (no scatter) whose GEMM has M = input channels per
   * group; col2im's GEMM has M = icg·kH·kW and pays a scatter-add. Few input channels make the
   * former's tiles mostly padding, so it is chosen only when the input has more channels.
   */
  private useTransposedForward(p: Conv2dParams): boolean {
    if (p.strideH !== 1 || p.strideW !== 1 || this.backwardInput === 'col2im') return false;
    if (this.backwardInput === 'transposed') return true;
    return p.inC >= p.outC;
  }

  private convFields(p: Conv2dParams): Fields {
    return {
      n: p.n, inC: p.inC, inH: p.inH, inW: p.inW, outC: p.outC, kH: p.kH, kW: p.kW, outH: p.outH, outW: p.outW,
      sH: p.strideH, sW: p.strideW, pT: p.padTop, pL: p.padLeft, dH: p.dilationH, dW: p.dilationW, groups: p.groups,
      accumulate: 0, nb: 0, bufC: 0,
    };
  }

  private convForwardPtrs(x: number, w: number, y: number, p: Conv2dParams): void {
    const { mr, nr, kc } = this.shape.gemm;
    const convNc = this.shape.convNc;
    const icg = p.inC / p.groups, ocg = p.outC / p.groups;
    const K = icg * p.kH * p.kW, HW = p.outH * p.outW;
    let parts: Fields[] = [{}];
    if (this.parallel(2 * p.n * p.outC * K * HW)) {
      const T = this.threads;
      if (splitsEvenly(p.n, T)) parts = splitRange(p.n, T).map(([b0, b1]) => ({ b0, b1 }));
      else if (HW >= nr * T) parts = splitRange(HW, T, nr).map(([lo, hi]) => ({ lo, hi }));
    }
    const base = { ...this.convFields(p), x, w, y, b0: 0, b1: p.n, lo: 0, hi: HW };
    const blocks = parts.map((part, t) => {
      const [bufA, bufB, tile] = this.ensureScratch(t, [p.groups * roundUp(ocg, mr) * K, kc * Math.min(convNc, roundUp(HW, nr)), mr * nr]);
      return [base, part, { bufA: bufA!, bufB: bufB!, tile: tile! }];
    });
    this.dispatch('convForward', CONV_FIELDS, blocks);
  }

  /**
   * With stride 1 the input gradient is a forward convolution of dY with the weights flipped in
   * space and transposed per group ([inC, outC/groups, kH, kW]), padded by dilation·(k − 1) − pad.
   * Returns a heap block the caller frees.
   */
  private flippedWeights(w: Float32Array, p: Conv2dParams): number {
    const icg = p.inC / p.groups, ocg = p.outC / p.groups, khw = p.kH * p.kW, size = p.outC * icg * khw;
    const wt = this.heap.alloc(size * 4);
    const dst = this.heap.f32(wt, size);
    for (let g = 0; g < p.groups; g++) for (let oc = 0; oc < ocg; oc++) for (let c = 0; c < icg; c++) {
      const from = ((g * ocg + oc) * icg + c) * khw, to = ((g * icg + c) * ocg + oc) * khw;
      for (let i = 0; i < khw; i++) dst[to + khw - 1 - i] = w[from + i]!;
    }
    return wt;
  }

  private backwardInputCol2im(dy: number, w: number, out: number, p: Conv2dParams): void {
    const { mr, nr, kc, mc, nc } = this.shape.gemm;
    const icg = p.inC / p.groups, ocg = p.outC / p.groups, khw = p.kH * p.kW, HW = p.outH * p.outW;
    let parts: Fields[] = [{}];
    if (this.parallel(2 * p.n * p.outC * icg * khw * HW)) {
      const T = this.threads;
      if (splitsEvenly(p.n, T)) parts = splitRange(p.n, T).map(([b0, b1]) => ({ b0, b1 }));
      else if (icg >= T) parts = splitRange(icg, T).map(([lo, hi]) => ({ lo, hi }));
    }
    const base = { ...this.convFields(p), x: dy, w, y: out, b0: 0, b1: p.n, lo: 0, hi: icg };
    const blocks = parts.map((part, t) => {
      const lo = part.lo ?? 0, hi = part.hi ?? icg;
      const rows = (hi - lo) * khw;
      const nb = Math.max(1, Math.min(HW, Math.floor(65536 / rows)));
      const [bufA, bufB, tile, bufC] = this.ensureScratch(t, [mc * kc, kc * Math.min(nc, roundUp(nb, nr)), mr * nr, rows * nb]);
      return [base, part, { nb, bufA: bufA!, bufB: bufB!, tile: tile!, bufC: bufC! }];
    });
    this.dispatch('convBackwardInputCol2im', CONV_FIELDS, blocks);
  }

  // ---------------------------------------------------------------- plumbing

  private parallel(flops: number): boolean {
    return this.pool !== null && flops >= this.threshold;
  }

  /**
   * Runs `body` with heap addresses for the output and the inputs: arrays already in the heap are
   * used in place, others go through temporary heap copies (the output is copied back after).
   */
  private withOperands(kernel: string, out: Words, count: number, inputs: Words[],
    body: (out: number, inputs: number[]) => void): void {
    this.withOutputs(kernel, [[out, count]], inputs, ([o], ins) => body(o!, ins));
  }

  private withOutputs(kernel: string, outputs: Array<[Words, number]>, inputs: Words[],
    body: (outs: number[], inputs: number[]) => void): void {
    for (const [out, count] of outputs) {
      if (out.length !== count) throw new RangeError(`wasm ${kernel}: output has ${out.length} elements, expected ${count}`);
    }
    if (outputs.every(([, count]) => count === 0)) return;
    const resident = (a: Words) => this.heap.shared && this.heap.owns(a);
    const temps: number[] = [];
    try {
      const ins = inputs.map((a) => {
        if (resident(a)) return a.byteOffset;
        const ptr = this.heap.alloc(a.byteLength);
        temps.push(ptr);
        this.bytes(ptr, a.byteLength).set(bytesOf(a));
        return ptr;
      });
      const outs = outputs.map(([a]) => {
        if (resident(a)) return a.byteOffset;
        const ptr = this.heap.alloc(a.byteLength);
        temps.push(ptr);
        return ptr;
      });
      body(outs, ins);
      outputs.forEach(([a], i) => { if (!resident(a)) bytesOf(a).set(this.bytes(outs[i]!, a.byteLength)); });
    } finally {
      for (const t of temps) this.heap.free(t);
    }
  }

  private bytes(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.heap.buffer, ptr, length);
  }

  /** thread t's scratch, laid out as consecutive 64-byte aligned float32 regions of the given sizes */
  private ensureScratch(t: number, floats: number[]): number[] {
    const sizes = floats.map((f) => roundUp(Math.max(1, f) * 4, 64));
    const total = sizes.reduce((s, x) => s + x, 0);
    let s = this.scratch[t];
    if (!s || s.bytes < total) {
      if (s) this.heap.free(s.ptr);
      s = { ptr: this.heap.alloc(total), bytes: total };
      this.scratch[t] = s;
    }
    const out: number[] = [];
    let at = s.ptr;
    for (const size of sizes) { out.push(at); at += size; }
    return out;
  }

  /**
   * Writes one parameter block per thread (each the union of its sources, later ones winning) and
   * runs the driver. Every field of the layout must be set.
   */
  private dispatch(driver: DriverName, fields: Fields, blocks: Fields[][]): void {
    if (this.disposed) throw new Error(`wasm kernels: ${driver} called after dispose()`);
    const words = PARAM_BLOCK_BYTES / 4;
    const view = this.heap.i32(CONTROL_BYTES, blocks.length * words);
    const all = fieldMask(fields);
    const ptrs: number[] = [];
    for (let t = 0; t < blocks.length; t++) {
      let seen = 0;
      for (const src of blocks[t]!) {
        for (const name in src) {
          const offset = fields[name];
          if (offset === undefined) throw new Error(`wasm kernels: ${driver} has no parameter ${name}`);
          const v = src[name]!;
          if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
            throw new RangeError(`wasm kernels: ${driver} parameter ${name} = ${v} does not fit in 32 bits`);
          }
          view[t * words + offset / 4] = v | 0;
          seen |= 1 << (offset / 4);
        }
      }
      if (seen !== all) {
        const missing = Object.keys(fields).filter((n) => !(seen & (1 << (fields[n]! / 4))));
        throw new Error(`wasm kernels: ${driver} parameters not set: ${missing.join(', ')}`);
      }
      ptrs.push(CONTROL_BYTES + t * PARAM_BLOCK_BYTES);
    }
    if (ptrs.length === 1 || !this.pool) {
      for (const ptr of ptrs) this.exports[driver]!(ptr);
    } else {
      this.pool.run(DRIVER_INDEX.get(driver)!, ptrs);
    }
  }
}

const masks = new WeakMap<Fields, number>();
/** bit i set for every field at word i (layouts have at most 32 fields) */
function fieldMask(fields: Fields): number {
  let m = masks.get(fields);
  if (m === undefined) {
    m = 0;
    for (const n in fields) m |= 1 << (fields[n]! / 4);
    masks.set(fields, m);
  }
  return m;
}

/** arrays of 4-byte elements the kernels read and write */
type Words = Float32Array | Int32Array;

function bytesOf(a: Words): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function need(kernel: string, name: string, a: Float32Array, n: number): void {
  if (a.length < n) throw new RangeError(`wasm ${kernel}: ${name} has ${a.length} elements, needs ${n}`);
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}
