/**
 * Library entry points check their arguments: wrong types, dtypes, seeds and hyper-parameters, and
 * host-side arrays too large to build, are refused with errors that name the function, the argument,
 * what it accepts and what it got — never a TypeError from inside, never a silently changed value.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { DataLoader } from '../../src/data/dataloader.js';
import { SGD, Adam } from '../../src/optim/index.js';
import { FGSM } from '../../src/attacks/index.js';

const p = () => g.zeros([2], { requiresGrad: true });
const tiny = { images: new Uint8Array(4), labels: new Uint8Array(1), n: 1, c: 1, h: 2, w: 2 };

describe('tensor creation', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['an unknown dtype', () => g.tensor([1], { dtype: 'float16' as never }), /^tensor: dtype must be one of float32, float64, int32, got "float16"$/],
    ['a typed array without a gmgrad dtype', () => g.tensor(new Uint8Array(3)), /tensor: a Uint8Array has no gmgrad dtype; pass \{ dtype: 'float32' \}/],
    ['a bigint array', () => g.tensor(new BigInt64Array(2) as never, { dtype: 'int32' }), /tensor: bigint arrays and DataViews cannot be converted/],
    ['a shape that is not an array', () => g.zeros('3' as never), /^full: shape must be an array of non-negative integers, got '3'$/],
    ['full with a non-number value', () => g.full([2], '1' as never), /full: value must be a number, got string/],
    ['random values beyond host memory', () => g.randn([2 ** 20, 2 ** 20]), /^randn: refusing to build 1099511627776 values \(8\.00 TiB on the host\): more than the .* limit/],
    ['a range beyond host memory', () => g.arange(0, 1e13), /^arange: refusing to build 10000000000000 values/],
    ['an identity beyond host memory', () => g.eye(1e7), /^eye: refusing to build 100000000000000 values/],
    ['a range with an infinite end', () => g.arange(0, Infinity), /arange: start and end must be finite numbers, got 0 and Infinity/],
  ];
  for (const [what, f, message] of cases) it(what, () => expect(f).toThrow(message));

  it('a Uint8Array converts when a dtype is given', () => {
    expect(Array.from(g.tensor(Uint8Array.from([1, 255]), { dtype: 'float32' }).dataSync())).toEqual([1, 255]);
  });
});

describe('seeds are 32-bit integers, never wrapped', () => {
  for (const bad of [2 ** 32, -1, 0.5, NaN]) {
    it(`${bad}`, () => {
      expect(() => new g.Generator(bad)).toThrow(/^Generator: seed must be an integer from 0 to 4294967295/);
      expect(() => g.manualSeed(bad)).toThrow(/^manualSeed: seed must be an integer from 0 to 4294967295/);
      expect(() => new DataLoader(tiny, { batchSize: 1, seed: bad })).toThrow(/^DataLoader: seed must be an integer from 0 to 4294967295/);
      expect(() => new FGSM({ epsilon: 0.1, seed: bad })).toThrow(/^FGSM: seed must be an integer from 0 to 4294967295/);
    });
  }
  it('the largest seed is accepted', () => {
    expect(new g.Generator(2 ** 32 - 1).seed).toBe(2 ** 32 - 1);
  });
});

describe('optimizers', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['negative momentum', () => new SGD([p()], { lr: 0.1, momentum: -1 }), /^SGD: momentum must be in \[0, 1\], got -1$/],
    ['NaN weight decay', () => new SGD([p()], { lr: 0.1, weightDecay: NaN }), /^SGD: weightDecay must be >= 0, got NaN$/],
    ['a NaN learning rate', () => new SGD([p()], { lr: NaN }), /^SGD: lr must be >= 0, got NaN$/],
    ['Adam with a negative epsilon', () => new Adam([p()], { epsilon: -1 }), /^Adam: epsilon must be > 0, got -1$/],
    ['Adam with beta1 = 1', () => new Adam([p()], { beta1: 1 }), /^Adam: beta1 must be in \[0, 1\), got 1$/],
    ['no parameters', () => new SGD([], { lr: 0.1 }), /^SGD: no parameters to optimize/],
    ['parameters that are not tensors', () => new SGD([1 as never], { lr: 0.1 }), /^SGD: parameter 0 of group 0 must be a live Tensor, got number$/],
    ['a disposed parameter', () => { const t = p(); t.dispose(); return new SGD([t], { lr: 0.1 }); }, /a live Tensor, got a disposed one/],
    ['params that are not an array', () => new SGD(null as never, { lr: 0.1 }), /^SGD: params must be an array/],
  ];
  for (const [what, f, message] of cases) it(what, () => expect(f).toThrow(message));
});

describe('DataLoader', () => {
  it('refuses a missing dataset or options, naming what it needs', () => {
    expect(() => new DataLoader(null as never, { batchSize: 1 })).toThrow(/^DataLoader: data must be \{ images: Uint8Array, labels, n, c, h, w \}/);
    expect(() => new DataLoader(tiny, undefined as never)).toThrow(/^DataLoader: options \{ batchSize \} are required$/);
    expect(() => new DataLoader({ ...tiny, n: -1 }, { batchSize: 1 })).toThrow(/^DataLoader: data\.n must be a non-negative integer, got -1$/);
  });
});
