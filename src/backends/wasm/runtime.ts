/**
 * The runtime under the wasm kernels: feature probing, the generated module, the heap, the worker
 * pool, per-thread scratch and the parameter-block plumbing.
 *
 * Operands that already live in the heap (allocated through `allocF32`/`allocI32`) are used in
 * place; others are copied in for the call. With a shared memory, results are returned as views
 * into the heap (free them with `release`); with a non-shared memory (no SharedArrayBuffer) they
 * are copied out, because growing such a memory detaches every view of it.
 */
import { enableRelaxedSimdInNode, isNode, probeFeatures, type WasmFeatures } from './features.js';
import { CONTROL_BYTES, PAGE_BYTES, WasmHeap } from './heap.js';
import { PARAM_BLOCK_BYTES } from './layout.js';
import { buildKernelModule, defaultShape, DRIVERS, type DriverName } from './module.js';
import { MAX_THREADS, ThreadPool } from './thread-pool.js';
import type { GemmShape } from './kernels/gemm.js';
import type { ConvAlgorithmOption, DirectConvOption } from './conv-algorithm.js';

export interface WasmKernelOptions {
  /** threads including the calling one; default: the number of cores (1 where blocking is impossible) */
  threads?: number;
  /** false forces the scalar (non-SIMD) kernels; default: SIMD when the engine validates it */
  simd?: boolean;
  /**
   * use relaxed-simd multiply-add; default: when the engine validates it (on Node 20 after turning
   * on V8's relaxed-SIMD flag, see enableRelaxedSimdInNode); false keeps mul + add
   */
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
   * forward convolution with flipped weights; 'col2im' a GEMM then col2im (also used for stride > 1
   * where the implicit four-phase kernels do not apply).
   */
  backwardInput?: 'auto' | 'transposed' | 'col2im';
  /**
   * Convolution algorithm where Winograd applies (stride 1, 3×3 or 5×5, SIMD): 'auto' (default)
   * chooses per layer shape by a fixed rule (conv-algorithm.ts), reproducibly; 'measure' times the
   * candidates on each shape's first call and keeps the fastest (machine-dependent, so two runs
   * may round differently); 'direct' never uses Winograd; 'winograd2' / 'winograd4' force
   * F(2×2, r×r) / F(4×4, r×r) wherever it applies (for tests and measurements).
   */
  convAlgorithm?: ConvAlgorithmOption;
  /**
   * How a convolution pass that does not run Winograd runs: 'auto' (default) by the rule in
   * conv-algorithm.ts; 'packed' always packs patches for the GEMM micro-kernel (kernels/conv.ts);
   * 'implicit' reads patches in place wherever that applies (kernels/conv-implicit.ts).
   */
  directConv?: DirectConvOption;
  /** override the register/cache blocking (for tuning) */
  shape?: { gemm: GemmShape; convNc: number };
}

type Exports = Record<string, (...args: number[]) => void>;
/** parameter-block values by field name (see layout.ts) */
export type Fields = Record<string, number>;

const DRIVER_INDEX: ReadonlyMap<string, number> = new Map(DRIVERS.map((d, i) => [d, i]));

/**
 * Address of the shared work counter drivers draw units from (a control word the pool leaves
 * alone); dispatch zeroes it before every run.
 */
export const WORK_COUNTER = 8;

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

/** What `KernelRuntime.setup` prepares for a subclass constructor. */
export interface RuntimeInit {
  threads: number; simd: boolean; relaxedMadd: boolean; features: WasmFeatures; heap: WasmHeap;
  shape: { gemm: GemmShape; convNc: number }; exports: Exports; pool: ThreadPool | null; threshold: number;
}

/**
 * The machinery under the kernels: the compiled module, the heap, the thread pool, per-thread
 * scratch, and the plumbing that writes parameter blocks and runs a driver on every thread.
 */
export class KernelRuntime {
  readonly threads: number;
  readonly simd: boolean;
  readonly relaxedMadd: boolean;
  readonly features: WasmFeatures;
  readonly heap: WasmHeap;
  readonly shape: { gemm: GemmShape; convNc: number };
  protected readonly exports: Exports;
  private readonly pool: ThreadPool | null;
  private readonly threshold: number;
  private readonly scratch: Array<{ ptr: number; bytes: number }> = [];
  private disposed = false;

