/**
 * Two detector-aware PGD variants whose step is the gradient of one objective (detector-losses.ts):
 * - the authors' objective ('adaptive-mean'): maximise −min_{k≠y} s_k(f(x')), pulling the
 *   feature to the nearest wrong class under the detector's per-class score (for the GM score the
 *   class NLL d_k + ½ log|Σ_k|, i.e. the nearest wrong mean): where it lands the model predicts that
 *   class and the detector accepts, so no separate classification term is needed;
 * - high confidence ('high-confidence-pgd'): maximise min(margin, κ) − c₂·max(0, s − τ), success
 *   requiring a logit margin of at least κ and acceptance (C&W's confidence, against the detector).
 */
import type { Tensor } from '../core/tensor.js';
import type { AttackContext } from './context.js';
import { DetectorAwarePGD, detachOutputs, type DetectorAwarePGDOptions, type StepDirection } from './detector-aware-pgd.js';
import { combinedDetectorLoss, nearestWrongClassLoss, type DetectorAwareLoss } from './detector-losses.js';
import { inputGradient } from './gradient.js';
import { forwardPass, type ForwardOutputs } from './model.js';
import { AttackConfigError, checkPositive } from './validate.js';

abstract class SingleObjectivePGD extends DetectorAwarePGD {
  protected abstract readonly objective: DetectorAwareLoss;

  protected stepDirection(ctx: AttackContext, x: Tensor): StepDirection {
    let outputs: ForwardOutputs | null = null;
    const direction = inputGradient((xi) => {
      const out = forwardPass(ctx.model, xi);
      outputs = detachOutputs(out);
      return this.objective(ctx, out);
    }, x);
    const seen = outputs as ForwardOutputs | null;
    if (!seen) throw new Error(`${this.name}: internal error, no forward outputs recorded`);
    return { direction, outputs: seen };
  }

  protected rankObjective(ctx: AttackContext, out: ForwardOutputs): Tensor {
    return this.objective(ctx, out);
  }
}

/** PGD on the authors' objective: the feature pulled to the nearest wrong class of the detector. */
export class NearestWrongClassPGD extends SingleObjectivePGD {
  protected readonly objective = nearestWrongClassLoss;

  constructor(options: DetectorAwarePGDOptions) {
    super(options, options.norm === 'l2' ? 'Nearest-Class-PGD-L2' : 'Nearest-Class-PGD');
  }

  withEpsilon(epsilon: number): NearestWrongClassPGD {
    return new NearestWrongClassPGD({ ...this.options, epsilon });
  }
}

export interface HighConfidencePGDOptions extends DetectorAwarePGDOptions {
  /** κ > 0: the logit margin a success needs (required) */
  kappa: number;
}

/** PGD on min(margin, κ) − c₂·max(0, s − τ); success: margin >= κ and accepted. */
export class HighConfidencePGD extends SingleObjectivePGD {
  protected readonly objective: DetectorAwareLoss;

  constructor(options: HighConfidencePGDOptions) {
    const name = options?.norm === 'l2' ? 'High-Confidence-PGD-L2' : 'High-Confidence-PGD';
    if (options?.kappa === undefined) throw new AttackConfigError(`${name}: kappa (the required logit margin, > 0) is required`);
    checkPositive(name, 'kappa', options.kappa);
    super(options, name);
    this.objective = combinedDetectorLoss(options.kappa);
  }

  withEpsilon(epsilon: number): HighConfidencePGD {
    return new HighConfidencePGD({ ...(this.options as HighConfidencePGDOptions), epsilon });
  }
}
