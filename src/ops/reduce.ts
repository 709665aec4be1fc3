/** Reductions over any set of axes, with keepdim, and their gradients. */
import { record } from '../core/autograd.js';
import { formatShape, normalizeAxes, sizeOf } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, mul, sub, where } from './binary.js';
import { full } from './creation.js';
import { binaryRaw, reduceRaw as reduceKernel, unaryRaw } from './raw.js';
import { expand, reshape, detach } from './shape.js';
import { abs, affine, exp, log, sqrt, square } from './unary.js';
import { checkFloat, checkTensor, OpError } from './util.js';

export type Axes = number | readonly number[] | undefined;

interface Plan {
  axes: number[];
  outShape: number[];
  keptShape: number[];
}

function plan(op: string, x: Tensor, axes: Axes, keepdim: boolean): Plan {
  const list = normalizeAxes(op, axes, x.rank);
  const keptShape = x.shape.map((d, i) => (list.includes(i) ? 1 : d));
  const outShape = keepdim ? keptShape : x.shape.filter((_, i) => !list.includes(i));
  return { axes: list, outShape, keptShape };
}

export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkTensor('sum', x);
  const p = plan('sum', x, axes, keepdim);
  const y = reshape(reduceKernel('sum', x, p.axes), p.outShape);
  return record('sum', [x], y, (g) => [expand(reshape(g, p.keptShape), x.shape)]);
}

export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkTensor('mean', x);
  checkFloat('mean', x);
  const p = plan('mean', x, axes, keepdim);
  const count = sizeOf(p.axes.map((a) => x.shape[a]!));
  if (count === 0) throw new OpError(`mean: reducing zero elements of ${formatShape(x.shape)} over axes [${p.axes.join(', ')}] is undefined`);
  return affine(sum(x, axes, keepdim), 1 / count, 0);
}

function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  checkTensor(op, x);
  const p = plan(op, x, axes, keepdim);
  const kept = reduceKernel(op, x, p.axes);
  const y = reshape(kept, p.outShape);
  // ties share the gradient equally (PyTorch amax/amin)
  return record(op, [x], y, (g) => {
    const mask = binaryRaw('eq', x, expand(kept, x.shape));
    const count = reduceKernel('sum', mask, p.axes);
    return [mul(expand(div(reshape(g, p.keptShape), count), x.shape), mask)];
  });
}

export const max = (x: Tensor, axes?: Axes, keepdim = false) => extreme('max', x, axes, keepdim);
export const min = (x: Tensor, axes?: Axes, keepdim = false) => extreme('min', x, axes, keepdim);

/** Product; the gradient is exact with zeros present (product of the other elements). */
export function prod(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkTensor('prod', x);
  checkFloat('prod', x);
  const p = plan('prod', x, axes, keepdim);
  const kept = reduceKernel('prod', x, p.axes);
  const y = reshape(kept, p.outShape);
  return record('prod', [x], y, (g) => {
    const zero = full([], 0, { dtype: x.dtype, backend: x.backend });
    const isZero = binaryRaw('eq', x, zero);
    const zeros = reduceKernel('sum', isZero, p.axes);
    const nonZeroProd = reduceKernel('prod', where(isZero, 1, x), p.axes);
    const ge = expand(reshape(g, p.keptShape), x.shape);
    // no zero: y/x; exactly one zero: the zero element gets the product of the others
    const plain = div(expand(kept, x.shape), where(isZero, 1, x));
    const oneZero = mul(isZero, expand(binaryRaw('eq', zeros, full([], 1, { dtype: x.dtype, backend: x.backend })), x.shape));
    const local = where(expand(binaryRaw('eq', zeros, zero), x.shape), plain, mul(oneZero, expand(nonZeroProd, x.shape)));
    return [mul(ge, local)];
  });
}

/** Variance with Bessel's correction by default (correction = 1), as torch.var. */
export function variance(x: Tensor, axes?: Axes, keepdim = false, correction = 1): Tensor {
  checkTensor('var', x);
  checkFloat('var', x);
  const p = plan('var', x, axes, keepdim);
  const count = sizeOf(p.axes.map((a) => x.shape[a]!));
  const denom = count - correction;
  if (denom <= 0) throw new OpError(`var: ${count} element(s) over axes [${p.axes.join(', ')}] of ${formatShape(x.shape)} with correction ${correction} leaves no degrees of freedom`);
  const centered = sub(x, mean(x, p.axes, true));
  return affine(sum(square(centered), p.axes, keepdim), 1 / denom, 0);
}

export function std(x: Tensor, axes?: Axes, keepdim = false, correction = 1): Tensor {
  return sqrt(variance(x, axes, keepdim, correction));
}

/** log Σ exp(x), stable for large magnitudes (the max is subtracted first). */
export function logsumexp(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkTensor('logsumexp', x);
  checkFloat('logsumexp', x);
  const p = plan('logsumexp', x, axes, keepdim);
  const m = detach(reduceKernel('max', x, p.axes));
  // rows that are entirely -inf keep m finite so the result is -inf rather than NaN
  const safeM = where(unaryRaw('isfinite', m), m, 0);
  const s = log(sum(exp(sub(x, safeM)), p.axes, true));
  return reshape(add(s, safeM), p.outShape);
}

/** Lp norm over axes: p = 1, 2 or Infinity. The L2 gradient at 0 is 0 (a subgradient), never NaN. */
export function norm(x: Tensor, p: 1 | 2 | number = 2, axes?: Axes, keepdim = false): Tensor {
  checkTensor('norm', x);
  checkFloat('norm', x);
  if (p === 1) return sum(abs(x), axes, keepdim);
  if (p === Infinity) return max(abs(x), axes, keepdim);
  if (p !== 2) throw new OpError(`norm: p must be 1, 2 or Infinity, got ${p}`);
  const pl = plan('norm', x, axes, keepdim);
  const kept = unaryRaw('sqrt', reduceKernel('sum', unaryRaw('square', x), pl.axes));
  const y = reshape(kept, pl.outShape);
  return record('norm', [x], y, (g) => {
    const safe = where(binaryRaw('gt', kept, full([], 0, { dtype: x.dtype, backend: x.backend })), kept, Infinity);
    return [mul(expand(div(reshape(g, pl.keptShape), safe), x.shape), x)];
  });
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, axis?: number, keepdim = false): Tensor {
  checkTensor(op, x);
  if (axis === undefined) {
    return reshape(reduceKernel(op, reshape(x, [x.size]), [0]), keepdim ? x.shape.map(() => 1) : []);
  }
  const p = plan(op, x, axis, keepdim);
  return reshape(reduceKernel(op, x, p.axes), p.outShape);
}

/** Index of the first maximum (int32); no axis → over the flattened tensor. */
export const argmax = (x: Tensor, axis?: number, keepdim = false) => argExtreme('argmax', x, axis, keepdim);
export const argmin = (x: Tensor, axis?: number, keepdim = false) => argExtreme('argmin', x, axis, keepdim);

