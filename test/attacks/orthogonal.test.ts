/**
 * Detector-aware PGD variants: orthogonal and selective PGD (Bryniarski et al. 2021), the authors'
 * nearest-wrong-class objective and the high-confidence variant. The step directions are checked
 * against plain-JS gradients of a linear GM model; the attacks reach misclassified-and-accepted
 * where plain PGD is detected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import {
  createAttack, HighConfidencePGD, NearestWrongClassPGD, orthogonalComponent, OrthogonalPGD, PGD, pickPerSample, SelectivePGD,
  resolveDetectorTerm, type AttackContext, type OrthogonalPGDOptions,
} from '../../src/attacks/index.js';
import { GMScoreDetector, KernelDensityDetector, LidDetector } from '../../src/detect/index.js';
import { affineClassifier, gmClassifier, labels } from './fixtures.js';

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
/** plain JS: a − (a·b / (‖b‖² + 1e-20))·b */
const orthogonal = (a: number[], b: number[]) => { const c = dot(a, b) / (dot(b, b) + 1e-20); return a.map((v, i) => v - c * b[i]!); };

describe('the projection step', () => {
  it('orthogonalComponent equals the plain-JS projection per sample and is orthogonal to b', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 1e6 }), (n, d, seed) => {
      const gen = new g.Generator(seed);
      const a = Array.from({ length: n }, () => Array.from(gen.normal(d)));
      const b = Array.from({ length: n }, () => Array.from(gen.normal(d)));
      const got = orthogonalComponent(g.tensor(a, { dtype: 'float64' }), g.tensor(b, { dtype: 'float64' })).dataSync();
      a.forEach((row, i) => {
        const want = orthogonal(row, b[i]!);
        want.forEach((v, j) => expect(got[i * d + j]!).toBeCloseTo(v, 10));
        expect(Math.abs(dot(Array.from(got.subarray(i * d, (i + 1) * d)), b[i]!))).toBeLessThan(1e-9);
      });
    }), { numRuns: 30, seed: 1 });
    // image-shaped rows and a zero b (left unchanged)
    const a = g.tensor([[[[1, 2], [3, 4]]]], { dtype: 'float64' }), z = g.zeros([1, 1, 2, 2], { dtype: 'float64' });
    expect(Array.from(orthogonalComponent(a, z).dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(pickPerSample(g.tensor([0, 1], { dtype: 'float64' }), g.tensor([[1, 1], [2, 2]], { dtype: 'float64' }), g.tensor([[7, 7], [8, 8]], { dtype: 'float64' })).dataSync())).toEqual([1, 1, 8, 8]);
  });
});

// f = 10·(x − 0.5); identity-covariance GM means (−2, 0) and (1, 0); logits −½‖f − μ_k‖²
const means = [[-2, 0], [1, 0]];
const model = gmClassifier([[10, 0], [0, 10]], [-5, -5], means);
const feature = (x: number[]) => x.map((v) => 10 * (v - 0.5));

/** expose one step direction of a variant with a hand-built context */
function direction(Attack: typeof OrthogonalPGD | typeof SelectivePGD, xs: number[][], ys: number[]): number[][] {
  const attack = new Attack({ epsilon: 0.5, tau: 0.5 });
  const x = g.tensor(xs, { dtype: 'float64' });
  const y = labels(ys);
  const ctx: AttackContext = {
    attack: attack.name, model, x, labels: y, targets: null, numClasses: 2, cleanLogits: model.forward(x),
    generator: new g.Generator(0), detector: resolveDetectorTerm(attack.name, model, { tau: 0.5 }), iterationDone: () => {},
  };
  model.eval();
  const step = (attack as unknown as { stepDirection(c: AttackContext, x: g.Tensor): { direction: g.Tensor; outputs: { logits: g.Tensor; features: g.Tensor | null } } }).stepDirection(ctx, x);
  const d = step.direction.dataSync();
  step.outputs.logits.dispose();
  step.outputs.features?.dispose();
  return xs.map((_, i) => [d[2 * i]!, d[2 * i + 1]!]);
}

