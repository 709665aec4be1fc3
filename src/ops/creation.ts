/** Creating tensors: from data, constants, ranges and the seeded generator. */
import type { Backend } from '../core/backend.js';
import { dtypeOfArray, toTypedArray, type DType, type TypedArray } from '../core/dtype.js';
import { getBackend } from '../core/engine.js';
import { defaultGenerator, type Generator } from '../core/random.js';
import { assertValidShape, formatShape, sizeOf, type Shape } from '../core/shape.js';
import { fromStorage, Tensor, type NestedArray } from '../core/tensor.js';
import { defaultMemoryLimit, formatBytes } from '../core/memory-limit.js';
import { OpError } from './util.js';

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

function checkDType(op: string, dtype: unknown): DType {
  if (!DTYPES.includes(dtype as DType)) throw new OpError(`${op}: dtype must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  return dtype as DType;
}

/**
 * Values built on the host before they are uploaded (random draws, ranges) are refused before they
 * are built when they could not fit: the backend's own limit only applies once they exist.
 */
function checkHostValues(op: string, count: number): void {
  const bytes = count * 8; // drawn as float64
  const limit = defaultMemoryLimit();
  if (count > 0xffffffff || bytes > limit) {
    throw new OpError(`${op}: refusing to build ${count} values (${formatBytes(bytes)} on the host): more than the ${formatBytes(limit)} limit (half of this machine's memory)`);
  }
}

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** defaults to the current backend (see init) */
  backend?: Backend;
}

export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

function finish(t: Tensor, o: CreateOptions): Tensor {
  if (o.requiresGrad) t.requiresGrad_();
  return t;
}

function inferShape(data: NestedArray, path = 'data'): number[] {
  if (typeof data === 'number') return [];
  if (!Array.isArray(data)) throw new OpError(`tensor: ${path} must be a number or an array of numbers, got ${typeof data}`);
  if (data.length === 0) return [0];
  const inner = inferShape(data[0]!, `${path}[0]`);
  for (let i = 1; i < data.length; i++) {
    const s = inferShape(data[i]!, `${path}[${i}]`);
    if (s.length !== inner.length || s.some((d, j) => d !== inner[j])) {
      throw new OpError(`tensor: ragged nested array: ${path}[0] has shape ${formatShape(inner)} but ${path}[${i}] has shape ${formatShape(s)}`);
    }
  }
  return [data.length, ...inner];
}

function flattenNested(data: NestedArray[]): number[] {
  const out: number[] = [];
  const walk = (d: NestedArray): void => { if (typeof d === 'number') out.push(d); else for (const x of d) walk(x); };
  walk(data);
  return out;
}

/**
 * A tensor from nested arrays, a typed array or a number. With a typed array, pass `shape`
 * (defaults to 1-D) — the dtype follows the array unless given.
 */
export function tensor(data: NestedArray | TypedArray | readonly number[], options: CreateOptions & { shape?: Shape } = {}): Tensor {
  const backend = options.backend ?? getBackend();
  let flat: ArrayLike<number>;
  let shape: Shape;
  let dtype: DType;
  if (options.dtype !== undefined) checkDType('tensor', options.dtype);
  if (ArrayBuffer.isView(data)) {
    const native = data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array;
    if (!native && options.dtype === undefined) {
      throw new OpError(`tensor: a ${Object.prototype.toString.call(data).slice(8, -1)} has no gmgrad dtype; pass { dtype: 'float32' } (or 'int32', 'float64') to convert it`);
    }
    if (data instanceof BigInt64Array || data instanceof BigUint64Array || data instanceof DataView) throw new OpError('tensor: bigint arrays and DataViews cannot be converted; convert them to numbers first');
    flat = data as TypedArray;
    shape = options.shape ?? [flat.length];
    dtype = options.dtype ?? dtypeOfArray(data as TypedArray);
  } else {
    shape = inferShape(data as NestedArray);
    flat = typeof data === 'number' ? [data] : flattenNested(data as NestedArray[]);
    if (options.shape) {
      if (sizeOf(options.shape) !== flat.length) throw new OpError(`tensor: shape ${formatShape(options.shape)} needs ${sizeOf(options.shape)} values, got ${flat.length}`);
      shape = options.shape;
    }
    dtype = options.dtype ?? 'float32';
  }
  assertValidShape('tensor', shape);
  if (sizeOf(shape) !== flat.length) throw new OpError(`tensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${flat.length}`);
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isInteger(flat[i])) throw new OpError(`tensor: int32 data must hold integers; element ${i} is ${flat[i]}`);
    }
  }
  const arr = flat instanceof Object && ArrayBuffer.isView(flat) && dtypeOfArray(flat as TypedArray) === dtype
    ? (flat as TypedArray).slice()
    : toTypedArray(dtype, flat);
  return finish(fromStorage(backend.upload(arr), shape, dtype), options);
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  assertValidShape('full', shape);
  const backend = options.backend ?? getBackend();
  const dtype = checkDType('full', options.dtype ?? 'float32');
  if (typeof value !== 'number') throw new OpError(`full: value must be a number, got ${typeof value}`);
  return finish(fromStorage(backend.fill(sizeOf(shape), dtype, value), shape, dtype), options);
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

