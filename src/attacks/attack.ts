/**
 * The attack base: an object configured once and applied to batches with
 * `await attack.run(model, x, labels, targets?)`. It validates the inputs, puts the model in eval
 * mode (restored afterwards), resolves targets, lets the subclass perturb, and summarises success,
 * achieved norm and prediction per sample. x is never written; the result's `adversarial` belongs
 * to the caller (dispose it, or let an enclosing tidy do it).
 */
import { noGrad } from '../core/autograd.js';
import { Generator } from '../core/random.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { mul, sub } from '../ops/binary.js';
import { argmax } from '../ops/reduce.js';
import { clone, reshape } from '../ops/shape.js';
import { detectorScore, finiteRows, successMask, type AttackContext, type DetectorTerm } from './context.js';
import { forwardPass, withEvalMode, type AttackModel } from './model.js';
import { changedPixels } from './pixel-norm.js';
import { lpOrder, perSampleNorm, type ThreatNorm } from './steps.js';
import { resolveTargets, TARGET_MODES, type TargetMode } from './targets.js';
import { AttackInputError, checkBatch, checkImageRange, checkLabelRange, checkOneOf, checkSeed } from './validate.js';

export interface AttackOptions {
  /** 'untargeted' (default; 'given' when targets are passed to run), 'given', 'random' (seeded) or 'least-likely' */
  target?: TargetMode;
  /** seed of the generator for random starts and random targets: same seed → identical output (default 0) */
  seed?: number;
}

export interface AttackResult {
  /** the adversarial batch, in [0, 1]; owned by the caller */
  adversarial: Tensor;
  /** per sample: misclassified (untargeted) / target reached (targeted), and accepted by the detector (adaptive attacks) */
  success: boolean[];
  /** per sample: the adversarial image and the model's logits on it are finite (a non-finite sample is never a success) */
  finite: boolean[];
  /** per sample: the achieved ‖x' − x‖ in the attack's norm (L∞, L2 or L1) */
  norms: Float32Array;
  /** per sample: the model's prediction on the adversarial input */
  predictions: Int32Array;
  /** the targets used (targeted runs), else null */
  targets: Int32Array | null;
  /** per sample: the detector score of the adversarial input (detector-aware attacks) */
  scores?: Float32Array;
  /** per sample: iterations used (DeepFool) */
  iterations?: Int32Array;
  /** per sample: model queries spent (score-based attacks: Square, Sparse-RS) */
  queries?: Int32Array;
}

export interface RunOptions {
  /**
   * progress within the batch: called after each iteration with (iterations done, progressSteps);
   * the last call has done === progressSteps, also when the attack stopped early
   */
  onIteration?: (done: number, total: number) => void;
}

/** What a subclass's perturb() hands back: a kept tensor the base disposes after summarising. */
export interface PerturbOutput {
  adversarial: Tensor;
  iterations?: Int32Array;
  queries?: Int32Array;
}

export abstract class Attack {
  /** display name used in errors and reports */
  abstract readonly name: string;
  /** the norm `norms` is reported in */
  abstract readonly norm: ThreatNorm;
  readonly targetMode: TargetMode | undefined;
  readonly seed: number;

  protected constructor(attack: string, options: AttackOptions) {
    if (options.target !== undefined) checkOneOf(attack, 'target', options.target, TARGET_MODES);
    this.targetMode = options.target;
    this.seed = options.seed === undefined ? 0 : checkSeed(attack, options.seed);
  }

  /**
   * Iterations one batch takes, as progress counts them (PGD: restarts × steps; C&W: search steps ×
   * iterations; DeepFool: its maximum, reached only when some sample resists that long).
   */
  get progressSteps(): number { return 1; }

