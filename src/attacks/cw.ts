/**
 * Carlini & Wagner L2 (2017). In tanh space x' = ½(tanh w + 1) (always inside [0, 1]), minimise
 * per sample ‖x' − x‖₂² + c·max(Z_y − max_{j≠y} Z_j, −κ) with Adam on w (written with ops), and
 * search c per sample: after each run, c shrinks towards the largest failing value when the sample
 * succeeded and grows (×10 until bracketed) when it did not. Every iterate that succeeds with a
 * smaller δ than the best so far replaces it; samples that never succeed are returned unchanged.
 * A fixed c fails on many inputs — hence the search. Each search step restarts from w = atanh(2x − 1).
 * No batch-level early abort: it would couple the samples of a batch.
 */
import { valueAndGrad } from '../core/autograd.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, gt, lt, maximum, mul, sub, where } from '../ops/binary.js';
import { full, tensor, zerosLike } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import { clone, detach, reshape } from '../ops/shape.js';
import { affine, clamp, log1p, neg, sqrt, square, tanh } from '../ops/unary.js';
import { Attack, type AttackOptions, type PerturbOutput } from './attack.js';
import { acceptedMask, detectorPenalty, type AttackContext } from './context.js';
import { marginObjective } from './losses.js';
import { forwardPass } from './model.js';
import { sampleAxes, type Norm } from './steps.js';
import { checkNonNegative, checkPositive, checkPositiveInt } from './validate.js';

export interface CWOptions extends AttackOptions {
  /** outer steps of the per-sample search over c (default 9) */
  binarySearchSteps?: number;
  /** Adam iterations per search step (default 1000) */
  maxIterations?: number;
  /** Adam learning rate (default 1e-2) */
  learningRate?: number;
  /** the first c (default 1e-3) */
  initialConst?: number;
  /** confidence κ: success needs a margin above κ (default 0) */
  kappa?: number;
}

const BIG = 3.4028234663852886e38;
const UPPER_UNSET = 1e10;
const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** atanh(z) = ½(log1p(z) − log1p(−z)) */
function atanh(z: Tensor): Tensor {
  return affine(sub(log1p(z), log1p(neg(z))), 0.5, 0);
}

interface Iterate {
  xAdv: Tensor;
  l2: Tensor;
  success: Tensor;
}

export class CW extends Attack {
  readonly name: string = 'CW';
  readonly norm: Norm = 'l2';
  readonly binarySearchSteps: number;
  readonly maxIterations: number;
  readonly learningRate: number;
  readonly initialConst: number;
  readonly kappa: number;

  constructor(readonly options: CWOptions = {}, name = 'CW') {
    super(name, options);
    this.name = name;
    this.binarySearchSteps = options.binarySearchSteps === undefined ? 9 : checkPositiveInt(name, 'binarySearchSteps', options.binarySearchSteps);
    this.maxIterations = options.maxIterations === undefined ? 1000 : checkPositiveInt(name, 'maxIterations', options.maxIterations);
    this.learningRate = options.learningRate === undefined ? 1e-2 : checkPositive(name, 'learningRate', options.learningRate);
    this.initialConst = options.initialConst === undefined ? 1e-3 : checkPositive(name, 'initialConst', options.initialConst);
    this.kappa = options.kappa === undefined ? 0 : checkNonNegative(name, 'kappa', options.kappa);
  }

