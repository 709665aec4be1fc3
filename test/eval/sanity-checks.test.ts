/**
 * The sanity checks catch what each is meant to catch: a fake attack whose success falls as ε
 * grows, an attack that fails unbounded, one whose success still climbs with the budget, a
 * gradient-masked model (its input quantised, every gradient zero) on which a gradient-free random
 * search beats PGD, and a detector claim that Tramèr's reduction turns into an implausible
 * classifier. A linear model attacked by PGD passes every check. Numbers are checked by hand.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { AttackResult } from '../../src/attacks/attack.js';
import { forwardPass, withEvalMode, type AttackModel } from '../../src/attacks/model.js';
import { ATTACK_NAMES, createAttack } from '../../src/attacks/registry.js';
import { Classifier } from '../../src/models/classifier.js';
import { Module } from '../../src/nn/module.js';
import { add, mul } from '../../src/ops/binary.js';
import { argmax } from '../../src/ops/reduce.js';
import { clone } from '../../src/ops/shape.js';
import { affine, clamp, floor, sign } from '../../src/ops/unary.js';
import { runSanityChecks, monotonicCheck, type GradientBudget, type SanityAttack } from '../../src/eval/sanity-checks.js';
import { sanityMarkdown } from '../../src/eval/sanity-md.js';
import { detectorRobustAccuracy, tramerReduction } from '../../src/eval/sanity-tramer.js';
import { affineClassifier, fixedLinear } from '../attacks/fixtures.js';


const N = 10;

/** A fake attack: sample k is fooled iff rule(k, budget) (the adversarial batch is x itself). */
function fake(rule: (k: number, b: GradientBudget) => boolean) {
  return (b: GradientBudget): SanityAttack => ({
    name: 'fake',
    async run(_m: AttackModel, x: Tensor): Promise<AttackResult> {
      const n = x.shape[0]!;
      const success = Array.from({ length: n }, (_, k) => rule(k, b));
      return { adversarial: clone(x), success, finite: success.map(() => true), norms: new Float32Array(n), predictions: new Int32Array(n), targets: null };
    },
  });
}

/** Ten points of a 2-class linear model, each labelled with its own clean prediction (all clean-correct). */
async function linearBatch(): Promise<{ model: Classifier; x: Tensor; y: Tensor }> {
  const model = affineClassifier([[1, -1], [-1, 1]], [0, 0]);
  const x = g.uniform([N, 2], 0.2, 0.8, { generator: new g.Generator(4), dtype: 'float64' });
  const y = g.tidy(() => argmax(model.forward(x), 1));
  return { model, x, y };
}

const pgd = (b: GradientBudget) => createAttack('pgd', { epsilon: b.epsilon, steps: b.steps, restarts: b.restarts, seed: 1 });

describe('check a: success non-decreasing in ε', () => {
  it('flags a fake attack whose success falls as ε grows, with the size of every drop', async () => {
    const { model, x, y } = await linearBatch();
    // fooled iff k < 10·(1 − ε): 9, 8, 7 of 10 at ε = 0.1, 0.2, 0.3
    const r = await runSanityChecks({
      model, x, y, attack: { name: 'fake', norm: 'linf', make: fake((k, b) => b.epsilon >= 1 || k < Math.round(N * (1 - b.epsilon))) },
      budget: { epsilon: 0.2, steps: 10, restarts: 1 }, epsilons: [0.3, 0.1, 0.2], gradientFree: null,
    });
    const m = r.checks.monotonic;
    expect(m.status).toBe('flag');
    expect(m.points.map((p) => p.epsilon)).toEqual([0.1, 0.2, 0.3]);
    expect(m.points.map((p) => p.successRate)).toEqual([0.9, 0.8, 0.7]);
    expect(m.violations.map((v) => [v.from, v.to])[0]).toEqual([0.1, 0.3]);
    expect(m.violations.map((v) => `${v.from}→${v.to}: ${v.drop.toFixed(12)}`).sort()).toEqual(['0.1→0.2: 0.100000000000', '0.1→0.3: 0.200000000000', '0.2→0.3: 0.100000000000']);
    expect(m.samplesLost).toBe(2);
    expect(m.summary).toMatch(/drops by 20\.0 % from ε = 0\.1 to ε = 0\.3, beyond the 2\.0 % tolerance/);
    expect(r.flagged).toContain('monotonic');
  });

  it('passes a drop within the tolerance, naming it', () => {
    const correct = Array(100).fill(true);
    const at = (fooledCount: number) => Array.from({ length: 100 }, (_, k) => k < fooledCount);
    const m = monotonicCheck([{ epsilon: 0.1, fooled: at(50) }, { epsilon: 0.2, fooled: at(49) }, { epsilon: 0.3, fooled: at(80) }], correct, 0.02);
    expect(m.status).toBe('pass');
    expect(m.violations).toHaveLength(1);
    expect(m.violations[0]!.drop).toBeCloseTo(0.01, 12);
    expect(m.summary).toMatch(/within the 2\.0 % tolerance/);
  });
});

