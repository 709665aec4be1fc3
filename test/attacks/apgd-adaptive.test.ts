/**
 * APGD on the combined detector-aware loss ('apgd-adaptive'): every iterate and step size against
 * the plain-JS APGD of apgd-reference.ts driven by a hand-written combined loss on a GM classifier
 * over an affine backbone (L∞, L2, L1); it lands the feature where the detector accepts it where
 * APGD-CE overshoots; the threat model, validation and flat memory.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { APGD, APGDAdaptive, createAttack } from '../../src/attacks/index.js';
import { GMScoreDetector } from '../../src/detect/index.js';
import { affineClassifier, arr, gmClassifier, images, labels, predictions, rows, tinyCnn } from './fixtures.js';
import { apgdReference, type Vec } from './apgd-reference.js';

// features f = A x + c (3-D), four GM classes with identity covariance: logits z_k = −½‖f − μ_k‖²
const A = [
  [0.9, -0.4, 0.3, 0.7, -0.2, 0.5],
  [-0.3, 0.8, -0.6, 0.2, 0.9, -0.1],
  [0.4, 0.1, 0.9, -0.7, 0.3, 0.6],
];
const C = [-0.6, -0.4, -0.5];
const MEANS = [[0, 0, 0], [0.8, 0.3, -0.2], [-0.5, 0.7, 0.4], [0.3, -0.6, 0.6]];
const X = [
  [0.42, 0.55, 0.31, 0.66, 0.48, 0.59],
  [0.73, 0.28, 0.61, 0.35, 0.52, 0.44],
  [0.25, 0.68, 0.47, 0.58, 0.36, 0.71],
  [0.15, 0.32, 0.77, 0.21, 0.64, 0.38],
];

/**
 * The combined loss by hand: margin − c₂·max(0, s − τ) with margin = max_{j≠y} z_j − z_y = d_y − d_j*
 * and s = d_j*, j* the nearest wrong class (the GM class NLL is d_k for identity covariance), and
 * its gradient Aᵀ[(f − μ_y) − (f − μ_j*) − c₂·[s > τ]·(f − μ_j*)].
 */
function combinedByHand(y: number, tau: number, weight: number) {
  return (x: Vec): { f: number; g: Vec } => {
    const f = A.map((row, i) => row.reduce((s, a, j) => s + a * x[j]!, C[i]!));
    const d = MEANS.map((mu) => 0.5 * mu.reduce((s, m, i) => s + (f[i]! - m) ** 2, 0));
    let near = -1;
    d.forEach((v, k) => { if (k !== y && (near < 0 || v < d[near]!)) near = k; });
    const s = d[near]!;
    const active = s > tau ? 1 : 0;
    const df = f.map((fi, i) => (fi - MEANS[y]![i]!) - (fi - MEANS[near]![i]!) - weight * active * (fi - MEANS[near]![i]!));
    return { f: d[y]! - s - weight * Math.max(0, s - tau), g: x.map((_, j) => A.reduce((t, row, i) => t + row[j]! * df[i]!, 0)) };
  };
}

describe('APGD-Adaptive against the plain-JS APGD on the hand-written combined loss', () => {
  const model = gmClassifier(A, C, MEANS);
  const x = g.tensor(X, { dtype: 'float64' });
  const y = predictions(model, x);
  const tau = 0.1, weight = 3;
  const cases = [{ norm: 'linf', eps: 0.08 }, { norm: 'l2', eps: 0.2 }, { norm: 'l1', eps: 0.4 }] as const;
  for (const c of cases) {
    it(`${c.norm}: every iterate and step size agree until f ties within rounding, the penalty active on some iterates`, async () => {
      const steps = 20;
      const seen: { x: number[][]; eta: number[] }[] = [];
      const attack = new APGDAdaptive({ epsilon: c.eps, norm: c.norm, steps, randomStart: false, l1Sparsity: 0.34, tau, detectorWeight: weight,
        onIterate: (it) => seen.push({ x: rows(it.x), eta: arr(it.stepSize) }) });
      await attack.run(model, x, y);
      expect(seen.length).toBe(steps);
      const yv = arr(y);
      let halvings = 0, compared = 0, penalised = 0, free = 0;
      X.forEach((xi, i) => {
        const objective = combinedByHand(yv[i]!, tau, weight);
        const ref = apgdReference({ W: [], b: [] }, xi, yv[i]!, { norm: c.norm, eps: c.eps, steps, loss: 'ce', l1Fraction: 0.34, objective });
        halvings += ref.halvings;
        for (let s = 0; s + 1 < ref.decidedUntil; s++) {
          compared++;
          expect(seen[s]!.eta[i]).toBeCloseTo(ref.etas[s]!, 12);
          seen[s]!.x[i]!.forEach((v, j) => expect(Math.abs(v - ref.xs[s]![j]!)).toBeLessThan(1e-9));
          // both branches of max(0, s − τ) are exercised
          const at = objective(ref.xs[s]!);
          const hand = combinedByHand(yv[i]!, tau, 0)(ref.xs[s]!);
          if (at.f < hand.f) penalised++; else free++;
        }
      });
      expect(halvings).toBeGreaterThan(0);
      expect(penalised).toBeGreaterThan(0);
      expect(free).toBeGreaterThan(0);
      expect(compared).toBeGreaterThanOrEqual(steps * X.length / 2);
    });
  }
});

