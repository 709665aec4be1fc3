/** The GM score detector: score = min_k d_k(f(x)), τ from clean correctly classified inputs only. */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { DetectorError, GMScoreDetector } from '../../src/detect/index.js';
import { affineClassifier, gmClassifier, images, labels, maxAbsDiff, tinyCnn } from '../attacks/fixtures.js';

// features = 4·x − 2 (2-D), means at (−1, 0), (1, 0), (0, 1.5)
const A = [[4, 0], [0, 4]];
const C = [-2, -2];
const MEANS = [[-1, 0], [1, 0], [0, 1.5]];
const feature = (x: number[]) => x.map((v) => 4 * v - 2);
const dists = (f: number[]) => MEANS.map((m) => 0.5 * ((f[0]! - m[0]!) ** 2 + (f[1]! - m[1]!) ** 2));

describe('GMScoreDetector', () => {
  const model = gmClassifier(A, C, MEANS);

  it('scores half the squared distance to the nearest mean', async () => {
    const X = [[0.25, 0.5], [0.75, 0.5], [0.5, 0.9], [0.0, 0.0]];
    const det = new GMScoreDetector(model);
    const s = await det.scores(g.tensor(X, { dtype: 'float64' }));
    expect(maxAbsDiff(s, X.map((x) => Math.min(...dists(feature(x)))))).toBeLessThan(1e-12);
  });

  it('calibrates τ on correctly classified clean inputs only, at the requested TPR', async () => {
    const gen = new g.Generator(5);
    const X = Array.from({ length: 200 }, () => Array.from(gen.uniform(2, 0.05, 0.95)));
    const pred = X.map((x) => { const d = dists(feature(x)); return d.indexOf(Math.min(...d)); });
    // mislabel ten of the farthest inputs: they must not influence τ
    const scores = X.map((x) => Math.min(...dists(feature(x))));
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
    const wrong = new Set(order.slice(0, 10));
    const y = pred.map((p, i) => (wrong.has(i) ? (p + 1) % 3 : p));
    const det = new GMScoreDetector(model);
    const tau = await det.calibrate(g.tensor(X, { dtype: 'float64' }), labels(y), { tpr: 0.9, batchSize: 64 });
    const kept = scores.filter((_, i) => !wrong.has(i)).sort((a, b) => a - b);
    expect(tau).toBe(kept[Math.ceil(0.9 * kept.length) - 1]);
    expect(det.threshold).toBe(tau);
    const flags = await det.flag(g.tensor(X, { dtype: 'float64' }));
    expect(flags).toEqual(scores.map((s) => s > tau));
  });

  it('needs a GM head, and a threshold before flagging', async () => {
    expect(() => new GMScoreDetector(affineClassifier([[1, 0], [0, 1]], null))).toThrow(DetectorError);
    await expect(new GMScoreDetector(model).flag(g.tensor([[0.5, 0.5]], { dtype: 'float64' }))).rejects.toThrow(/no threshold; call calibrate\(\)/);
    await expect(new GMScoreDetector(model).calibrate(g.tensor([[0.5, 0.5]], { dtype: 'float64' }), labels([0]), { tpr: 1.5 })).rejects.toThrow(/tpr must be in \(0, 1\]/);
  });

  it('scores in eval mode and restores the model mode', async () => {
    const cnn = tinyCnn(3, 'gm', 21);
    cnn.train();
    const x = images([3, 1, 8, 8], 81);
    const det = new GMScoreDetector(cnn);
    const a = await det.scores(x), b = await det.scores(x);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(cnn.training).toBe(true);
  });
});
