/** Elementwise functions of two tensors with NumPy broadcasting; numbers become scalar kernels. */
import type { BinaryOp } from '../core/backend.js';
import { record } from '../core/autograd.js';
import { broadcastShapes, formatShape, type Shape } from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { full } from './creation.js';
import { binaryRaw, sumTo } from './raw.js';
import { affine, neg, powScalar, clamp, log } from './unary.js';
import { broadcastOperand, checkSameDType, checkTensor, OpError, sameBackend } from './util.js';

export type TensorOrNumber = Tensor | number;

function asTensor(op: string, v: TensorOrNumber, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') throw new OpError(`${op}: expected a Tensor or a number, got ${typeof v}`);
  return full([], v, { dtype: like.dtype, backend: like.backend });
}

function binaryOp(op: BinaryOp, a: Tensor, b: Tensor,
  grad: (a: Tensor, b: Tensor, y: Tensor, g: Tensor, needs: readonly boolean[]) => [Tensor | null, Tensor | null]): Tensor {
  const y = binaryRaw(op, a, b);
  return record(op, [a, b], y, (g, needs) => {
    const [ga, gb] = grad(a, b, y, g, needs);
    return [ga && needs[0] ? sumTo(ga, a.shape) : null, gb && needs[1] ? sumTo(gb, b.shape) : null];
  });
}

function pickTensor(op: string, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (a instanceof Tensor) return a;
  if (b instanceof Tensor) return b;
  throw new OpError(`${op}: at least one argument must be a Tensor`);
}

export function add(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return affine(a, 1, b);
  if (typeof a === 'number' && b instanceof Tensor) return affine(b, 1, a);
  checkTensor('add', a, 'a'); checkTensor('add', b, 'b');
  return binaryOp('add', a, b, (_a, _b, _y, g) => [g, g]);
}

export function sub(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return affine(a, 1, -b);
  if (typeof a === 'number' && b instanceof Tensor) return affine(b, -1, a);
  checkTensor('sub', a, 'a'); checkTensor('sub', b, 'b');
  return binaryOp('sub', a, b, (_a, _b, _y, g) => [g, neg(g)]);
}

export function mul(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return affine(a, b, 0);
  if (typeof a === 'number' && b instanceof Tensor) return affine(b, a, 0);
  checkTensor('mul', a, 'a'); checkTensor('mul', b, 'b');
  return binaryOp('mul', a, b, (a, b, _y, g, needs) => [needs[0] ? mul(g, b) : null, needs[1] ? mul(g, a) : null]);
}

export function div(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return affine(a, 1 / b, 0);
  const t = pickTensor('div', a, b);
  const A = asTensor('div', a, t), B = asTensor('div', b, t);
  return binaryOp('div', A, B, (_a, b, y, g, needs) => [
    needs[0] ? div(g, b) : null,
    needs[1] ? neg(div(mul(g, y), b)) : null,
  ]);
}

export function pow(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return powScalar(a, b);
  const t = pickTensor('pow', a, b);
  const A = asTensor('pow', a, t), B = asTensor('pow', b, t);
  return binaryOp('pow', A, B, (a, b, y, g, needs) => [
    needs[0] ? mul(g, mul(b, pow(a, affine(b, 1, -1)))) : null,
    needs[1] ? mul(g, mul(y, log(a))) : null,
  ]);
}

/** Ties split the gradient equally between a and b (as PyTorch). */
export function maximum(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return clamp(a, b, Infinity);
  if (typeof a === 'number' && b instanceof Tensor) return clamp(b, a, Infinity);
  checkTensor('maximum', a, 'a'); checkTensor('maximum', b, 'b');
  return binaryOp('maximum', a, b, (a, b, _y, g) => {
    const share = add(binaryRaw('gt', a, b), affine(binaryRaw('eq', a, b), 0.5, 0));
    const ga = mul(g, share);
    return [ga, sub(g, ga)];
  });
}

export function minimum(a: TensorOrNumber, b: TensorOrNumber): Tensor {
  if (typeof b === 'number' && a instanceof Tensor) return clamp(a, -Infinity, b);
  if (typeof a === 'number' && b instanceof Tensor) return clamp(b, -Infinity, a);
  checkTensor('minimum', a, 'a'); checkTensor('minimum', b, 'b');
  return binaryOp('minimum', a, b, (a, b, _y, g) => {
    const share = add(binaryRaw('lt', a, b), affine(binaryRaw('eq', a, b), 0.5, 0));
    const ga = mul(g, share);
    return [ga, sub(g, ga)];
  });
}

function compare(op: BinaryOp) {
  return (a: TensorOrNumber, b: TensorOrNumber): Tensor => {
    const t = pickTensor(op, a, b);
    return binaryRaw(op, asTensor(op, a, t), asTensor(op, b, t));
  };
}

/** Comparisons return 1/0 in the inputs' dtype and carry no gradient. */
export const eq = compare('eq');
export const ne = compare('ne');
export const lt = compare('lt');
export const le = compare('le');
export const gt = compare('gt');
export const ge = compare('ge');

/** cond ? a : b with broadcasting; no gradient flows to cond. */
export function where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  checkTensor('where', cond, 'condition');
  const t = pickTensor('where', a, b);
  const A = asTensor('where', a, t), B = asTensor('where', b, t);
  const backend = sameBackend('where', cond, A, B);
  checkSameDType('where', A, B);
  const shape: Shape = broadcastShapes('where', broadcastShapes('where', cond.shape, A.shape), B.shape);
  const y = fromStorage(backend.where(broadcastOperand(cond, shape), broadcastOperand(A, shape), broadcastOperand(B, shape), shape), shape, A.dtype);
  return record('where', [A, B], y, (g, needs) => {
    const zero = full([], 0, { dtype: g.dtype, backend: g.backend });
    return [
      needs[0] ? sumTo(where(cond, g, zero), A.shape) : null,
      needs[1] ? sumTo(where(cond, zero, g), B.shape) : null,
    ];
  });
}

export function assertSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new OpError(`${op}: shapes differ: ${formatShape(a.shape)} vs ${formatShape(b.shape)}`);
  }
}

