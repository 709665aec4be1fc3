/** Argument checks of the WebGPU kernels. Messages name the backend, the kernel and the sizes. */
import type { Conv2dParams, Pool2dParams, Storage, StridedView } from '../../core/backend.js';
import type { DType } from '../../core/dtype.js';
import { fail } from './gpu-errors.js';
import { sizeOf } from './gpu-views.js';

export function expectSize(kernel: string, what: string, s: Storage, expected: number, formula?: string): void {
  if (s.size !== expected) fail(kernel, `${what} has ${s.size} elements, expected ${expected}${formula ? ` (${formula})` : ''}`);
}

export function expectDType(kernel: string, what: string, s: Storage, dtype: DType): void {
  if (s.dtype !== dtype) fail(kernel, `${what} must be ${dtype}, got ${s.dtype}`);
}

export function expectSameDType(kernel: string, what: string, s: Storage, like: Storage, likeName: string): void {
  if (s.dtype !== like.dtype) fail(kernel, `${what} is ${s.dtype} but ${likeName} is ${like.dtype}`);
}

export function expectFloat(kernel: string, what: string, s: Storage): void {
  if (s.dtype !== 'float32') fail(kernel, `${what} must be float32, got ${s.dtype}`);
}

export function expectCount(kernel: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) fail(kernel, `${what} must be a non-negative integer, got ${value}`);
}

export function expectPositive(kernel: string, what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) fail(kernel, `${what} must be a positive integer, got ${value}`);
}

const fmt = (a: readonly number[]) => `[${a.join(', ')}]`;

/** A view must have the expected shape and reach only elements inside its storage. */
export function checkView(kernel: string, what: string, s: Storage, view: StridedView, shape: readonly number[]): void {
  if (view.shape.length !== shape.length || view.shape.some((d, i) => d !== shape[i])) {
    fail(kernel, `${what} view has shape ${fmt(view.shape)}, expected ${fmt(shape)}`);
  }
  if (view.strides.length !== view.shape.length) fail(kernel, `${what} view has ${view.strides.length} strides for ${view.shape.length} dimensions`);
  if (view.strides.some((st) => !Number.isInteger(st))) fail(kernel, `${what} view strides ${fmt(view.strides)} must be integers`);
  if (sizeOf(view.shape) === 0) return;
  let lo = view.offset, hi = view.offset;
  for (let d = 0; d < view.shape.length; d++) {
    const reach = view.strides[d]! * (view.shape[d]! - 1);
    if (reach < 0) lo += reach; else hi += reach;
  }
  if (!Number.isInteger(lo) || lo < 0 || hi >= s.size) {
    fail(kernel, `${what} view (shape ${fmt(view.shape)}, strides ${fmt(view.strides)}, offset ${view.offset}) reaches elements ${lo}..${hi} of a storage of ${s.size}`);
  }
}

export function checkConvParams(kernel: string, p: Conv2dParams): void {
  for (const key of ['n', 'inC', 'inH', 'inW', 'outC', 'kH', 'kW', 'outH', 'outW', 'padTop', 'padLeft'] as const) expectCount(kernel, key, p[key]);
  for (const key of ['strideH', 'strideW', 'dilationH', 'dilationW', 'groups'] as const) expectPositive(kernel, key, p[key]);
  if (p.inC % p.groups !== 0 || p.outC % p.groups !== 0) fail(kernel, `groups ${p.groups} must divide inC ${p.inC} and outC ${p.outC}`);
}

export function checkPoolParams(kernel: string, p: Pool2dParams): void {
  for (const key of ['n', 'c', 'inH', 'inW', 'outH', 'outW', 'padTop', 'padLeft'] as const) expectCount(kernel, key, p[key]);
  for (const key of ['kH', 'kW', 'strideH', 'strideW'] as const) expectPositive(kernel, key, p[key]);
  // every window must hold a real cell: the first ends past the padding, the last starts inside
  const emptyH = p.outH > 0 && (p.kH <= p.padTop || (p.outH - 1) * p.strideH - p.padTop >= p.inH);
  const emptyW = p.outW > 0 && (p.kW <= p.padLeft || (p.outW - 1) * p.strideW - p.padLeft >= p.inW);
  if (emptyH || emptyW) {
    fail(kernel, `a ${p.kH}×${p.kW} window (stride ${p.strideH}×${p.strideW}, padding ${p.padTop}×${p.padLeft}) for a ${p.outH}×${p.outW} output of a ${p.inH}×${p.inW} input covers only padding`);
  }
}
