/**
 * No attack or detector leaks tensors: after a warm-up, running it again and disposing the result
 * leaves the number of live buffers unchanged, whatever the number of steps.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { createAttack, type Attack, type AttackName } from '../../src/attacks/index.js';
import { GMScoreDetector, MahalanobisDetector } from '../../src/detect/index.js';
import { images, predictions, tinyCnn } from './fixtures.js';

const live = () => g.getBackend().memory().liveBuffers;

describe('memory stays flat', () => {
  const model = tinyCnn(3, 'gm', 31);
  const x = g.keep(images([2, 1, 8, 8], 91));
  const y = g.keep(predictions(model, x));

  const cases: [AttackName, (steps: number) => Attack][] = [
    ['fgsm', () => createAttack('fgsm', { epsilon: 0.1 })],
    ['pgd', (s) => createAttack('pgd', { epsilon: 0.1, steps: s, restarts: 2, keepBestIterate: true, loss: 'gm' })],
    ['pgd-l2', (s) => createAttack('pgd-l2', { epsilon: 0.5, steps: s, target: 'random' })],
    ['bim', (s) => createAttack('bim', { epsilon: 0.1, steps: s })],
    ['mim', (s) => createAttack('mim', { epsilon: 0.1, steps: s })],
    ['cw', (s) => createAttack('cw', { binarySearchSteps: 2, maxIterations: s })],
    ['deepfool', (s) => createAttack('deepfool', { maxIterations: s })],
    ['adaptive-pgd', (s) => createAttack('adaptive-pgd', { epsilon: 0.1, steps: s, tau: 1 })],
    ['adaptive-cw', (s) => createAttack('adaptive-cw', { binarySearchSteps: 2, maxIterations: s, tau: 1 })],
  ];

  for (const [name, make] of cases) {
    it(name, async () => {
      (await make(2).run(model, x, y)).adversarial.dispose();
      const before = live();
      const r = await make(6).run(model, x, y);
      r.adversarial.dispose();
      expect(live()).toBe(before);
    });
  }

  it('runEpsilons inside a tidy leaves nothing behind', async () => {
    const attack = createAttack('pgd', { epsilon: 0.1, steps: 2 });
    if (!('runEpsilons' in attack)) throw new Error('pgd is a fixed-ε attack');
    const before = live();
    await g.tidy(async () => { await (attack as import('../../src/attacks/index.js').PGD).runEpsilons(model, x, y, [0.05, 0.1]); });
    expect(live()).toBe(before);
  });

  it('detectors: fit, calibrate, score', async () => {
    const gm = new GMScoreDetector(model);
    await gm.calibrate(x, y);
    const before = live();
    await gm.calibrate(x, y, { batchSize: 1 });
    await gm.scores(x);
    expect(live()).toBe(before);
    const m = await MahalanobisDetector.fit(model, x, y, { numClasses: 3 });
    await m.scores(x);
    m.dispose();
    expect(live()).toBe(before);
  });
});
