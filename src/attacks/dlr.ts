/**
 * The difference-of-logits-ratio losses of Croce & Hein 2020 ("Reliable evaluation of adversarial
 * robustness with an ensemble of diverse parameter-free attacks"), per sample and to be MAXIMISED.
 * With z_π1 ≥ z_π2 ≥ ... the sorted logits of a row:
 *   untargeted  DLR   = −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e-12)
 *   targeted    DLR-T = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12)
 * Both are invariant to shifting and (positively) rescaling the logits, which is the point: a model
 * cannot mask them by inflating its logits, and they stay informative for GM logits (negative
 * distances). The order statistics come from repeated max-and-mask (K is small), so ties are kept.
 */
import type { Tensor } from '../core/tensor.js';
import { add, div, sub, where } from '../ops/binary.js';
import { oneHot } from '../ops/indexing.js';
import { argmax, max } from '../ops/reduce.js';
import { affine } from '../ops/unary.js';
import { otherClassMax, pickClass } from './losses.js';
import { AttackConfigError } from './validate.js';

/** the floor of the DLR denominator (as published) */
export const DLR_FLOOR = 1e-12;

const MASK = 3.4028234663852886e38;

/** the m largest logits per row, largest first, each [N] (a tied value appears as often as it occurs) */
export function topLogits(logits: Tensor, m: number): Tensor[] {
  const k = logits.shape[1]!;
  if (m > k) throw new AttackConfigError(`topLogits: asked for the ${m} largest of ${k} logits`);
  const out: Tensor[] = [];
  let rest = logits;
  for (let i = 0; i < m; i++) {
    out.push(max(rest, 1));
    // remove exactly one occurrence of the maximum (the first), so ties stay in the order statistics
    if (i + 1 < m) rest = where(oneHot(argmax(rest, 1), k, logits.dtype as 'float32' | 'float64'), -MASK, rest);
  }
  return out;
}

export function checkDlrClasses(attack: string, numClasses: number, targeted: boolean): void {
  const need = targeted ? 4 : 3;
  if (numClasses < need) {
    throw new AttackConfigError(`${attack}: the ${targeted ? 'targeted ' : ''}DLR loss needs at least ${need} classes (it uses the ${targeted ? 'third and fourth' : 'third'} largest logit), the model has ${numClasses}; use loss 'ce'`);
  }
}

/** −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3 + 1e-12), [N] */
export function dlrObjective(logits: Tensor, labels: Tensor): Tensor {
  const [first, , third] = topLogits(logits, 3);
  const margin = sub(pickClass(logits, labels), otherClassMax(logits, labels));
  return affine(div(margin, affine(sub(first!, third!), 1, DLR_FLOOR)), -1, 0);
}

/** −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12), [N] */
export function targetedDlrObjective(logits: Tensor, labels: Tensor, targets: Tensor): Tensor {
  const [first, , third, fourth] = topLogits(logits, 4);
  const margin = sub(pickClass(logits, labels), pickClass(logits, targets));
  const scale = affine(sub(first!, affine(add(third!, fourth!), 0.5, 0)), 1, DLR_FLOOR);
  return affine(div(margin, scale), -1, 0);
}
