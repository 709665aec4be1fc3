/**
 * APGD: the checkpoint schedule, the iterates and step sizes against a plain-JS re-implementation of
 * the published update on an affine classifier (L∞, L2, L1; CE and DLR), the ball and the box,
 * the DLR values by hand, APGD against PGD at the same budget on a small trained model, seeds,
 * targeted modes and validation.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import {
  APGD, APGDTargeted, apgdCheckpoints, checkpointFractions, createAttack, dlrObjective, PGD, projectL1, projectL1Box, sparseL1Direction, targetedDlrObjective,
} from '../../src/attacks/index.js';
import { affineClassifier, arr, images, labels, predictions, rows } from './fixtures.js';
import { apgdReference, checkpointsRef, projectL1BoxRef, projectL1Ref, type LinearModel } from './apgd-reference.js';
import { trainedBlobModel } from './trained-fixture.js';

const W = [
  [0.9, -0.4, 0.3, 0.7, -0.2, 0.5],
  [-0.3, 0.8, -0.6, 0.2, 0.9, -0.1],
  [0.4, 0.1, 0.9, -0.7, 0.3, 0.6],
  [-0.8, 0.5, 0.2, 0.4, -0.6, 0.3],
];
const B = [0.05, -0.1, 0.02, 0.08];
const X = [
  [0.42, 0.55, 0.31, 0.66, 0.48, 0.59],
  [0.73, 0.28, 0.61, 0.35, 0.52, 0.44],
  [0.25, 0.68, 0.47, 0.58, 0.36, 0.71],
];

describe('APGD checkpoints', () => {
  it('the fractions are the published sequence 0, 0.22, 0.41, 0.57, 0.70, 0.80, 0.87, 0.93, 0.99', () => {
    expect(checkpointFractions()).toEqual([0, 0.22, 0.41, 0.57, 0.7, 0.8, 0.87, 0.93, 0.99]);
  });

  it('w_j = ⌈p_j·N⌉ (N = 100 gives 0, 22, 41, 57, 70, 80, 87, 93, 99); agrees with an independent recomputation', () => {
    expect(apgdCheckpoints(100)).toEqual([0, 22, 41, 57, 70, 80, 87, 93, 99]);
    for (const n of [1, 5, 10, 20, 37, 50, 250, 1000]) expect(apgdCheckpoints(n)).toEqual(checkpointsRef(n));
  });
});

describe('APGD against the plain-JS reference on an affine classifier', () => {
  const model = affineClassifier(W, B);
  const x = g.tensor(X, { dtype: 'float64' });
  const y = predictions(model, x);
  const m: LinearModel = { W, b: B };
  const cases = [
    { norm: 'linf', loss: 'ce', eps: 0.05 }, { norm: 'linf', loss: 'dlr', eps: 0.05 },
    { norm: 'l2', loss: 'ce', eps: 0.15 }, { norm: 'l2', loss: 'dlr', eps: 0.1 },
    { norm: 'l1', loss: 'ce', eps: 0.3 }, { norm: 'l1', loss: 'dlr', eps: 0.25 },
  ] as const;
  for (const c of cases) {
    it(`${c.norm} ${c.loss}: every iterate and step size agree (checkpoint halvings and restarts included) until f ties within rounding`, async () => {
      const steps = 20;
      const seen: { x: number[][]; eta: number[] }[] = [];
      const attack = new APGD({ epsilon: c.eps, norm: c.norm, loss: c.loss, steps, randomStart: false, l1Sparsity: 0.34,
        onIterate: (it) => seen.push({ x: rows(it.x), eta: arr(it.stepSize) }) });
      await attack.run(model, x, y);
      expect(seen.length).toBe(steps);
      const yv = arr(y);
      let halvings = 0, compared = 0;
      X.forEach((xi, i) => {
        const ref = apgdReference(m, xi, yv[i]!, { norm: c.norm, eps: c.eps, steps, loss: c.loss, l1Fraction: 0.34 });
        halvings += ref.halvings;
        for (let s = 0; s + 1 < ref.decidedUntil; s++) {
          compared++;
          expect(seen[s]!.eta[i]).toBeCloseTo(ref.etas[s]!, 12);
          seen[s]!.x[i]!.forEach((v, j) => expect(Math.abs(v - ref.xs[s]![j]!)).toBeLessThan(1e-9));
        }
      });
      // the schedule is exercised (some sample halved its step at a checkpoint) and most iterates are compared
      expect(halvings).toBeGreaterThan(0);
      expect(compared).toBeGreaterThanOrEqual(steps * X.length / 2);
    });
  }
});

describe('APGD stays in the threat model', () => {
  const model = affineClassifier(W, B);
  const x = g.tensor([[0, 1, 0.02, 0.99, 0.5, 0.01], ...X], { dtype: 'float64' });
  const y = predictions(model, x);
  it('L∞, L2 and L1: every sample inside the ε-ball and [0, 1], restarts included', async () => {
    for (const [norm, eps] of [['linf', 0.1], ['l2', 0.3], ['l1', 0.5]] as const) {
      const r = await new APGD({ epsilon: eps, norm, steps: 15, restarts: 2, loss: 'dlr', seed: 3 }).run(model, x, y);
      expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(Math.max(...r.norms)).toBeLessThanOrEqual(eps + 1e-6); // norms are reported in float32
    }
  });
  it('ε = 0 returns x exactly', async () => {
    for (const norm of ['linf', 'l2', 'l1'] as const) {
      const r = await new APGD({ epsilon: 0, norm, steps: 5 }).run(model, x, y);
      expect(arr(r.adversarial)).toEqual(arr(x));
    }
  });
});

describe('DLR by hand', () => {
  it('untargeted: −(z_y − max_{i≠y} z_i)/(z_π1 − z_π3 + 1e-12)', () => {
    const z = g.tensor([[2, 5, 1, 3], [4, -1, 0.5, 2]], { dtype: 'float64' });
    const v = arr(dlrObjective(z, labels([0, 0])));
    // row 0: y = 0, z_y = 2, other max 5, sorted 5 3 2 1 → −(2 − 5)/(5 − 2) = 1
    expect(v[0]).toBeCloseTo(1, 12);
    // row 1: y = 0 (correct), other max 2, sorted 4 2 0.5 −1 → −(4 − 2)/(4 − 0.5) = −4/7
    expect(v[1]).toBeCloseTo(-4 / 7, 12);
  });
  it('targeted: −(z_y − z_t)/(z_π1 − (z_π3 + z_π4)/2 + 1e-12); shift and scale invariant', () => {
    const z = g.tensor([[2, 5, 1, 3]], { dtype: 'float64' });
    const v = arr(targetedDlrObjective(z, labels([0]), labels([3])))[0]!;
    expect(v).toBeCloseTo(-(2 - 3) / (5 - 1.5), 12);
    const shifted = g.tensor([[2 * 3 - 7, 5 * 3 - 7, 1 * 3 - 7, 3 * 3 - 7]], { dtype: 'float64' });
    expect(arr(targetedDlrObjective(shifted, labels([0]), labels([3])))[0]).toBeCloseTo(v, 12);
  });
  it('ties keep the order statistics (z_π1 = z_π2)', () => {
    const z = g.tensor([[3, 3, 1, 0]], { dtype: 'float64' });
    expect(arr(dlrObjective(z, labels([0])))[0]).toBeCloseTo(0, 12);
    expect(arr(dlrObjective(g.tensor([[3, 3, 3, 0]], { dtype: 'float64' }), labels([2])))[0]).toBeCloseTo(0, 6);
  });
});

describe('APGD on a small trained model', () => {
  it('APGD-CE and APGD-T at least match PGD (same iterations, 1 restart) in successes', async () => {
    const { model, x, y } = trainedBlobModel();
    const eps = 0.12;
    const pgd = await new PGD({ epsilon: eps, steps: 25, seed: 1 }).run(model, x, y);
    const apgd = await new APGD({ epsilon: eps, steps: 25, seed: 1 }).run(model, x, y);
    const apgdT = await new APGDTargeted({ epsilon: eps, steps: 25, numTargets: 3, seed: 1 }).run(model, x, y);
    const count = (s: boolean[]) => s.filter(Boolean).length;
    expect(count(pgd.success)).toBeGreaterThan(0);
    expect(count(apgd.success)).toBeGreaterThanOrEqual(count(pgd.success));
    expect(count(apgdT.success)).toBeGreaterThanOrEqual(count(pgd.success));
  });
});

describe('APGD configuration', () => {
  const model = affineClassifier(W, B);
  const x = g.tensor(X, { dtype: 'float64' });
  const y = predictions(model, x);
  it('same seed → identical output; another seed → another random start', async () => {
    const a = await new APGD({ epsilon: 0.05, steps: 4, seed: 5 }).run(model, x, y);
    const b = await new APGD({ epsilon: 0.05, steps: 4, seed: 5 }).run(model, x, y);
    const c = await new APGD({ epsilon: 0.05, steps: 4, seed: 6, loss: 'dlr' }).run(model, images([3, 6], 2, 0.2, 0.8), y);
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
    expect(arr(a.adversarial)).not.toEqual(arr(c.adversarial));
  });
  it('targeted CE and targeted DLR reach given targets; misuse of the losses is a clear error', async () => {
    const t = labels(arr(y).map((v) => (v + 1) % 4));
    const r = await new APGD({ epsilon: 0.5, steps: 10, loss: 'dlr-targeted', target: 'given' }).run(model, x, y, t);
    expect(r.success.every(Boolean)).toBe(true);
    expect(Array.from(r.predictions)).toEqual(arr(t));
    await expect(new APGD({ epsilon: 0.1, loss: 'dlr-targeted' }).run(model, x, y)).rejects.toThrow(/APGD-DLR-T: loss 'dlr-targeted' needs targets/);
    await expect(new APGD({ epsilon: 0.1, loss: 'dlr', target: 'random' }).run(model, x, y)).rejects.toThrow(/loss 'dlr' is untargeted/);
    const two = affineClassifier([[1, 0], [0, 1]]);
    await expect(new APGD({ epsilon: 0.1, loss: 'dlr' }).run(two, g.tensor([[0.2, 0.7]], { dtype: 'float64' }), labels([1]))).rejects.toThrow(/DLR loss needs at least 3 classes/);
  });
  it('validates its options and names itself after loss and norm', () => {
    expect(() => new APGD({ epsilon: 0.1, norm: 'l0' as never })).toThrow(/norm must be one of 'linf', 'l2', 'l1'/);
    expect(() => new APGD({ epsilon: 0.1, steps: 0 })).toThrow(/APGD-CE: steps must be a positive integer/);
    expect(() => new APGD({ epsilon: 0.1, rho: 1.5 })).toThrow(/rho is a fraction/);
    expect(() => new APGD({ epsilon: 0.1, momentum: 0 })).toThrow(/momentum must be a finite number > 0/);
    expect(() => new APGDTargeted({ epsilon: 0.1, target: 'random' } as never)).toThrow(/APGD-T chooses its own targets/);
    expect([createAttack('apgd-ce', { epsilon: 0.1 }), createAttack('apgd-dlr', { epsilon: 0.5, norm: 'l2' }), createAttack('apgd-t', { epsilon: 1, norm: 'l1' })]
      .map((a) => [a.name, a.norm])).toEqual([['APGD-CE', 'linf'], ['APGD-DLR-L2', 'l2'], ['APGD-T-L1', 'l1']]);
    expect((createAttack('apgd-ce', { epsilon: 0.1, steps: 7 }) as APGD).withEpsilon(0.2).epsilon).toBe(0.2);
  });
});

describe('the L1 pieces', () => {
  const rng = new g.Generator(21);
  const v = Array.from(g.uniform([5, 12], -0.4, 1.4, { generator: rng, dtype: 'float64' }).dataSync());
  const c = Array.from(g.uniform([5, 12], 0, 1, { generator: rng, dtype: 'float64' }).dataSync());
  const rowsOf = (a: number[]) => Array.from({ length: 5 }, (_, i) => a.slice(i * 12, i * 12 + 12));
  const vt = g.tensor(v, { dtype: 'float64', shape: [5, 12] }), ct = g.tensor(c, { dtype: 'float64', shape: [5, 12] });
  it('projectL1 equals the sort-based projection (Duchi et al.); projectL1Box equals a plain-JS bisection and lies in ball and box', () => {
    const ball = rows(projectL1(vt, ct, 0.8)), boxed = rows(projectL1Box(vt, ct, 0.8));
    rowsOf(v).forEach((vi, i) => {
      const ci = rowsOf(c)[i]!;
      projectL1Ref(vi, ci, 0.8).forEach((e, j) => expect(ball[i]![j]).toBeCloseTo(e, 9));
      projectL1BoxRef(vi, ci, 0.8).forEach((e, j) => expect(boxed[i]![j]).toBeCloseTo(e, 9));
      expect(boxed[i]!.reduce((s, a, j) => s + Math.abs(a - ci[j]!), 0)).toBeLessThanOrEqual(0.8 + 1e-12);
      expect(boxed[i]!.every((a) => a >= 0 && a <= 1)).toBe(true);
    });
  });
  it('the sparse direction keeps the k largest free |g_j| with their signs, unit L1 norm', () => {
    const k = g.tensor([[1], [3], [5], [12], [2]], { dtype: 'float64' });
    const x01 = g.tensor(c.map((a, j) => (j % 7 === 0 ? 1 : j % 5 === 0 ? 0 : a)), { dtype: 'float64', shape: [5, 12] });
    const grad = g.tensor(v.map((a) => a - 0.5), { dtype: 'float64', shape: [5, 12] });
    const got = rows(sparseL1Direction(grad, x01, k));
    const xs = rows(x01), gs = rows(grad), ks = [1, 3, 5, 12, 2];
    gs.forEach((gi, i) => {
      const free = gi.map((a, j) => ((xs[i]![j]! >= 1 && a > 0) || (xs[i]![j]! <= 0 && a < 0) ? 0 : a));
      const kth = free.map(Math.abs).sort((a, b) => b - a)[ks[i]! - 1]!;
      const u = free.map((a) => (Math.abs(a) >= kth && a !== 0 ? Math.sign(a) : 0));
      const l1 = u.reduce((s, a) => s + Math.abs(a), 0);
      u.forEach((e, j) => expect(got[i]![j]).toBeCloseTo(e / l1, 12));
    });
  });
});