describe('which gradient each variant follows', () => {
  // sample 0: f = (−2, 1), still class 0 (its label); sample 1: f = (1.2, 0.2), already class 1
  const xs = [[0.3, 0.6], [0.62, 0.52]];
  const ys = [0, 0];
  // margin objective d_0 − d_1: ∇ₓ = 10·(μ₁ − μ₀); detector term −d_1 (the other class): ∇ₓ = −10·(f − μ₁)
  const gc = () => [10 * (means[1]![0]! - means[0]![0]!), 10 * (means[1]![1]! - means[0]![1]!)];
  const gd = (x: number[]) => feature(x).map((f, j) => -10 * (f - means[1]![j]!));

  it('selective: the classifier gradient until misclassified, then the detector gradient', () => {
    const d = direction(SelectivePGD, xs, ys);
    gc().forEach((v, j) => expect(d[0]![j]!).toBeCloseTo(v, 9));
    gd(xs[1]!).forEach((v, j) => expect(d[1]![j]!).toBeCloseTo(v, 9));
  });

  it('orthogonal: each gradient with its component along the other removed', () => {
    const d = direction(OrthogonalPGD, xs, ys);
    orthogonal(gc(), gd(xs[0]!)).forEach((v, j) => expect(d[0]![j]!).toBeCloseTo(v, 9));
    orthogonal(gd(xs[1]!), gc()).forEach((v, j) => expect(d[1]![j]!).toBeCloseTo(v, 9));
    expect(Math.abs(dot(d[0]!, gd(xs[0]!)))).toBeLessThan(1e-9);
  });
});

describe('evading the GM detector where plain PGD is flagged', () => {
  const x = g.tensor([[0.3, 0.5], [0.28, 0.55]], { dtype: 'float64' });
  const y = labels([0, 0]);
  const tau = 0.5;
  const o = { epsilon: 0.5, alpha: 0.02, steps: 40, randomStart: false, tau };

  it('plain PGD misclassifies but is detected', async () => {
    const r = await new PGD({ ...o, loss: 'margin' }).run(model, x, y);
    expect(r.success).toEqual([true, true]);
    (await new GMScoreDetector(model).scores(r.adversarial)).forEach((s) => expect(s).toBeGreaterThan(tau));
  });

  it('orthogonal PGD switching at margin 0 stalls on the class boundary (acceptance needs margin >= 1.5 here)', async () => {
    const r = await new OrthogonalPGD(o).run(model, x, y);
    expect(r.success).toEqual([false, false]);
  });

  const variants: [string, OrthogonalPGDOptions['norm'], (n: OrthogonalPGDOptions['norm']) => { run: OrthogonalPGD['run'] }][] = [];
  for (const norm of ['linf', 'l2'] as const) {
    variants.push(
      // acceptance under class 1 starts at a margin of 1.5: switch to detector steps beyond 3; a random
      // start, since at (0.3, 0.5) both gradients point along x₀ and the orthogonal step is zero; the
      // classifier steps circle μ₁ at constant distance, a longer path: more steps
      ['orthogonal', norm, (n) => new OrthogonalPGD({ ...o, norm: n, switchMargin: 3, randomStart: true, restarts: 3, seed: 4, steps: 120 })],
      ['selective', norm, (n) => new SelectivePGD({ ...o, norm: n })],
      ['nearest wrong class', norm, (n) => new NearestWrongClassPGD({ ...o, norm: n })],
      ['high confidence κ = 2', norm, (n) => new HighConfidencePGD({ ...o, norm: n, kappa: 2, detectorWeight: 5 })],
    );
  }
  for (const [name, norm, make] of variants) {
    it(`${name} (${norm}) ends misclassified and accepted`, async () => {
      const r = await make(norm).run(model, x, y);
      expect(r.success).toEqual([true, true]);
      r.scores!.forEach((s) => expect(s).toBeLessThanOrEqual(tau));
      expect(Array.from(r.predictions)).toEqual([1, 1]);
      r.norms.forEach((v) => expect(v).toBeLessThanOrEqual(0.5 + 1e-9));
    });
  }

  it('high confidence: success needs the margin κ; an unreachable κ is no success', async () => {
    const r = await new HighConfidencePGD({ ...o, kappa: 2, detectorWeight: 5 }).run(model, x, y);
    const logits = g.noGrad(() => model.forward(r.adversarial)).dataSync();
    for (let i = 0; i < 2; i++) expect(logits[2 * i + 1]! - logits[2 * i]!).toBeGreaterThanOrEqual(2);
    const far = await new HighConfidencePGD({ ...o, kappa: 100 }).run(model, x, y);
    expect(far.success).toEqual([false, false]);
    expect(() => new HighConfidencePGD({ ...o } as never)).toThrow(/kappa .* is required/);
  });

  it('is registered by name', () => {
    const e = { epsilon: 0.1, tau: 1 };
    expect(createAttack('orthogonal-pgd', e)).toBeInstanceOf(OrthogonalPGD);
    expect(createAttack('selective-pgd', { ...e, norm: 'l2' }).name).toBe('Selective-PGD-L2');
    expect(createAttack('adaptive-mean', e)).toBeInstanceOf(NearestWrongClassPGD);
    expect(createAttack('high-confidence-pgd', { ...e, kappa: 1 })).toBeInstanceOf(HighConfidencePGD);
  });
});

