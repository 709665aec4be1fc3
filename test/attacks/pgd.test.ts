/**
 * PGD (L∞, L2), BIM and the fixed-ε machinery: ε = 0, ball and range, validation, determinism,
 * batch invariance, restarts, eval mode, targeted modes, runEpsilons, and the margin loss on
 * saturated GM logits.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { BIM, PGD } from '../../src/attacks/index.js';
import { arr, gmClassifier, images, labels, maxAbsDiff, predictions, sample, tinyCnn } from './fixtures.js';

const linfDist = (a: Tensor, b: Tensor) => maxAbsDiff(arr(a), arr(b));
function l2PerSample(a: Tensor, b: Tensor): number[] {
  const n = a.shape[0]!, da = arr(a), db = arr(b), m = da.length / n;
  return Array.from({ length: n }, (_, i) => Math.hypot(...da.slice(i * m, (i + 1) * m).map((v, j) => v - db[i * m + j]!)));
}

describe('PGD basics', () => {
  const model = tinyCnn(3, 'softmax');
  const x = images([4, 1, 8, 8], 11);
  const y = predictions(model, x);

  it('ε = 0 returns x exactly (random start, explicit α, both norms)', async () => {
    for (const norm of ['linf', 'l2'] as const) {
      const r = await new PGD({ epsilon: 0, alpha: 0.05, steps: 3, norm }).run(model, x, y);
      expect(arr(r.adversarial)).toEqual(arr(x));
      expect(Array.from(r.norms)).toEqual([0, 0, 0, 0]);
    }
  });

  it('stays in [0, 1] and inside the ε-ball; x is not written; parameters get no .grad', async () => {
    const before = arr(x);
    const r = await new PGD({ epsilon: 0.1, alpha: 0.04, steps: 5 }).run(model, x, y);
    expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(linfDist(r.adversarial, x)).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(Math.max(...r.norms)).toBeLessThanOrEqual(0.1 + 1e-6);
    const r2 = await new PGD({ epsilon: 0.5, alpha: 0.3, steps: 5, norm: 'l2' }).run(model, x, y);
    expect(arr(r2.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...l2PerSample(r2.adversarial, x))).toBeLessThanOrEqual(0.5 + 1e-6);
    expect(arr(x)).toEqual(before);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('validates α, steps, restarts, norm', () => {
    expect(() => new PGD({ epsilon: 0.1, alpha: 0 })).toThrow(/PGD: alpha must be a finite number > 0, got 0/);
    expect(() => new PGD({ epsilon: 0.1, alpha: -1 })).toThrow(/alpha must be a finite number > 0/);
    expect(() => new PGD({ epsilon: 0.1, steps: 0 })).toThrow(/PGD: steps must be a positive integer, got 0/);
    expect(() => new PGD({ epsilon: 0.1, steps: 2.5 })).toThrow(/steps must be a positive integer, got 2.5/);
    expect(() => new PGD({ epsilon: 0.1, restarts: 0 })).toThrow(/restarts must be a positive integer/);
    expect(() => new PGD({ epsilon: 0.1, norm: 'l1' as never })).toThrow(/norm must be one of 'linf', 'l2'/);
    expect(() => new BIM({ epsilon: -1 })).toThrow(/BIM: epsilon must be a finite number >= 0/);
  });

  it('same seed → identical output; another seed → another random start', async () => {
    const a = await new PGD({ epsilon: 0.1, steps: 2, seed: 5 }).run(model, x, y);
    const b = await new PGD({ epsilon: 0.1, steps: 2, seed: 5 }).run(model, x, y);
    const c = await new PGD({ epsilon: 0.1, steps: 2, seed: 6 }).run(model, x, y);
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
    expect(arr(a.adversarial)).not.toEqual(arr(c.adversarial));
  });

  it('puts the model in eval mode and restores every submodule flag', async () => {
    model.train();
    const dropout = (model.backbone as unknown as { layers: { training: boolean }[] }).layers[5]!;
    dropout.training = false; // deliberately mixed modes
    const a = await new BIM({ epsilon: 0.1, steps: 2 }).run(model, x, y);
    const b = await new BIM({ epsilon: 0.1, steps: 2 }).run(model, x, y);
    // with dropout and batch statistics active the two runs would differ
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
    expect(model.training).toBe(true);
    expect(dropout.training).toBe(false);
    model.eval();
  });
});

describe('batch invariance: N images at once equal each alone', () => {
  const model = tinyCnn(3, 'softmax', 4);
  const x = images([4, 1, 8, 8], 12);
  const y = predictions(model, x);

  for (const norm of ['linf', 'l2'] as const) {
    it(`PGD ${norm} (per-sample normalisation and projection)`, async () => {
      const attack = new PGD({ epsilon: norm === 'linf' ? 0.1 : 0.6, alpha: norm === 'linf' ? 0.03 : 0.2, steps: 4, norm, randomStart: false });
      const all = arr((await attack.run(model, x, y)).adversarial);
      for (let i = 0; i < 4; i++) {
        const one = arr((await attack.run(model, sample(x, i), sample(y, i))).adversarial);
        expect(maxAbsDiff(one, all.slice(i * 64, (i + 1) * 64))).toBeLessThan(1e-12);
      }
    });
  }
});

describe('restarts', () => {
  it('keep the per-sample worst case: more restarts never raise robust accuracy', async () => {
    const model = tinyCnn(4, 'softmax', 8);
    const x = images([12, 1, 8, 8], 21);
    const y = predictions(model, x);
    const succ: boolean[][] = [];
    for (const restarts of [1, 3, 6]) {
      // one short step from a random start: a weak attack, so the start matters
      const r = await new PGD({ epsilon: 0.2, alpha: 0.1, steps: 1, restarts, seed: 9 }).run(model, x, y);
      succ.push(r.success);
      expect(linfDist(r.adversarial, x)).toBeLessThanOrEqual(0.2 + 1e-6);
    }
    for (let k = 1; k < succ.length; k++) {
      succ[k - 1]!.forEach((s, i) => { if (s) expect(succ[k]![i]).toBe(true); });
    }
    const count = succ.map((s) => s.filter(Boolean).length);
    expect(count[0]).toBeGreaterThan(0);
    expect(count[2]).toBeGreaterThan(count[0]!);
  });

  it('drives a small CNN to (near) zero accuracy at a large ε', async () => {
    const model = tinyCnn(3, 'softmax', 5);
    const x = images([8, 1, 8, 8], 31);
    const y = predictions(model, x);
    const r = await new PGD({ epsilon: 0.5, alpha: 0.1, steps: 10 }).run(model, x, y);
    expect(r.success.filter(Boolean).length).toBeGreaterThanOrEqual(7);
  });
});

describe('BIM and runEpsilons', () => {
  const model = tinyCnn(3, 'softmax', 6);
  const x = images([3, 1, 8, 8], 41);
  const y = predictions(model, x);

  it('BIM is PGD without random start, α = ε/10 by default', async () => {
    const bim = new BIM({ epsilon: 0.2, steps: 3 });
    expect(bim.alpha).toBeCloseTo(0.02, 15);
    const a = await bim.run(model, x, y);
    const b = await new PGD({ epsilon: 0.2, alpha: 0.02, steps: 3, randomStart: false }).run(model, x, y);
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
  });

  it('returns raw, clipped and success per ε', async () => {
    const res = await new PGD({ epsilon: 0.1, steps: 3 }).runEpsilons(model, x, y, [0, 0.05, 0.3]);
    expect(res.map((r) => r.epsilon)).toEqual([0, 0.05, 0.3]);
    expect(arr(res[0]!.raw)).toEqual(arr(x));
    for (const r of res) {
      expect(r.success.length).toBe(3);
      expect(linfDist(r.clipped, x)).toBeLessThanOrEqual(r.epsilon + 1e-6);
      expect(arr(r.clipped)).toEqual(arr(r.raw));
    }
    await expect(new PGD({ epsilon: 0.1 }).runEpsilons(model, x, y, [])).rejects.toThrow(/non-empty array of epsilons/);
    await expect(new PGD({ epsilon: 0.1 }).runEpsilons(model, x, y, [0.1, -2])).rejects.toThrow(/epsilons\[1\] must be a finite number >= 0/);
  });
});

describe('targeted modes', () => {
  const model = tinyCnn(5, 'softmax', 7);
  const x = images([6, 1, 8, 8], 51);
  const y = predictions(model, x);
  const yv = arr(y);

  it('random targets are seeded, never the label', async () => {
    const a = await new PGD({ epsilon: 0.3, steps: 2, target: 'random', seed: 3 }).run(model, x, y);
    const b = await new PGD({ epsilon: 0.3, steps: 2, target: 'random', seed: 3 }).run(model, x, y);
    expect(Array.from(a.targets!)).toEqual(Array.from(b.targets!));
    a.targets!.forEach((t, i) => { expect(t).not.toBe(yv[i]); expect(t).toBeGreaterThanOrEqual(0); expect(t).toBeLessThan(5); });
    // success means reaching the target
    a.success.forEach((s, i) => expect(s).toBe(a.predictions[i] === a.targets![i]));
  });

  it('least-likely targets are the argmin of the clean logits', async () => {
    const r = await new PGD({ epsilon: 0.3, steps: 2, target: 'least-likely' }).run(model, x, y);
    model.eval();
    expect(Array.from(r.targets!)).toEqual(arr(g.noGrad(() => g.argmin(model.forward(x), 1))));
  });

  it('given targets come from run(); mismatched configuration is an error', async () => {
    // the runner-up class of the clean logits: reachable for this random model
    model.eval();
    const z = arr(g.noGrad(() => model.forward(x)));
    const t = labels(yv.map((v, i) => [0, 1, 2, 3, 4].filter((k) => k !== v).reduce((a, b) => (z[i * 5 + b]! > z[i * 5 + a]! ? b : a))));
    const r = await new PGD({ epsilon: 0.5, alpha: 0.1, steps: 8, loss: 'margin' }).run(model, x, y, t);
    expect(Array.from(r.targets!)).toEqual(arr(t));
    expect(r.success.filter(Boolean).length).toBeGreaterThanOrEqual(4);
    await expect(new PGD({ epsilon: 0.1, target: 'given' }).run(model, x, y)).rejects.toThrow(/needs the targets as the fourth argument/);
    await expect(new PGD({ epsilon: 0.1, target: 'random' }).run(model, x, y, t)).rejects.toThrow(/targets were passed to run\(\) but the attack is configured with target: 'random'/);
  });
});

describe('the margin loss where cross-entropy saturates on GM logits', () => {
  it('PGD-CE cannot move (zero gradient in float32) while PGD-margin and PGD-gm succeed', async () => {
    // 1-D feature f = 40·x₀ − 20, class means at ∓20: at x₀ = 0.1 the distances differ by 640
    const model = gmClassifier([[40, 0]], [-20], [[-20], [20]], 'float32');
    const x = g.tensor([[0.1, 0.5]]);
    const y = labels([0]);
    const o = { epsilon: 0.5, alpha: 0.1, steps: 8, randomStart: false };
    const ce = await new PGD({ ...o, loss: 'ce' }).run(model, x, y);
    expect(arr(ce.adversarial)).toEqual(arr(x));
    expect(ce.success).toEqual([false]);
    expect((await new PGD({ ...o, loss: 'margin' }).run(model, x, y)).success).toEqual([true]);
    expect((await new PGD({ ...o, loss: 'gm' }).run(model, x, y)).success).toEqual([true]);
  });
});
