/**
 * TRADES (Zhang et al. 2019): the inner maximisation of KL(p(x) ‖ p(x')) over the ε-ball, and the
 * outer loss L(x, y) + β·KL(p(x) ‖ p(x')). Written with the attack step primitives of
 * src/attacks (input gradient, projected ascent step, eval mode), as the reference code
 * (github.com/yaodongyu/TRADES, trades.py): start at x + 0.001·N(0, I), `steps` projected steps
 * of size α on the summed KL with p(x) fixed, in eval mode.
 */
import { inputGradient } from '../attacks/gradient.js';
import { forwardPass, withEvalMode } from '../attacks/model.js';
import { ascentStep, clipToImage, type Norm } from '../attacks/steps.js';
import { noGrad } from '../core/autograd.js';
import { Generator } from '../core/random.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul, sub } from '../ops/binary.js';
import { randn } from '../ops/creation.js';
import { mean, sum } from '../ops/reduce.js';
import { logSoftmax } from '../ops/softmax.js';
import { exp } from '../ops/unary.js';
import type { Classifier, StepOutput } from '../models/classifier.js';

/** TRADES' start: a tiny Gaussian step off x, so the KL (zero at x, with zero gradient) has a direction */
const START_STD = 0.001;

/** KL(p ‖ q) per sample [N] from log-probabilities of p and logits of q: Σ_k p_k (log p_k − log q_k) */
export function klFromLogProbs(logP: Tensor, logitsQ: Tensor): Tensor {
  return sum(mul(exp(logP), sub(logP, logSoftmax(logitsQ, 1))), 1);
}

/**
 * The TRADES adversarial batch: `steps` projected ascent steps on Σᵢ KL(p(xᵢ) ‖ p(x'ᵢ)), in eval
 * mode, from x + 0.001·N(0, I) (drawn from Generator(seed); clipped to [0, 1], which the reference
 * leaves to its first step's clamp); owned by the caller.
 */
export async function tradesPerturb(model: Classifier, x: Tensor, s: { epsilon: number; steps: number; stepSize: number; norm: Norm }, seed: number): Promise<Tensor> {
  return withEvalMode(model, async () => {
    const generator = new Generator(seed);
    const logPClean = keep(noGrad(() => tidy(() => logSoftmax(forwardPass(model, x).logits, 1))));
    let cur = keep(tidy(() => clipToImage(add(x, randn(x.shape, { generator, dtype: x.dtype, backend: x.backend, std: START_STD })))));
    try {
      for (let k = 0; k < s.steps; k++) {
        const next = keep(tidy(() => {
          const g = inputGradient((xi) => klFromLogProbs(logPClean, forwardPass(model, xi).logits), cur);
          return ascentStep(cur, x, g, s.stepSize, s.epsilon, s.norm);
        }));
        cur.dispose();
        cur = next;
      }
    } catch (e) {
      cur.dispose();
      throw e;
    } finally {
      logPClean.dispose();
    }
    return cur;
  });
}

/**
 * L(x, y) + β·mean KL(p(x) ‖ p(x')), in the model's training mode. L is the model's own training
 * loss on the clean batch (GM: with margin and likelihood); the KL compares the classification
 * probabilities without margin (what the attack and prediction use), its gradient flowing through
 * both p(x) and p(x') as in the reference code. Accuracy is reported on the clean batch.
 */
export function tradesLoss(model: Classifier, x: Tensor, xAdv: Tensor, y: Tensor, beta: number): StepOutput {
  const clean = model.step(x, y);
  const logPClean = logSoftmax(model.head.forward(clean.features), 1);
  const kl = mean(klFromLogProbs(logPClean, model.forward(xAdv)));
  return { ...clean, loss: add(clean.loss, mul(kl, beta)) };
}
