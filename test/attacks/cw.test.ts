/** C&W L2: the per-sample binary search over c, smallest successful δ, batch invariance, failures left as x. */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { CW } from '../../src/attacks/index.js';
import { affineClassifier, arr, labels, maxAbsDiff, rows, sample } from './fixtures.js';

// logits W x + b; the L2 distance to the 0/1 boundary is |f(x)|/‖w₁ − w₀‖
const W = [[1.5, -2, 0.5, 1], [-1, 1, 0.75, -0.5]];
const B = [0.2, -0.1];
const X = [[0.3, 0.6, 0.5, 0.4], [0.45, 0.5, 0.5, 0.5], [0.2, 0.7, 0.6, 0.3], [0.6, 0.2, 0.45, 0.55]];

function boundaryDistance(x: number[]): number {
  const w = W[1]!.map((v, j) => v - W[0]![j]!);
  const f = w.reduce((s, wj, j) => s + wj * x[j]!, B[1]! - B[0]!);
  return Math.abs(f) / Math.hypot(...w);
}

describe('C&W L2', () => {
  const model = affineClassifier(W, B);
  const x = g.tensor(X, { dtype: 'float64' });
  const z = rows(g.noGrad(() => model.forward(x)));
  const yv = z.map((r) => (r[1]! > r[0]! ? 1 : 0));
  const y = labels(yv);

  it('a fixed small c fails, the binary search succeeds near the minimal δ', async () => {
    const fixed = await new CW({ binarySearchSteps: 1, maxIterations: 50, initialConst: 1e-3, learningRate: 0.05 }).run(model, x, y);
    expect(fixed.success.every((s) => !s)).toBe(true);
    // failures come back as x exactly, with norm 0
    expect(arr(fixed.adversarial)).toEqual(arr(x));
    expect(Array.from(fixed.norms)).toEqual([0, 0, 0, 0]);
    const searched = await new CW({ binarySearchSteps: 8, maxIterations: 50, initialConst: 1e-3, learningRate: 0.05 }).run(model, x, y);
    expect(searched.success.every(Boolean)).toBe(true);
    searched.norms.forEach((n, i) => {
      const dmin = boundaryDistance(X[i]!);
      expect(n).toBeGreaterThanOrEqual(dmin - 1e-6);
      expect(n).toBeLessThan(1.5 * dmin);
    });
  });

  it('the search keeps a smaller successful δ than a fixed large c', async () => {
    const o = { maxIterations: 50, initialConst: 10, learningRate: 0.05 };
    const fixed = await new CW({ ...o, binarySearchSteps: 1 }).run(model, x, y);
    const searched = await new CW({ ...o, binarySearchSteps: 6 }).run(model, x, y);
    expect(fixed.success.every(Boolean)).toBe(true);
    expect(searched.success.every(Boolean)).toBe(true);
    searched.norms.forEach((n, i) => expect(n).toBeLessThanOrEqual(fixed.norms[i]! + 1e-7));
    const total = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    expect(total(searched.norms)).toBeLessThan(0.95 * total(fixed.norms));
  });

  it('attacking N at once equals attacking each alone (per-sample c and search)', async () => {
    const attack = new CW({ binarySearchSteps: 3, maxIterations: 20, initialConst: 0.1, learningRate: 0.05 });
    const all = arr((await attack.run(model, x, y)).adversarial);
    for (let i = 0; i < 4; i++) {
      const one = arr((await attack.run(model, sample(x, i), sample(y, i))).adversarial);
      expect(maxAbsDiff(one, all.slice(i * 4, (i + 1) * 4))).toBeLessThan(1e-12);
    }
  });

  it('κ demands a margin: successful outputs beat the other class by more than κ; outputs in [0, 1]', async () => {
    const r = await new CW({ binarySearchSteps: 4, maxIterations: 50, initialConst: 1, learningRate: 0.05, kappa: 0.5 }).run(model, x, y);
    const za = rows(g.noGrad(() => model.forward(r.adversarial)));
    r.success.forEach((s, i) => {
      if (s) expect(za[i]![1 - yv[i]!]! - za[i]![yv[i]!]!).toBeGreaterThan(0.5);
    });
    expect(r.success.some(Boolean)).toBe(true);
    expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('targeted: success means the target class', async () => {
    const model3 = affineClassifier([...W, [0.2, 0.3, -1, 0.1]], [...B, 0]);
    const yy = labels(rows(g.noGrad(() => model3.forward(x))).map((r) => r.indexOf(Math.max(...r))));
    const t = labels(arr(yy).map((v) => (v + 1) % 3));
    const r = await new CW({ binarySearchSteps: 5, maxIterations: 50, initialConst: 0.1, learningRate: 0.05 }).run(model3, x, yy, t);
    r.success.forEach((s, i) => expect(s).toBe(r.predictions[i] === r.targets![i]));
    expect(r.success.filter(Boolean).length).toBeGreaterThanOrEqual(3);
  });

  it('validates its options', () => {
    expect(() => new CW({ binarySearchSteps: 0 })).toThrow(/CW: binarySearchSteps must be a positive integer, got 0/);
    expect(() => new CW({ maxIterations: 1.5 })).toThrow(/CW: maxIterations must be a positive integer/);
    expect(() => new CW({ learningRate: 0 })).toThrow(/CW: learningRate must be a finite number > 0/);
    expect(() => new CW({ initialConst: -1 })).toThrow(/CW: initialConst must be a finite number > 0/);
    expect(() => new CW({ kappa: -1 })).toThrow(/CW: kappa must be a finite number >= 0/);
  });
});
