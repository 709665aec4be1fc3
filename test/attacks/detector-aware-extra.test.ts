/**
 * The per-sample worst case over detector-aware attack results, the pluggable objectives, and
 * flat memory for the detector-aware PGD variants and the new detectors.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import {
  combinedDetectorLoss, createAttack, nearestWrongClassLoss, resolveDetectorTerm, toAttackOutcome, worstCaseOverResults,
  type AttackContext, type AttackResult,
} from '../../src/attacks/index.js';
import { KernelDensityDetector, LidDetector, worstCaseOverAttacks } from '../../src/detect/index.js';
import { gmClassifier, images, labels, predictions, tinyCnn } from './fixtures.js';

function result(success: boolean[], predictions: number[], scores: number[]): AttackResult {
  const n = success.length;
  return {
    adversarial: g.zeros([n, 1]), success, finite: success.map(() => true), norms: new Float32Array(n),
    predictions: Int32Array.from(predictions), targets: null, scores: Float32Array.from(scores),
  };
}

describe('worst case over detector-aware attacks', () => {
  it('a sample is broken when any attack succeeded; the first such attack is named', () => {
    const a = { name: 'orthogonal', result: result([true, false, false, false], [1, 1, 0, 0], [0.1, 2, 0.3, 0.2]) };
    const b = { name: 'selective', result: result([true, true, false, false], [1, 1, 1, 0], [0.2, 0.4, 3, 0.1]) };
    const w = worstCaseOverResults([a, b]);
    expect(w.success).toEqual([true, true, false, false]);
    expect(Array.from(w.attack)).toEqual([0, 1, -1, -1]);
    expect(w.successRate).toBe(0.5);
    expect(w.perAttack).toEqual([{ name: 'orthogonal', successRate: 0.25 }, { name: 'selective', successRate: 0.5 }]);
    // as detect/metrics outcomes, re-thresholded at τ = 0.5 the worst case agrees
    const y = [0, 0, 0, 0];
    const wc = worstCaseOverAttacks([toAttackOutcome(a, y), toAttackOutcome(b, y)]);
    expect(wc.misclassified.map((m, i) => Boolean(m) && wc.scores[i]! <= 0.5)).toEqual(w.success);
    expect(() => worstCaseOverResults([a, { name: 'short', result: result([true], [1], [0]) }])).toThrow(/'short' has 1 samples, expected 4/);
    expect(() => worstCaseOverResults([])).toThrow(/no attack results/);
  });
});

describe('the objectives as losses', () => {
  it('nearest wrong class = −min_{k≠y} NLL_k; combined = min(margin, κ) − c₂·max(0, s − τ)', () => {
    const means = [[-2, 0], [1, 0], [0, 3]];
    const model = gmClassifier([[1, 0], [0, 1]], null, means);
    const f = [[0.5, 0.5], [-1, 2]];
    const x = g.tensor(f, { dtype: 'float64' });
    const y = labels([1, 0]);
    const ctx: AttackContext = {
      attack: 'test', model, x, labels: y, targets: null, numClasses: 3, cleanLogits: model.forward(x), generator: new g.Generator(0),
      detector: resolveDetectorTerm('test', model, { tau: 0.5, detectorWeight: 2 }), iterationDone: () => {},
    };
    const out = { logits: model.forward(x), features: x };
    const d = f.map((q) => means.map((m) => 0.5 * ((q[0]! - m[0]!) ** 2 + (q[1]! - m[1]!) ** 2)));
    const nearest = d.map((row, i) => Math.min(...row.filter((_, k) => k !== [1, 0][i])));
    expect(Array.from(nearestWrongClassLoss(ctx, out).dataSync())).toEqual(nearest.map((v) => -v).map((v) => expect.closeTo(v, 12)));
    const kappa = 0.7;
    const margin = d.map((row, i) => -Math.min(...row.filter((_, k) => k !== [1, 0][i])) + row[[1, 0][i]!]!);
    const want = margin.map((m, i) => Math.min(m, kappa) - 2 * Math.max(0, nearest[i]! - 0.5));
    Array.from(combinedDetectorLoss(kappa)(ctx, out).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
  });
});

describe('memory stays flat', () => {
  const live = () => g.getBackend().memory().liveBuffers;
  const model = tinyCnn(3, 'gm', 31);
  const x = g.keep(images([2, 1, 8, 8], 91));
  const y = g.keep(predictions(model, x));

  for (const name of ['adaptive-mean', 'orthogonal-pgd', 'selective-pgd', 'high-confidence-pgd'] as const) {
    it(name, async () => {
      const make = (steps: number) => createAttack(name, { epsilon: 0.1, steps, tau: 1, kappa: 0.5, restarts: 2 });
      (await make(2).run(model, x, y)).adversarial.dispose();
      const before = live();
      (await make(5).run(model, x, y)).adversarial.dispose();
      expect(live()).toBe(before);
    });
  }

  it('kernel density and LID: fit, score, dispose', async () => {
    const train = images([12, 1, 8, 8], 5);
    const ty = predictions(model, train);
    const before = live();
    const kd = await KernelDensityDetector.fit(model, train, ty, { numClasses: 3 });
    await kd.scores(x);
    kd.dispose();
    const lid = await LidDetector.fit(model, train, { k: 3, referenceSize: 8, batchSize: 5 });
    await lid.scores(x);
    lid.dispose();
    expect(live()).toBe(before);
    train.dispose();
    ty.dispose();
  });
});
