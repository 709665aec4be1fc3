/**
 * The sanity checks of a `gmgrad attack` run (`--sanity`), once per threat model of the run (`--norm`):
 * the gradient attack of that norm — PGD under L∞ and L2, APGD-CE under L1 (PGD has no L1 form) —
 * at the largest ε of the norm's list and the run's steps is the reported budget, the list the sweep;
 * Square gets the run's query budget.
 */
import { createAttack } from '../attacks/registry.js';
import type { AttackModel } from '../attacks/model.js';
import type { Norm } from '../attacks/steps.js';
import type { Backend } from '../core/backend.js';
import type { ImageData } from '../data/dataset.js';
import { toTensors } from './evaluate-model.js';
import { runSanityChecks, type GradientBudget, type SanityAttack, type SanityReport } from './sanity-checks.js';

export interface AttackRunSanityOptions {
  model: AttackModel;
  /** the images checked (the first of the attacked ones) */
  images: ImageData;
  backend: Backend;
  /** the threat model checked, and the run's ε values in it */
  norm: Norm;
  epsilons: number[];
  steps: number;
  /** Square's queries per sample in the gradient-free check (the run's --queries) */
  queries?: number;
  seed: number;
  batchSize: number;
}

/** the gradient attack the checks run under each norm */
const SANITY_ATTACKS: Record<Norm, { name: string; make: (b: GradientBudget, seed: number) => SanityAttack }> = {
  linf: { name: 'PGD', make: (b, seed) => createAttack('pgd', { ...b, seed }) },
  l2: { name: 'PGD-L2', make: (b, seed) => createAttack('pgd-l2', { ...b, seed }) },
  l1: { name: 'APGD-CE-L1', make: (b, seed) => createAttack('apgd-ce', { ...b, norm: 'l1', seed }) },
};

export async function sanityForAttackRun(o: AttackRunSanityOptions): Promise<SanityReport> {
  if (o.epsilons.length === 0) throw new RangeError('sanityForAttackRun: no ε values');
  const attack = SANITY_ATTACKS[o.norm];
  if (!attack) throw new RangeError(`sanityForAttackRun: unknown norm '${String(o.norm)}' (known: ${Object.keys(SANITY_ATTACKS).join(', ')})`);
  const epsilon = Math.max(...o.epsilons);
  if (!(epsilon > 0)) throw new RangeError(`sanityForAttackRun: the checks need an ε > 0, got ${o.epsilons.join(', ')}`);
  // one ε gives no sweep: a quarter and a half of it join it
  const sweep = o.epsilons.length >= 2 ? o.epsilons : [epsilon / 4, epsilon / 2, epsilon];
  const { x, y } = toTensors(o.images, o.backend);
  try {
    return await runSanityChecks({
      model: o.model, x, y,
      attack: { name: attack.name, norm: o.norm, make: (b) => attack.make(b, o.seed) },
      budget: { epsilon, steps: o.steps, restarts: 1 }, epsilons: sweep, seed: o.seed, gradientFreeQueries: o.queries, batchSize: o.batchSize,
    });
  } finally {
    x.dispose(); y.dispose();
  }
}