  /** Attack a batch. labels: int32 [N] true classes; targets: int32 [N] for target: 'given'. */
  async run(model: AttackModel, x: Tensor, labels: Tensor, targets?: Tensor, options: RunOptions = {}): Promise<AttackResult> {
    checkBatch(this.name, x, labels, targets);
    await checkImageRange(this.name, x);
    this.checkModel(model);
    const detector = this.detectorTerm(model);
    return withEvalMode(model, async () => {
      const generator = new Generator(this.seed);
      const cleanLogits = keep(tidy(() => noGrad(() => forwardPass(model, x).logits)));
      let targetTensor: Tensor | null = null;
      try {
        await checkFiniteLogits(this.name, cleanLogits);
        const numClasses = cleanLogits.shape[1]!;
        checkLabelRange(this.name, 'labels', (await labels.data()) as Int32Array, numClasses);
        targetTensor = await resolveTargets(this.name, this.targetMode, labels, targets, cleanLogits, generator);
        const total = this.progressSteps;
        let done = 0;
        const iterationDone = () => { if (done < total) options.onIteration?.(++done, total); };
        const ctx: AttackContext = { attack: this.name, model, x, labels, targets: targetTensor, numClasses, cleanLogits, generator, detector, iterationDone };
        const out = await this.perturb(ctx);
        if (done < total) options.onIteration?.(done = total, total);
        try {
          return await summarise(ctx, out, this.norm);
        } finally {
          out.adversarial.dispose();
        }
      } finally {
        cleanLogits.dispose();
        targetTensor?.dispose();
      }
    });
  }

  /** Throw a clear error when the model cannot be attacked this way (e.g. loss 'gm' on a softmax model). */
  protected checkModel(_model: AttackModel): void {}

  /** The detector term of a detector-aware attack, null for plain attacks. */
  protected detectorTerm(_model: AttackModel): DetectorTerm | null { return null; }

  /** Produce the adversarial batch as a kept tensor (the base disposes it). */
  protected abstract perturb(ctx: AttackContext): Promise<PerturbOutput>;
}

/** A model whose clean logits hold NaN or Inf (non-finite weights, typically) cannot be attacked meaningfully. */
async function checkFiniteLogits(attack: string, logits: Tensor): Promise<void> {
  const values = await logits.data();
  const k = logits.shape[1]!;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new AttackInputError(`${attack}: the model's logits for sample ${Math.floor(i / k)} are not finite (${values[i]}); are its weights finite? An attack on such a model means nothing`);
    }
  }
}

async function summarise(ctx: AttackContext, out: PerturbOutput, norm: ThreatNorm): Promise<AttackResult> {
  const adv = out.adversarial;
  const t = tidy(() => noGrad(() => {
    const fwd = forwardPass(ctx.model, adv);
    return {
      predictions: argmax(fwd.logits, 1),
      // a non-finite adversarial image (or one the model maps to non-finite logits) is never a success
      finite: mul(finiteRows(adv), finiteRows(fwd.logits)),
      success: successMask(ctx, fwd),
      norms: reshape(perSampleNorm(sub(adv, ctx.x), norm === 'l0' ? 'inf' : lpOrder(norm)), [-1]),
      scores: ctx.detector ? detectorScore(ctx, fwd) : null,
      // L0 (sparse attacks): changed pixels replace the Lp norm computed above
      pixelsChanged: norm === 'l0' ? changedPixels(sub(adv, ctx.x)) : null,
    };
  }));
  try {
    const finite = Array.from(await t.finite.data(), (v) => v !== 0);
    const success = Array.from(await t.success.data(), (v, i) => v !== 0 && finite[i]!);
    const norms = Float32Array.from(await t.norms.data());
    if (t.pixelsChanged) norms.set(await t.pixelsChanged.data());
    const predictions = Int32Array.from(await t.predictions.data());
    const scores = t.scores ? Float32Array.from(await t.scores.data()) : undefined;
    const targets = ctx.targets ? Int32Array.from(await ctx.targets.data()) : null;
    // a fresh tensor outside every internal scope: it belongs to the caller's scope, if any
    const adversarial = clone(adv);
    const result: AttackResult = { adversarial, success, finite, norms, predictions, targets };
    if (scores) result.scores = scores;
    if (out.iterations) result.iterations = out.iterations;
    if (out.queries) result.queries = out.queries;
    return result;
  } finally {
    t.predictions.dispose();
    t.success.dispose();
    t.finite.dispose();
    t.norms.dispose();
    t.scores?.dispose();
    t.pixelsChanged?.dispose();
  }
}
