/**
 * The GM detector (Wan et al.): D(x) = the negative log-likelihood of the feature under the
 * predicted class (½‖f − μ_ŷ‖² for identity covariance, d_ŷ + ½ log|Σ_ŷ| with learned variances;
 * gm-nll.ts), one forward pass, no fitting beyond the threshold.
 */
import type { Tensor } from '../core/tensor.js';
import { hasGMHead, type AttackModel, type FeatureModel } from '../attacks/model.js';
import { gmClassNll, gmScore, type GMParameters } from './gm-nll.js';
import { DetectorError, FeatureDetector } from './detector.js';

export class GMScoreDetector extends FeatureDetector {
  readonly name = 'GMScoreDetector';
  readonly #head: GMParameters;

  constructor(model: AttackModel) {
    if (!hasGMHead(model)) throw new DetectorError('GMScoreDetector: the model needs features(x) and a GM head (head.distances, head.means, head.logVar)');
    super(model as FeatureModel);
    this.#head = model.head;
  }

  /** per-class negative log-likelihood d_k(f) + ½ log|Σ_k| [N, K] */
  override classScoresFromFeatures(features: Tensor): Tensor {
    return gmClassNll(this.#head, features);
  }

  override scoreFromFeatures(features: Tensor): Tensor {
    return gmScore(this.#head, features);
  }
}
