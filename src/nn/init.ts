/** Weight initialisers from the seeded generator (PyTorch defaults and Kaiming/Xavier). */
import type { Backend } from '../core/backend.js';
import type { DType } from '../core/dtype.js';
import { defaultGenerator, type Generator } from '../core/random.js';
import { sizeOf } from '../core/shape.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../core/tensor.js';

export interface InitOptions {
  generator?: Generator;
  dtype?: DType;
  backend?: Backend;
}

/** fan_in and fan_out of a weight [out, in, ...receptive field] */
export function fans(shape: readonly number[]): [number, number] {
  const receptive = sizeOf(shape.slice(2));
  return [(shape[1] ?? 1) * receptive, shape[0]! * receptive];
}

export function uniformInit(shape: readonly number[], bound: number, o: InitOptions = {}): Tensor {
  const g = o.generator ?? defaultGenerator;
  return tensor(g.uniform(sizeOf(shape), -bound, bound), { shape, dtype: o.dtype ?? 'float32', backend: o.backend });
}

export function normalInit(shape: readonly number[], std: number, o: InitOptions = {}): Tensor {
  const g = o.generator ?? defaultGenerator;
  return tensor(g.normal(sizeOf(shape), 0, std), { shape, dtype: o.dtype ?? 'float32', backend: o.backend });
}

function gain(nonlinearity: 'relu' | 'leaky_relu' | 'linear', a = 0): number {
  if (nonlinearity === 'relu') return Math.SQRT2;
  if (nonlinearity === 'leaky_relu') return Math.sqrt(2 / (1 + a * a));
  return 1;
}

/** Kaiming (He) uniform: bound = gain·√(3 / fan); PyTorch's Linear/Conv default is a = √5. */
export function kaimingUniform(shape: readonly number[], o: InitOptions & { a?: number; mode?: 'fan_in' | 'fan_out'; nonlinearity?: 'relu' | 'leaky_relu' } = {}): Tensor {
  const [fanIn, fanOut] = fans(shape);
  const fan = o.mode === 'fan_out' ? fanOut : fanIn;
  const gn = gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  return uniformInit(shape, gn * Math.sqrt(3 / fan), o);
}

/** Kaiming (He) normal: std = gain / √fan (fan_out is the ResNet convention). */
export function kaimingNormal(shape: readonly number[], o: InitOptions & { mode?: 'fan_in' | 'fan_out'; nonlinearity?: 'relu' | 'leaky_relu'; a?: number } = {}): Tensor {
  const [fanIn, fanOut] = fans(shape);
  const fan = o.mode === 'fan_out' ? fanOut : fanIn;
  return normalInit(shape, gain(o.nonlinearity ?? 'relu', o.a ?? 0) / Math.sqrt(fan), o);
}

export function xavierUniform(shape: readonly number[], o: InitOptions & { gain?: number } = {}): Tensor {
  const [fanIn, fanOut] = fans(shape);
  return uniformInit(shape, (o.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut)), o);
}

export function xavierNormal(shape: readonly number[], o: InitOptions & { gain?: number } = {}): Tensor {
  const [fanIn, fanOut] = fans(shape);
  return normalInit(shape, (o.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), o);
}

/** PyTorch's default for Linear/Conv weights: kaiming_uniform with a = √5, i.e. bound 1/√fan_in. */
export function defaultWeightInit(shape: readonly number[], o: InitOptions = {}): Tensor {
  return kaimingUniform(shape, { ...o, a: Math.sqrt(5), nonlinearity: 'leaky_relu' });
}

/** PyTorch's default bias: uniform(±1/√fan_in). */
export function defaultBiasInit(size: number, fanIn: number, o: InitOptions = {}): Tensor {
  return uniformInit([size], fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, o);
}
