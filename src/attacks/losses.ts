/**
 * Attack objectives, each per sample ([N]) and always to be MAXIMISED: untargeted attacks push the
 * true class down, targeted ones pull the target up.
 *
 * The "other-class" max/min masks the excluded class with the most extreme finite float rather than
 * multiplying by (1 − one-hot): that trick is wrong whenever all logits are negative, which GM logits
 * (negative distances) always are. The lowest finite float32 is used instead of −∞ because WGSL does
 * not guarantee infinities.
 */
import type { Tensor } from '../core/tensor.js';
import { sub, where } from '../ops/binary.js';
import { gather, oneHot } from '../ops/indexing.js';
import { crossEntropy } from '../ops/nn.js';
import { max, min } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { affine, clamp } from '../ops/unary.js';
import type { ForwardOutputs, AttackModel } from './model.js';
import { hasGMHead } from './model.js';
import { AttackConfigError } from './validate.js';

export const LOSS_NAMES = ['ce', 'margin', 'gm'] as const;
/** ce: cross-entropy; margin: C&W/DLR-style logit margin; gm: closeness to the nearest wrong GM mean */
export type LossName = (typeof LOSS_NAMES)[number];

const MASK = 3.4028234663852886e38;

function classMask(values: Tensor, classes: Tensor): Tensor {
  return oneHot(classes, values.shape[1]!, values.dtype as 'float32' | 'float64');
}

/** max_{j ≠ c_i} v_ij per row [N] (the excluded entry masked with the lowest finite float) */
export function otherClassMax(values: Tensor, classes: Tensor): Tensor {
  return max(where(classMask(values, classes), -MASK, values), 1);
}

/** min_{j ≠ c_i} v_ij per row [N] */
export function otherClassMin(values: Tensor, classes: Tensor): Tensor {
  return min(where(classMask(values, classes), MASK, values), 1);
}

/** v_{i, c_i} [N] */
export function pickClass(values: Tensor, classes: Tensor): Tensor {
  return reshape(gather(values, 1, reshape(classes, [-1, 1])), [-1]);
}

/**
 * Untargeted: max_{j≠y} Z_j − Z_y; targeted: Z_t − max_{j≠t} Z_j; both capped at κ (C&W's
 * confidence: beyond κ the objective is flat). κ = Infinity leaves it uncapped (PGD).
 */
export function marginObjective(logits: Tensor, labels: Tensor, targets: Tensor | null, kappa = Infinity): Tensor {
  const m = targets
    ? sub(pickClass(logits, targets), otherClassMax(logits, targets))
    : sub(otherClassMax(logits, labels), pickClass(logits, labels));
  return kappa === Infinity ? m : clamp(m, -Infinity, kappa);
}

/** Untargeted: CE(Z, y); targeted: −CE(Z, t) (descending the target's loss) */
export function crossEntropyObjective(logits: Tensor, labels: Tensor, targets: Tensor | null): Tensor {
  return targets
    ? affine(crossEntropy(logits, targets, { reduction: 'none' }), -1, 0)
    : crossEntropy(logits, labels, { reduction: 'none' });
}

/**
 * The GM feature-space objective: untargeted −min_{k≠y} d_k(f(x')) (move the feature onto the
 * nearest wrong mean, which is also where the GM detector accepts it); targeted −d_t(f(x')).
 * d_k is the head's distance (½‖f − μ_k‖² for identity covariance).
 */
export function gmFeatureObjective(distances: Tensor, labels: Tensor, targets: Tensor | null): Tensor {
  return affine(targets ? pickClass(distances, targets) : otherClassMin(distances, labels), -1, 0);
}

export interface ObjectiveSpec {
  loss: LossName;
  /** margin cap (margin loss only) */
  kappa?: number;
}

/** Check up front that the model supports the loss (the GM objective needs a GM head). */
export function checkLossSupported(attack: string, loss: LossName, model: AttackModel): void {
  if (loss === 'gm' && !hasGMHead(model)) {
    throw new AttackConfigError(`${attack}: loss 'gm' needs a model with features() and a GM head (head.distances); use 'ce' or 'margin' for a softmax model`);
  }
}

/** The per-sample objective [N] from one forward pass's outputs. */
export function evaluateObjective(spec: ObjectiveSpec, model: AttackModel, out: ForwardOutputs, labels: Tensor, targets: Tensor | null): Tensor {
  switch (spec.loss) {
    case 'ce': return crossEntropyObjective(out.logits, labels, targets);
    case 'margin': return marginObjective(out.logits, labels, targets, spec.kappa ?? Infinity);
    case 'gm': {
      if (!hasGMHead(model) || !out.features) throw new AttackConfigError("loss 'gm' needs a model with features() and a GM head");
      return gmFeatureObjective(model.head.distances(out.features), labels, targets);
    }
  }
}
