/**
 * The state of one attack run: the clean batch, labels, resolved targets, the seeded generator,
 * and (for detector-aware attacks) the detector term. Also the per-sample success test, shared by
 * every attack so that "success" means the same everywhere.
 */
import type { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { eq, le, mul, ne, sub } from '../ops/binary.js';
import { argmax, min } from '../ops/reduce.js';
import { cast, reshape } from '../ops/shape.js';
import { affine, isFinite, relu } from '../ops/unary.js';
import { evaluateObjective, otherClassMin, pickClass, type ObjectiveSpec } from './losses.js';
import type { AttackModel, ForwardOutputs } from './model.js';
import { AttackConfigError } from './validate.js';

/** What an adaptive attack needs from a detector: a differentiable score of the features. */
export interface FeatureScorer {
  /** per-sample score [N]; higher means less like clean data; differentiable in the features */
  scoreFromFeatures(features: Tensor): Tensor;
  /**
   * per-class scores [N, K] whose row minimum is the score (GM: d_k; Mahalanobis: the distance to
   * class k), so the attack can aim at acceptance under a wrong class rather than the true one
   */
  classScoresFromFeatures?(features: Tensor): Tensor;
  /** the calibrated threshold τ (inputs with score > τ are flagged), when the detector has one */
  readonly threshold?: number | null;
}

/** The detector-aware term c₂·max(0, s(x') − τ) and the acceptance test score(x') <= τ. */
export interface DetectorTerm {
  scorer: FeatureScorer;
  tau: number;
  weight: number;
}

export interface AttackContext {
  readonly attack: string;
  readonly model: AttackModel;
  /** the clean batch (never written) */
  readonly x: Tensor;
  readonly labels: Tensor;
  /** int32 [N] for targeted runs, else null */
  readonly targets: Tensor | null;
  readonly numClasses: number;
  /** logits of the clean batch */
  readonly cleanLogits: Tensor;
  readonly generator: Generator;
  readonly detector: DetectorTerm | null;
  /** the attack calls this once per iteration over the whole batch (progress; Attack.run counts) */
  readonly iterationDone: () => void;
}

/** The detector score [N] of one forward pass (adaptive attacks only). */
export function detectorScore(ctx: AttackContext, out: ForwardOutputs): Tensor {
  if (!ctx.detector) throw new Error(`${ctx.attack}: no detector term configured`);
  if (!out.features) throw new AttackConfigError(`${ctx.attack}: a detector-aware attack needs a model with features() and a head`);
  return ctx.detector.scorer.scoreFromFeatures(out.features);
}

/**
 * The score the detector term pushes below τ: with per-class scores, the best wrong class
 * (untargeted: min_{k≠y} s_k) or the target (s_t) — pushing the plain score min_k s_k down would
 * pull the feature back to its own class, the opposite of the attack; otherwise the plain score.
 */
export function evasionScore(ctx: AttackContext, out: ForwardOutputs): Tensor {
  const det = ctx.detector;
  if (!det) throw new Error(`${ctx.attack}: no detector term configured`);
  if (!out.features) throw new AttackConfigError(`${ctx.attack}: a detector-aware attack needs a model with features() and a head`);
  if (!det.scorer.classScoresFromFeatures) return det.scorer.scoreFromFeatures(out.features);
  const perClass = det.scorer.classScoresFromFeatures(out.features);
  return ctx.targets ? pickClass(perClass, ctx.targets) : otherClassMin(perClass, ctx.labels);
}

/** c₂·max(0, s − τ) per sample [N], s the evasion score */
export function detectorPenalty(ctx: AttackContext, out: ForwardOutputs): Tensor {
  return affine(relu(affine(evasionScore(ctx, out), 1, -ctx.detector!.tau)), ctx.detector!.weight, 0);
}

/**
 * The objective to maximise, per sample [N]: the attack loss, minus c₂·max(0, s − τ) when the
 * attack is detector-aware (so the adversarial feature lands inside the acceptance region).
 */
export function attackObjective(ctx: AttackContext, spec: ObjectiveSpec, out: ForwardOutputs): Tensor {
  const base = evaluateObjective(spec, ctx.model, out, ctx.labels, ctx.targets);
  if (!ctx.detector) return base;
  return sub(base, detectorPenalty(ctx, out));
}

/** 1 where the detector accepts (score <= τ), in the logits' dtype */
export function acceptedMask(ctx: AttackContext, out: ForwardOutputs): Tensor {
  return le(detectorScore(ctx, out), ctx.detector!.tau);
}

/** 1 per sample (row of a [N, ...] tensor) whose values are all finite, else 0 */
export function finiteRows(t: Tensor): Tensor {
  return min(isFinite(reshape(t, [t.shape[0]!, -1])), 1);
}

/**
 * 1/0 per sample (in the logits' dtype): untargeted — the prediction differs from the label;
 * targeted — the prediction is the target; detector-aware — additionally accepted by the detector.
 */
export function successMask(ctx: AttackContext, out: ForwardOutputs): Tensor {
  const pred = argmax(out.logits, 1);
  const hit = ctx.targets ? eq(pred, ctx.targets) : ne(pred, ctx.labels);
  // non-finite logits (a NaN image) predict nothing: never a success
  const s = mul(cast(hit, out.logits.dtype), finiteRows(out.logits));
  return ctx.detector ? mul(s, acceptedMask(ctx, out)) : s;
}
