/**
 * Memory stays flat over a long run: a small CNN trained for 300 steps keeps the same number of
 * live bytes after the first steps, on every backend (GPU buffers return to the pool).
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, BatchNorm2d } from '../../src/nn/layers.js';
import { SGD } from '../../src/optim/sgd.js';

const BACKENDS = (process.env.GMGRAD_BACKENDS ?? 'cpu,wasm,webgpu').split(',');

describe.each(BACKENDS)('memory on %s', (name) => {
  it('live bytes stay flat over 300 training steps', async () => {
    let backend: g.Backend;
    try {
      backend = await g.createBackend(name as g.BackendName, { verbose: false });
    } catch (e) {
      if (process.env.CI) throw e;
      return;
    }
    const gen = new g.Generator(5);
    const net = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, backend, generator: gen }), new BatchNorm2d(4, { backend }), new ReLU(), new MaxPool2d(2),
      new Flatten(), new Linear(4 * 4 * 4, 3, { backend, generator: gen }),
    );
    const opt = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
    const x = g.keep(g.randn([8, 1, 8, 8], { backend, generator: gen }));
    const y = g.keep(g.tensor(Int32Array.from({ length: 8 }, (_, i) => i % 3), { backend }));
    const live: number[] = [];
    let lastLoss = Infinity;
    for (let step = 0; step < 300; step++) {
      const loss = g.tidy(() => {
        const l = g.crossEntropy(net.forward(x), y);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l;
      });
      if (step % 50 === 49) {
        lastLoss = await loss.item();
        live.push(g.memory()[backend.name]!.liveBytes);
      }
      loss.dispose();
    }
    expect(lastLoss).toBeLessThan(0.5);
    expect(new Set(live).size, `live bytes at steps 50..300: ${live.join(', ')}`).toBe(1);
    x.dispose(); y.dispose(); net.dispose(); opt.dispose();
  });
});
