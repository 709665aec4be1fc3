/** Checks and small helpers shared by the op files (imports no op file). */
import type { Backend, Operand, StridedView } from '../core/backend.js';
import { isFloat, type DType } from '../core/dtype.js';
import { broadcastStrides, contiguousStrides, formatShape, type Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';

export class OpError extends Error {
  override name = 'OpError';
}

export function checkTensor(op: string, t: unknown, argName = 'input'): asserts t is Tensor {
  if (!(t instanceof Tensor)) {
    throw new OpError(`${op}: ${argName} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  }
  if (t.isDisposed) throw new OpError(`${op}: ${argName} ${t.describe()} was used after dispose()`);
}

/** All tensors alive and on one backend; returns that backend. */
export function sameBackend(op: string, ...ts: Tensor[]): Backend {
  ts.forEach((t, i) => checkTensor(op, t, ts.length > 1 ? `input ${i}` : 'input'));
  const b = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== b) {
      throw new OpError(`${op}: inputs live on different backends (${ts.map((x) => `${formatShape(x.shape)} on ${x.device}`).join(', ')}); move them with await t.to(backend)`);
    }
  }
  return b;
}

export function checkFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) {
    throw new OpError(`${op}: expected a float32 or float64 tensor, got ${t.dtype} ${formatShape(t.shape)}`);
  }
}

export function checkSameDType(op: string, a: Tensor, b: Tensor): DType {
  if (a.dtype !== b.dtype) {
    throw new OpError(`${op}: dtypes differ (${a.dtype} ${formatShape(a.shape)} vs ${b.dtype} ${formatShape(b.shape)}); cast one with .cast()`);
  }
  return a.dtype;
}

export function checkRank(op: string, t: Tensor, rank: number, what: string): void {
  if (t.rank !== rank) {
    throw new OpError(`${op}: expected ${what} of rank ${rank}, got shape ${formatShape(t.shape)}`);
  }
}

export function contiguousView(shape: Shape): StridedView {
  return { shape, strides: contiguousStrides(shape), offset: 0 };
}

export function operand(t: Tensor): Operand {
  return { storage: t.storage, view: contiguousView(t.shape) };
}

export function broadcastOperand(t: Tensor, outShape: Shape): Operand {
  return { storage: t.storage, view: { shape: outShape, strides: broadcastStrides(t.shape, outShape), offset: 0 } };
}

export function checkPositiveInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new OpError(`${op}: ${name} must be a positive integer, got ${v}`);
}

export function checkNonNegativeInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new OpError(`${op}: ${name} must be a non-negative integer, got ${v}`);
}

export function pair(v: number | readonly [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
