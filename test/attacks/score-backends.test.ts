/**
 * Square and Sparse-RS on the fast backends: the random search runs on the host, so only the
 * model's logits come from the backend; the same seeded CNN attacked on wasm and WebGPU gives the
 * CPU float32 run's adversarial batch (a float32 rounding could flip a near-tie accept decision
 * of one sample, hence the tolerance of one sample in six).
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import type { Backend } from '../../src/core/backend.js';
import { backendPerSuite } from '../helpers/backend-per-suite.js';
import { Classifier } from '../../src/models/classifier.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/layers.js';

const BACKENDS = (process.env.GMGRAD_BACKENDS ?? 'wasm,webgpu').split(',').filter((b) => b !== 'cpu');

function model(backend: Backend): Classifier {
  const o = { generator: new g.Generator(21), backend };
  const backbone = new Sequential(new Conv2d(1, 4, 3, { padding: 1, ...o }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 6, o));
  return new Classifier(backbone, new Linear(6, 4, o), { model: 'tiny', featureDim: 6, numClasses: 4, inputShape: [1, 8, 8] });
}

async function attackAll(backend: Backend): Promise<Map<string, { rows: number[][]; queries: number[] }>> {
  const m = model(backend);
  const x = g.rand([6, 1, 8, 8], { generator: new g.Generator(4), backend });
  const y = g.tensor(Int32Array.from([0, 1, 2, 3, 0, 1]), { backend });
  const out = new Map<string, { rows: number[][]; queries: number[] }>();
  const attacks = {
    square: g.createAttack('square', { epsilon: 0.1, queries: 20, seed: 1 }),
    'square-l2': g.createAttack('square', { epsilon: 0.5, norm: 'l2', queries: 20, seed: 1 }),
    'sparse-rs': g.createAttack('sparse-rs', { pixels: 4, queries: 20, seed: 1 }),
  };
  for (const [name, attack] of Object.entries(attacks)) {
    const r = await attack.run(m, x, y);
    const d = Array.from(await r.adversarial.data());
    out.set(name, { rows: Array.from({ length: 6 }, (_, i) => d.slice(i * 64, (i + 1) * 64)), queries: Array.from(r.queries!) });
    r.adversarial.dispose();
  }
  m.dispose();
  return out;
}

describe.each(BACKENDS)('score-based attacks on %s', (name) => {
  const current = backendPerSuite(name);

  it('Square (L∞, L2) and Sparse-RS match the CPU float32 run', async () => {
    const backend = current();
    if (!backend) return;
    const ref = await attackAll(await g.createBackend('cpu'));
    const got = await attackAll(backend);
    for (const [attack, r] of ref) {
      const a = got.get(attack)!;
      const differing = r.rows.filter((row, i) => row.some((v, j) => Math.abs(v - a.rows[i]![j]!) > 1e-5)).length;
      expect(differing, `${attack}: ${differing} of 6 samples differ`).toBeLessThanOrEqual(1);
    }
  }, 120_000);
});
