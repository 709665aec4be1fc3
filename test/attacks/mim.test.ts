/** MIM: per-sample L1-normalised momentum (batch invariance), ball and range, defaults and validation. */
import { describe, expect, it } from 'vitest';
import { MIM } from '../../src/attacks/index.js';
import { arr, images, maxAbsDiff, predictions, sample, tinyCnn } from './fixtures.js';

describe('MIM', () => {
  const model = tinyCnn(3, 'softmax', 12);
  // samples on very different gradient scales: a batch-wide L1 norm would weight them differently
  const x = images([4, 1, 8, 8], 61);
  const y = predictions(model, x);

  it('N images at once equal each alone (momentum normalised per sample)', async () => {
    const attack = new MIM({ epsilon: 0.2, alpha: 0.05, steps: 6, decay: 1 });
    const all = arr((await attack.run(model, x, y)).adversarial);
    for (let i = 0; i < 4; i++) {
      const one = arr((await attack.run(model, sample(x, i), sample(y, i))).adversarial);
      expect(maxAbsDiff(one, all.slice(i * 64, (i + 1) * 64))).toBeLessThan(1e-12);
    }
  });

  it('stays in [0, 1] and the L∞ ball; ε = 0 returns x; α defaults to ε/steps', async () => {
    const r = await new MIM({ epsilon: 0.1, steps: 5 }).run(model, x, y);
    expect(arr(r.adversarial).every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(maxAbsDiff(arr(r.adversarial), arr(x))).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(new MIM({ epsilon: 0.1, steps: 5 }).alpha).toBeCloseTo(0.02, 15);
    expect(arr((await new MIM({ epsilon: 0, alpha: 0.1 }).run(model, x, y)).adversarial)).toEqual(arr(x));
  });

  it('validates its options', () => {
    expect(() => new MIM({ epsilon: 0.1, decay: -1 })).toThrow(/MIM: decay must be a finite number >= 0/);
    expect(() => new MIM({ epsilon: 0.1, steps: -3 })).toThrow(/MIM: steps must be a positive integer/);
    expect(() => new MIM({ epsilon: 0.1, alpha: Infinity })).toThrow(/MIM: alpha must be a finite number > 0/);
  });
});
