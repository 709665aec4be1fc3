/**
 * Per-sample objectives (to MAXIMISE, [N]) of detector-aware attacks, written as (ctx, outputs) →
 * tensor so that any iterative attack — the PGD variants here, APGD — can take them as its loss.
 * Each needs ctx.detector (the scorer, τ and the weight c₂ of a detector-aware attack).
 */
import type { Tensor } from '../core/tensor.js';
import { sub } from '../ops/binary.js';
import { affine } from '../ops/unary.js';
import { detectorPenalty, evasionScore, type AttackContext } from './context.js';
import { marginObjective } from './losses.js';
import type { ForwardOutputs } from './model.js';
import { AttackConfigError } from './validate.js';

export type DetectorAwareLoss = (ctx: AttackContext, out: ForwardOutputs) => Tensor;

function requireDetector(ctx: AttackContext, what: string): void {
  if (!ctx.detector) throw new AttackConfigError(`${ctx.attack}: the ${what} objective needs a detector term (a detector-aware attack)`);
}

/**
 * The authors' objective: −min_{k≠y} s_k(f(x')) (targeted: −s_t), pulling the feature to the
 * nearest wrong class under the detector's per-class score (GM: d_k + ½ log|Σ_k|, the class NLL;
 * Mahalanobis: the distance to class k; KD: −log p̂_k). Needs per-class scores.
 */
export const nearestWrongClassLoss: DetectorAwareLoss = (ctx, out) => {
  requireDetector(ctx, 'nearest-wrong-class');
  if (!ctx.detector!.scorer.classScoresFromFeatures) {
    throw new AttackConfigError(`${ctx.attack}: the nearest-wrong-class objective needs a detector with per-class scores (GM, Mahalanobis, kernel density); this one has none (LID): use orthogonal or selective PGD`);
  }
  return affine(evasionScore(ctx, out), -1, 0);
};

/**
 * The combined loss min(margin, κ) − c₂·max(0, s − τ): the C&W-style margin (untargeted
 * max_{j≠y} Z_j − Z_y, capped at κ; κ = Infinity leaves it uncapped) minus the detector penalty on
 * the evasion score (context.ts). Returns a loss function with κ fixed.
 */
export function combinedDetectorLoss(kappa = Infinity): DetectorAwareLoss {
  return (ctx, out) => {
    requireDetector(ctx, 'combined');
    return sub(marginObjective(out.logits, ctx.labels, ctx.targets, kappa), detectorPenalty(ctx, out));
  };
}
