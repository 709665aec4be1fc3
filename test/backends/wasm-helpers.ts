/** Small helpers of the WebAssembly backend's own tests: seeded float32 data and the kernel-call configurations. */
import { expect } from 'vitest';
import type { WasmKernelOptions } from '../../src/backends/wasm/index.js';
import { rng } from '../helpers/seeded-rng.js';

export { convParams } from '../helpers/conv-cases.js';

/** uniform in [−0.5, 0.5), seeded */
export function random(seed: number): () => number {
  const r = rng(seed);
  return () => r() - 0.5;
}

export function randomF32(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r();
  return a;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** SIMD on one and two threads (every call split), without relaxed madd, and the scalar fallback */
export const CONFIGS: Array<{ name: string; opts: WasmKernelOptions; needsSimd: boolean }> = [
  { name: 'SIMD, 1 thread', opts: { threads: 1 }, needsSimd: true },
  { name: 'SIMD, 2 threads', opts: { threads: 2, parallelThreshold: 0 }, needsSimd: true },
  // relaxed madd is on by default where the engine has it (Node 20: behind a V8 flag we turn on)
  { name: 'SIMD mul + add without relaxed madd, 2 threads', opts: { threads: 2, relaxedMadd: false, parallelThreshold: 0 }, needsSimd: true },
  { name: 'scalar fallback, 1 thread', opts: { threads: 1, simd: false }, needsSimd: false },
  { name: 'scalar fallback, 2 threads', opts: { threads: 2, simd: false, parallelThreshold: 0 }, needsSimd: false },
];
