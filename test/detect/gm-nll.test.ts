/**
 * The GM score with learned diagonal covariances is the predicted class's negative log-likelihood
 * d_ŷ + ½ log|Σ_ŷ|, not min_k d_k; the detector and the detector-aware attacks compute it with the
 * same function.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { Classifier, GMHead, GMScoreDetector } from '../../src/index.js';
import { resolveDetectorTerm } from '../../src/attacks/adaptive.js';
import { gmClassifier, Identity } from '../attacks/fixtures.js';

// 1-D features; class 0 at 0 with variance 100, class 1 at 3 with variance 1
const MEANS = [0, 3], VARS = [100, 1];
const d = (f: number, k: number) => 0.5 * (f - MEANS[k]!) ** 2 / VARS[k]!;
const nll = (f: number, k: number) => d(f, k) + 0.5 * Math.log(VARS[k]!);

function diagonalModel(): Classifier {
  const head = new GMHead(1, 2, { diagonal: true, dtype: 'float64' });
  head.loadStateDict({ means: g.tensor([[MEANS[0]!], [MEANS[1]!]], { dtype: 'float64' }), log_var: g.tensor([[Math.log(VARS[0]!)], [Math.log(VARS[1]!)]], { dtype: 'float64' }) });
  return new Classifier(new Identity(), head, { model: 'diag', featureDim: 1, numClasses: 2, inputShape: [1] });
}

describe('GM score with learned diagonal covariances', () => {
  const fs = [1, -2, 2.2, 5];

  it('is the predicted class\'s d + ½ log|Σ| (f = 1: min_k d_k = 0.005 from class 0, but class 1 is predicted, score 2)', async () => {
    const model = diagonalModel();
    const x = g.tensor(fs.map((f) => [f]), { dtype: 'float64' });
    const pred = await g.argmax(model.forward(x), 1).data();
    expect(pred[0]).toBe(1);
    const scores = await new GMScoreDetector(model).scores(x);
    fs.forEach((f, i) => {
      const predicted = pred[i]!;
      expect(scores[i]).toBeCloseTo(nll(f, predicted), 12);
      expect(nll(f, predicted)).toBe(Math.min(nll(f, 0), nll(f, 1)));
    });
    expect(scores[0]).not.toBeCloseTo(Math.min(d(1, 0), d(1, 1)), 3);
  });

  it('the detector-aware attacks\' default term scores with the same function as the detector', async () => {
    for (const model of [diagonalModel(), gmClassifier([[4, 0], [0, 4]], [-2, -2], [[-1, 0], [1, 0], [0, 1.5]])]) {
      const dim = model.meta.featureDim;
      const f = g.tensor(Array.from({ length: 4 }, (_, i) => Array.from({ length: dim }, (_, j) => fs[(i + j) % 4]!)), { dtype: 'float64' });
      const detector = new GMScoreDetector(model);
      const term = resolveDetectorTerm('Adaptive-PGD', model, { tau: 1 });
      expect(Array.from(await term.scorer.scoreFromFeatures(f).data())).toEqual(Array.from(await detector.scoreFromFeatures(f).data()));
      expect(Array.from(await term.scorer.classScoresFromFeatures!(f).data())).toEqual(Array.from(await detector.classScoresFromFeatures(f).data()));
    }
  });
});
