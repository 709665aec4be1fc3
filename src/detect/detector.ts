/**
 * The detector base: a per-sample score of the model's penultimate features (higher = less like
 * clean data), a threshold τ calibrated on clean, correctly classified inputs at a chosen true-
 * positive rate (never on adversarial data), and batched host-side scoring. Detectors implement
 * the attacks' FeatureScorer, so an adaptive attack can differentiate through them.
 */
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { argmax, min } from '../ops/reduce.js';
import { narrow } from '../ops/shape.js';
import type { FeatureScorer } from '../attacks/context.js';
import { hasFeatures, withEvalMode, type AttackModel, type FeatureModel } from '../attacks/model.js';

export interface ScoreOptions {
  /** samples per forward pass (default 256) */
  batchSize?: number;
}

export interface CalibrateOptions extends ScoreOptions {
  /** fraction of clean, correctly classified inputs to accept (default 0.99) */
  tpr?: number;
}

export class DetectorError extends Error {
  override name = 'DetectorError';
}

/**
 * The smallest τ that accepts (score <= τ) at least a fraction `tpr` of the given scores: the
 * ⌈tpr·n⌉-th smallest score.
 */
export function thresholdAtTpr(scores: ArrayLike<number>, tpr: number): number {
  if (!(tpr > 0 && tpr <= 1)) throw new DetectorError(`thresholdAtTpr: tpr must be in (0, 1], got ${tpr}`);
  if (scores.length === 0) throw new DetectorError('thresholdAtTpr: no scores to calibrate on');
  const sorted = Float64Array.from(scores).sort();
  if (Number.isNaN(sorted[sorted.length - 1]!)) throw new DetectorError('thresholdAtTpr: the scores contain NaN');
  const k = Math.min(sorted.length, Math.max(1, Math.ceil(tpr * sorted.length - 1e-9)));
  return sorted[k - 1]!;
}

export function checkFeatureModel(what: string, model: AttackModel): asserts model is FeatureModel {
  if (!hasFeatures(model)) throw new DetectorError(`${what}: the model needs features(x) and a head (a Classifier)`);
}

function checkBatchSize(what: string, b: number | undefined): number {
  const v = b ?? 256;
  if (!Number.isInteger(v) || v <= 0) throw new DetectorError(`${what}: batchSize must be a positive integer, got ${v}`);
  return v;
}

/** Run fn on consecutive slices of x (and y) in eval mode without recording gradients. */
export async function forEachBatch(model: AttackModel, x: Tensor, batchSize: number | undefined, what: string,
  fn: (xb: Tensor, start: number) => Promise<void>): Promise<void> {
  const b = checkBatchSize(what, batchSize);
  if (x.rank < 2) throw new DetectorError(`${what}: x must be [N, ...], got ${formatShape(x.shape)}`);
  const n = x.shape[0]!;
  await withEvalMode(model, async () => {
    for (let start = 0; start < n; start += b) {
      const len = Math.min(b, n - start);
      const xb = start === 0 && len === n ? x : narrow(x, 0, start, len);
      try {
        await fn(xb, start);
      } finally {
        if (xb !== x) xb.dispose();
      }
    }
  });
}

export abstract class FeatureDetector implements FeatureScorer {
  abstract readonly name: string;
  /** τ: scores above it are flagged; null until calibrate() (or set by hand) */
  threshold: number | null = null;

  protected constructor(readonly model: FeatureModel) {}

  /**
   * per-class scores [N, K] of features [N, D] (the score is their row minimum, or the predicted
   * class's entry); differentiable. Detectors without a per-class form (LID) leave it out and
   * override scoreFromFeatures.
   */
  classScoresFromFeatures?(features: Tensor): Tensor;

  /** per-sample score [N] of features [N, D]: the minimum over classes; differentiable */
  scoreFromFeatures(features: Tensor): Tensor {
    if (!this.classScoresFromFeatures) throw new DetectorError(`${this.name}: no per-class scores; the detector must override scoreFromFeatures`);
    return min(this.classScoresFromFeatures(features), -1);
  }

  /** per-sample score [N] of inputs; differentiable in x (the model's current mode is used) */
  scoreTensor(x: Tensor): Tensor {
    return this.scoreFromFeatures(this.model.features(x));
  }

  /** scores on the host, in batches, in eval mode */
  async scores(x: Tensor, o: ScoreOptions = {}): Promise<Float64Array> {
    const out = new Float64Array(x.shape[0] ?? 0);
    await forEachBatch(this.model, x, o.batchSize, `${this.name}.scores`, async (xb, start) => {
      const s = tidy(() => noGrad(() => this.scoreTensor(xb)));
      try {
        out.set(await s.data(), start);
      } finally {
        s.dispose();
      }
    });
    return out;
  }

  /**
   * Set τ from clean inputs: the scores of the correctly classified ones, accepting a fraction `tpr`
   * of them (default 0.99). Returns τ.
   */
  async calibrate(x: Tensor, labels: Tensor, o: CalibrateOptions = {}): Promise<number> {
    const tpr = o.tpr ?? 0.99;
    if (!(tpr > 0 && tpr <= 1)) throw new DetectorError(`${this.name}.calibrate: tpr must be in (0, 1], got ${tpr}`);
    if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== x.shape[0]) {
      throw new DetectorError(`${this.name}.calibrate: labels must be int32 [${x.shape[0]}], got ${labels.dtype} ${formatShape(labels.shape)}`);
    }
    const y = (await labels.data()) as Int32Array;
    const kept: number[] = [];
    await forEachBatch(this.model, x, o.batchSize, `${this.name}.calibrate`, async (xb, start) => {
      const [pred, score] = tidy(() => noGrad(() => {
        const f = this.model.features(xb);
        return [argmax(this.model.head.forward(f), 1), this.scoreFromFeatures(f)];
      }));
      try {
        const p = await pred!.data(), s = await score!.data();
        for (let i = 0; i < p.length; i++) if (p[i] === y[start + i]) kept.push(s[i]!);
      } finally {
        pred!.dispose();
        score!.dispose();
      }
    });
    if (kept.length === 0) throw new DetectorError(`${this.name}.calibrate: none of the ${x.shape[0]} clean inputs is classified correctly; cannot set τ`);
    this.threshold = thresholdAtTpr(kept, tpr);
    return this.threshold;
  }

  /** true where the detector flags the input (score > τ) */
  async flag(x: Tensor, o: ScoreOptions = {}): Promise<boolean[]> {
    const tau = this.threshold;
    if (tau === null) throw new DetectorError(`${this.name}.flag: no threshold; call calibrate() on clean data first (or set threshold)`);
    return Array.from(await this.scores(x, o), (s) => s > tau);
  }
}
