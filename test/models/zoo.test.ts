/** The zoo's MNIST networks: shapes and parameter counts (a changed layer shows up here). */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { createBackend, createModel, Generator, tensor, type ModelName } from '../../src/index.js';

const backend = await createBackend('cpu');

/** conv c→o k×k: o·c·k² + o; linear i→o: i·o + o */
const conv = (c: number, o: number, k: number) => o * c * k * k + o;
const linear = (i: number, o: number) => i * o + o;

describe('model zoo (MNIST input, 2-d features)', () => {
  const cases: Array<[ModelName, number]> = [
    ['small-cnn', conv(1, 32, 5) + conv(32, 64, 5) + linear(64 * 7 * 7, 256) + linear(256, 2)],
    // unpadded: 28 → 24 → 12 → 8 → 4
    ['lenet', conv(1, 32, 5) + conv(32, 64, 5) + linear(64 * 4 * 4, 256) + linear(256, 2)],
    ['tiny-cnn', conv(1, 8, 5) + conv(8, 16, 5) + linear(16 * 7 * 7, 64) + linear(64, 2)],
  ];
  for (const [name, params] of cases) {
    it(`${name}: ${params} backbone parameters, features [N, 2]`, async () => {
      const m = createModel(name, { head: 'softmax', featureDim: 2, inputShape: [1, 28, 28], backend, generator: new Generator(1) });
      const backbone = m.backbone.parameters().reduce((s, p) => s + p.size, 0);
      expect(backbone).toBe(params);
      const x = tensor(new Float32Array(3 * 28 * 28).fill(0.5), { shape: [3, 1, 28, 28], backend });
      const f = m.features(x);
      expect(f.shape).toEqual([3, 2]);
      expect((await f.data()).every(Number.isFinite)).toBe(true);
    });
  }
});

/** conv without bias, and batch norm's weight + bias */
const convNoBias = (c: number, o: number, k: number) => o * c * k * k;
const bn = (c: number) => 2 * c;

