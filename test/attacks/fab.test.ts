/**
 * FAB: on an affine classifier the closest adversarial is known in closed form (|f_l|/‖w_l‖_q to the
 * nearest boundary), FAB gets within its extrapolation of it and never below; on a small trained
 * model FAB is no farther than DeepFool; the box-constrained hyperplane projection against a plain-JS
 * bisection; targeted runs, seeds, validation and the registry.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { createAttack, DeepFool, FAB, FABTargeted } from '../../src/attacks/index.js';
import { projectOnHyperplaneBox } from '../../src/attacks/fab-projection.js';
import { affineClassifier, arr, labels, predictions, rows } from './fixtures.js';
import { trainedBlobModel } from './trained-fixture.js';

const W = [
  [0.9, -0.4, 0.3, 0.7, -0.2, 0.5],
  [-0.3, 0.8, -0.6, 0.2, 0.9, -0.1],
  [0.4, 0.1, 0.9, -0.7, 0.3, 0.6],
  [-0.8, 0.5, 0.2, 0.4, -0.6, 0.3],
];
const B = [0.05, -0.1, 0.02, 0.08];
const X = [[0.42, 0.55, 0.31, 0.66, 0.48, 0.59], [0.73, 0.28, 0.61, 0.35, 0.52, 0.44], [0.25, 0.68, 0.47, 0.58, 0.36, 0.71]];

/** the distance to the nearest boundary of an affine classifier, ignoring the box (dual norm q) */
function analyticMinimum(x: number[], y: number, q: 1 | 2): number {
  const z = W.map((r, k) => r.reduce((s, w, j) => s + w * x[j]!, B[k]!));
  let best = Infinity;
  for (let l = 0; l < W.length; l++) {
    if (l === y) continue;
    const w = W[l]!.map((v, j) => v - W[y]![j]!);
    const dual = q === 1 ? w.reduce((s, v) => s + Math.abs(v), 0) : Math.hypot(...w);
    best = Math.min(best, (z[y]! - z[l]!) / dual);
  }
  return best;
}

describe('FAB on an affine classifier', () => {
  const model = affineClassifier(W, B);
  const x = g.tensor(X, { dtype: 'float64' });
  const y = predictions(model, x);
  for (const [norm, q] of [['l2', 2], ['linf', 1]] as const) {
    it(`${norm}: succeeds at a distance within 6 % of the closest boundary (the box is not binding here), never below it`, async () => {
      const r = await new FAB({ norm, steps: 30 }).run(model, x, y);
      expect(r.success.every(Boolean)).toBe(true);
      const yv = arr(y);
      X.forEach((xi, i) => {
        const m = analyticMinimum(xi, yv[i]!, q);
        expect(r.norms[i]!).toBeGreaterThanOrEqual(m * (1 - 1e-5));
        expect(r.norms[i]!).toBeLessThanOrEqual(m * 1.06);
      });
      expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
    });
  }

  it('a given target: the adversarial is classified as the target', async () => {
    const t = labels(arr(y).map((v) => (v + 2) % 4));
    const r = await new FAB({ norm: 'l2', steps: 30, target: 'given' }).run(model, x, y, t);
    expect(Array.from(r.predictions)).toEqual(arr(t));
  });
});

describe('FAB on a small trained model', () => {
  it('L2 and L∞: every sample succeeds, no farther than DeepFool on average; FAB-T no farther than FAB', async () => {
    const { model, x, y } = trainedBlobModel();
    const mean = (v: Float32Array) => v.reduce((s, a) => s + a, 0) / v.length;
    for (const norm of ['l2', 'linf'] as const) {
      const fab = await new FAB({ norm, steps: 40 }).run(model, x, y);
      const df = await new DeepFool({}, norm).run(model, x, y);
      expect(fab.success.every(Boolean)).toBe(true);
      expect(mean(fab.norms)).toBeLessThanOrEqual(mean(df.norms) * 1.001);
      const fabT = await new FABTargeted({ norm, steps: 40, numTargets: 3 }).run(model, x, y);
      expect(fabT.success.every(Boolean)).toBe(true);
      fabT.norms.forEach((v, i) => expect(v).toBeLessThanOrEqual(fab.norms[i]! * 1.06));
    }
  });
});

describe('the box-constrained hyperplane projection', () => {
  it('reaches w·δ = c with the smallest norm a plain-JS bisection finds, inside the box', () => {
    const w = [[0.5, -1, 2, 0.1], [1, 1, 1, 1]];
    const c = [[0.3], [-0.5]];
    const lo = [[-0.2, -0.5, -0.05, -0.3], [-0.1, -0.2, -0.3, -0.4]];
    const hi = [[0.4, 0.1, 0.05, 0.7], [0.2, 0.1, 0.1, 0.05]];
    for (const norm of ['l2', 'linf'] as const) {
      const got = rows(projectOnHyperplaneBox(...([w, c, lo, hi].map((m) => g.tensor(m, { dtype: 'float64' })) as [g.Tensor, g.Tensor, g.Tensor, g.Tensor]), norm));
      got.forEach((d, i) => {
        const at = (p: number) => w[i]!.map((wj, j) => Math.min(Math.max((norm === 'l2' ? wj : Math.sign(wj)) * Math.sign(c[i]![0]!) * p, lo[i]![j]!), hi[i]![j]!));
        const reach = (p: number) => at(p).reduce((s, v, j) => s + v * w[i]![j]!, 0) * Math.sign(c[i]![0]!);
        let a = 0, b = 1e3;
        for (let k = 0; k < 300; k++) { const m = (a + b) / 2; if (reach(m) < Math.abs(c[i]![0]!)) a = m; else b = m; }
        at(b).forEach((v, j) => expect(d[j]!).toBeCloseTo(v, 9));
        expect(d.reduce((s, v, j) => s + v * w[i]![j]!, 0)).toBeCloseTo(c[i]![0]!, 9);
        d.forEach((v, j) => { expect(v).toBeGreaterThanOrEqual(lo[i]![j]! - 1e-12); expect(v).toBeLessThanOrEqual(hi[i]![j]! + 1e-12); });
      });
    }
  });
});

describe('FAB configuration', () => {
  it('validates, is reproducible with restarts, and is registered', async () => {
    expect(() => new FAB({ norm: 'l1' as never })).toThrow(/FAB: norm must be one of 'linf', 'l2'/);
    expect(() => new FAB({ alphaMax: 2 })).toThrow(/alphaMax .* in \[0, 1\]/);
    expect(() => new FAB({ steps: 0 })).toThrow(/FAB: steps must be a positive integer/);
    expect(() => new FABTargeted({ target: 'random' } as never)).toThrow(/FAB-T chooses its own target/);
    const model = affineClassifier(W, B);
    const x = g.tensor(X, { dtype: 'float64' });
    const y = predictions(model, x);
    const a = await new FAB({ steps: 5, restarts: 2, seed: 4 }).run(model, x, y);
    const b = await new FAB({ steps: 5, restarts: 2, seed: 4 }).run(model, x, y);
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
    expect([createAttack('fab', {}), createAttack('fab-t', { norm: 'l2' })].map((t) => [t.name, t.norm])).toEqual([['FAB', 'linf'], ['FAB-T-L2', 'l2']]);
  });
});
