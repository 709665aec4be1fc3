/**
 * Targeted modes: a given target per sample, a random other class from the attack's seeded
 * generator, or the least-likely class of the clean prediction.
 */
import { keep, tidy } from '../core/scope.js';
import type { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../ops/creation.js';
import { argmin } from '../ops/reduce.js';
import { clone } from '../ops/shape.js';
import { AttackConfigError, AttackInputError, checkLabelRange } from './validate.js';

export const TARGET_MODES = ['untargeted', 'given', 'random', 'least-likely'] as const;
export type TargetMode = (typeof TARGET_MODES)[number];

/** A kept int32 [N] targets tensor owned by the run (disposed with it), or null when untargeted. */
export async function resolveTargets(attack: string, mode: TargetMode | undefined, labels: Tensor, given: Tensor | undefined,
  cleanLogits: Tensor, generator: Generator): Promise<Tensor | null> {
  const k = cleanLogits.shape[1]!;
  const effective: TargetMode = mode ?? (given ? 'given' : 'untargeted');
  if (given && effective !== 'given') {
    throw new AttackConfigError(`${attack}: targets were passed to run() but the attack is configured with target: '${effective}'; use target: 'given' (or omit it)`);
  }
  switch (effective) {
    case 'untargeted': return null;
    case 'given': {
      if (!given) throw new AttackInputError(`${attack}: target: 'given' needs the targets as the fourth argument of run(model, x, labels, targets)`);
      checkLabelRange(attack, 'targets', (await given.data()) as Int32Array, k);
      return keep(clone(given));
    }
    case 'random': {
      if (k < 2) throw new AttackConfigError(`${attack}: a random target needs at least 2 classes, the model has ${k}`);
      const y = (await labels.data()) as Int32Array;
      const draws = generator.integers(y.length, 0, k - 1);
      // uniform over the K − 1 classes other than y: skip over y
      const t = draws.map((r, i) => (r >= y[i]! ? r + 1 : r));
      return keep(tensor(t, { dtype: 'int32', shape: [y.length], backend: labels.backend }));
    }
    case 'least-likely':
      return keep(tidy(() => argmin(cleanLogits, 1)));
  }
}
