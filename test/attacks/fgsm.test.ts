/** FGSM / FGM: the analytic answer on linear models, ε = 0, ranges, validation, the 1e-12 floor. */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { FGM, FGSM } from '../../src/attacks/index.js';
import { affineClassifier, arr, labels, maxAbsDiff, rows } from './fixtures.js';

const W2 = [[1, -2, 0.5, 0.25], [-1, 1, 0.75, 3]];
const W3 = [[1, -2, 0.5, 0.25], [-1, 1, 0.75, 3], [0.3, 0.2, -1, -0.5]];
const X = [[0.3, 0.6, 0.5, 0.4], [0.7, 0.2, 0.45, 0.55]];
const sgn = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

describe('FGSM', () => {
  it('on a linear 2-class model equals x + ε·sign(w_other − w_y), sample by sample', async () => {
    const model = affineClassifier(W2, [0.1, -0.2]);
    const x = g.tensor(X, { dtype: 'float64' });
    const y = [0, 1];
    const r = await new FGSM({ epsilon: 0.1 }).run(model, x, labels(y));
    rows(r.adversarial).forEach((row, i) => {
      const expected = X[i]!.map((v, j) => v + 0.1 * sgn(W2[1 - y[i]!]![j]! - W2[y[i]!]![j]!));
      expect(maxAbsDiff(row, expected)).toBeLessThan(1e-15);
    });
    expect(Array.from(r.norms).every((n) => Math.abs(n - 0.1) < 1e-7)).toBe(true);
    expect(r.success.length).toBe(2);
    expect(r.predictions.length).toBe(2);
    expect(r.targets).toBeNull();
  });

  it('with the margin loss on 3 classes moves along sign(w_j* − w_y), j* the best other class', async () => {
    const model = affineClassifier(W3, null);
    const x = g.tensor([X[0]!], { dtype: 'float64' });
    const z = W3.map((w) => w.reduce((s, wj, j) => s + wj * X[0]![j]!, 0));
    const jStar = [1, 2].reduce((a, b) => (z[b]! > z[a]! ? b : a));
    const r = await new FGSM({ epsilon: 0.05, loss: 'margin' }).run(model, x, labels([0]));
    const expected = X[0]!.map((v, j) => v + 0.05 * sgn(W3[jStar]![j]! - W3[0]![j]!));
    expect(maxAbsDiff(arr(r.adversarial), expected)).toBeLessThan(1e-15);
  });

  it('targeted (given) descends toward the target: x + ε·sign(w_t − w_j*) with the margin loss', async () => {
    const model = affineClassifier(W3, null);
    const x = g.tensor([X[1]!], { dtype: 'float64' });
    const z = W3.map((w) => w.reduce((s, wj, j) => s + wj * X[1]![j]!, 0));
    const t = 2;
    const jStar = [0, 1].reduce((a, b) => (z[b]! > z[a]! ? b : a));
    const r = await new FGSM({ epsilon: 0.05, loss: 'margin' }).run(model, x, labels([0]), labels([t]));
    const expected = X[1]!.map((v, j) => v + 0.05 * sgn(W3[t]![j]! - W3[jStar]![j]!));
    expect(maxAbsDiff(arr(r.adversarial), expected)).toBeLessThan(1e-15);
    expect(Array.from(r.targets!)).toEqual([t]);
  });

  it('ε = 0 returns x exactly, and x is never written', async () => {
    const model = affineClassifier(W2, [0.1, -0.2]);
    const x = g.tensor([[0, 1, 0.5, 0.25], [1, 0, 0.125, 0.75]], { dtype: 'float64' });
    const before = arr(x);
    const r = await new FGSM({ epsilon: 0 }).run(model, x, labels([0, 1]));
    expect(arr(r.adversarial)).toEqual(before);
    expect(arr(x)).toEqual(before);
    const r2 = await new FGSM({ epsilon: 0.3 }).run(model, x, labels([0, 1]));
    expect(arr(x)).toEqual(before);
    expect(arr(r2.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(maxAbsDiff(arr(r2.adversarial), before)).toBeLessThanOrEqual(0.3 + 1e-6);
  });

  it('rejects invalid ε and inputs with clear errors', () => {
    expect(() => new FGSM({ epsilon: -0.1 })).toThrow(/FGSM: epsilon must be a finite number >= 0, got -0.1/);
    expect(() => new FGSM({ epsilon: NaN })).toThrow(/epsilon must be a finite number >= 0/);
    expect(() => new FGSM({ epsilon: Infinity })).toThrow(/epsilon/);
    expect(() => new FGSM({ epsilon: '0.1' as unknown as number })).toThrow(/epsilon/);
    expect(() => new FGSM({} as never)).toThrow(/FGSM: epsilon is required/);
    expect(() => new FGSM({ epsilon: 0.1, loss: 'hinge' as never })).toThrow(/loss must be one of 'ce', 'margin', 'gm'/);
    expect(() => new FGSM({ epsilon: 0.1, target: 'nearest' as never })).toThrow(/target must be one of/);
  });

  it('rejects images outside [0, 1], bad labels, and the GM loss on a softmax model', async () => {
    const model = affineClassifier(W2, null);
    const a = new FGSM({ epsilon: 0.1 });
    await expect(a.run(model, g.tensor([[0, 1.5, 0, 0]], { dtype: 'float64' }), labels([0]))).rejects.toThrow(/inputs must lie in \[0, 1\]/);
    await expect(a.run(model, g.tensor([X[0]!], { dtype: 'float64' }), g.tensor([0]))).rejects.toThrow(/labels must be int32 \[1\]/);
    await expect(a.run(model, g.tensor([X[0]!], { dtype: 'float64' }), labels([5]))).rejects.toThrow(/labels\[0\] = 5 is outside \[0, 2\)/);
    await expect(new FGSM({ epsilon: 0.1, loss: 'gm' }).run(model, g.tensor([X[0]!], { dtype: 'float64' }), labels([0]))).rejects.toThrow(/loss 'gm' needs a model with features\(\) and a GM head/);
  });
});

describe('FGM (L2)', () => {
  it('takes a step of L2 length ε per sample', async () => {
    const model = affineClassifier(W2, [0.1, -0.2]);
    const x = g.tensor(X, { dtype: 'float64' });
    const r = await new FGM({ epsilon: 0.2 }).run(model, x, labels([0, 1]));
    expect(Array.from(r.norms).map((n) => Math.round(n * 1e6) / 1e6)).toEqual([0.2, 0.2]);
    // direction: w_other − w_y normalised
    const d = W2[1]!.map((v, j) => v - W2[0]![j]!);
    const nd = Math.hypot(...d);
    expect(maxAbsDiff(rows(r.adversarial)[0]!, X[0]!.map((v, j) => v + 0.2 * d[j]! / nd))).toBeLessThan(1e-12);
  });

  it('keeps the full step for tiny gradients (1e-12 floor): a 1e-8 floor would shrink it tenfold', async () => {
    const tiny = W2.map((row) => row.map((v) => v * 1e-9));
    const model = affineClassifier(tiny, null);
    const x = g.tensor([X[0]!], { dtype: 'float64' });
    const r = await new FGM({ epsilon: 0.2 }).run(model, x, labels([0]));
    expect(r.norms[0]).toBeCloseTo(0.2, 6);
  });
});
