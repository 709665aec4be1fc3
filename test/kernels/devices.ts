/**
 * The devices the shared kernel suite runs on, and its helpers. Each test file of test/kernels is
 * `describe.each(DEVICES)`: the same cases on the CPU reference, the WebAssembly backend (one
 * thread; two threads with every call split; two threads without relaxed-SIMD FMA) and WebGPU
 * (SwiftShader in CI, outputs poisoned so an element a kernel skips fails the comparison). The
 * oracle is the float64 CPU reference, or a naive loop written in the test where the CPU reference
 * itself is under test. A device that cannot start skips locally and fails in CI. The suites of the
 * kernels with GPU variants also run on WebGPU forced to its hardware kernels (VARIANT_DEVICES).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { createWasmBackend, createWebGpuBackend } from '../../src/backends/create.js';
import type { Backend, Storage } from '../../src/core/backend.js';
import type { DType } from '../../src/core/dtype.js';
import { expectCloseWithin } from '../helpers/expect-close.js';
import { rng } from '../helpers/seeded-rng.js';

export interface Device {
  /** the test label */
  name: string;
  /** the backend's name, the prefix of its kernel errors ("wasm.conv2d: …") */
  kernelPrefix: 'cpu' | 'wasm' | 'webgpu';
  open(): Promise<Backend>;
  /** runs float64 (the CPU reference, and the wasm backend through the reference it holds) */
  float64: boolean;
  /** a GPU: index and label errors become NaN (it cannot throw), casts of NaN give 0 */
  gpu: boolean;
  /** transcendental unary ops are within [rtol, atol] of the float64 value (CPU-resident: rounded once) */
  transcendental: [number, number];
}

const CPU_RESIDENT: [number, number] = [1.2e-7, 1e-30];

/** GMGRAD_DEVICES=cpu,webgpu runs the suite on those devices only (name prefixes) */
const ONLY = process.env.GMGRAD_DEVICES?.split(',').filter(Boolean);

export const DEVICES: Device[] = ([
  { name: 'cpu', kernelPrefix: 'cpu', open: async () => new CpuBackend(), float64: true, gpu: false, transcendental: CPU_RESIDENT },
  {
    name: 'wasm, 1 thread', kernelPrefix: 'wasm', float64: true, gpu: false, transcendental: CPU_RESIDENT,
    open: () => createWasmBackend({ threads: 1, verbose: false }),
  },
  {
    name: 'wasm, 2 threads (every call split)', kernelPrefix: 'wasm', float64: true, gpu: false, transcendental: CPU_RESIDENT,
    open: () => createWasmBackend({ threads: 2, parallelThreshold: 0, verbose: false }),
  },
  {
    name: 'wasm, 2 threads, without FMA', kernelPrefix: 'wasm', float64: true, gpu: false, transcendental: CPU_RESIDENT,
    open: () => createWasmBackend({ threads: 2, relaxedMadd: false, parallelThreshold: 0, verbose: false }),
  },
  {
    name: 'webgpu', kernelPrefix: 'webgpu', float64: false, gpu: true, transcendental: [4e-6, 1e-6],
    open: () => createWebGpuBackend({ poisonOutputs: true }),
  },
] satisfies Device[]).filter(selected);

/**
 * DEVICES and WebGPU forced to its hardware kernel family (the hw GEMM tiles, the tiled GM
 * distances, subgroup rows where the adapter has one fixed subgroup size): the suites of the
 * kernels that have variants (GEMM and convolution, the fused kernels, the accelerations) run here.
 */
export const VARIANT_DEVICES: Device[] = [...DEVICES, ...([
  {
    name: 'webgpu, hardware kernels', kernelPrefix: 'webgpu', float64: false, gpu: true, transcendental: [4e-6, 1e-6],
    open: () => createWebGpuBackend({ poisonOutputs: true, webgpuKernels: 'hardware' }),
  },
] satisfies Device[]).filter(selected)];

function selected(d: Device): boolean {
  return !ONLY || ONLY.some((prefix) => d.name.startsWith(prefix));
}

/** The float64 oracle. */
export const reference = new CpuBackend();

/**
 * The device's backend for one describe block (created before its tests, disposed after); null
 * when it cannot start outside CI.
 */
export function openDevice(device: Device): () => Backend | null {
  let backend: Backend | null = null;
  beforeAll(async () => {
    try {
      backend = await device.open();
    } catch (e) {
      if (process.env.CI) throw e;
      console.warn(`skipping ${device.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  });
  afterAll(() => { (backend as { dispose?: () => void } | null)?.dispose?.(); });
  return () => backend;
}

export function upload(b: Backend, values: ArrayLike<number>, dtype: DType = 'float32'): Storage {
  return b.upload(dtype === 'float64' ? Float64Array.from(values) : dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values));
}

export async function read(b: Backend, s: Storage): Promise<Float64Array> {
  return Float64Array.from(await b.read(s));
}

/** |a − b| <= atol + rtol·|b|, NaN matching NaN */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-6, atol = 1e-6): void {
  expectCloseWithin(what, actual, expected, rtol, atol);
}

/** the exact bits (−0 and +0 differ; NaN equals NaN) */
export function expectSameBits(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) expect.fail(`${what}[${i}]: ${actual[i]} vs reference ${expected[i]}`);
}

/** uniform in [lo, hi), seeded */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** float32-representable values (what every device sees for a float32 input) */
export function f32Values(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(values));
}

/** values with NaN, ±0, ±∞ and ties mixed in, float32-representable */
export function specialValues(n: number, seed: number): Float64Array {
  const r = rng(seed), a = f32Values(randomArray(n, seed, -0.5, 0.5));
  const specials = [NaN, 0, -0, Infinity, -Infinity, 0.5, 0.5];
  for (let i = 0; i < n; i += 7 + Math.floor(r() * 50)) a[i] = specials[i % specials.length]!;
  return a;
}

export { rng };

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]!; }
  return s;
}

/** Every multi-index of shape in row-major order. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    yield idx.slice();
    for (let d = shape.length - 1; d >= 0; d--) { if (++idx[d]! < shape[d]!) break; idx[d] = 0; }
  }
}

export function offsetOf(view: { strides: readonly number[]; offset: number }, idx: readonly number[]): number {
  let o = view.offset;
  for (let d = 0; d < idx.length; d++) o += idx[d]! * view.strides[d]!;
  return o;
}
