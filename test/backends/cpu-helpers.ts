/** Small helpers shared by the CPU backend tests: a seeded generator, uploads, tolerant comparison. */
import { CpuBackend } from '../../src/backends/cpu/index.js';
import type { Storage } from '../../src/core/backend.js';
import type { DType, TypedArray } from '../../src/core/dtype.js';

export const backend = new CpuBackend();

import { rng } from '../helpers/seeded-rng.js';
import { expectCloseWithin } from '../helpers/expect-close.js';
export { rng };

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function up(values: ArrayLike<number>, dtype: DType = 'float64'): Storage {
  const a = dtype === 'float64' ? Float64Array.from(values) : dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values);
  return backend.upload(a);
}

export function read(s: Storage): TypedArray {
  return backend.readSync(s);
}

/** expectCloseWithin with this suite's default tolerances (rtol 1e-12, atol 1e-12) */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-12, atol = 1e-12): void {
  expectCloseWithin(what, actual, expected, rtol, atol);
}

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
