/**
 * The attacks on the fast backends: the same seeded CNN (Philox gives the same weights on every
 * backend) attacked on wasm and WebGPU matches the CPU float32 run. L∞ steps use sign(g), so an
 * element whose gradient is ~0 may legitimately step the other way: a tiny fraction may differ.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import type { Backend } from '../../src/core/backend.js';
import { backendPerSuite } from '../helpers/backend-per-suite.js';
import { Classifier } from '../../src/models/classifier.js';
import { GMHead } from '../../src/nn/gm-head.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/layers.js';

const BACKENDS = (process.env.GMGRAD_BACKENDS ?? 'wasm,webgpu').split(',').filter((b) => b !== 'cpu');

function model(backend: Backend): Classifier {
  const o = { generator: new g.Generator(21), backend };
  const backbone = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, ...o }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 6, o),
  );
  const head = new GMHead(6, 5, { ...o, meanInitStd: 1 });
  return new Classifier(backbone, head, { model: 'tiny', featureDim: 6, numClasses: 5, inputShape: [1, 8, 8] });
}

async function attackAll(backend: Backend): Promise<Map<string, Float32Array>> {
  const m = model(backend);
  const x = g.rand([6, 1, 8, 8], { generator: new g.Generator(4), backend });
  const y = g.tensor(Int32Array.from([0, 1, 2, 3, 4, 0]), { backend });
  const out = new Map<string, Float32Array>();
  const attacks = {
    fgsm: g.createAttack('fgsm', { epsilon: 0.1 }),
    pgd: g.createAttack('pgd', { epsilon: 0.1, steps: 5, randomStart: false }),
    mim: g.createAttack('mim', { epsilon: 0.1, steps: 5 }),
    'pgd-l2': g.createAttack('pgd-l2', { epsilon: 0.5, steps: 5, randomStart: false }),
  };
  for (const [name, attack] of Object.entries(attacks)) {
    const r = await attack.run(m, x, y);
    out.set(name, Float32Array.from(await r.adversarial.data()));
    r.adversarial.dispose();
  }
  m.dispose();
  return out;
}

describe.each(BACKENDS)('attacks on %s', (name) => {
  const current = backendPerSuite(name);

  it('FGSM, PGD, MIM and PGD-L2 match the CPU float32 reference', async () => {
    const backend = current();
    if (!backend) return;
    const ref = await attackAll(await g.createBackend('cpu'));
    const got = await attackAll(backend);
    for (const [attack, r] of ref) {
      const a = got.get(attack)!;
      let off = 0;
      for (let i = 0; i < r.length; i++) if (Math.abs(a[i]! - r[i]!) > 1e-4) off++;
      expect(off / r.length, `${attack}: ${off} of ${r.length} values differ`).toBeLessThanOrEqual(0.01);
    }
  }, 120_000);
});