function likeOptions(t: Tensor, o: CreateOptions): CreateOptions {
  return { dtype: o.dtype ?? t.dtype, backend: o.backend ?? t.backend, requiresGrad: o.requiresGrad };
}

export function zerosLike(t: Tensor, o: CreateOptions = {}): Tensor { return full(t.shape, 0, likeOptions(t, o)); }
export function onesLike(t: Tensor, o: CreateOptions = {}): Tensor { return full(t.shape, 1, likeOptions(t, o)); }
export function fullLike(t: Tensor, v: number, o: CreateOptions = {}): Tensor { return full(t.shape, v, likeOptions(t, o)); }

/** [start, end) with step (one argument: [0, end)). */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) { end = start; start = 0; }
  if (step === 0 || !Number.isFinite(step)) throw new OpError(`arange: step must be a finite non-zero number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new OpError(`arange: start and end must be finite numbers, got ${start} and ${end}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  checkHostValues('arange', n);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  const allInt = Number.isInteger(start) && Number.isInteger(step);
  return tensor(values, { ...options, dtype: options.dtype ?? (allInt ? 'int32' : 'float32'), shape: [n] });
}

export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new OpError(`linspace: steps must be a non-negative integer, got ${steps}`);
  checkHostValues('linspace', steps);
  const values = Array.from({ length: steps }, (_, i) => steps === 1 ? start : start + (end - start) * i / (steps - 1));
  return tensor(values, { ...options, shape: [steps] });
}

export function eye(n: number, m = n, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(m) || m < 0) throw new OpError(`eye: sizes must be non-negative integers, got ${n}×${m}`);
  checkHostValues('eye', n * m);
  const values = new Array<number>(n * m).fill(0);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return tensor(values, { ...options, shape: [n, m] });
}

/** Uniform in [0, 1) from the seeded generator (identical on every backend). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  assertValidShape('rand', shape);
  checkHostValues('rand', sizeOf(shape));
  const g = options.generator ?? defaultGenerator;
  return tensor(g.uniform(sizeOf(shape)), { ...options, dtype: options.dtype ?? 'float32', shape });
}

export function uniform(shape: Shape, low: number, high: number, options: RandomOptions = {}): Tensor {
  assertValidShape('uniform', shape);
  checkHostValues('uniform', sizeOf(shape));
  const g = options.generator ?? defaultGenerator;
  return tensor(g.uniform(sizeOf(shape), low, high), { ...options, dtype: options.dtype ?? 'float32', shape });
}

/** Standard normal from the seeded generator. */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  assertValidShape('randn', shape);
  checkHostValues('randn', sizeOf(shape));
  const g = options.generator ?? defaultGenerator;
  return tensor(g.normal(sizeOf(shape), options.mean ?? 0, options.std ?? 1), { ...options, dtype: options.dtype ?? 'float32', shape });
}

/** Integers in [low, high), int32 by default. */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  assertValidShape('randint', shape);
  checkHostValues('randint', sizeOf(shape));
  if (!(high > low)) throw new OpError(`randint: high (${high}) must exceed low (${low})`);
  const g = options.generator ?? defaultGenerator;
  return tensor(g.integers(sizeOf(shape), low, high), { ...options, dtype: options.dtype ?? 'int32', shape });
}

/** A scalar (rank-0) tensor. */
export function scalar(v: number, options: CreateOptions = {}): Tensor {
  return tensor(v, options);
}