describe('the authors\' networks (jschenthu/GM-Loss)', () => {
  it('mnist-6conv: one shared PReLU slope per layer (nn.PReLU()), 128·3·3 → D', () => {
    const m = createModel('mnist-6conv', { head: 'gm', featureDim: 2, inputShape: [1, 28, 28], backend, generator: new Generator(1) });
    const slopes = m.backbone.namedParameters().filter(([, p]) => p.rank === 1 && p.size === 1);
    expect(slopes).toHaveLength(6);
    const convs = conv(1, 32, 5) + conv(32, 32, 5) + conv(32, 64, 5) + conv(64, 64, 5) + conv(64, 128, 5) + conv(128, 128, 5);
    expect(m.backbone.parameters().reduce((s, p) => s + p.size, 0)).toBe(convs + 6 + linear(128 * 3 * 3, 2));
    m.dispose();
  });

  it('resnet20: option-A shortcuts have no parameters (0.27 M in all, as He et al.)', () => {
    const m = createModel('resnet20', { head: 'softmax', featureDim: 64, inputShape: [3, 32, 32], backend, generator: new Generator(1) });
    const names = m.backbone.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.includes('shortcut'))).toEqual([]);
    const block = (c: number, o: number) => convNoBias(c, o, 3) + convNoBias(o, o, 3) + bn(o) + bn(o);
    const stage = (c: number, o: number) => block(c, o) + 2 * block(o, o);
    const expected = convNoBias(3, 16, 3) + bn(16) + stage(16, 16) + stage(16, 32) + stage(32, 64);
    expect(m.backbone.parameters().reduce((s, p) => s + p.size, 0)).toBe(expected);
    expect(expected).toBe(269_072);
    m.dispose();
  });

  it('resnet20: a downsampling block\'s shortcut is x[:, :, ::2, ::2] with zero channels padded half before, half after', async () => {
    const m = createModel('resnet20', { head: 'softmax', featureDim: 64, inputShape: [3, 32, 32], backend, generator: new Generator(2) });
    m.eval();
    // silence the residual branch: block(x) = relu(0 + shortcut(x))
    const state = new Map(m.stateDict());
    for (const [k, t] of state) if (/^backbone\.layer2\.0\.conv[12]\.weight$/.test(k)) state.set(k, g.zerosLike(t));
    m.loadStateDict(state);
    const layer2 = new Map(m.backbone.children()).get('layer2')!;
    const block = new Map(layer2.children()).get('0')!;
    const [n, c, h, w] = [2, 16, 6, 6];
    const xs = Float32Array.from({ length: n * c * h * w }, (_, i) => (i * 37) % 101 / 100);
    const y = await block.forward(tensor(xs, { shape: [n, c, h, w], backend })).data();
    const oc = 32, oh = 3, ow = 3;
    const expected = new Float32Array(n * oc * oh * ow);
    for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let r = 0; r < oh; r++) for (let q = 0; q < ow; q++) {
      expected[((i * oc + ch + 8) * oh + r) * ow + q] = xs[((i * c + ch) * h + 2 * r) * w + 2 * q]!;
    }
    expect(Array.from(y)).toEqual(Array.from(expected));
    m.dispose();
  });

  it('resnet20 in training: the fused batch norm + (residual +) ReLU gives the composed network\'s features, gradients and running statistics; the state-dict names are PyTorch\'s', async () => {
    const run = (composed: boolean) => {
      const m = createModel('resnet20', { head: 'softmax', featureDim: 64, inputShape: [3, 8, 8], backend, generator: new Generator(4) });
      m.train(true);
      const go = () => {
        const x = g.rand([2, 3, 8, 8], { generator: new Generator(5), backend });
        const f = m.features(x);
        g.sum(g.mul(f, f)).backward();
        return f;
      };
      const f = composed ? g.withoutAccelerations(go) : go();
      const state = m.stateDict();
      const grads = m.backbone.parameters().map((p) => p.grad!);
      return { m, f, state, grads };
    };
    const fused = run(false), composed = run(true);
    const close = async (a: g.Tensor, b: g.Tensor, what: string) => {
      const [x, y] = [await a.data(), await b.data()];
      y.forEach((v, i) => expect(Math.abs(x[i]! - v), `${what}[${i}]`).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(v)));
    };
    await close(fused.f, composed.f, 'features');
    for (let i = 0; i < fused.grads.length; i++) await close(fused.grads[i]!, composed.grads[i]!, `gradient ${i}`);
    for (const [k, t] of composed.state) await close(fused.state.get(k)!, t, k);
    expect([...fused.state.keys()].filter((k) => k.startsWith('backbone.layer1.0.'))).toEqual([
      'backbone.layer1.0.conv1.weight', 'backbone.layer1.0.bn1.weight', 'backbone.layer1.0.bn1.bias', 'backbone.layer1.0.conv2.weight',
      'backbone.layer1.0.bn2.weight', 'backbone.layer1.0.bn2.bias', 'backbone.layer1.0.bn1.running_mean', 'backbone.layer1.0.bn1.running_var',
      'backbone.layer1.0.bn1.num_batches_tracked', 'backbone.layer1.0.bn2.running_mean', 'backbone.layer1.0.bn2.running_var', 'backbone.layer1.0.bn2.num_batches_tracked',
    ]);
    fused.m.dispose(); composed.m.dispose();
  });

  it('num_batches_tracked counts training batches, read through the state dict, and goes on from a loaded value', async () => {
    const m = createModel('resnet20', { head: 'softmax', featureDim: 64, inputShape: [3, 8, 8], backend, generator: new Generator(6) });
    const x = g.rand([2, 3, 8, 8], { generator: new Generator(7), backend });
    const counter = () => m.stateDict().get('backbone.layer2.1.bn2.num_batches_tracked')!;
    m.train(true);
    for (let i = 0; i < 3; i++) m.features(x);
    expect(await counter().data()).toEqual(Int32Array.from([3]));
    m.eval();
    m.features(x);
    expect(await counter().data()).toEqual(Int32Array.from([3]));
    const state = new Map(m.stateDict());
    state.set('backbone.layer2.1.bn2.num_batches_tracked', tensor(Int32Array.from([100]), { shape: [], dtype: 'int32', backend }));
    m.loadStateDict(state);
    m.train(true);
    m.features(x);
    expect(await counter().data()).toEqual(Int32Array.from([101]));
    m.dispose();
  });

  it('resnet20: convolutions start from Kaiming-normal over fan_in (std √(2/fan_in))', async () => {
    const m = createModel('resnet20', { head: 'gm', featureDim: 64, inputShape: [3, 32, 32], backend, generator: new Generator(3) });
    const w = new Map(m.stateDict()).get('backbone.layer3.0.conv1.weight')!; // 32 → 64: fan_in 288, fan_out 576
    const d = await w.data();
    const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 288) * 0.95);
    expect(std).toBeLessThan(Math.sqrt(2 / 288) * 1.05);
    m.dispose();
  });

  it('headInitStd draws the GM means (or the softmax weight, bias 0) from N(0, std²)', async () => {
    for (const head of ['gm', 'softmax'] as const) {
      const m = createModel('resnet20', { head, featureDim: 64, inputShape: [3, 32, 32], backend, generator: new Generator(4), headInitStd: 0.1 });
      const sd = new Map(m.stateDict());
      const d = await sd.get(head === 'gm' ? 'head.means' : 'head.weight')!.data();
      const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
      expect(std).toBeGreaterThan(0.08);
      expect(std).toBeLessThan(0.12);
      if (head === 'softmax') expect(Array.from(await sd.get('head.bias')!.data())).toEqual(new Array(10).fill(0));
      m.dispose();
    }
  });

  it('normalize: the model takes [0, 1] images and standardises them per channel itself; the statistics are buffers', async () => {
    const normalize = { mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] };
    const plain = createModel('resnet20', { head: 'gm', featureDim: 64, inputShape: [3, 32, 32], backend, generator: new Generator(5) });
    const withNorm = createModel('resnet20', { head: 'gm', featureDim: 64, inputShape: [3, 32, 32], backend, generator: new Generator(5), normalize });
    expect([...withNorm.stateDict().keys()].filter((k) => k.startsWith('normalize.'))).toEqual(['normalize.mean', 'normalize.std']);
    plain.eval(); withNorm.eval();
    const x = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => (i % 255) / 255);
    const z = Float32Array.from(x, (v, i) => {
      const ch = Math.floor(i / 1024) % 3;
      return (v - normalize.mean[ch]!) / normalize.std[ch]!;
    });
    const a = await withNorm.forward(tensor(x, { shape: [2, 3, 32, 32], backend })).data();
    const b = await plain.forward(tensor(z, { shape: [2, 3, 32, 32], backend })).data();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 4);
    expect(() => createModel('mnist-6conv', { head: 'gm', featureDim: 2, inputShape: [1, 28, 28], backend, normalize })).toThrow(/3 channel\(s\).*\[1, 28, 28\]/);
    plain.dispose(); withNorm.dispose();
  });
});
