/**
 * The GM detection score, one definition for the GM detector and the detector-aware attacks: the
 * negative log-likelihood of the feature under the predicted class. With the model's logits
 * z_k = −½ log|Σ_k| − d_k (uniform priors, up to the constant ½·D·log 2π), the per-class
 * negative log-likelihood is −z_k = d_k + ½ log|Σ_k|, the prediction ŷ = argmax_k z_k, and the
 * score −z_ŷ = min_k (d_k + ½ log|Σ_k|). Identity covariance: min_k d_k = ½‖f − μ_ŷ‖². With learned
 * variances it is d_ŷ + ½ log|Σ_ŷ|, never min_k d_k (which drops ½ log|Σ_k| and may come from a class
 * other than the prediction).
 */
import type { Tensor } from '../core/tensor.js';
import { gmLogits } from '../ops/gm.js';
import { min } from '../ops/reduce.js';
import { neg } from '../ops/unary.js';

/** What the score needs from a GM head. */
export interface GMParameters {
  /** class means [K, D] */
  readonly means: Tensor;
  /** log-variances [K, D]; null: identity covariance */
  readonly logVar: Tensor | null;
}

/** Per-class negative log-likelihood d_k(f) + ½ log|Σ_k| [N, K] of features [N, D]; differentiable. */
export function gmClassNll(head: GMParameters, features: Tensor): Tensor {
  return neg(gmLogits(features, head.means, head.logVar));
}

/** The GM detection score [N]: the predicted class's negative log-likelihood; differentiable. */
export function gmScore(head: GMParameters, features: Tensor): Tensor {
  return min(gmClassNll(head, features), -1);
}
