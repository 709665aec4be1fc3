/** Elementwise functions of one tensor, each with its gradient. */
import type { PreluParams, UnaryOp } from '../core/backend.js';
import { record } from '../core/autograd.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { mul, sub } from './binary.js';
import { reshape } from './shape.js';
import { checkFloat, checkTensor, OpError } from './util.js';

/** Run a unary kernel; `grad` gives dL/dx from (x, y, dL/dy). */
function unaryOp(op: UnaryOp, x: Tensor, params: readonly number[] | undefined,
  grad: ((x: Tensor, y: Tensor, g: Tensor) => Tensor) | null): Tensor {
  checkTensor(op, x);
  checkFloat(op, x);
  const y = fromStorage(x.backend.unary(op, x.storage, params), x.shape, x.dtype);
  if (!grad) return y;
  return record(op, [x], y, (g) => [grad(x, y, g)]);
}

/** The raw kernel without a gradient (masks and helpers inside gradient rules). */
export function unaryRaw(op: UnaryOp, x: Tensor, params?: readonly number[]): Tensor {
  return fromStorage(x.backend.unary(op, x.storage, params), x.shape, x.dtype);
}

/** 1 where x > 0, else 0 */
function positiveMask(x: Tensor): Tensor {
  return unaryRaw('sign', unaryRaw('relu', x));
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x, undefined, (_x, _y, g) => neg(g));
export const abs = (x: Tensor): Tensor => unaryOp('abs', x, undefined, (x, _y, g) => mul(g, unaryRaw('sign', x)));
/** sign(0) = 0; the gradient is zero everywhere */
export const sign = (x: Tensor): Tensor => unaryOp('sign', x, undefined, null);
export const floor = (x: Tensor): Tensor => unaryOp('floor', x, undefined, null);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x, undefined, (_x, y, g) => mul(g, y));
export const log = (x: Tensor): Tensor => unaryOp('log', x, undefined, (x, _y, g) => div_(g, x));
export const log1p = (x: Tensor): Tensor => unaryOp('log1p', x, undefined, (x, _y, g) => div_(g, affine(x, 1, 1)));
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x, undefined, (_x, y, g) => div_(affine(g, 0.5, 0), y));
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x, undefined, (_x, y, g) => mul(g, affine(unaryRaw('powScalar', y, [3]), -0.5, 0)));
export const square = (x: Tensor): Tensor => unaryOp('square', x, undefined, (x, _y, g) => mul(g, affine(x, 2, 0)));
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x, undefined, (_x, y, g) => neg(mul(g, unaryRaw('square', y))));
export const sin = (x: Tensor): Tensor => unaryOp('sin', x, undefined, (x, _y, g) => mul(g, unaryRaw('cos', x)));
export const cos = (x: Tensor): Tensor => unaryOp('cos', x, undefined, (x, _y, g) => neg(mul(g, unaryRaw('sin', x))));
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x, undefined, (_x, y, g) => mul(g, affine(unaryRaw('square', y), -1, 1)));
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x, undefined, (_x, y, g) => mul(g, mul(y, affine(y, -1, 1))));
/** relu'(0) = 0 (PyTorch); the mask is sign(y) = sign(relu(x)), one pass fewer than from x */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x, undefined, (_x, y, g) => mul(g, unaryRaw('sign', y)));
/** exact (erf) GELU, as PyTorch's default */
export const gelu = (x: Tensor): Tensor => unaryOp('gelu', x, undefined, (x, _y, g) => mul(g, unaryRaw('geluGrad', x)));
/** log(1 + e^x), computed stably for large |x| */
export const softplus = (x: Tensor): Tensor => unaryOp('softplus', x, undefined, (x, _y, g) => mul(g, unaryRaw('sigmoid', x)));

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unaryOp('leakyRelu', x, [negativeSlope], (x, _y, g) => mul(g, affine(positiveMask(x), 1 - negativeSlope, negativeSlope)));
}

/** clamp to [min, max]; the gradient passes where min <= x <= max */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (Number.isNaN(min) || Number.isNaN(max) || min > max) throw new OpError(`clamp: invalid range [${min}, ${max}]`);
  return unaryOp('clamp', x, [min, max], (x, _y, g) => mul(g, unaryRaw('inRange', x, [min, max])));
}

/** x ** p for a number p */
export function powScalar(x: Tensor, p: number): Tensor {
  if (p === 1) return unaryOp('affine', x, [1, 0], (_x, _y, g) => g);
  if (p === 2) return square(x);
  return unaryOp('powScalar', x, [p], (x, _y, g) => mul(g, affine(unaryRaw('powScalar', x, [p - 1]), p, 0)));
}

/** a·x + b for numbers a, b (scalar arithmetic without uploading a scalar tensor) */
export function affine(x: Tensor, a: number, b: number): Tensor {
  return unaryOp('affine', x, [a, b], (_x, _y, g) => (a === 1 ? g : affine(g, a, 0)));
}

/** 1 where x is finite, else 0 (no gradient) */
export function isFinite(x: Tensor): Tensor {
  checkTensor('isFinite', x);
  return unaryRaw('isfinite', x);
}

// division used inside gradient rules (avoids a cycle through the public binary div wrapper)
function div_(a: Tensor, b: Tensor): Tensor {
  return mul(a, unaryRaw('reciprocal', b));
}

/**
 * Parametric ReLU with one slope per channel (axis 1) or a single slope: relu(x) − w·relu(−x). A
 * backend with the fused kernel (Backend.prelu) runs it in one pass and its gradient in another.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  checkTensor('prelu', x);
  checkTensor('prelu', weight, 'weight');
  const c = weight.size;
  if (c !== 1 && (x.rank < 2 || x.shape[1] !== c)) {
    throw new OpError(`prelu: weight has ${c} slopes but the input ${JSON.stringify(x.shape)} has ${x.shape[1] ?? 'no'} channels (axis 1); expected 1 or the channel count`);
  }
  const be = x.backend;
  if (be.prelu && be.preluBackward && x.dtype === 'float32' && weight.dtype === 'float32' && weight.backend === be && x.size > 0) {
    const channels = x.rank < 2 ? 1 : x.shape[1]!;
    const p: PreluParams = { outer: x.rank < 2 ? 1 : x.shape[0]!, c: channels, inner: x.rank < 2 ? x.size : x.size / (x.shape[0]! * channels), shared: c === 1 };
    const y = fromStorage(be.prelu(x.storage, weight.storage, p), x.shape, x.dtype);
    return record('prelu', [x, weight], y, (g, needs) => {
      const r = g.backend.preluBackward!(g.storage, x.storage, weight.storage, p);
      const dx = fromStorage(r.dx, x.shape, x.dtype), dw = fromStorage(r.dWeight, weight.shape, weight.dtype);
      if (!needs[0]) dx.dispose();
      if (!needs[1]) dw.dispose();
      return [needs[0] ? dx : null, needs[1] ? dw : null];
    });
  }
  const shape = c === 1 ? [1] : [1, c, ...new Array<number>(Math.max(0, x.rank - 2)).fill(1)];
  const w = weight.rank === shape.length ? weight : reshape(weight, shape);
  return sub(relu(x), mul(w, relu(neg(x))));
}

