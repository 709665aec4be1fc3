/**
 * APGD-T as AutoAttack runs it (Croce & Hein 2020): an untargeted attack that runs targeted-DLR
 * APGD once per target class, the targets being the `numTargets` (default 9) classes other than the
 * label with the largest clean logits, most likely first, and keeps per sample the worst case over
 * all of them. Success is misclassification (any wrong class), not reaching a given target.
 */
import { keep } from '../core/scope.js';
import { tensor } from '../ops/creation.js';
import { APGD, type APGDOptions } from './apgd.js';
import type { PerturbOutput } from './attack.js';
import type { AttackContext } from './context.js';
import type { Candidate } from './restarts.js';
import { AttackConfigError, checkPositiveInt } from './validate.js';

export interface APGDTargetedOptions extends Omit<APGDOptions, 'loss' | 'target'> {
  /** how many of the most likely wrong classes are tried as targets (default 9; capped at K − 1) */
  numTargets?: number;
}

export class APGDTargeted extends APGD {
  readonly numTargets: number;

  constructor(readonly targetedOptions: APGDTargetedOptions) {
    const n = targetedOptions?.norm ?? 'linf';
    const name = n === 'linf' ? 'APGD-T' : `APGD-T-${n.toUpperCase()}`;
    const target = (targetedOptions as APGDOptions | undefined)?.target;
    if (target !== undefined && target !== 'untargeted') {
      throw new AttackConfigError(`${name}: APGD-T chooses its own targets (the most likely wrong classes) and counts any misclassification; got target: '${target}'`);
    }
    super({ ...targetedOptions, loss: 'dlr-targeted' }, name);
    this.numTargets = targetedOptions.numTargets === undefined ? 9 : checkPositiveInt(name, 'numTargets', targetedOptions.numTargets);
  }

  override withEpsilon(epsilon: number): APGDTargeted {
    return new APGDTargeted({ ...this.targetedOptions, epsilon });
  }

  override get progressSteps(): number { return this.numTargets * this.restarts * this.steps; }

  protected override async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    if (ctx.targets) throw new AttackConfigError(`${this.name}: APGD-T chooses its own targets; do not pass targets to run()`);
    const ranked = await rankWrongClasses(ctx);
    const n = ctx.x.shape[0]!;
    const count = Math.min(this.numTargets, ctx.numClasses - 1);
    let best: Candidate | null = null;
    for (let t = 0; t < count; t++) {
      const column = Int32Array.from({ length: n }, (_, i) => ranked[i]![t]!);
      const targets = keep(tensor(column, { dtype: 'int32', shape: [n], backend: ctx.x.backend }));
      try {
        best = this.runRestarts(ctx, targets, best, t * this.restarts);
      } finally {
        targets.dispose();
      }
    }
    best!.success.dispose();
    best!.objective.dispose();
    return { adversarial: best!.x };
  }
}

/** per sample, the classes other than the label ordered by clean logit, largest first (ties: lower index first) */
async function rankWrongClasses(ctx: AttackContext): Promise<number[][]> {
  const logits = await ctx.cleanLogits.data();
  const labels = (await ctx.labels.data()) as Int32Array;
  const k = ctx.numClasses;
  return Array.from(labels, (y, i) => {
    const others = Array.from({ length: k }, (_, j) => j).filter((j) => j !== y);
    return others.sort((a, b) => logits[i * k + b]! - logits[i * k + a]! || a - b);
  });
}
