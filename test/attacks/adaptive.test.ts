/**
 * Detector-aware attacks: the term c₂·max(0, score − τ) moves the adversarial feature into the
 * acceptance region, and success requires acceptance. GM (its own score) and softmax (Mahalanobis).
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { AdaptiveCW, AdaptivePGD, PGD } from '../../src/attacks/index.js';
import { GMScoreDetector, MahalanobisDetector } from '../../src/detect/index.js';
import { affineClassifier, gmClassifier, labels } from './fixtures.js';

describe('adaptive PGD on a GM model', () => {
  // f = 10·(x − 0.5); means (−2, 0) and (1, 0); the clean input sits on mean 0
  const model = gmClassifier([[10, 0], [0, 10]], [-5, -5], [[-2, 0], [1, 0]]);
  const x = g.tensor([[0.3, 0.5]], { dtype: 'float64' });
  const y = labels([0]);
  const tau = 0.5;
  const o = { epsilon: 0.5, alpha: 0.02, steps: 40, randomStart: false };

  it('plain PGD misclassifies but overshoots into the rejected region', async () => {
    const r = await new PGD({ ...o, loss: 'margin' }).run(model, x, y);
    expect(r.success).toEqual([true]);
    const s = await new GMScoreDetector(model).scores(r.adversarial);
    expect(s[0]).toBeGreaterThan(tau);
  });

  it('the detector term lands the feature inside the acceptance region', async () => {
    const r = await new AdaptivePGD({ ...o, tau, detectorWeight: 10 }).run(model, x, y);
    expect(r.success).toEqual([true]);
    expect(r.scores![0]).toBeLessThanOrEqual(tau);
    expect(r.predictions[0]).toBe(1);
    // without the term the last iterate overshoots: not a success (misclassified AND accepted)
    const off = await new AdaptivePGD({ ...o, tau, detectorWeight: 0, keepBestIterate: false }).run(model, x, y);
    expect(off.success).toEqual([false]);
    expect(off.scores![0]).toBeGreaterThan(tau);
    // ... although its path crossed the acceptance region, which best-iterate tracking catches
    const tracked = await new AdaptivePGD({ ...o, tau, detectorWeight: 0 }).run(model, x, y);
    expect(tracked.success).toEqual([true]);
  });

  it('the GM feature objective alone also ends accepted (nearest wrong mean)', async () => {
    const r = await new AdaptivePGD({ ...o, tau, loss: 'gm' }).run(model, x, y);
    expect(r.success).toEqual([true]);
    expect(r.scores![0]).toBeLessThan(0.05);
  });

  it('uses a calibrated detector threshold, and errors clearly without one', async () => {
    await expect(new AdaptivePGD(o).run(model, x, y)).rejects.toThrow(/needs the detector threshold τ/);
    const det = new GMScoreDetector(model);
    det.threshold = tau;
    const r = await new AdaptivePGD({ ...o, detector: det, detectorWeight: 10 }).run(model, x, y);
    expect(r.success).toEqual([true]);
    expect(() => new AdaptivePGD({ ...o, detectorWeight: -1 })).toThrow(/detectorWeight must be a finite number >= 0/);
  });

  it('adaptive C&W keeps the smallest δ that is misclassified and accepted', async () => {
    const r = await new AdaptiveCW({ tau, detectorWeight: 10, binarySearchSteps: 4, maxIterations: 100, initialConst: 1, learningRate: 0.05 }).run(model, x, y);
    expect(r.success).toEqual([true]);
    expect(r.scores![0]).toBeLessThanOrEqual(tau);
    // accepted around mean 1 needs f₀ >= 0, i.e. x₀ >= 0.5: at least 0.2 in L2
    expect(r.norms[0]).toBeGreaterThanOrEqual(0.2 - 1e-6);
  });
});

describe('adaptive PGD against the Mahalanobis detector of a softmax model', () => {
  // features = x; classes split at x₀ = 0.5; clean blobs at (0.3, 0.5) and (0.7, 0.5)
  const model = affineClassifier([[-10, 0], [10, 0]], [5, -5]);
  const gen = new g.Generator(17);
  const pts: number[] = [], ys: number[] = [];
  for (let i = 0; i < 400; i++) {
    const c = i % 2;
    const z = gen.normal(2, 0, 0.03);
    pts.push((c ? 0.7 : 0.3) + z[0]!, 0.5 + z[1]!);
    ys.push(c);
  }
  const train = g.tensor(pts, { dtype: 'float64', shape: [400, 2] });
  const x = g.tensor([[0.3, 0.5], [0.28, 0.52]], { dtype: 'float64' });
  const y = labels([0, 0]);
  const o = { epsilon: 0.6, alpha: 0.01, steps: 80, randomStart: false };

  it('needs a detector for a softmax model', async () => {
    await expect(new AdaptivePGD({ ...o, tau: 1 }).run(model, x, y)).rejects.toThrow(/no GM head; pass a fitted detector/);
  });

  it('evades the calibrated detector where plain PGD is flagged', async () => {
    const det = await MahalanobisDetector.fit(model, train, labels(ys));
    const tau = await det.calibrate(train, labels(ys), { tpr: 0.99 });
    const plain = await new PGD({ ...o, loss: 'margin' }).run(model, x, y);
    expect(plain.success).toEqual([true, true]);
    expect(Array.from(await det.flag(plain.adversarial))).toEqual([true, true]);
    const r = await new AdaptivePGD({ ...o, detector: det, detectorWeight: 1 }).run(model, x, y);
    expect(r.success).toEqual([true, true]);
    r.scores!.forEach((s) => expect(s).toBeLessThanOrEqual(tau + 1e-9));
    det.dispose();
  });
});
