/**
 * Detector-aware (adaptive) attacks: PGD and C&W with the extra term c₂·max(0, s(x') − τ), so that
 * the adversarial feature lands inside the detector's acceptance region, and success meaning
 * misclassified (or on target) AND accepted. With a detector that has per-class scores (GM, Mahalanobis),
 * s = min_{k≠y} s_k (targeted: s_t), as in `L + c₂·max(0, min_{k≠y} d_k(f(x')) − τ)`: the plain score
 * min_k s_k would drag the feature back to its own class. Without a detector given, a GM model is attacked
 * through the GM detector's own score (detect/gm-nll.ts); a softmax model needs a fitted detector (Mahalanobis).
 * Any honest detection claim has to survive these (Carlini & Wagner 2017; Athalye et al. 2018).
 */
import type { AttackModel } from './model.js';
import { hasFeatures, hasGMHead } from './model.js';
import type { DetectorTerm, FeatureScorer } from './context.js';
import { CW, type CWOptions } from './cw.js';
import { PGD, type PGDOptions } from './pgd.js';
import { AttackConfigError, checkNonNegative } from './validate.js';
import { gmClassNll, gmScore } from '../detect/gm-nll.js';

export interface DetectorAwareOptions {
  /** the detector to evade (default: the GM score of the model's GM head) */
  detector?: FeatureScorer;
  /** τ: accepted when score <= τ (default: the detector's calibrated threshold) */
  tau?: number;
  /** c₂, the weight of max(0, score − τ) (default 1) */
  detectorWeight?: number;
}

export function resolveDetectorTerm(attack: string, model: AttackModel, o: DetectorAwareOptions): DetectorTerm {
  if (!hasFeatures(model)) {
    throw new AttackConfigError(`${attack}: a detector-aware attack needs a model with features() and a head`);
  }
  let scorer = o.detector;
  if (!scorer) {
    if (!hasGMHead(model)) {
      throw new AttackConfigError(`${attack}: the model has no GM head; pass a fitted detector (e.g. a MahalanobisDetector) as options.detector`);
    }
    const head = model.head;
    scorer = { scoreFromFeatures: (f) => gmScore(head, f), classScoresFromFeatures: (f) => gmClassNll(head, f) };
  }
  const tau = o.tau ?? scorer.threshold ?? undefined;
  if (tau === undefined || tau === null || !Number.isFinite(tau)) {
    throw new AttackConfigError(`${attack}: needs the detector threshold τ: pass options.tau, or a detector calibrated on clean data (detector.calibrate(...)); got ${String(tau)}`);
  }
  const weight = o.detectorWeight === undefined ? 1 : checkNonNegative(attack, 'detectorWeight', o.detectorWeight);
  return { scorer, tau, weight };
}

export interface AdaptivePGDOptions extends PGDOptions, DetectorAwareOptions {}

/**
 * PGD (L∞ or L2) against classifier and detector at once; the loss defaults to 'margin' and the
 * best iterate is kept (sign steps oscillate across the boundary of the acceptance region).
 */
export class AdaptivePGD extends PGD {
  constructor(readonly adaptiveOptions: AdaptivePGDOptions) {
    super({ loss: 'margin', keepBestIterate: true, ...adaptiveOptions }, 'Adaptive-PGD');
    if (adaptiveOptions.detectorWeight !== undefined) checkNonNegative(this.name, 'detectorWeight', adaptiveOptions.detectorWeight);
  }

  override withEpsilon(epsilon: number): AdaptivePGD {
    return new AdaptivePGD({ ...this.adaptiveOptions, epsilon });
  }

  protected override detectorTerm(model: AttackModel): DetectorTerm {
    return resolveDetectorTerm(this.name, model, this.adaptiveOptions);
  }
}

export interface AdaptiveCWOptions extends CWOptions, DetectorAwareOptions {}

/** C&W L2 with the detector term; keeps the smallest δ that is misclassified and accepted. */
export class AdaptiveCW extends CW {
  constructor(readonly adaptiveOptions: AdaptiveCWOptions = {}) {
    super(adaptiveOptions, 'Adaptive-CW');
    if (adaptiveOptions.detectorWeight !== undefined) checkNonNegative(this.name, 'detectorWeight', adaptiveOptions.detectorWeight);
  }

  protected override detectorTerm(model: AttackModel): DetectorTerm {
    return resolveDetectorTerm(this.name, model, this.adaptiveOptions);
  }
}
