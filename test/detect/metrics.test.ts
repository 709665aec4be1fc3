/** AUROC (rank formula with ties), ROC points, TNR at 95 % TPR, detection accuracy, robust error, worst case. */
import { describe, expect, it } from 'vitest';
import {
  attackSuccessRate, detectionAccuracy, detectionReport, fooled, robustError, rocAuc, rocCurve, thresholdAtTpr, tnrAtTpr,
  worstCaseOverAttacks,
} from '../../src/detect/index.js';

/** brute force P(adv > clean) + ½ P(=) */
function pairwiseAuc(c: number[], a: number[]): number {
  let s = 0;
  for (const u of c) for (const v of a) s += v > u ? 1 : v === u ? 0.5 : 0;
  return s / (c.length * a.length);
}

describe('ROC-AUC', () => {
  it('is 1 when perfectly separated, 0 when reversed, 0.5 when identical', () => {
    expect(rocAuc([0.1, 0.2, 0.3], [0.5, 0.9])).toBe(1);
    expect(rocAuc([0.5, 0.9], [0.1, 0.2, 0.3])).toBe(0);
    expect(rocAuc([1, 1, 1], [1, 1])).toBe(0.5);
    expect(rocAuc([0.3, 0.7, 0.1], [0.3, 0.7, 0.1])).toBe(0.5);
  });

  it('counts ties as one half (rank formula) and matches the pairwise definition', () => {
    // pairs: (1 vs 1) ½, (1 vs 2) 1, (2 vs 1) 0, (2 vs 2) ½ → 2/4
    expect(rocAuc([1, 2], [1, 2])).toBe(0.5);
    expect(rocAuc([0, 1, 1, 2], [1, 1, 3])).toBeCloseTo(pairwiseAuc([0, 1, 1, 2], [1, 1, 3]), 15);
    let seed = 1;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) % 7);
    const c = Array.from({ length: 40 }, rnd), a = Array.from({ length: 30 }, () => rnd() + 1);
    expect(rocAuc(c, a)).toBeCloseTo(pairwiseAuc(c, a), 12);
  });

  it('rejects empty sets and NaN', () => {
    expect(() => rocAuc([], [1])).toThrow(/at least one clean and one adversarial/);
    expect(() => rocAuc([NaN], [1])).toThrow(/clean\[0\] is NaN/);
  });
});

describe('ROC curve and operating points', () => {
  it('runs from (0, 0) to (1, 1) with one point per distinct score', () => {
    const pts = rocCurve([0.1, 0.4, 0.4], [0.4, 0.8]);
    expect(pts).toEqual([
      { threshold: Infinity, fpr: 0, tpr: 0 },
      { threshold: 0.8, fpr: 0, tpr: 0.5 },
      { threshold: 0.4, fpr: 2 / 3, tpr: 1 },
      { threshold: 0.1, fpr: 1, tpr: 1 },
    ]);
  });

  it('thresholdAtTpr accepts at least the requested fraction with the smallest τ', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(thresholdAtTpr(s, 0.95)).toBe(95);
    expect(thresholdAtTpr(s, 0.99)).toBe(99);
    expect(thresholdAtTpr(s, 1)).toBe(100);
    expect(thresholdAtTpr([3, 1, 2], 0.5)).toBe(2);
    expect(() => thresholdAtTpr(s, 0)).toThrow(/tpr must be in \(0, 1\]/);
  });

  it('TNR at 95 % TPR rejects adversarial scores above the clean 95th percentile', () => {
    const clean = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(tnrAtTpr(clean, [50, 96, 97, 200])).toBe(0.75);
    expect(tnrAtTpr(clean, [95, 10])).toBe(0);
  });

  it('detection accuracy: balanced, at τ or the best over thresholds', () => {
    expect(detectionAccuracy([0, 1, 2, 2.4], [2.5, 4, 5, 6])).toBe(1);
    expect(detectionAccuracy([0, 1, 2, 2.4], [2.5, 4, 5, 6], 2.4)).toBe(1);
    expect(detectionAccuracy([0, 1, 2, 2.4], [2.5, 4, 5, 6], 3)).toBe(0.5 * (1 + 0.75));
    // overlapping: the best threshold flags >= 2.5 (one clean false alarm)
    expect(detectionAccuracy([0, 1, 2, 3], [2.5, 4, 5, 6])).toBe(0.875);
    expect(detectionAccuracy([1, 1], [1, 1])).toBe(0.5);
  });
});

describe('robustness metrics', () => {
  it('attack success rate and robust error (misclassified AND accepted), with a mask', () => {
    const mis = [true, true, false, true];
    const scores = [0.5, 3, 0.1, 0.9];
    expect(attackSuccessRate(mis)).toBe(0.75);
    expect(attackSuccessRate(mis, [1, 1, 1, 0])).toBeCloseTo(2 / 3, 15);
    expect(fooled(mis, scores, 1)).toEqual([true, false, false, true]);
    expect(robustError(mis, scores, 1)).toBe(0.5);
    expect(robustError(mis, scores, 1, [0, 1, 1, 1])).toBeCloseTo(1 / 3, 15);
  });

  it('the per-sample worst case over attacks: fooled by the worst case iff fooled by some attack', () => {
    const a = { name: 'pgd', misclassified: [true, true, false, false], scores: [5, 0.2, 0.1, 0.3] };
    const b = { name: 'adaptive', misclassified: [true, false, true, false], scores: [0.4, 0.1, 2, 0.2] };
    const w = worstCaseOverAttacks([a, b]);
    expect(w.misclassified).toEqual([true, true, true, false]);
    expect(Array.from(w.scores)).toEqual([0.4, 0.2, 2, 0.2]);
    expect(Array.from(w.attack)).toEqual([1, 0, 1, 1]);
    const tau = 1;
    const any = [0, 1, 2, 3].map((i) => fooled(a.misclassified, a.scores, tau)[i] || fooled(b.misclassified, b.scores, tau)[i]);
    expect(fooled(w.misclassified, w.scores, tau)).toEqual(any);
    // never better than any single attack
    expect(robustError(w.misclassified, w.scores, tau)).toBeGreaterThanOrEqual(Math.max(robustError(a.misclassified, a.scores, tau), robustError(b.misclassified, b.scores, tau)));
  });

  it('a report has one row per attack and the worst case', () => {
    const clean = [0.1, 0.2, 0.3, 0.4];
    const r = detectionReport(clean, 0.35, [
      { name: 'fgsm', misclassified: [true, false, true], scores: [2, 0.1, 3] },
      { name: 'adaptive', misclassified: [true, true, false], scores: [0.2, 0.3, 0.1] },
    ]);
    expect(r.perAttack.map((p) => p.name)).toEqual(['fgsm', 'adaptive']);
    expect(r.perAttack[0]!.auroc).toBe(1);
    expect(r.perAttack[0]!.detectionRate).toBe(1);
    expect(r.perAttack[0]!.robustError).toBe(0);
    expect(r.perAttack[1]!.robustError).toBeCloseTo(2 / 3, 15);
    expect(r.worstCase.attackSuccessRate).toBe(1);
    expect(r.worstCase.robustError).toBeCloseTo(2 / 3, 15);
    expect(r.worstCase.samples).toBe(3);
  });
});