describe('checks b and c: unbounded success and more budget', () => {
  it('flag an attack that misses samples unbounded and one whose success still grows with steps', async () => {
    const { model, x, y } = await linearBatch();
    // success grows with the steps (k < steps), and never beyond half the samples
    const r = await runSanityChecks({
      model, x, y, attack: { name: 'fake', norm: 'linf', make: fake((k, b) => k < Math.min(b.steps, 5)) },
      budget: { epsilon: 0.2, steps: 1, restarts: 1 }, epsilons: [0.1, 0.2], gradientFree: null,
    });
    expect(r.checks.unbounded.status).toBe('flag');
    expect(r.checks.unbounded.epsilon).toBe(1);
    expect(r.checks.unbounded.unfooled).toBe(9);
    expect(r.checks.budget.status).toBe('flag');
    expect(r.checks.budget.more).toEqual({ steps: 4, restarts: 4, successRate: 0.4 });
    expect(r.checks.budget.base.successRate).toBe(0.1);
    expect(r.checks.budget.gain).toBeCloseTo(0.3, 12);
    expect(r.checks.budget.newlyFooled).toBe(3);
  });

  it('PGD on a linear model passes every check it runs', async () => {
    const { model, x, y } = await linearBatch();
    const r = await runSanityChecks({ model, x, y, attack: { name: 'PGD', norm: 'linf', make: pgd }, budget: { epsilon: 0.2, steps: 10, restarts: 1 }, epsilons: [0.05, 0.1, 0.2, 0.3], gradientFree: null });
    expect(r.flagged).toEqual([]);
    expect(r.checks.unbounded.successRate).toBe(1);
    expect(r.checks.budget.gain).toBe(0);
    expect(r.checks.gradientFree.status).toBe('skipped');
    expect(r.checks.tramer.status).toBe('skipped');
  });

  it('the L2 unbounded ε is the diameter of the image cube, √d', async () => {
    const { model, x, y } = await linearBatch();
    const r = await runSanityChecks({ model, x, y, attack: { name: 'PGD-L2', norm: 'l2', make: (b) => createAttack('pgd-l2', { ...b, seed: 1 }) }, budget: { epsilon: 0.5, steps: 10, restarts: 1 }, epsilons: [0.25, 0.5], gradientFree: null });
    expect(r.checks.unbounded.epsilon).toBeCloseTo(Math.SQRT2, 12);
    expect(r.checks.unbounded.status).toBe('pass');
  });
});

/** Features q(x) = ⌊2x⌋ (+ 0·x to keep the graph): every input gradient is exactly zero. */
class Quantise extends Module {
  forward(x: Tensor): Tensor { return add(floor(affine(x, 2, 0)), mul(x, 0)); }
}

/** Class 1 iff at least 6 of 8 coordinates reach 0.5: from x = 0.4 that takes a coordinated push. */
function maskedModel(): Classifier {
  const head = fixedLinear([Array(8).fill(0), Array(8).fill(1)], [0, -5.5]);
  return new Classifier(new Quantise(), head, { model: 'quantised', featureDim: 8, numClasses: 2, inputShape: [8] });
}

/** A gradient-free attack for the test: `trials` random vertices of the L∞ ball, the first that fools kept. */
function randomVertexSearch(epsilon: number, trials = 40): SanityAttack {
  return {
    name: 'random-vertex',
    async run(model: AttackModel, x: Tensor, labels: Tensor): Promise<AttackResult> {
      const n = x.shape[0]!;
      const success = new Array<boolean>(n).fill(false);
      const y = await labels.data();
      const generator = new g.Generator(11);
      await withEvalMode(model, async () => {
        for (let t = 0; t < trials; t++) {
          const pred = g.tidy(() => {
            const candidate = clamp(add(x, affine(sign(g.uniform(x.shape, -1, 1, { generator, dtype: x.dtype })), epsilon, 0)), 0, 1);
            return argmax(forwardPass(model, candidate).logits, 1);
          });
          const p = await pred.data();
          pred.dispose();
          for (let k = 0; k < n; k++) if (p[k] !== y[k]) success[k] = true;
        }
      });
      return { adversarial: clone(x), success, finite: success.map(() => true), norms: new Float32Array(n), predictions: new Int32Array(n), targets: null };
    },
  };
}

