/**
 * Shared by the WebGPU backend tests: a backend with poisoned outputs (every fresh output is NaN,
 * or an int32 sentinel, until a kernel writes it, so comparing against a reference proves every
 * element was written), seeded data, and a tolerant comparison. Without an adapter the tests skip
 * locally but FAIL when process.env.CI is set.
 */
import type { Storage } from '../../src/core/backend.js';
import { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from '../../src/backends/webgpu/create.js';

export async function createTestBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend | null> {
  try {
    return await createWebGpuBackend({ poisonOutputs: true, ...options });
  } catch (e) {
    if (process.env.CI) throw e;
    console.warn(`skipping WebGPU tests: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

import { rng } from '../helpers/seeded-rng.js';
import { expectCloseWithin } from '../helpers/expect-close.js';
export { rng };

export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function randomI32(n: number, seed: number, lo: number, hi: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => lo + Math.floor((hi - lo) * r()));
}

/** expectCloseWithin with this suite's default tolerances (rtol 1e-5, atol 1e-6) */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expectCloseWithin(what, actual, expected, rtol, atol);
}

export async function readF(b: WebGpuBackend, s: Storage): Promise<Float64Array> {
  return Float64Array.from(await b.read(s));
}
