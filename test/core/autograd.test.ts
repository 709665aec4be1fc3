import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';

describe('autodiff', () => {
  it('accumulates into leaves across backward calls', async () => {
    const x = g.tensor([1, 2, 3], { requiresGrad: true });
    g.sum(g.mul(x, x)).backward();
    g.sum(g.mul(x, 3)).backward();
    expect(Array.from(await x.grad!.data())).toEqual([5, 7, 9]);
  });

  it('frees the graph after backward: a second backward is a clear error', () => {
    const x = g.tensor([1, 2], { requiresGrad: true });
    const y = g.sum(g.exp(x));
    y.backward();
    expect(() => y.backward()).toThrow(/already freed/);
  });

  it('an intermediate disposed before backward is a clear error, not a missing gradient', () => {
    const w = g.tensor([1, 2], { requiresGrad: true });
    const h = g.mul(w, 3);
    const loss = g.sum(g.mul(h, h));
    h.dispose();
    expect(() => loss.backward()).toThrow(/backward: .*\[2\] float32 \(the output of 'affine'\) was disposed before backward\(\)/);
    expect(w.grad).toBeNull();
  });

  it('the same through tidy: the loss returned, its inputs disposed by the scope', () => {
    const w = g.tensor([1, 2], { requiresGrad: true });
    const loss = g.tidy(() => g.sum(g.exp(g.mul(w, 2))));
    expect(() => loss.backward()).toThrow(/was disposed before backward\(\)/);
  });

  it('a leaf disposed before backward is a clear error', () => {
    const w = g.tensor([1, 2], { requiresGrad: true });
    const loss = g.sum(g.mul(w, w));
    w.dispose();
    expect(() => loss.backward()).toThrow(/disposed/);
  });

  it('retainGraph allows a second backward', async () => {
    const x = g.tensor([1, 2], { requiresGrad: true });
    const y = g.sum(g.square(x));
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(Array.from(await x.grad!.data())).toEqual([4, 8]);
  });

  it('noGrad records nothing and detach cuts the graph', () => {
    const x = g.tensor([1, 2], { requiresGrad: true });
    const y = g.noGrad(() => g.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    const z = g.detach(g.mul(x, 2));
    expect(z.requiresGrad).toBe(false);
    expect(() => g.sum(z).backward()).toThrow(/does not require a gradient/);
  });

  it('valueAndGrad returns input gradients and leaves parameter .grad untouched', async () => {
    const w = g.tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const x = g.tensor([[1, 1]]);
    const { value, grads } = g.valueAndGrad((xi) => g.sum(g.matmul(xi, w)))(x);
    expect(await value.item()).toBe(10);
    expect(Array.from(await grads[0]!.data())).toEqual([3, 7]);
    expect(w.grad).toBeNull();
    expect(x.requiresGrad).toBe(false);
  });

  it('a gradient shared by two leaves is not aliased', async () => {
    const a = g.tensor([1], { requiresGrad: true });
    const b = g.tensor([2], { requiresGrad: true });
    g.sum(g.add(a, b)).backward();
    a.grad!.dispose();
    expect(await b.grad!.item()).toBe(1);
  });
});

describe('memory scopes', () => {
  it('tidy disposes intermediates and keeps the result', () => {
    const before = g.memory().cpu?.liveBuffers ?? 0;
    const kept = g.tidy(() => {
      const a = g.ones([3]);
      const b = g.add(a, 1);
      return g.mul(b, 2);
    });
    expect(kept.isDisposed).toBe(false);
    expect(g.memory().cpu!.liveBuffers).toBe(before + 1);
    kept.dispose();
    expect(g.memory().cpu!.liveBuffers).toBe(before);
  });

  it('async tidy closes when the promise settles', async () => {
    let inner: g.Tensor | null = null;
    const r = await g.tidy(async () => {
      inner = g.ones([2]);
      await new Promise((res) => setTimeout(res, 1));
      return g.add(inner, 1);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(Array.from(await r.data())).toEqual([2, 2]);
  });

  it('use after dispose is a clear error naming the op', () => {
    const t = g.ones([2, 2]);
    t.dispose();
    expect(() => g.add(t, t)).toThrow(/add: .*\[2, 2\].*after dispose/);
  });
});

describe('bad input gives errors that name the op, the shapes and what was expected', () => {
  it('mismatched broadcast shapes', () => {
    expect(() => g.add(g.ones([2, 3]), g.ones([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  });
  it('matmul inner dimensions', () => {
    expect(() => g.matmul(g.ones([2, 3]), g.ones([4, 5]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] @ \[4, 5\] \(3 vs 4\)/);
  });
  it('bad axis', () => {
    expect(() => g.sum(g.ones([2, 3]), 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
  });
  it('wrong dtype', () => {
    expect(() => g.exp(g.tensor([1, 2], { dtype: 'int32' }))).toThrow(/exp: expected a float32 or float64 tensor, got int32 \[2\]/);
    expect(() => g.crossEntropy(g.ones([2, 3]), g.ones([2]))).toThrow(/crossEntropy: target must hold int32 class indices, got float32 \[2\]/);
  });
  it('negative sizes', () => {
    expect(() => g.zeros([2, -1])).toThrow(/full: invalid shape \[2, -1\]/);
  });
  it('reshape to an incompatible size', () => {
    expect(() => g.reshape(g.ones([2, 3]), [4, 2])).toThrow(/reshape: cannot reshape \[2, 3\] \(6 elements\) into \[4, 2\]/);
  });
  it('conv2d channel mismatch', () => {
    expect(() => g.conv2d(g.ones([1, 3, 5, 5]), g.ones([4, 2, 3, 3]))).toThrow(/conv2d: weight \[4, 2, 3, 3\] expects 2 input channels .* has 3/);
  });
  it('ragged nested arrays', () => {
    expect(() => g.tensor([[1, 2], [3]])).toThrow(/ragged/);
  });
});

describe('algebraic properties', () => {
  it('softmax rows sum to 1; logsumexp and crossEntropy stay finite at magnitude 1e4', async () => {
    const x = g.tensor([[1e4, -1e4, 5e3], [-1e4, -1e4, -1e4]]);
    const rows = await g.sum(g.softmax(x, 1), 1).data();
    rows.forEach((r) => expect(r).toBeCloseTo(1, 6));
    const lse = await g.logsumexp(x, 1).data();
    expect(lse[0]).toBeCloseTo(1e4, 2);
    expect(lse[1]).toBeCloseTo(-1e4 + Math.log(3), 2);
    const ce = await g.crossEntropy(x, g.tensor([1, 0], { dtype: 'int32' }), { reduction: 'none' }).data();
    expect(ce[0]).toBeCloseTo(2e4, 1);
    expect(ce[1]).toBeCloseTo(Math.log(3), 4);
  });

  it('conv2d equals an explicit im2col + matmul', async () => {
    const gen = new g.Generator(3);
    const [n, c, h, w, oc, k] = [2, 3, 6, 5, 4, 3];
    const x = g.tensor(gen.normal(n * c * h * w), { shape: [n, c, h, w], dtype: 'float64' });
    const wt = g.tensor(gen.normal(oc * c * k * k), { shape: [oc, c, k, k], dtype: 'float64' });
    const y = g.conv2d(x, wt, null, { padding: 1, stride: 2 });
    // im2col built with pad + slices
    const xp = g.pad(x, [1, 1, 1, 1]);
    const oh = y.shape[2]!, ow = y.shape[3]!;
    const cols: g.Tensor[] = [];
    for (let ci = 0; ci < c; ci++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      cols.push(g.reshape(g.slice(xp, [null, { start: ci, end: ci + 1 }, { start: i, end: i + 2 * (oh - 1) + 1, step: 2 }, { start: j, end: j + 2 * (ow - 1) + 1, step: 2 }]), [n, oh * ow]));
    }
    const patches = g.stack(cols, 1); // [n, c*k*k, oh*ow]
    const ref = g.matmul(g.reshape(wt, [oc, c * k * k]), patches); // [n, oc, oh*ow]
    const a = await y.data(), b = await ref.data();
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 10);
  });
});
