/** Attack objectives: the other-class max by masking (GM logits are all negative), CE, the GM objective. */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { crossEntropyObjective, gmFeatureObjective, marginObjective, otherClassMax, otherClassMin } from '../../src/attacks/index.js';
import { arr, labels, maxAbsDiff } from './fixtures.js';

const t = (v: number[][]) => g.tensor(v, { dtype: 'float64' });

describe('margin loss', () => {
  it('is correct when every logit is negative (masking, not multiplying by 1 − one-hot)', () => {
    const z = t([[-5, -1, -3], [-0.5, -7, -2]]);
    const y = labels([0, 1]);
    expect(arr(otherClassMax(z, y))).toEqual([-1, -0.5]);
    // the wrong construction max((1 − onehot)·Z) would give 0 for both rows
    expect(arr(marginObjective(z, y, null))).toEqual([-1 - -5, -0.5 - -7]);
  });

  it('sends the gradient only to the true class and the best other class', () => {
    const z = t([[-5, -1, -3]]);
    const [grad] = g.grad((zz) => g.sum(marginObjective(zz, labels([0]), null)))(z);
    expect(arr(grad!)).toEqual([-1, 1, 0]);
  });

  it('targeted: Z_t − max_{j≠t} Z_j, capped at κ', () => {
    const z = t([[-5, -1, -3]]);
    expect(arr(marginObjective(z, labels([0]), labels([2])))).toEqual([-2]);
    expect(arr(marginObjective(t([[-5, -1, 3]]), labels([0]), labels([2]), 1))).toEqual([1]);
    expect(arr(marginObjective(t([[-5, -1, 3]]), labels([0]), labels([2]), 10))).toEqual([4]);
  });

  it('other-class min masks with the largest finite value', () => {
    const d = t([[1, 5, 3], [0.1, 0.2, 0.05]]);
    expect(arr(otherClassMin(d, labels([0, 2])))).toEqual([3, 0.1]);
  });
});

describe('cross-entropy and the GM objective', () => {
  it('cross-entropy per sample, negated for targets', () => {
    const z = t([[1, 2, 3]]);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(arr(crossEntropyObjective(z, labels([0]), null))[0]).toBeCloseTo(lse - 1, 12);
    expect(arr(crossEntropyObjective(z, labels([0]), labels([2])))[0]).toBeCloseTo(-(lse - 3), 12);
  });

  it('GM objective: −min_{k≠y} d_k untargeted, −d_t targeted', () => {
    const d = t([[0.5, 4, 2], [9, 1, 3]]);
    expect(arr(gmFeatureObjective(d, labels([0, 1]), null))).toEqual([-2, -3]);
    expect(arr(gmFeatureObjective(d, labels([0, 1]), labels([1, 0])))).toEqual([-4, -9]);
  });

  it('GM objective gradient pulls the feature onto the nearest wrong mean', () => {
    const means = t([[0, 0], [4, 0], [0, 10]]);
    const f = t([[1, 0]]);
    const [grad] = g.grad((ff) => g.sum(gmFeatureObjective(g.gmDistances(ff, means), labels([0]), null)))(f);
    // −∇½‖f − μ₁‖² = μ₁ − f
    expect(maxAbsDiff(arr(grad!), [3, 0])).toBeLessThan(1e-15);
  });
});
