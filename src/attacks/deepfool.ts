/**
 * DeepFool (Moosavi-Dezfooli et al. 2016), L2 and L∞, per sample. With ŷ the (clean, correct)
 * label and candidates k among the top classes of the clean logits:
 *   w_k = ∇Z_k − ∇Z_ŷ,  f_k = Z_k − Z_ŷ,  l = argmin_k |f_k|/‖w_k‖_q  (q = 2 for L2, 1 for L∞)
 *   r = (|f_l| + 1e-4)·w_l/‖w_l‖₂²   (L∞: (|f_l| + 1e-4)·sign(w_l)/‖w_l‖₁)
 * accumulated into r_tot; the iterate is clip(x + (1 + overshoot)·r_tot), the overshoot applied to
 * the total; a sample stops as soon as its label changes. The 1e-4 (from the authors' code) steps
 * just past a boundary that the linearisation hits exactly. Samples misclassified on the clean
 * input are returned unchanged. The gradients of all candidates come from one backward pass over
 * the batch repeated once per candidate.
 */
import { noGrad } from '../core/autograd.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, mul, sub } from '../ops/binary.js';
import { tensor, zerosLike } from '../ops/creation.js';
import { gather } from '../ops/indexing.js';
import { argmax, argmin, norm } from '../ops/reduce.js';
import { clone, expand, narrow, reshape } from '../ops/shape.js';
import { abs, affine, clamp, sign, square } from '../ops/unary.js';
import { Attack, type AttackOptions, type PerturbOutput } from './attack.js';
import type { AttackContext } from './context.js';
import { inputGradient } from './gradient.js';
import { pickClass } from './losses.js';
import { forwardPass } from './model.js';
import { readAndDispose } from './readback.js';
import { clipToImage, NORM_FLOOR, type Norm } from './steps.js';
import { AttackConfigError, checkNonNegative, checkPositiveInt } from './validate.js';

export interface DeepFoolOptions extends Omit<AttackOptions, 'target'> {
  /** overshoot applied to the accumulated perturbation (default 0.02) */
  overshoot?: number;
  /** iterations at most (default 50) */
  maxIterations?: number;
  /** classes considered, the clean label included: the top ones of the clean logits (default 10) */
  candidates?: number;
}

const BOUNDARY_STEP = 1e-4;

export class DeepFool extends Attack {
  readonly name: string;
  readonly norm: Norm;
  readonly overshoot: number;
  readonly maxIterations: number;
  readonly candidates: number;

  constructor(readonly options: DeepFoolOptions = {}, norm: Norm = 'l2') {
    const name = norm === 'l2' ? 'DeepFool' : 'DeepFool-Linf';
    if ((options as AttackOptions).target !== undefined && (options as AttackOptions).target !== 'untargeted') {
      throw new AttackConfigError(`${name}: DeepFool is untargeted (it moves to the nearest boundary); got target: '${(options as AttackOptions).target}'`);
    }
    super(name, options);
    this.name = name;
    this.norm = norm;
    this.overshoot = options.overshoot === undefined ? 0.02 : checkNonNegative(name, 'overshoot', options.overshoot);
    this.maxIterations = options.maxIterations === undefined ? 50 : checkPositiveInt(name, 'maxIterations', options.maxIterations);
    this.candidates = options.candidates === undefined ? 10 : checkPositiveInt(name, 'candidates', options.candidates);
    if (this.candidates < 2) throw new AttackConfigError(`${name}: candidates must be >= 2 (the label and at least one other class), got ${this.candidates}`);
  }

