/**
 * The GM detector (Wan et al.): D(x) = min_k d_k(f(x)), the negative log-likelihood of the feature
 * under its nearest class (½‖f − μ_k‖² for identity covariance), one forward pass, no fitting
 * beyond the threshold.
 */
import type { Tensor } from '../core/tensor.js';
import { hasGMHead, type AttackModel, type FeatureModel, type ModelHead } from '../attacks/model.js';
import { DetectorError, FeatureDetector } from './detector.js';

export class GMScoreDetector extends FeatureDetector {
  readonly name = 'GMScoreDetector';
  readonly #head: Required<ModelHead>;

  constructor(model: AttackModel) {
    if (!hasGMHead(model)) throw new DetectorError('GMScoreDetector: the model needs features(x) and a GM head (head.distances/head.score)');
    super(model as FeatureModel);
    this.#head = model.head;
  }

  /** d_k(f) [N, K] */
  classScoresFromFeatures(features: Tensor): Tensor {
    return this.#head.distances(features);
  }

  override scoreFromFeatures(features: Tensor): Tensor {
    return this.#head.score(features);
  }
}
