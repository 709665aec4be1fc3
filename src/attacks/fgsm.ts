/**
 * FGSM (L∞): x' = clip(x + ε·sign(∇ₓL)); FGM (L2): x' = clip(x + ε·g/max(‖g‖₂, 1e-12)), the
 * norm per sample. Targeted runs descend the target's loss (the objective is negated).
 */
import { keep, tidy } from '../core/scope.js';
import { add } from '../ops/binary.js';
import { affine } from '../ops/unary.js';
import type { PerturbOutput } from './attack.js';
import { attackObjective, type AttackContext } from './context.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import { inputGradient } from './gradient.js';
import { checkLossSupported, LOSS_NAMES, type LossName } from './losses.js';
import { forwardPass, type AttackModel } from './model.js';
import { ascentDirection, clipToImage, type Norm } from './steps.js';
import { linfStep } from '../ops/attack.js';
import { checkNonNegative, checkOneOf } from './validate.js';

export interface FGSMOptions extends EpsilonAttackOptions {
  /** 'ce' (default), 'margin' or 'gm' */
  loss?: LossName;
  /** cap of the margin loss (default: uncapped) */
  kappa?: number;
}

export class FGSM extends EpsilonAttack {
  readonly name: string;
  readonly norm: Norm;
  readonly loss: LossName;
  readonly kappa: number;

  constructor(readonly options: FGSMOptions, norm: Norm = 'linf') {
    const name = norm === 'linf' ? 'FGSM' : 'FGM';
    super(name, options);
    this.name = name;
    this.norm = norm;
    this.loss = options.loss === undefined ? 'ce' : checkOneOf(name, 'loss', options.loss, LOSS_NAMES);
    this.kappa = options.kappa === undefined ? Infinity : checkNonNegative(name, 'kappa', options.kappa);
  }

  withEpsilon(epsilon: number): FGSM {
    return new FGSM({ ...this.options, epsilon }, this.norm);
  }

  protected override checkModel(model: AttackModel): void {
    checkLossSupported(this.name, this.loss, model);
  }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const spec = { loss: this.loss, kappa: this.kappa };
    const adversarial = keep(tidy(() => {
      const g = inputGradient((xi) => attackObjective(ctx, spec, forwardPass(ctx.model, xi)), ctx.x);
      // L∞: x + ε·sign(g) is inside the ε-ball already, so the fused step's projection changes nothing
      if (this.norm === 'linf') return linfStep(ctx.x, ctx.x, g, this.epsilon, this.epsilon);
      return clipToImage(add(ctx.x, affine(ascentDirection(g, this.norm), this.epsilon, 0)));
    }));
    return { adversarial };
  }
}

/** The L2 fast gradient method. */
export class FGM extends FGSM {
  constructor(options: FGSMOptions) {
    super(options, 'l2');
  }

  override withEpsilon(epsilon: number): FGM {
    return new FGM({ ...this.options, epsilon });
  }
}