  override get progressSteps(): number { return this.binarySearchSteps * this.maxIterations; }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const { x } = ctx;
    const n = x.shape[0]!;
    const o = { dtype: x.dtype, backend: x.backend };
    const lower = new Float64Array(n);
    const upper = new Float64Array(n).fill(UPPER_UNSET);
    const c = new Float64Array(n).fill(this.initialConst);
    const w0 = keep(tidy(() => atanh(clamp(affine(x, 2, -1), -(1 - 1e-6), 1 - 1e-6))));
    let bestL2 = keep(full([n], BIG, o));
    let bestAdv = keep(clone(x));
    const wideShape = x.shape.map((d, i) => (i === 0 ? d : 1));
    try {
      for (let step = 0; step < this.binarySearchSteps; step++) {
        const cT = keep(tensor(c, { ...o, shape: [n] }));
        let w = keep(clone(w0));
        let m = keep(zerosLike(x));
        let v = keep(zerosLike(x));
        let found = keep(full([n], 0, o));
        try {
          for (let it = 1; it <= this.maxIterations; it++) {
            const next = tidy(() => {
              let seen: Iterate | null = null;
              const g = valueAndGrad((wl) => {
                const xAdv = affine(tanh(wl), 0.5, 0.5);
                const out = forwardPass(ctx.model, xAdv);
                const l2 = sum(square(sub(xAdv, x)), sampleAxes(x));
                // c·max(Z_y − max_{j≠y} Z_j, −κ) = −c·min(margin, κ)
                let loss = sub(l2, mul(cT, marginObjective(out.logits, ctx.labels, ctx.targets, this.kappa)));
                if (ctx.detector) {
                  loss = add(loss, detectorPenalty(ctx, out));
                }
                const detached = { logits: detach(out.logits), features: out.features ? detach(out.features) : null };
                let success = gt(marginObjective(detached.logits, ctx.labels, ctx.targets), this.kappa);
                if (ctx.detector) success = mul(success, acceptedMask(ctx, detached));
                seen = { xAdv: keep(detach(xAdv)), l2: keep(detach(l2)), success: keep(success) };
                return sum(loss);
              })(w).grads[0]!;
              const it_ = seen as Iterate | null;
              if (!it_) throw new Error(`${this.name}: internal error, no iterate recorded`);
              try {
                const improved = mul(it_.success, lt(it_.l2, bestL2));
                const nextBestL2 = where(improved, it_.l2, bestL2);
                const nextBestAdv = where(reshape(improved, wideShape), it_.xAdv, bestAdv);
                const nextFound = maximum(found, it_.success);
                // Adam on w
                const m1 = add(affine(m, ADAM.beta1, 0), affine(g, 1 - ADAM.beta1, 0));
                const v1 = add(affine(v, ADAM.beta2, 0), affine(square(g), 1 - ADAM.beta2, 0));
                const mHat = affine(m1, 1 / (1 - ADAM.beta1 ** it), 0);
                const vHat = affine(v1, 1 / (1 - ADAM.beta2 ** it), 0);
                const w1 = sub(w, affine(div(mHat, affine(sqrt(vHat), 1, ADAM.eps)), this.learningRate, 0));
                return [w1, m1, v1, nextBestL2, nextBestAdv, nextFound].map((t) => keep(t));
              } finally {
                it_.xAdv.dispose();
                it_.l2.dispose();
                it_.success.dispose();
              }
            });
            [w, m, v, bestL2, bestAdv, found].forEach((t) => t.dispose());
            [w, m, v, bestL2, bestAdv, found] = next as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
            ctx.iterationDone();
          }
          const succeeded = await found.data();
          for (let i = 0; i < n; i++) {
            if (succeeded[i]! > 0) {
              upper[i] = Math.min(upper[i]!, c[i]!);
              if (upper[i]! < UPPER_UNSET * 0.1) c[i] = (lower[i]! + upper[i]!) / 2;
            } else {
              lower[i] = Math.max(lower[i]!, c[i]!);
              c[i] = upper[i]! < UPPER_UNSET * 0.1 ? (lower[i]! + upper[i]!) / 2 : c[i]! * 10;
            }
          }
        } finally {
          [cT, w, m, v, found].forEach((t) => t.dispose());
        }
      }
    } catch (e) {
      bestAdv.dispose();
      throw e;
    } finally {
      w0.dispose();
      bestL2.dispose();
    }
    return { adversarial: bestAdv };
  }
}
