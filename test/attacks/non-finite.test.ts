/**
 * Non-finite values never pass as results: a model with NaN weights is refused by every attack
 * (its logits are not finite), and an adversarial image that is not finite is never a success.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { Attack, AttackInputError, DeepFool, FGSM, PGD, type PerturbOutput } from '../../src/attacks/index.js';
import type { AttackContext } from '../../src/attacks/context.js';
import { affineClassifier, images, labels } from './fixtures.js';

const weight = [[1, -1, 0.5, 0], [-1, 1, 0, 0.5], [0.3, 0.3, -1, 1]];

describe('a model with non-finite weights', () => {
  for (const [name, make] of [
    ['FGSM', () => new FGSM({ epsilon: 0.1 })],
    ['PGD', () => new PGD({ epsilon: 0.1 })],
    ['DeepFool', () => new DeepFool()],
  ] as [string, () => Attack][]) {
    it(`is refused by ${name}, naming the sample`, async () => {
      const model = affineClassifier(weight);
      const w = model.head.stateDict().get('weight')!;
      model.head.loadStateDict({ weight: g.tensor([[NaN, -1, 0.5, 0], ...weight.slice(1)], { dtype: w.dtype }) }, false);
      const x = images([3, 4], 1);
      await expect(make().run(model, x, labels([0, 1, 2]))).rejects.toThrow(AttackInputError);
      await expect(make().run(model, x, labels([0, 1, 2]))).rejects.toThrow(/logits for sample 0 are not finite \(NaN\); are its weights finite\?/);
    });
  }
});

/** An attack whose output is NaN for the samples listed (a numerical blow-up, say). */
class Blowup extends Attack {
  readonly name = 'blowup';
  readonly norm = 'linf' as const;
  constructor(readonly bad: number[]) { super('blowup', {}); }
  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const n = ctx.x.shape[0]!, d = ctx.x.size / n;
    const values = Float64Array.from(await ctx.x.data());
    for (const i of this.bad) values.fill(i === 0 ? NaN : Infinity, i * d, (i + 1) * d);
    // the clean image flipped far from its class, so a finite version would succeed
    return { adversarial: g.keep(g.tensor(values, { shape: [...ctx.x.shape], dtype: ctx.x.dtype })) };
  }
}

describe('a non-finite adversarial image', () => {
  it('is never reported as a success', async () => {
    const model = affineClassifier(weight);
    const x = images([3, 4], 2);
    const r = await new Blowup([0, 2]).run(model, x, labels([1, 2, 0]));
    expect(r.finite).toEqual([false, true, false]);
    expect(r.success[0]).toBe(false);
    expect(r.success[2]).toBe(false);
    r.adversarial.dispose();
  });
});
