/**
 * Tensor methods (x.add(y), x.sum(1), loss.backward(), ...): thin forwards to the op functions so
 * that there is exactly one definition of each op.
 */
import type { Backend } from '../core/backend.js';
import { backward } from '../core/autograd.js';
import type { DType } from '../core/dtype.js';
import type { Shape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import * as B from './binary.js';
import * as U from './unary.js';
import * as R from './reduce.js';
import * as S from './shape.js';
import * as I from './indexing.js';
import * as L from './linalg.js';
import * as N from './nn.js';
import { tensor } from './creation.js';

type TN = Tensor | number;

declare module '../core/tensor.js' {
  interface Tensor {
    add(o: TN): Tensor; sub(o: TN): Tensor; mul(o: TN): Tensor; div(o: TN): Tensor; pow(o: TN): Tensor;
    maximum(o: TN): Tensor; minimum(o: TN): Tensor;
    eq(o: TN): Tensor; ne(o: TN): Tensor; lt(o: TN): Tensor; le(o: TN): Tensor; gt(o: TN): Tensor; ge(o: TN): Tensor;
    neg(): Tensor; abs(): Tensor; sign(): Tensor; exp(): Tensor; log(): Tensor; log1p(): Tensor; sqrt(): Tensor;
    rsqrt(): Tensor; square(): Tensor; reciprocal(): Tensor; sin(): Tensor; cos(): Tensor; tanh(): Tensor;
    sigmoid(): Tensor; relu(): Tensor; gelu(): Tensor; softplus(): Tensor; floor(): Tensor;
    leakyRelu(slope?: number): Tensor; clamp(min?: number, max?: number): Tensor;
    sum(axes?: R.Axes, keepdim?: boolean): Tensor; mean(axes?: R.Axes, keepdim?: boolean): Tensor;
    max(axes?: R.Axes, keepdim?: boolean): Tensor; min(axes?: R.Axes, keepdim?: boolean): Tensor;
    prod(axes?: R.Axes, keepdim?: boolean): Tensor;
    var(axes?: R.Axes, keepdim?: boolean, correction?: number): Tensor; std(axes?: R.Axes, keepdim?: boolean, correction?: number): Tensor;
    logsumexp(axes?: R.Axes, keepdim?: boolean): Tensor; norm(p?: number, axes?: R.Axes, keepdim?: boolean): Tensor;
    argmax(axis?: number, keepdim?: boolean): Tensor; argmin(axis?: number, keepdim?: boolean): Tensor;
    reshape(shape: Shape): Tensor; view(shape: Shape): Tensor; flatten(start?: number, end?: number): Tensor;
    squeeze(axes?: number | number[]): Tensor; unsqueeze(axis: number): Tensor;
    permute(dims: number[]): Tensor; transpose(d0?: number, d1?: number): Tensor; readonly T: Tensor;
    expand(shape: Shape): Tensor; flip(axes: number | number[]): Tensor;
    slice(ranges: (S.SliceRange | null)[]): Tensor; narrow(axis: number, start: number, length: number): Tensor;
    gather(axis: number, index: Tensor): Tensor; indexSelect(axis: number, index: Tensor): Tensor;
    matmul(o: Tensor): Tensor;
    softmax(axis?: number): Tensor; logSoftmax(axis?: number): Tensor;
    clone(): Tensor; detach(): Tensor; cast(dtype: DType): Tensor; float(): Tensor; double(): Tensor; int(): Tensor;
    /** backpropagate into leaves' .grad */
    backward(grad?: Tensor, options?: { retainGraph?: boolean }): void;
    /** copy to another backend */
    to(backend: Backend): Promise<Tensor>;
  }
}

const P = Tensor.prototype as unknown as Record<string, unknown>;
const binary = { add: B.add, sub: B.sub, mul: B.mul, div: B.div, pow: B.pow, maximum: B.maximum, minimum: B.minimum, eq: B.eq, ne: B.ne, lt: B.lt, le: B.le, gt: B.gt, ge: B.ge };
for (const [name, f] of Object.entries(binary)) P[name] = function (this: Tensor, o: TN) { return f(this, o); };
const unary = {
  neg: U.neg, abs: U.abs, sign: U.sign, exp: U.exp, log: U.log, log1p: U.log1p, sqrt: U.sqrt, rsqrt: U.rsqrt,
  square: U.square, reciprocal: U.reciprocal, sin: U.sin, cos: U.cos, tanh: U.tanh, sigmoid: U.sigmoid,
  relu: U.relu, gelu: U.gelu, softplus: U.softplus, floor: U.floor,
  clone: S.clone, detach: S.detach,
};
for (const [name, f] of Object.entries(unary)) P[name] = function (this: Tensor) { return f(this); };
const passThrough: Record<string, (t: Tensor, ...a: never[]) => Tensor> = {
  leakyRelu: U.leakyRelu, clamp: U.clamp,
  sum: R.sum, mean: R.mean, max: R.max, min: R.min, prod: R.prod, var: R.variance, std: R.std,
  logsumexp: R.logsumexp, norm: R.norm, argmax: R.argmax, argmin: R.argmin,
  reshape: S.reshape, view: S.reshape, flatten: S.flatten, squeeze: S.squeeze, unsqueeze: S.unsqueeze,
  permute: S.permute, transpose: S.transpose, expand: S.expand, flip: S.flip, slice: S.slice, narrow: S.narrow,
  gather: I.gather, indexSelect: I.indexSelect, matmul: L.matmul, softmax: N.softmax, logSoftmax: N.logSoftmax,
  cast: S.cast,
};
for (const [name, f] of Object.entries(passThrough)) P[name] = function (this: Tensor, ...a: never[]) { return f(this, ...a); };
Object.defineProperty(Tensor.prototype, 'T', { get(this: Tensor) { return S.transpose(this); } });
P.float = function (this: Tensor) { return S.cast(this, 'float32'); };
P.double = function (this: Tensor) { return S.cast(this, 'float64'); };
P.int = function (this: Tensor) { return S.cast(this, 'int32'); };
P.backward = function (this: Tensor, grad?: Tensor, options?: { retainGraph?: boolean }) { backward(this, grad, options); };
P.to = async function (this: Tensor, target: Backend) {
  if (target === this.backend) return this;
  const data = await this.data();
  const t = tensor(data, { shape: this.shape, dtype: this.dtype, backend: target });
  return t;
};