describe('check d: gradient-free versus gradient attacks', () => {
  it('flags gradient masking: random search fools the quantised model where PGD has no gradient to follow', async () => {
    const model = maskedModel();
    const x = g.full([20, 8], 0.4, { dtype: 'float64' });
    const y = g.zeros([20], { dtype: 'int32' });
    const r = await runSanityChecks({
      model, x, y, attack: { name: 'PGD', norm: 'linf', make: pgd }, budget: { epsilon: 0.3, steps: 10, restarts: 1 }, epsilons: [0.1, 0.3],
      gradientFree: { name: 'random-vertex', make: (e) => randomVertexSearch(e) },
    });
    const d = r.checks.gradientFree;
    expect(r.cleanCorrect).toBe(20);
    expect(d.status).toBe('flag');
    expect(d.attack).toBe('random-vertex');
    // a random vertex fools with probability 37/256 per trial: 40 trials fool nearly every sample;
    // PGD's uniform start crosses 0.5 per coordinate with probability 1/3, 6 of 8 with about 2 %
    expect(d.successRate!).toBeGreaterThan(0.9);
    expect(d.gradientSuccessRate).toBeLessThan(0.3);
    expect(d.gap).toBeCloseTo(d.missedByGradient / 20, 12);
    expect(d.gap).toBeGreaterThan(0.6);
    expect(d.summary).toMatch(/gradient masking suspected/);
    // the same masking defeats the unbounded gradient attack
    expect(r.checks.unbounded.status).toBe('flag');
    expect(r.flagged).toEqual(expect.arrayContaining(['gradientFree', 'unbounded']));
  });

  it('without an explicit attack, looks up Square in the registry, skipping with the reason when it is absent', async () => {
    const { model, x, y } = await linearBatch();
    const r = await runSanityChecks({ model, x, y, attack: { name: 'PGD', norm: 'linf', make: pgd }, budget: { epsilon: 0.2, steps: 5, restarts: 1 }, epsilons: [0.1, 0.2] });
    const d = r.checks.gradientFree;
    if ((ATTACK_NAMES as readonly string[]).includes('square')) {
      // the linear batch is flat ([N, 2]): Square, which searches over image squares, is skipped saying so
      expect(d.attack).toBe('square');
      expect(d.status).toBe('skipped');
      expect(d.summary).toBe('skipped: square needs images [N, C, H, W], got x [10, 2]');
    } else {
      expect(d.status).toBe('skipped');
      expect(d.summary).toMatch(/^skipped: no gradient-free attack in the attack registry \(looked for square; known: .*pgd/);
    }
  });
});

describe("check e: Tramèr's reduction", () => {
  it('turns a detector claim at ε into a classifier claim at ε/2 and compares it with the best known', () => {
    const r = tramerReduction({ detectorRobustAccuracy: 0.7, epsilon: 0.3, bestKnownRobustAccuracy: 0.5, bestKnownSource: 'a leaderboard' });
    expect(r.halfEpsilon).toBeCloseTo(0.15, 12);
    expect(r.impliedRobustAccuracy).toBe(0.7);
    expect(r.excess).toBeCloseTo(0.2, 12);
    expect(r.implausible).toBe(true);
    const ok = tramerReduction({ detectorRobustAccuracy: 0.51, epsilon: 8 / 255, bestKnownRobustAccuracy: 0.5, bestKnownSource: 's' });
    expect(ok.implausible).toBe(false);
    expect(tramerReduction({ detectorRobustAccuracy: 0.53, epsilon: 1, bestKnownRobustAccuracy: 0.5, bestKnownSource: 's', slack: 0 }).implausible).toBe(true);
    expect(() => tramerReduction({ detectorRobustAccuracy: 1.2, epsilon: 1, bestKnownRobustAccuracy: 0.5, bestKnownSource: 's' })).toThrow(/detectorRobustAccuracy must be a fraction in \[0, 1\], got 1\.2/);
    expect(() => tramerReduction({ detectorRobustAccuracy: 0.2, epsilon: 0, bestKnownRobustAccuracy: 0.5, bestKnownSource: 's' })).toThrow(/epsilon must be a finite number > 0, got 0/);
    expect(() => tramerReduction({ detectorRobustAccuracy: 0.2, epsilon: 1, bestKnownRobustAccuracy: 0.5, bestKnownSource: ' ' })).toThrow(/bestKnownSource/);
  });

  it("a detector's robust accuracy: clean correct and accepted, and no accepted misclassified adversarial", () => {
    // samples: robust; wrong clean; rejected clean; evaded; robust → 2 of 5
    expect(detectorRobustAccuracy([true, false, true, true, true], [true, true, false, true, true], [false, false, false, true, false])).toBeCloseTo(0.4, 12);
    expect(() => detectorRobustAccuracy([true], [true, false], [false])).toThrow(/one flag per sample/);
  });

  it('is reported by the checks, flagged when implausible', async () => {
    const { model, x, y } = await linearBatch();
    const r = await runSanityChecks({
      model, x, y, attack: { name: 'PGD', norm: 'linf', make: pgd }, budget: { epsilon: 0.2, steps: 5, restarts: 1 }, epsilons: [0.1, 0.2], gradientFree: null,
      tramer: { detectorRobustAccuracy: 0.9, epsilon: 0.3, bestKnownRobustAccuracy: 0.6, bestKnownSource: 'the best robust MNIST classifier at ε = 0.15' },
    });
    expect(r.checks.tramer.status).toBe('flag');
    expect(r.checks.tramer.summary).toBe('a detector with 90.0 % robust accuracy at ε = 0.3 implies a classifier with ≥ 90.0 % at ε = 0.15; the best known is 60.0 % (the best robust MNIST classifier at ε = 0.15): 30.0 % beyond it, implausible');
    expect(r.flagged).toEqual(['tramer']);
  });
});

it('the Markdown report names every check, its verdict and the ε sweep', async () => {
  const { model, x, y } = await linearBatch();
  const r = await runSanityChecks({
    model, x, y, attack: { name: 'fake', norm: 'linf', make: fake((k, b) => b.epsilon >= 1 || k < Math.round(N * (1 - b.epsilon))) },
    budget: { epsilon: 0.2, steps: 10, restarts: 1 }, epsilons: [0.1, 0.2, 0.3], gradientFree: null,
  });
  const md = sanityMarkdown(r);
  expect(md).toContain('#### Sanity checks — fake (L∞) at ε = 0.2, 10 steps × 1 restart(s)');
  expect(md).toContain('**flagged: monotonic**');
  expect(md).toMatch(/\| success non-decreasing in ε \| \*\*FLAG\*\* \| success drops by 20\.0 %/);
  expect(md).toMatch(/\| gradient-free vs gradient attacks \| skipped \| skipped: no gradient-free attack requested \|/);
  expect(md).toContain('| success | 90.0 % | 80.0 % | 70.0 % | 100.0 % |');
  expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| check') && !l.startsWith('| ε') && !l.startsWith('| success |'))).toHaveLength(5);
});

describe('gmgrad attack --sanity', () => {
  it("checks each --norm with its gradient attack (PGD; APGD-CE under L1) at the norm's largest ε and the run's steps, its ε list the sweep", async () => {
    const { embeddedSplits } = await import('../helpers/data.js');
    const { sanityForAttackRun } = await import('../../src/eval/sanity-plan.js');
    const { createModel } = await import('../../src/models/zoo.js');
    const { stratifiedSlice } = await import('../../src/data/dataset.js');
    const backend = g.getBackend();
    const model = createModel('tiny-cnn', { head: 'gm', featureDim: 4, inputShape: [1, 28, 28], numClasses: 10, backend, generator: new g.Generator(2) });
    const images = stratifiedSlice((await embeddedSplits()).test, 10);
    const r = await sanityForAttackRun({ model, images, backend, norm: 'linf', epsilons: [0.3, 0.1], steps: 2, seed: 0, batchSize: 10 });
    expect(r.attack).toBe('PGD');
    expect(r.norm).toBe('linf');
    expect(r.budget).toEqual({ epsilon: 0.3, steps: 2, restarts: 1 });
    expect(r.checks.monotonic.points.map((p) => p.epsilon)).toEqual([0.1, 0.3]);
    expect(r.checks.budget.more).toMatchObject({ steps: 8, restarts: 4 });
    const l2 = await sanityForAttackRun({ model, images, backend, norm: 'l2', epsilons: [2], steps: 1, queries: 5, seed: 0, batchSize: 10 });
    expect([l2.attack, l2.norm]).toEqual(['PGD-L2', 'l2']);
    expect(l2.checks.gradientFree.attack).toBe('Square-L2');
    expect(l2.checks.monotonic.points.map((p) => p.epsilon)).toEqual([0.5, 1, 2]);
    expect(l2.checks.unbounded.epsilon).toBeCloseTo(28, 9);
    const l1 = await sanityForAttackRun({ model, images: stratifiedSlice(images, 3), backend, norm: 'l1', epsilons: [2, 8], steps: 1, seed: 0, batchSize: 10 });
    expect([l1.attack, l1.norm, l1.budget.epsilon]).toEqual(['APGD-CE-L1', 'l1', 8]);
    // unbounded under L1: ε = d, the L1 diameter of the image cube
    expect(l1.checks.unbounded.epsilon).toBe(784);
    expect(l1.checks.gradientFree.summary).toMatch(/no L1 gradient-free attack/);
    model.dispose();
  }, 30_000);
});
