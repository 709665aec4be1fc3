/**
 * APGD on the combined detector-aware loss ('apgd-adaptive'): the step-size schedule, momentum,
 * checkpoint restarts and random restarts of APGD (apgd-run.ts), maximising
 *   min(margin, κ) − c₂·max(0, s − τ)
 * (detector-losses.ts: the C&W-style logit margin minus the detector penalty on the evasion score
 * s, the best wrong class's score when the detector has per-class scores). Success: misclassified
 * (or on target) and accepted by the detector. The same objective as 'adaptive' (adaptive PGD with
 * the margin loss) and 'high-confidence-pgd', with APGD's parameter-free step instead of a fixed α.
 * Threat models L∞, L2 and L1, as APGD.
 */
import type { Tensor } from '../core/tensor.js';
import { resolveDetectorTerm, type DetectorAwareOptions } from './adaptive.js';
import { APGD, type APGDOptions } from './apgd.js';
import type { APGDObjective } from './apgd-run.js';
import type { AttackContext, DetectorTerm } from './context.js';
import { combinedDetectorLoss, type DetectorAwareLoss } from './detector-losses.js';
import type { AttackModel } from './model.js';
import { checkNonNegative, checkPositive } from './validate.js';

export interface APGDAdaptiveOptions extends Omit<APGDOptions, 'loss'>, DetectorAwareOptions {
  /** cap κ of the margin term (default: uncapped, as adaptive PGD) */
  kappa?: number;
}

export class APGDAdaptive extends APGD {
  readonly kappa: number;
  readonly #objective: DetectorAwareLoss;

  constructor(readonly adaptiveOptions: APGDAdaptiveOptions) {
    const norm = adaptiveOptions?.norm ?? 'linf';
    const name = norm === 'linf' ? 'APGD-Adaptive' : `APGD-Adaptive-${String(norm).toUpperCase()}`;
    // the loss option is APGD's own choice of classifier loss; objectiveFor below replaces it
    super({ ...adaptiveOptions, loss: 'ce' }, name);
    this.kappa = adaptiveOptions.kappa === undefined ? Infinity : checkPositive(name, 'kappa', adaptiveOptions.kappa);
    if (adaptiveOptions.detectorWeight !== undefined) checkNonNegative(name, 'detectorWeight', adaptiveOptions.detectorWeight);
    this.#objective = combinedDetectorLoss(this.kappa);
  }

  override withEpsilon(epsilon: number): APGDAdaptive {
    return new APGDAdaptive({ ...this.adaptiveOptions, epsilon });
  }

  protected override detectorTerm(model: AttackModel): DetectorTerm {
    return resolveDetectorTerm(this.name, model, this.adaptiveOptions);
  }

  /** the combined loss, towards ctx's targets when the run is targeted */
  protected override objectiveFor(ctx: AttackContext, _lossTargets: Tensor | null): APGDObjective {
    return (out) => this.#objective(ctx, out);
  }
}
