/**
 * The sanity checks of a `gmgrad attack` run (`--sanity`): its PGD (L∞, or L2 when only pgd-l2 is
 * asked for) at the largest ε and the run's steps is the reported budget, its ε list the sweep.
 */
import { createAttack } from '../attacks/registry.js';
import type { AttackModel } from '../attacks/model.js';
import type { Backend } from '../core/backend.js';
import type { ImageData } from '../data/dataset.js';
import { toTensors } from './evaluate-model.js';
import { runSanityChecks, type SanityReport } from './sanity-checks.js';

export interface AttackRunSanityOptions {
  model: AttackModel;
  /** the images checked (the first of the attacked ones) */
  images: ImageData;
  backend: Backend;
  /** the run's attack names and ε values */
  attacks: string[];
  epsilons: number[];
  steps: number;
  seed: number;
  batchSize: number;
}

export async function sanityForAttackRun(o: AttackRunSanityOptions): Promise<SanityReport> {
  if (o.epsilons.length === 0) throw new RangeError('sanityForAttackRun: no ε values');
  const l2 = o.attacks.includes('pgd-l2') && !o.attacks.includes('pgd');
  const epsilon = Math.max(...o.epsilons);
  if (!(epsilon > 0)) throw new RangeError(`sanityForAttackRun: the checks need an ε > 0, got ${o.epsilons.join(', ')}`);
  // one ε gives no sweep: a quarter and a half of it join it
  const sweep = o.epsilons.length >= 2 ? o.epsilons : [epsilon / 4, epsilon / 2, epsilon];
  const name = l2 ? 'pgd-l2' : 'pgd';
  const { x, y } = toTensors(o.images, o.backend);
  try {
    return await runSanityChecks({
      model: o.model, x, y,
      attack: { name: l2 ? 'PGD-L2' : 'PGD', norm: l2 ? 'l2' : 'linf', make: (b) => createAttack(name, { ...b, seed: o.seed }) },
      budget: { epsilon, steps: o.steps, restarts: 1 }, epsilons: sweep, seed: o.seed, batchSize: o.batchSize,
    });
  } finally {
    x.dispose(); y.dispose();
  }
}
