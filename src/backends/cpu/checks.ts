/** Argument checks shared by the CPU kernels. Messages name the backend, the kernel, and the sizes. */
import type { Storage, StridedView } from '../../core/backend.js';
import type { DType } from '../../core/dtype.js';

export class CpuKernelError extends Error {
  override name = 'CpuKernelError';
}

/** Everything a check needs to say where it failed: "cpu.conv2d". */
export type KernelName = string;

export function fail(kernel: KernelName, message: string): never {
  throw new CpuKernelError(`${kernel}: ${message}`);
}

export function expectSize(kernel: KernelName, what: string, s: Storage, expected: number, formula?: string): void {
  if (s.size !== expected) {
    fail(kernel, `${what} has ${s.size} elements, expected ${expected}${formula ? ` (${formula})` : ''}`);
  }
}

export function expectDType(kernel: KernelName, what: string, s: Storage, dtype: DType): void {
  if (s.dtype !== dtype) fail(kernel, `${what} must be ${dtype}, got ${s.dtype}`);
}

export function expectSameDType(kernel: KernelName, what: string, s: Storage, like: Storage, likeName: string): void {
  if (s.dtype !== like.dtype) fail(kernel, `${what} is ${s.dtype} but ${likeName} is ${like.dtype}`);
}

export function expectFloat(kernel: KernelName, what: string, s: Storage): void {
  if (s.dtype === 'int32') fail(kernel, `${what} must be float32 or float64, got int32`);
}

export function expectCount(kernel: KernelName, what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) fail(kernel, `${what} must be a non-negative integer, got ${value}`);
}

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A view must have the expected shape and stay inside its storage: the lowest and highest element
 * it can reach (negative strides reach below the offset) both lie in [0, size).
 */
export function checkView(kernel: KernelName, what: string, s: Storage, view: StridedView, shape: readonly number[]): void {
  const fmt = (a: readonly number[]) => `[${a.join(', ')}]`;
  if (view.shape.length !== shape.length || view.shape.some((d, i) => d !== shape[i])) {
    fail(kernel, `${what} view has shape ${fmt(view.shape)}, expected ${fmt(shape)}`);
  }
  if (view.strides.length !== view.shape.length) {
    fail(kernel, `${what} view has ${view.strides.length} strides for ${view.shape.length} dimensions`);
  }
  if (sizeOfShape(view.shape) === 0) return;
  let lo = view.offset, hi = view.offset;
  for (let d = 0; d < view.shape.length; d++) {
    const reach = view.strides[d]! * (view.shape[d]! - 1);
    if (reach < 0) lo += reach; else hi += reach;
  }
  if (!Number.isInteger(lo) || lo < 0 || hi >= s.size) {
    fail(kernel, `${what} view (shape ${fmt(view.shape)}, strides ${fmt(view.strides)}, offset ${view.offset}) reaches elements ${lo}..${hi} of a storage of ${s.size}`);
  }
}
