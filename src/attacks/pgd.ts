/**
 * Projected gradient descent (Madry et al.), L∞ and L2, and BIM (I-FGSM), its special case
 * without random start. Each step: x' ← clip(Π_ε(x' + α·direction(∇ₓL))), projection first, then
 * the clip. Restarts keep the per-sample worst case (successful first, then the highest objective);
 * optionally so does every iterate of a run (keepBestIterate).
 */
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { clone, detach } from '../ops/shape.js';
import type { PerturbOutput } from './attack.js';
import { attackObjective, successMask, type AttackContext } from './context.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import { inputGradient } from './gradient.js';
import { checkLossSupported, LOSS_NAMES, type LossName, type ObjectiveSpec } from './losses.js';
import { forwardPass, type AttackModel } from './model.js';
import { randomStart } from './random-start.js';
import { assess, iterateKeepingBest, keepWorstCase, type Candidate } from './restarts.js';
import { ascentStep, type Norm } from './steps.js';
import { checkNonNegative, checkOneOf, checkPositive, checkPositiveInt } from './validate.js';

export interface PGDOptions extends EpsilonAttackOptions {
  /** step size (default 2.5·ε/steps) */
  alpha?: number;
  /** iterations per restart (default 10) */
  steps?: number;
  /** 'linf' (default) or 'l2' */
  norm?: Norm;
  /** start uniformly inside the ε-ball (default true) */
  randomStart?: boolean;
  /** independent runs, keeping the per-sample worst case (default 1) */
  restarts?: number;
  /** 'ce' (default), 'margin' or 'gm' */
  loss?: LossName;
  /** cap of the margin loss (default: uncapped) */
  kappa?: number;
  /**
   * return, per sample, the best iterate of the run (successful first, then the highest objective)
   * instead of the last one; costs no extra forward pass (default false, as Madry et al.; the
   * detector-aware variant defaults to true: sign steps oscillate across the acceptance boundary)
   */
  keepBestIterate?: boolean;
}

export class PGD extends EpsilonAttack {
  readonly name: string;
  readonly norm: Norm;
  readonly alpha: number;
  readonly steps: number;
  readonly randomStart: boolean;
  readonly restarts: number;
  readonly loss: LossName;
  readonly kappa: number;
  readonly keepBestIterate: boolean;

  constructor(readonly options: PGDOptions, name?: string, defaultAlpha?: (eps: number, steps: number) => number) {
    const n = options?.norm === undefined ? 'linf' : checkOneOf(name ?? 'PGD', 'norm', options.norm, ['linf', 'l2'] as const);
    const display = name ?? (n === 'linf' ? 'PGD' : 'PGD-L2');
    super(display, options);
    this.name = display;
    this.norm = n;
    this.steps = options.steps === undefined ? 10 : checkPositiveInt(display, 'steps', options.steps);
    this.alpha = options.alpha === undefined
      ? (defaultAlpha ?? ((e, s) => 2.5 * e / s))(this.epsilon, this.steps)
      : checkPositive(display, 'alpha', options.alpha);
    this.randomStart = options.randomStart ?? true;
    this.restarts = options.restarts === undefined ? 1 : checkPositiveInt(display, 'restarts', options.restarts);
    this.loss = options.loss === undefined ? 'ce' : checkOneOf(display, 'loss', options.loss, LOSS_NAMES);
    this.kappa = options.kappa === undefined ? Infinity : checkNonNegative(display, 'kappa', options.kappa);
    this.keepBestIterate = options.keepBestIterate ?? false;
  }

  withEpsilon(epsilon: number): PGD {
    return new PGD({ ...this.options, epsilon });
  }

  protected override checkModel(model: AttackModel): void {
    checkLossSupported(this.name, this.loss, model);
  }

  override get progressSteps(): number { return this.restarts * this.steps; }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const spec: ObjectiveSpec = { loss: this.loss, kappa: this.kappa };
    let best: Candidate | null = null;
    for (let r = 0; r < this.restarts; r++) {
      const start = keep(tidy(() => (this.randomStart ? randomStart(ctx.x, this.epsilon, this.norm, ctx.generator) : clone(ctx.x))));
      const candidate = this.iterate(ctx, spec, start);
      best = best ? keepWorstCase(best, candidate) : candidate;
    }
    best!.success.dispose();
    best!.objective.dispose();
    return { adversarial: best!.x };
  }

  /** `steps` projected steps from `start` (consumed); returns the last (or best) iterate, assessed */
  protected iterate(ctx: AttackContext, spec: ObjectiveSpec, start: Tensor): Candidate {
    return iterateKeepingBest(ctx, start, this.steps, (cur) => {
      let seen: Candidate | null = null;
      const next = keep(tidy(() => {
        const g = inputGradient((xi) => {
          const out = forwardPass(ctx.model, xi);
          const objective = attackObjective(ctx, spec, out);
          if (this.keepBestIterate) {
            // the current iterate's standing, from the forward pass the gradient needs anyway
            const detached = { logits: detach(out.logits), features: out.features ? detach(out.features) : null };
            seen = { x: keep(detach(cur)), success: keep(successMask(ctx, detached)), objective: keep(detach(objective)) };
          }
          return objective;
        }, cur);
        return ascentStep(cur, ctx.x, g, this.alpha, this.epsilon, this.norm);
      }));
      return { next, seen: seen as Candidate | null };
    }, (last) => assess(ctx, spec, last));
  }
}

export interface BIMOptions extends Omit<PGDOptions, 'randomStart' | 'restarts' | 'norm'> {}

/** BIM / I-FGSM: L∞ steps from x itself (no random start, one run); α defaults to ε/10. */
export class BIM extends PGD {
  constructor(options: BIMOptions) {
    super({ ...options, norm: 'linf', randomStart: false, restarts: 1 }, 'BIM', (e) => e / 10);
  }

  override withEpsilon(epsilon: number): BIM {
    return new BIM({ ...this.options, epsilon });
  }
}