describe('APGD-Adaptive lands the feature where the detector accepts it', () => {
  // f = 10·(x − 0.5); means (−2, 0) and (1, 0); the clean input sits on mean 0. Class 1 accepts
  // f₀ ∈ [0, 2] (d₁ ≤ τ = 0.5); the margin grows with f₀ up to the ball's edge, f₀ = 3 (d₁ = 2)
  const model = gmClassifier([[10, 0], [0, 10]], [-5, -5], [[-2, 0], [1, 0]]);
  const x = g.tensor([[0.3, 0.5], [0.32, 0.45]], { dtype: 'float64' });
  const y = labels([0, 0]);
  const tau = 0.5;

  it('APGD-CE misclassifies but ends rejected; APGD-Adaptive misclassifies and is accepted', async () => {
    const score = async (adv: g.Tensor) => Array.from(await new GMScoreDetector(model).scores(adv));
    const ce = await new APGD({ epsilon: 0.5, steps: 40, seed: 1 }).run(model, x, y);
    expect(Array.from(ce.predictions)).toEqual([1, 1]);
    const ceScores = await score(ce.adversarial);
    for (const s of ceScores) expect(s).toBeGreaterThan(tau);
    const ad = await createAttack('apgd-adaptive', { epsilon: 0.5, steps: 40, seed: 1, tau, detectorWeight: 10 }).run(model, x, y);
    expect(ad.success).toEqual([true, true]);
    const adScores = await score(ad.adversarial);
    adScores.forEach((s, i) => {
      expect(s).toBeLessThanOrEqual(tau);
      expect(s).toBeLessThan(ceScores[i]!);
      expect(ad.scores![i]).toBeCloseTo(s, 5);
    });
  });

  it('L2 and L1 stay inside their ball and [0, 1], and succeed too', async () => {
    for (const [norm, eps] of [['l2', 0.4], ['l1', 0.6]] as const) {
      const r = await createAttack('apgd-adaptive', { epsilon: eps, norm, steps: 40, restarts: 2, seed: 2, tau, detectorWeight: 10 }).run(model, x, y);
      expect(r.success).toEqual([true, true]);
      expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(Math.max(...r.norms)).toBeLessThanOrEqual(eps + 1e-6);
    }
  });
});

describe('APGD-Adaptive configuration', () => {
  it('names itself after its norm, keeps its options through withEpsilon, validates', async () => {
    expect(['linf', 'l2', 'l1'].map((norm) => createAttack('apgd-adaptive', { epsilon: 0.1, norm: norm as 'l2', tau: 1 }).name))
      .toEqual(['APGD-Adaptive', 'APGD-Adaptive-L2', 'APGD-Adaptive-L1']);
    const a = new APGDAdaptive({ epsilon: 0.1, norm: 'l2', steps: 7, tau: 1, kappa: 2 }).withEpsilon(0.3);
    expect([a.epsilon, a.norm, a.steps, a.kappa]).toEqual([0.3, 'l2', 7, 2]);
    expect(() => new APGDAdaptive({ epsilon: 0.1, detectorWeight: -1 })).toThrow(/APGD-Adaptive: detectorWeight must be a finite number >= 0/);
    expect(() => new APGDAdaptive({ epsilon: 0.1, kappa: 0 })).toThrow(/APGD-Adaptive: kappa must be a finite number > 0/);
    expect(() => new APGDAdaptive({ epsilon: 0.1, norm: 'l0' as never })).toThrow(/norm must be one of 'linf', 'l2', 'l1'/);
    const softmax = affineClassifier([[1, 0], [0, 1], [1, 1]]);
    await expect(new APGDAdaptive({ epsilon: 0.1, tau: 1 }).run(softmax, g.tensor([[0.2, 0.7]], { dtype: 'float64' }), labels([1])))
      .rejects.toThrow(/APGD-Adaptive: the model has no GM head; pass a fitted detector/);
  });

  it('memory stays flat', async () => {
    const model = tinyCnn(3, 'gm', 31);
    const x = g.keep(images([2, 1, 8, 8], 91));
    const y = g.keep(predictions(model, x));
    const live = () => g.getBackend().memory().liveBuffers;
    const make = (steps: number) => createAttack('apgd-adaptive', { epsilon: 0.1, steps, restarts: 2, tau: 1 });
    (await make(3).run(model, x, y)).adversarial.dispose();
    const before = live();
    (await make(6).run(model, x, y)).adversarial.dispose();
    expect(live()).toBe(before);
  });
});
