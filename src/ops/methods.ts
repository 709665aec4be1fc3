/**
 * Tensor methods (x.add(y), x.sum(1), loss.backward(), ...): thin forwards to the op functions so
 * that there is exactly one definition of each op. Imported by ops/index.ts (and so by the package
 * entry), which installs them; it is the only op file that imports every other. Code inside src/
 * calls the op functions, never these methods, so it works whichever modules were loaded.
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
import * as N from './softmax.js';
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
type Fn = (...a: unknown[]) => Tensor;
function forward(name: string, mod: () => Record<string, unknown>, fnName = name): void {
  P[name] = function (this: Tensor, ...a: unknown[]) { return (mod()[fnName] as Fn)(this, ...a); };
}
for (const n of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']) forward(n, () => B);
for (const n of ['neg', 'abs', 'sign', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tanh',
  'sigmoid', 'relu', 'gelu', 'softplus', 'floor', 'leakyRelu', 'clamp']) forward(n, () => U);
for (const n of ['sum', 'mean', 'max', 'min', 'prod', 'std', 'logsumexp', 'norm', 'argmax', 'argmin']) forward(n, () => R);
forward('var', () => R, 'variance');
for (const n of ['reshape', 'flatten', 'squeeze', 'unsqueeze', 'permute', 'transpose', 'expand', 'flip', 'slice', 'narrow', 'clone', 'detach', 'cast']) forward(n, () => S);
forward('view', () => S, 'reshape');
for (const n of ['gather', 'indexSelect']) forward(n, () => I);
forward('matmul', () => L);
for (const n of ['softmax', 'logSoftmax']) forward(n, () => N);
Object.defineProperty(Tensor.prototype, 'T', { get(this: Tensor) { return S.transpose(this); } });
P.float = function (this: Tensor) { return S.cast(this, 'float32'); };
P.double = function (this: Tensor) { return S.cast(this, 'float64'); };
P.int = function (this: Tensor) { return S.cast(this, 'int32'); };
P.backward = function (this: Tensor, grad?: Tensor, options?: { retainGraph?: boolean }) { backward(this, grad, options); };
P.to = async function (this: Tensor, target: Backend) {
  if (target === this.backend) return this;
  return tensor(await this.data(), { shape: this.shape, dtype: this.dtype, backend: target });
};