  override get progressSteps(): number { return this.maxIterations; }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    if (ctx.targets) throw new AttackConfigError(`${this.name}: DeepFool is untargeted; do not pass targets`);
    const { x } = ctx;
    const n = x.shape[0]!;
    const k = Math.min(this.candidates, ctx.numClasses);
    if (k < 2) throw new AttackConfigError(`${this.name}: the model has ${ctx.numClasses} class(es); DeepFool needs at least 2`);
    const labels = (await ctx.labels.data()) as Int32Array;
    const clean = await ctx.cleanLogits.data();
    const cleanPred = (await readAndDispose(tidy(() => argmax(ctx.cleanLogits, 1)))) as Int32Array;
    const active = new Uint8Array(n);
    const candidates = new Int32Array(n * k);
    for (let i = 0; i < n; i++) {
      active[i] = cleanPred[i] === labels[i] ? 1 : 0;
      const row = Array.from({ length: ctx.numClasses }, (_, j) => j).filter((j) => j !== labels[i]);
      row.sort((a, b) => clean[i * ctx.numClasses + b]! - clean[i * ctx.numClasses + a]! || a - b);
      candidates[i * k] = labels[i]!;
      for (let j = 1; j < k; j++) candidates[i * k + j] = row[j - 1]!;
    }
    const o = { backend: x.backend };
    const cand = keep(tensor(candidates, { ...o, dtype: 'int32', shape: [n, k] }));
    const candFlat = keep(tensor(candidates, { ...o, dtype: 'int32', shape: [n * k] }));
    const iterations = new Int32Array(n);
    let rTot = keep(zerosLike(x));
    let cur = keep(clone(x));
    try {
      for (let it = 0; it < this.maxIterations; it++) {
        const logits = keep(tidy(() => noGrad(() => forwardPass(ctx.model, cur).logits)));
        try {
          // which samples still carry their clean label
          const pred = (await readAndDispose(tidy(() => argmax(logits, 1)))) as Int32Array;
          let any = false;
          for (let i = 0; i < n; i++) {
            if (active[i] && pred[i] !== labels[i]) active[i] = 0;
            if (active[i]) { iterations[i]!++; any = true; }
          }
          if (!any) break;
          const [nextR, nextX] = tidy(() => {
            const activeT = tensor(Float64Array.from(active), { ...o, dtype: x.dtype, shape: [n, 1] });
            const r = add(rTot, reshape(mul(this.#step(ctx, cur, logits, cand, candFlat), activeT), x.shape));
            return [keep(r), keep(clipToImage(add(x, affine(r, 1 + this.overshoot, 0))))];
          });
          rTot.dispose();
          cur.dispose();
          rTot = nextR!;
          cur = nextX!;
          ctx.iterationDone();
        } finally {
          logits.dispose();
        }
      }
    } catch (e) {
      cur.dispose();
      throw e;
    } finally {
      rTot.dispose();
      cand.dispose();
      candFlat.dispose();
    }
    return { adversarial: cur, iterations };
  }

  /** The step r [n, d] towards the nearest linearised boundary among the candidates, per sample. */
  #step(ctx: AttackContext, cur: Tensor, logits: Tensor, cand: Tensor, candFlat: Tensor): Tensor {
    const [n, k] = cand.shape as [number, number];
    const rest = cur.shape.slice(1);
    const d = cur.size / n;
    const z = gather(logits, 1, cand); // [n, k], column 0 the label
    // one backward for all candidates: the batch repeated k times, row (i, j) differentiates Z_{cand[i, j]}
    const repeated = reshape(expand(reshape(cur, [n, 1, ...rest]), [n, k, ...rest]), [n * k, ...rest]);
    const grads = reshape(inputGradient((xi) => pickClass(forwardPass(ctx.model, xi).logits, candFlat), repeated), [n, k, d]);
    const f = sub(narrow(z, 1, 1, k - 1), narrow(z, 1, 0, 1)); // [n, k−1]
    const w = sub(narrow(grads, 1, 1, k - 1), narrow(grads, 1, 0, 1)); // [n, k−1, d]
    const wNorm = clamp(norm(w, this.norm === 'l2' ? 2 : 1, 2), NORM_FLOOR, Infinity); // [n, k−1], the dual norm
    const best = reshape(argmin(div(abs(f), wNorm), 1), [n, 1]);
    const fBest = affine(abs(gather(f, 1, best)), 1, BOUNDARY_STEP); // [n, 1]
    const nBest = gather(wNorm, 1, best); // [n, 1]
    const wBest = reshape(gather(w, 1, expand(reshape(best, [n, 1, 1]), [n, 1, d])), [n, d]);
    return this.norm === 'l2'
      ? mul(wBest, div(fBest, square(nBest)))
      : mul(sign(wBest), div(fBest, nBest));
  }
}

/** DeepFool towards the nearest boundary in L∞. */
export class DeepFoolLinf extends DeepFool {
  constructor(options: DeepFoolOptions = {}) {
    super(options, 'linf');
  }
}
