/**
 * What a score-based (black-box) attack may ask of the model: the logits of a batch of candidate
 * images, and nothing else. The forward pass runs under noGrad, so no graph is ever recorded and
 * no gradient can be computed. Losses are evaluated on the host from the returned logits, in the
 * form Square Attack and Sparse-RS minimise: untargeted the logit margin Z_y − max_{k≠y} Z_k
 * (negative once misclassified), targeted the cross-entropy to the target.
 */
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { tensor } from '../ops/creation.js';
import type { AttackContext } from './context.js';
import { forwardPass } from './model.js';
import { readAndDispose } from './readback.js';

/** Per candidate: the loss to minimise and whether the attack's goal is reached. */
export interface ScoredBatch {
  loss: Float64Array;
  success: boolean[];
}

/** index of the first largest entry of row i of a [rows, k] array (argmax's tie rule) */
function rowArgmax(logits: ArrayLike<number>, i: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (logits[i * k + j]! > logits[i * k + best]!) best = j;
  return best;
}

/** untargeted: Z_y − max_{j≠y} Z_j of row i */
export function marginLoss(logits: ArrayLike<number>, i: number, k: number, label: number): number {
  let other = -Infinity;
  for (let j = 0; j < k; j++) if (j !== label) other = Math.max(other, logits[i * k + j]!);
  return logits[i * k + label]! - other;
}

/** targeted: −log softmax(Z)_t of row i, with the max subtracted for stability */
export function targetCrossEntropy(logits: ArrayLike<number>, i: number, k: number, target: number): number {
  let top = -Infinity;
  for (let j = 0; j < k; j++) top = Math.max(top, logits[i * k + j]!);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(logits[i * k + j]! - top);
  return top + Math.log(sum) - logits[i * k + target]!;
}

/**
 * Loss and success of each row of a [rows, k] logits array; `samples[r]` names the batch sample
 * row r belongs to (its label and target). A non-finite row is never a success and scores +∞, so
 * it is never kept over a finite candidate.
 */
export function scoreLogits(logits: ArrayLike<number>, k: number, samples: readonly number[], labels: Int32Array, targets: Int32Array | null): ScoredBatch {
  const loss = new Float64Array(samples.length);
  const success: boolean[] = [];
  for (let r = 0; r < samples.length; r++) {
    const s = samples[r]!;
    let finite = true;
    for (let j = 0; j < k; j++) if (!Number.isFinite(logits[r * k + j]!)) finite = false;
    if (!finite) {
      loss[r] = Infinity;
      success.push(false);
      continue;
    }
    const pred = rowArgmax(logits, r, k);
    if (targets) {
      loss[r] = targetCrossEntropy(logits, r, k, targets[s]!);
      success.push(pred === targets[s]);
    } else {
      loss[r] = marginLoss(logits, r, k, labels[s]!);
      success.push(pred !== labels[s]);
    }
  }
  return { loss, success };
}

/** The model's logits [rows·k] for candidate images (each of x's per-sample size), one forward pass. */
export async function queryLogits(ctx: AttackContext, candidates: readonly Float64Array[]): Promise<ArrayLike<number>> {
  const sampleShape = ctx.x.shape.slice(1);
  const size = candidates[0]!.length;
  const flat = ctx.x.dtype === 'float32' ? new Float32Array(candidates.length * size) : new Float64Array(candidates.length * size);
  candidates.forEach((c, r) => flat.set(c, r * size));
  const logits = tidy(() => noGrad(() => {
    const batch = tensor(flat, { dtype: ctx.x.dtype, backend: ctx.x.backend, shape: [candidates.length, ...sampleShape] });
    return forwardPass(ctx.model, batch).logits;
  }));
  return readAndDispose(logits);
}

/** Query the model once for the candidates of `samples` and score them. */
export async function queryScores(ctx: AttackContext, samples: readonly number[], candidates: readonly Float64Array[], labels: Int32Array, targets: Int32Array | null): Promise<ScoredBatch> {
  const logits = await queryLogits(ctx, candidates);
  return scoreLogits(logits, ctx.numClasses, samples, labels, targets);
}