describe('other detectors', () => {
  // softmax: features = x; classes split at x₀ = 0.5; clean blobs at (0.3, 0.5) and (0.7, 0.5)
  const softmax = affineClassifier([[-10, 0], [10, 0]], [5, -5]);
  const gen = new g.Generator(17);
  const pts: number[] = [], ys: number[] = [];
  for (let i = 0; i < 200; i++) {
    const z = gen.normal(2, 0, 0.03);
    pts.push((i % 2 ? 0.7 : 0.3) + z[0]!, 0.5 + z[1]!);
    ys.push(i % 2);
  }
  const train = g.tensor(pts, { dtype: 'float64', shape: [200, 2] });
  const x = g.tensor([[0.3, 0.5], [0.28, 0.52]], { dtype: 'float64' });
  const y = labels([0, 0]);
  const o = { epsilon: 0.6, alpha: 0.01, steps: 80, randomStart: false };

  it('orthogonal PGD and the nearest-class objective evade kernel density where plain PGD is flagged', async () => {
    const kd = await KernelDensityDetector.fit(softmax, train, labels(ys), { bandwidth: 0.03 });
    const tau = await kd.calibrate(train, labels(ys), { tpr: 0.95 });
    const plain = await new PGD({ ...o, loss: 'margin' }).run(softmax, x, y);
    expect(await kd.flag(plain.adversarial)).toEqual([true, true]);
    for (const attack of [new OrthogonalPGD({ ...o, detector: kd, switchMargin: 3 }), new SelectivePGD({ ...o, detector: kd }), new NearestWrongClassPGD({ ...o, detector: kd })]) {
      const r = await attack.run(softmax, x, y);
      expect(r.success).toEqual([true, true]);
      r.scores!.forEach((s) => expect(s).toBeLessThanOrEqual(tau));
    }
    kd.dispose();
  });

  it('the nearest-class objective needs per-class scores (LID has none)', async () => {
    const lid = await LidDetector.fit(softmax, train, { k: 5, referenceSize: 50, layers: ['features'], combiner: 'none' });
    await expect(new NearestWrongClassPGD({ ...o, detector: lid, tau: 1 }).run(softmax, x, y)).rejects.toThrow(/needs a detector with per-class scores/);
    const r = await new SelectivePGD({ ...o, detector: lid, tau: 1e6, steps: 5 }).run(softmax, x, y);
    expect(r.scores!.every(Number.isFinite)).toBe(true);
    lid.dispose();
  });
});
