/** DeepFool L2 / L∞: one step to the boundary of an affine classifier, the reference floor, overshoot, clipping, per-sample behaviour. */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { DeepFool, DeepFoolLinf } from '../../src/attacks/index.js';
import { affineClassifier, arr, images, labels, maxAbsDiff, predictions, rows, sample, tinyCnn } from './fixtures.js';

const W = [[1.5, -2, 0.5, 1], [-1, 1, 0.75, -0.5]];
const B = [0.2, -0.1];
const X = [[0.3, 0.6, 0.5, 0.4], [0.45, 0.5, 0.5, 0.5], [0.6, 0.2, 0.45, 0.55]];
const w = W[1]!.map((v, j) => v - W[0]![j]!);
const fOf = (x: number[]) => w.reduce((s, wj, j) => s + wj * x[j]!, B[1]! - B[0]!);

describe('DeepFool on an affine binary classifier', () => {
  const model = affineClassifier(W, B);
  const x = g.tensor(X, { dtype: 'float64' });
  const y = labels(X.map((r) => (fOf(r) > 0 ? 1 : 0)));

  it('L2: reaches the boundary in one step (overshoot 0)', async () => {
    const r = await new DeepFool({ overshoot: 0 }).run(model, x, y);
    expect(Array.from(r.iterations!)).toEqual([1, 1, 1]);
    rows(r.adversarial).forEach((row, i) => {
      expect(Math.abs(fOf(row))).toBeLessThan(1e-4 * Math.hypot(...w) + 1e-9); // on the boundary, up to the 1e-4 push across
      // the DeepFool authors' reference form (LTS4/DeepFool): (|f|/‖w‖ + 1e-4)·w/‖w‖
      expect(r.norms[i]).toBeCloseTo(Math.abs(fOf(X[i]!)) / Math.hypot(...w) + 1e-4, 7);
    });
    expect(r.success.every(Boolean)).toBe(true);
  });

  it('L2: the overshoot 0.02 scales the total perturbation', async () => {
    const r = await new DeepFool().run(model, x, y);
    expect(Array.from(r.iterations!)).toEqual([1, 1, 1]);
    r.norms.forEach((n, i) => expect(n).toBeCloseTo(1.02 * (Math.abs(fOf(X[i]!)) / Math.hypot(...w) + 1e-4), 7));
    // the step is along ±w
    const row = rows(r.adversarial)[0]!;
    const d = row.map((v, j) => v - X[0]![j]!);
    const cos = d.reduce((s, v, j) => s + v * w[j]!, 0) / (Math.hypot(...d) * Math.hypot(...w));
    expect(Math.abs(cos)).toBeCloseTo(1, 12);
  });

  it('L∞: one step of size |f|/‖w‖₁ + 1e-4 along sign(w), times 1.02', async () => {
    const r = await new DeepFoolLinf().run(model, x, y);
    expect(Array.from(r.iterations!)).toEqual([1, 1, 1]);
    const l1 = w.reduce((s, v) => s + Math.abs(v), 0);
    r.norms.forEach((n, i) => expect(n).toBeCloseTo(1.02 * (Math.abs(fOf(X[i]!)) / l1 + 1e-4), 7));
    expect(r.success.every(Boolean)).toBe(true);
  });

  it('floor \'logit\' puts the 1e-4 on |f| ((|f| + 1e-4)·w/‖w‖²); floor \'none\' leaves it out', async () => {
    const l1 = w.reduce((s, v) => s + Math.abs(v), 0);
    const logit = await new DeepFool({ overshoot: 0, floor: 'logit' }).run(model, x, y);
    logit.norms.forEach((n, i) => expect(n).toBeCloseTo((Math.abs(fOf(X[i]!)) + 1e-4) / Math.hypot(...w), 7));
    const logitInf = await new DeepFoolLinf({ overshoot: 0, floor: 'logit' }).run(model, x, y);
    logitInf.norms.forEach((n, i) => expect(n).toBeCloseTo((Math.abs(fOf(X[i]!)) + 1e-4) / l1, 7));
    const none = await new DeepFool({ floor: 'none' }).run(model, x, y);
    none.norms.forEach((n, i) => expect(n).toBeCloseTo(1.02 * Math.abs(fOf(X[i]!)) / Math.hypot(...w), 7));
    expect(() => new DeepFool({ floor: 'gradient' as 'none' })).toThrow(/floor must be one of 'distance', 'logit', 'none', got string "gradient"/);
  });

  it('clip: false keeps an iterate that leaves [0, 1] (one step); the default clips and needs more', async () => {
    const edge = g.tensor([[0.99, 0.01, 0.99, 0.01]], { dtype: 'float64' });
    const ye = labels([fOf([0.99, 0.01, 0.99, 0.01]) > 0 ? 1 : 0]);
    const free = await new DeepFool({ clip: false }).run(model, edge, ye);
    expect(free.iterations![0]).toBe(1);
    const row = rows(free.adversarial)[0]!;
    expect(Math.max(...row)).toBeGreaterThan(1);
    expect(Math.min(...row)).toBeLessThan(0);
    const clipped = await new DeepFool().run(model, edge, ye);
    expect(rows(clipped.adversarial)[0]!.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(clipped.iterations![0]).toBeGreaterThan(1);
    expect(() => new DeepFool({ clip: 'no' as unknown as boolean })).toThrow(/clip must be true or false/);
  });

  it('returns already misclassified samples unchanged', async () => {
    const wrong = labels(X.map((r, i) => (i === 1 ? (fOf(r) > 0 ? 0 : 1) : fOf(r) > 0 ? 1 : 0)));
    const r = await new DeepFool().run(model, x, wrong);
    expect(rows(r.adversarial)[1]).toEqual(X[1]);
    expect(r.iterations![1]).toBe(0);
    expect(r.success[1]).toBe(true);
  });
});

describe('DeepFool on a small CNN', () => {
  const model = tinyCnn(4, 'softmax', 13);
  const x = images([4, 1, 8, 8], 71);
  const y = predictions(model, x);

  it('changes the label of most samples, within [0, 1]', async () => {
    const r = await new DeepFool({ maxIterations: 20 }).run(model, x, y);
    expect(r.success.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('N at once equals each alone', async () => {
    for (const attack of [new DeepFool({ maxIterations: 5, candidates: 3 }), new DeepFoolLinf({ maxIterations: 5 })]) {
      const all = arr((await attack.run(model, x, y)).adversarial);
      for (let i = 0; i < 4; i++) {
        const one = arr((await attack.run(model, sample(x, i), sample(y, i))).adversarial);
        expect(maxAbsDiff(one, all.slice(i * 64, (i + 1) * 64))).toBeLessThan(1e-12);
      }
    }
  });

  it('validates its options and refuses targets', async () => {
    expect(() => new DeepFool({ candidates: 1 })).toThrow(/candidates must be >= 2/);
    expect(() => new DeepFool({ overshoot: -0.1 })).toThrow(/DeepFool: overshoot must be a finite number >= 0/);
    expect(() => new DeepFool({ maxIterations: 0 })).toThrow(/maxIterations must be a positive integer/);
    expect(() => new DeepFool({ target: 'random' } as never)).toThrow(/DeepFool is untargeted/);
    await expect(new DeepFool().run(model, x, y, y)).rejects.toThrow(/untargeted/);
  });
});
