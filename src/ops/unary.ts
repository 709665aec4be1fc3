/** Elementwise functions of one tensor, each with its gradient (composed from raw kernels). */
import type { UnaryOp } from '../core/backend.js';
import { record } from '../core/autograd.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { affineRaw, binaryRaw, reluGradRaw, scalarLike, unaryRaw } from './raw.js';
import { checkFloat, checkTensor, OpError } from './util.js';

export { unaryRaw } from './raw.js';

/** Run a unary kernel; `grad` gives dL/dx from (x, y, dL/dy). */
function unaryOp(op: UnaryOp, x: Tensor, params: readonly number[] | undefined,
  grad: ((x: Tensor, y: Tensor, g: Tensor) => Tensor) | null): Tensor {
  checkTensor(op, x);
  checkFloat(op, x);
  const y = fromStorage(x.backend.unary(op, x.storage, params), x.shape, x.dtype);
  if (!grad) return y;
  return record(op, [x], y, (g) => [grad(x, y, g)]);
}

const mul = (a: Tensor, b: Tensor) => binaryRaw('mul', a, b);
const div = (a: Tensor, b: Tensor) => binaryRaw('div', a, b);

/** 1 where x > 0, else 0 */
function positiveMask(x: Tensor): Tensor {
  return unaryRaw('sign', unaryRaw('relu', x));
}

/** φ(x) = e^{−x²/2}/√(2π), the standard normal density */
function normalPdf(x: Tensor): Tensor {
  return affineRaw(unaryRaw('exp', affineRaw(unaryRaw('square', x), -0.5, 0)), 1 / Math.sqrt(2 * Math.PI), 0);
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x, undefined, (_x, _y, g) => affineRaw(g, -1, 0));
export const abs = (x: Tensor): Tensor => unaryOp('abs', x, undefined, (x, _y, g) => mul(g, unaryRaw('sign', x)));
/** sign(0) = 0; the gradient is zero everywhere */
export const sign = (x: Tensor): Tensor => unaryOp('sign', x, undefined, null);
export const floor = (x: Tensor): Tensor => unaryOp('floor', x, undefined, null);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x, undefined, (_x, y, g) => mul(g, y));
export const log = (x: Tensor): Tensor => unaryOp('log', x, undefined, (x, _y, g) => div(g, x));
export const log1p = (x: Tensor): Tensor => unaryOp('log1p', x, undefined, (x, _y, g) => div(g, affineRaw(x, 1, 1)));
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x, undefined, (_x, y, g) => div(affineRaw(g, 0.5, 0), y));
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x, undefined, (_x, y, g) => mul(g, affineRaw(unaryRaw('powScalar', y, [3]), -0.5, 0)));
export const square = (x: Tensor): Tensor => unaryOp('square', x, undefined, (x, _y, g) => mul(g, affineRaw(x, 2, 0)));
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x, undefined, (_x, y, g) => affineRaw(mul(g, unaryRaw('square', y)), -1, 0));
export const sin = (x: Tensor): Tensor => unaryOp('sin', x, undefined, (x, _y, g) => mul(g, unaryRaw('cos', x)));
export const cos = (x: Tensor): Tensor => unaryOp('cos', x, undefined, (x, _y, g) => affineRaw(mul(g, unaryRaw('sin', x)), -1, 0));
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x, undefined, (_x, y, g) => mul(g, affineRaw(unaryRaw('square', y), -1, 1)));
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x, undefined, (_x, y, g) => mul(g, mul(y, affineRaw(y, -1, 1))));
/** relu'(0) = 0 (PyTorch) */
export const relu = (x: Tensor): Tensor => unaryOp('relu', x, undefined, (_x, y, g) => reluGradRaw(y, g));
/** Φ(x), the standard normal CDF (torch.special.ndtr); Φ'(x) = φ(x) */
export const normalCdf = (x: Tensor): Tensor => unaryOp('normalCdf', x, undefined, (x, _y, g) => mul(g, normalPdf(x)));
/** exact (erf) GELU x·Φ(x), as PyTorch's default; gelu'(x) = Φ(x) + x·φ(x) */
export const gelu = (x: Tensor): Tensor => unaryOp('gelu', x, undefined,
  (x, _y, g) => mul(g, binaryRaw('add', unaryRaw('normalCdf', x), mul(x, normalPdf(x)))));
/** log(1 + e^x), computed stably for large |x| */
export const softplus = (x: Tensor): Tensor => unaryOp('softplus', x, undefined, (x, _y, g) => mul(g, unaryRaw('sigmoid', x)));

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unaryOp('leakyRelu', x, [negativeSlope], (x, _y, g) => mul(g, affineRaw(positiveMask(x), 1 - negativeSlope, negativeSlope)));
}

/** clamp to [min, max]; the gradient passes where min <= x <= max (not at NaN) */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (Number.isNaN(min) || Number.isNaN(max) || min > max) throw new OpError(`clamp: invalid range [${min}, ${max}]`);
  return unaryOp('clamp', x, [min, max], (x, _y, g) => {
    const inRange = mul(binaryRaw('ge', x, scalarLike(x, min)), binaryRaw('le', x, scalarLike(x, max)));
    return mul(g, inRange);
  });
}

/** x ** p for a number p */
export function powScalar(x: Tensor, p: number): Tensor {
  if (p === 1) return unaryOp('affine', x, [1, 0], (_x, _y, g) => g);
  if (p === 2) return square(x);
  return unaryOp('powScalar', x, [p], (x, _y, g) => mul(g, affineRaw(unaryRaw('powScalar', x, [p - 1]), p, 0)));
}

/** a·x + b for numbers a, b (scalar arithmetic without uploading a scalar tensor) */
export function affine(x: Tensor, a: number, b: number): Tensor {
  return unaryOp('affine', x, [a, b], (_x, _y, g) => (a === 1 ? g : affineRaw(g, a, 0)));
}

/** 1 where x is finite, else 0 (no gradient) */
export function isFinite(x: Tensor): Tensor {
  checkTensor('isFinite', x);
  return unaryRaw('isfinite', x);
}
