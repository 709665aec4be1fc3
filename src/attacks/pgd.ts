/**
 * Projected gradient descent (Madry et al.), L∞ and L2, and BIM (I-FGSM), its special case
 * without random start. Each step: x' ← clip(Π_ε(x' + α·direction(∇ₓL))), projection first, then
 * the clip. Restarts keep the per-sample worst case (successful first, then the highest objective).
 */
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { clone } from '../ops/shape.js';
import type { PerturbOutput } from './attack.js';
import { attackObjective, type AttackContext } from './context.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import { inputGradient } from './gradient.js';
import { checkLossSupported, LOSS_NAMES, type LossName, type ObjectiveSpec } from './losses.js';
import { forwardPass, type AttackModel } from './model.js';
import { randomStart } from './random-start.js';
import { assess, keepWorstCase, type Candidate } from './restarts.js';
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
  }

  withEpsilon(epsilon: number): PGD {
    return new PGD({ ...this.options, epsilon });
  }

  protected override checkModel(model: AttackModel): void {
    checkLossSupported(this.name, this.loss, model);
  }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const spec: ObjectiveSpec = { loss: this.loss, kappa: this.kappa };
    let best: Candidate | null = null;
    for (let r = 0; r < this.restarts; r++) {
      const start = keep(tidy(() => (this.randomStart ? randomStart(ctx.x, this.epsilon, this.norm, ctx.generator) : clone(ctx.x))));
      const adv = this.iterate(ctx, spec, start);
      const candidate = assess(ctx, spec, adv);
      best = best ? keepWorstCase(best, candidate) : candidate;
    }
    best!.success.dispose();
    best!.objective.dispose();
    return { adversarial: best!.x };
  }

  /** `steps` projected steps from `start` (consumed); returns a kept tensor */
  protected iterate(ctx: AttackContext, spec: ObjectiveSpec, start: Tensor): Tensor {
    let cur = start;
    for (let s = 0; s < this.steps; s++) {
      const next = keep(tidy(() => {
        const g = inputGradient((xi) => attackObjective(ctx, spec, forwardPass(ctx.model, xi)), cur);
        return ascentStep(cur, ctx.x, g, this.alpha, this.epsilon, this.norm);
      }));
      cur.dispose();
      cur = next;
    }
    return cur;
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
