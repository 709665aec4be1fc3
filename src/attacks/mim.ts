/**
 * MIM / MI-FGSM (Dong et al. 2018): g ← μ·g + ∇ₓL/‖∇ₓL‖₁ with the L1 norm taken PER SAMPLE (a
 * batch-wide norm would couple the images), step α·sign(g), project onto the L∞ ball, clip.
 */
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { zerosLike } from '../ops/creation.js';
import { clone } from '../ops/shape.js';
import type { PerturbOutput } from './attack.js';
import { attackObjective, type AttackContext } from './context.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import { inputGradient } from './gradient.js';
import { checkLossSupported, LOSS_NAMES, type LossName } from './losses.js';
import { forwardPass, type AttackModel } from './model.js';
import { momentumUpdate, type Norm } from './steps.js';
import { linfStep } from '../ops/attack.js';
import { checkNonNegative, checkOneOf, checkPositive, checkPositiveInt } from './validate.js';

export interface MIMOptions extends EpsilonAttackOptions {
  /** step size (default ε/steps) */
  alpha?: number;
  /** iterations (default 10) */
  steps?: number;
  /** momentum decay μ (default 1) */
  decay?: number;
  loss?: LossName;
  kappa?: number;
}

export class MIM extends EpsilonAttack {
  readonly name = 'MIM';
  readonly norm: Norm = 'linf';
  readonly alpha: number;
  readonly steps: number;
  readonly decay: number;
  readonly loss: LossName;
  readonly kappa: number;

  constructor(readonly options: MIMOptions) {
    super('MIM', options);
    this.steps = options.steps === undefined ? 10 : checkPositiveInt('MIM', 'steps', options.steps);
    this.alpha = options.alpha === undefined ? this.epsilon / this.steps : checkPositive('MIM', 'alpha', options.alpha);
    this.decay = options.decay === undefined ? 1 : checkNonNegative('MIM', 'decay', options.decay);
    this.loss = options.loss === undefined ? 'ce' : checkOneOf('MIM', 'loss', options.loss, LOSS_NAMES);
    this.kappa = options.kappa === undefined ? Infinity : checkNonNegative('MIM', 'kappa', options.kappa);
  }

  withEpsilon(epsilon: number): MIM {
    return new MIM({ ...this.options, epsilon });
  }

  protected override checkModel(model: AttackModel): void {
    checkLossSupported(this.name, this.loss, model);
  }

  override get progressSteps(): number { return this.steps; }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const spec = { loss: this.loss, kappa: this.kappa };
    let cur: Tensor = keep(clone(ctx.x));
    let momentum: Tensor = keep(zerosLike(ctx.x));
    for (let s = 0; s < this.steps; s++) {
      const [nextX, nextM] = tidy(() => {
        const g = inputGradient((xi) => attackObjective(ctx, spec, forwardPass(ctx.model, xi)), cur);
        const m = momentumUpdate(momentum, g, this.decay);
        return [keep(linfStep(cur, ctx.x, m, this.alpha, this.epsilon)), keep(m)];
      });
      cur.dispose();
      momentum.dispose();
      cur = nextX!;
      momentum = nextM!;
      ctx.iterationDone();
    }
    momentum.dispose();
    return { adversarial: cur };
  }
}