  protected constructor(init: RuntimeInit) {
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

  /** Probes the engine, builds and instantiates the module, starts the workers. */
  protected static async setup(opts: WasmKernelOptions): Promise<RuntimeInit> {
    if (opts.relaxedMadd !== false && opts.simd !== false) enableRelaxedSimdInNode();
    const features = probeFeatures();
    const simd = opts.simd ?? features.simd;
    if (simd && !features.simd) throw new Error('wasm kernels: SIMD requested but this engine does not validate wasm SIMD');
    const relaxedMadd = simd && (opts.relaxedMadd ?? features.relaxedMadd);
    if (relaxedMadd && !features.relaxedMadd) throw new Error('wasm kernels: relaxed madd requested but not supported by this engine');
    const cores = await coreCount();
    let threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(opts.threads ?? cores)));
    const shared = features.sharedMemory && opts.sharedMemory !== false;
    if (threads > 1 && opts.sharedMemory === false) threads = 1;
    if (threads > 1 && !shared) {
      if (!opts.quiet) console.info('gmgrad wasm: SharedArrayBuffer unavailable (needs cross-origin isolation); running on one thread');
      threads = 1;
    }
    const heap = makeHeap(shared, Math.min(65536, Math.floor(((opts.maxMemoryMB ?? 2048) * 1024 * 1024) / PAGE_BYTES)));
    const { initialPages, maximumPages } = heap;
    const shape = opts.shape ?? defaultShape(simd);
    const bytes = buildKernelModule({ simd, relaxedMadd, sharedMemory: shared, initialPages, maximumPages, ...shape });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory: heap.memory } });
    const exports = instance.exports as unknown as Exports;
    const pool = threads > 1
      ? await ThreadPool.create({ threads, memory: heap.memory, moduleBytes: bytes, drivers: DRIVERS, controlBase: 0, mainExports: exports, canBlock: features.canBlockMainThread })
      : null;
    return { threads, simd, relaxedMadd, features, heap, shape, exports, pool, threshold: opts.parallelThreshold ?? 2 ** 21 };
  }

  /** Stops the worker threads. Heap views stay readable; kernels cannot run afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
  }

  /** dst[i] += src[i] for count floats (heap addresses) */
  addF32(dst: number, src: number, count: number): void {
    this.exports.addIntoF32!(dst, src, count);
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

  /** An int32 array inside the heap (as allocF32). */
  allocI32(length: number, zero = true): Int32Array {
    if (!this.heap.shared) return new Int32Array(length);
    const a = this.heap.i32(this.heap.alloc(length * 4), length);
    if (zero) a.fill(0);
    return a;
  }

  /** Frees an array returned by allocF32/allocI32 or a kernel; other arrays are ignored. */
  release(a: Float32Array | Int32Array): void {
    if (this.heap.shared && this.heap.owns(a)) this.heap.free(a.byteOffset);
  }

  /** Whether work of this many flops is split across the threads. (Public for the planners in their own files.) */
  parallel(flops: number): boolean {
    return this.pool !== null && flops >= this.threshold;
  }

  /**
   * Runs `body` with heap addresses for the output and the inputs: arrays already in the heap are
   * used in place, others go through temporary heap copies (the output is copied back after).
   */
  withOperands(kernel: string, out: Words, count: number, inputs: Words[],
    body: (out: number, inputs: number[]) => void): void {
    this.withOutputs(kernel, [[out, count]], inputs, ([o], ins) => body(o!, ins));
  }

  withOutputs(kernel: string, outputs: Array<[Words, number]>, inputs: Words[],
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

  /**
   * Runs `body` with heap addresses for arrays it reads and updates in place: arrays in the heap
   * are used where they are, others are copied in and back out.
   */
  protected withInPlace(arrays: Words[], body: (ptrs: number[]) => void): void {
    const resident = (a: Words) => this.heap.shared && this.heap.owns(a);
    const temps: Array<[Words, number]> = [];
    try {
      const ptrs = arrays.map((a) => {
        if (resident(a)) return a.byteOffset;
        const ptr = this.heap.alloc(Math.max(4, a.byteLength));
        temps.push([a, ptr]);
        this.bytes(ptr, a.byteLength).set(bytesOf(a));
        return ptr;
      });
      body(ptrs);
      for (const [a, ptr] of temps) bytesOf(a).set(this.bytes(ptr, a.byteLength));
    } finally {
      for (const [, ptr] of temps) this.heap.free(ptr);
    }
  }

  private bytes(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.heap.buffer, ptr, length);
  }

  /** thread t's scratch, laid out as consecutive 64-byte aligned float32 regions of the given sizes */
  ensureScratch(t: number, floats: number[]): number[] {
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
  dispatch(driver: DriverName, fields: Fields, blocks: Fields[][]): void {
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
    Atomics.store(this.heap.i32(WORK_COUNTER, 1), 0, 0);
    if (ptrs.length === 1 || !this.pool) {
      for (const ptr of ptrs) this.exports[driver]!(ptr);
    } else {
      this.pool.run(DRIVER_INDEX.get(driver)!, ptrs);
    }
  }
}

/** A heap with the requested maximum, or a smaller one where the engine refuses to reserve it. */
function makeHeap(shared: boolean, maximumPages: number): WasmHeap {
  for (let max = maximumPages; ; max = Math.floor(max / 2)) {
    try {
      return new WasmHeap({ shared, initialPages: Math.min(max, 64), maximumPages: max });
    } catch (e) {
      if (max <= 4096) throw e;
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
export type Words = Float32Array | Int32Array;

function bytesOf(a: Words): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const f32Scratch = new Float32Array(1);
const f32ScratchBits = new Int32Array(f32Scratch.buffer);
/** the float32 nearest v, as the i32 with the same bits (parameter blocks hold only i32 words) */
export function f32Bits(v: number): number {
  f32Scratch[0] = v;
  return f32ScratchBits[0]!;
}

export function need(kernel: string, name: string, a: Words, n: number): void {
  if (a.length < n) throw new RangeError(`wasm ${kernel}: ${name} has ${a.length} elements, needs ${n}`);
}

export function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}
