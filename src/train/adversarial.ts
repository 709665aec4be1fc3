/**
 * Adversarial training: each training batch is attacked before the optimizer sees it.
 *
 * - PGD-AT (Madry et al. 2018, "Towards deep learning models resistant to adversarial attacks"):
 *   the loss is the model's own training loss (GM: margin and likelihood terms; softmax: CE) on the
 *   PGD adversarial batch. The attack is src/attacks' PGD with the cross-entropy of the head's
 *   classification logits (GM: −½ d_k without margin), from a uniform random start in the ε-ball.
 * - TRADES (Zhang et al. 2019, "Theoretically principled trade-off between robustness and
 *   accuracy"): the training loss on the clean batch + β·KL(p(clean) ‖ p(adv)), the adversarial
 *   batch found by maximising that KL with projected steps from x + 0.001·N(0, I) (trades.ts).
 *
 * Batch norm: the attack runs in eval mode (running statistics, which its forward passes neither
 * use from the batch nor update), as TRADES' reference code and every Attack.run here; the
 * training forward then runs in train mode, so the running statistics follow the batches the model
 * is trained on (PGD-AT: adversarial; TRADES: clean and adversarial). Madry et al.'s TensorFlow
 * code attacks the training-mode graph instead (batch statistics of each iterate); the attack in
 * eval mode attacks the function that is deployed, and leaves no attack iterate in the statistics.
 *
 * Determinism: the random start of the batch at (epoch, step) is drawn from its own generator,
 * seeded from (run seed, epoch, step) alone, so a resumed run draws exactly the starts an
 * uninterrupted one draws, and no other random stream (shuffling, augmentation) is shifted.
 */
import { createAttack } from '../attacks/registry.js';
import type { Norm } from '../attacks/steps.js';
import { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import type { Classifier, StepOutput } from '../models/classifier.js';
import { tradesLoss, tradesPerturb } from './trades.js';
import type { TrainConfig } from './config.js';

export interface AdversarialSettings {
  mode: 'pgd' | 'trades';
  epsilon: number;
  steps: number;
  /** the attack's step size α */
  stepSize: number;
  norm: Norm;
  /** TRADES' weight of the KL term */
  beta: number;
  /** the run's seed (the random starts derive from it) */
  seed: number;
}

/** Where in the run a batch is: it fixes the batch's random start. */
export interface BatchPosition {
  epoch: number;
  step: number;
}

/** The adversarial settings of a configuration, null when adversarial training is off. */
export function adversarialSettings(c: TrainConfig): AdversarialSettings | null {
  if (c.adversarial === undefined || c.adversarial === 'none') return null;
  if (!(c.advEps > 0)) throw new Error(`adversarial training '${c.adversarial}': advEps (--eps) must be > 0, got ${c.advEps}`);
  return {
    mode: c.adversarial,
    epsilon: c.advEps,
    steps: c.advSteps,
    // PGD's own default step (src/attacks/pgd.ts): 2.5·ε/steps reaches the ball's far side
    stepSize: c.advStepSize > 0 ? c.advStepSize : (2.5 * c.advEps) / c.advSteps,
    norm: c.advNorm,
    beta: c.tradesBeta,
    seed: c.seed,
  };
}

/** Batches a run may have per epoch: (epoch, step) ↦ epoch·2²⁶ + step is one counter per batch. */
const STEPS_PER_EPOCH_LIMIT = 2 ** 26;

/**
 * The 32-bit seed of the random start at (seed, epoch, step): one word of the run seed's Philox
 * stream at the batch's own counter, so every batch gets an unrelated seed that no other random
 * stream of the run consumes.
 */
export function batchSeed(seed: number, epoch: number, step: number): number {
  if (!(Number.isSafeInteger(step) && step >= 0 && step < STEPS_PER_EPOCH_LIMIT) || !(Number.isSafeInteger(epoch) && epoch >= 0 && epoch < 2 ** 26)) {
    throw new RangeError(`batchSeed: epoch and step must be integers from 0 to 2^26 − 1, got epoch ${epoch}, step ${step}`);
  }
  const g = new Generator(seed);
  g.offset = epoch * STEPS_PER_EPOCH_LIMIT + step;
  return g.words(1)[0]!;
}

export interface Adversary {
  readonly settings: AdversarialSettings;
  /** the adversarial batch for the clean batch x (labels y) at `at`; owned by the caller */
  perturb(model: Classifier, x: Tensor, y: Tensor, at: BatchPosition): Promise<Tensor>;
  /** the training loss (and what the trainer reports) of a clean batch and its adversarial batch; call inside tidy */
  loss(model: Classifier, x: Tensor, xAdv: Tensor, y: Tensor): StepOutput;
}

class PGDTraining implements Adversary {
  constructor(readonly settings: AdversarialSettings) {}

  async perturb(model: Classifier, x: Tensor, y: Tensor, at: BatchPosition): Promise<Tensor> {
    const s = this.settings;
    const attack = createAttack(s.norm === 'linf' ? 'pgd' : 'pgd-l2', {
      epsilon: s.epsilon, steps: s.steps, alpha: s.stepSize, loss: 'ce', randomStart: true, restarts: 1,
      seed: batchSeed(s.seed, at.epoch, at.step),
    });
    const r = await attack.run(model, x, y);
    return r.adversarial;
  }

  /** Madry et al.: the training loss on the adversarial batch alone (train accuracy is the adversarial one) */
  loss(model: Classifier, _x: Tensor, xAdv: Tensor, y: Tensor): StepOutput {
    return model.step(xAdv, y);
  }
}

class TradesTraining implements Adversary {
  constructor(readonly settings: AdversarialSettings) {}

  perturb(model: Classifier, x: Tensor, _y: Tensor, at: BatchPosition): Promise<Tensor> {
    return tradesPerturb(model, x, this.settings, batchSeed(this.settings.seed, at.epoch, at.step));
  }

  loss(model: Classifier, x: Tensor, xAdv: Tensor, y: Tensor): StepOutput {
    return tradesLoss(model, x, xAdv, y, this.settings.beta);
  }
}

export function createAdversary(settings: AdversarialSettings): Adversary {
  return settings.mode === 'pgd' ? new PGDTraining(settings) : new TradesTraining(settings);
}
