/**
 * One APGD run (Croce & Hein 2020, Algorithm 1) from a given start, batched with per-sample state:
 *   z = P(x_k + η·dir(∇f(x_k))),  x_{k+1} = P(x_k + α(z − x_k) + (1 − α)(x_k − x_{k−1}))
 * with α = 1 on the first step and `momentum` (0.75) after; P the projection onto the threat
 * model's ball intersected with [0, 1]; dir sign(g) (L∞), g/‖g‖₂ (L2) or the sparse top-k direction
 * of "Mind the box" (L1). At each checkpoint w_j a sample halves its η and restarts from its
 * best point x_max when
 *   condition 1: fewer than ρ·(w_j − w_{j−1}) of the steps since w_{j−1} raised f, or
 *   condition 2: η was not halved at w_{j−1} and f_max has not grown since w_{j−1}.
 * "Raised f" compares f(x_{k+1}) with the f of the point the step left (after a restart, f_max).
 * L1 only: at a halving, the sparsity k of the steps becomes max(1, ⌊‖x_max − x‖₀/1.5⌋) (our
 * reading of "Mind the box"'s adaptive sparsity), starting from ⌈l1Sparsity·d⌉.
 */
import { detach, clone, reshape } from '../ops/shape.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add, gt, le, lt, maximum, mul, sub, where } from '../ops/binary.js';
import { full, zeros } from '../ops/creation.js';
import { affine, clamp, floor } from '../ops/unary.js';
import { apgdCheckpoints } from './apgd-schedule.js';
import { successMask, type AttackContext } from './context.js';
import { inputGradient } from './gradient.js';
import { l0PerSample, projectL1Box, sparseL1Direction } from './l1-steps.js';
import { forwardPass, type ForwardOutputs } from './model.js';
import { keepWorstCase, type Candidate } from './restarts.js';
import { ascentDirection, clipToImage, project, type Norm } from './steps.js';

export interface APGDSettings {
  norm: Norm;
  epsilon: number;
  steps: number;
  /** ρ of condition 1 */
  rho: number;
  /** α of the momentum step */
  momentum: number;
  /** the initial η as a multiple of ε */
  initialStep: number;
  /** L1: the initial fraction of coordinates a step moves */
  l1Sparsity: number;
}

/** what a run shows its observer after each step (tensors valid during the call only) */
export interface APGDIterate {
  /** the step just taken (1-based); x is x_iteration, after any checkpoint restart */
  iteration: number;
  x: Tensor;
  /** per-sample η after the checkpoint decision, [N, 1, ...] */
  stepSize: Tensor;
  /** f(x) per sample, [N] */
  objective: Tensor;
}

export type APGDObjective = (out: ForwardOutputs) => Tensor;

interface Evaluation { f: Tensor; g: Tensor; success: Tensor }

/** f, ∇f and success at x, from one forward and backward pass (all kept) */
function evaluate(ctx: AttackContext, objective: APGDObjective, x: Tensor): Evaluation {
  let f: Tensor | null = null;
  let success: Tensor | null = null;
  const g = keep(tidy(() => inputGradient((xi) => {
    const out = forwardPass(ctx.model, xi);
    const o = objective(out);
    f = keep(detach(o));
    success = keep(successMask(ctx, { logits: detach(out.logits), features: out.features ? detach(out.features) : null }));
    return o;
  }, x)));
  return { f: f!, g, success: success! };
}

/** a per-sample [N] mask shaped to broadcast against x */
function wide(mask: Tensor, like: Tensor): Tensor {
  return reshape(mask, like.shape.map((d, i) => (i === 0 ? d : 1)));
}

/**
 * The APGD state: every field a kept tensor. set() computes new fields in a scope and disposes each
 * replaced tensor once no field refers to it any more (fields may share a tensor: prev ← cur).
 */
class RunState {
  readonly t: Record<string, Tensor> = {};
  set(make: () => Record<string, Tensor>): void {
    const fresh = tidy(make);
    const replaced: Tensor[] = [];
    for (const [name, value] of Object.entries(fresh)) {
      const old = this.t[name];
      this.t[name] = keep(value);
      if (old && old !== value) replaced.push(old);
    }
    const live = new Set(Object.values(this.t));
    for (const old of new Set(replaced)) if (!live.has(old) && !old.isDisposed) old.dispose();
  }
  disposeAll(): void { for (const v of new Set(Object.values(this.t))) if (!v.isDisposed) v.dispose(); }
}

/**
 * `steps` APGD iterations from `start` (consumed). Returns the per-sample worst case over every
 * iterate (successful first, then the highest objective), assessed, kept.
 */
export function apgdRun(ctx: AttackContext, s: APGDSettings, objective: APGDObjective, start: Tensor,
  observe?: (it: APGDIterate) => void): Candidate {
  const x = ctx.x;
  const n = x.shape[0]!;
  const d = x.size / n;
  const radius = x.shape.map((v, i) => (i === 0 ? v : 1));
  const o = { dtype: x.dtype, backend: x.backend };
  const st = new RunState();
  let best: Candidate | null = null;
  try {
    const first = evaluate(ctx, objective, start);
    st.set(() => ({
      cur: start, prev: clone(start), g: first.g, f: first.f,
      xMax: clone(start), gMax: clone(first.g), fMax: clone(first.f),
      eta: full(radius, s.initialStep * s.epsilon, o), k: full(radius, Math.max(1, Math.ceil(s.l1Sparsity * d)), o),
      count: zeros([n], o), fMaxAtCheck: clone(first.f), halvedAtCheck: zeros([n], o),
    }));
    best = { x: keep(clone(start)), success: first.success, objective: keep(clone(first.f)) };
    const checkpoints = new Set(apgdCheckpoints(s.steps).slice(1));
    let lastCheck = 0;
    for (let i = 0; i < s.steps; i++) {
      const a = i === 0 ? 1 : s.momentum;
      const t = st.t;
      const next = keep(tidy(() => {
        const stepped = s.norm === 'l1'
          ? add(t.cur!, mul(sparseL1Direction(t.g!, t.cur!, t.k!), t.eta!))
          : add(t.cur!, mul(ascentDirection(t.g!, s.norm), t.eta!));
        const z = constrain(stepped, x, s);
        const moved = add(add(t.cur!, affine(sub(z, t.cur!), a, 0)), affine(sub(t.cur!, t.prev!), 1 - a, 0));
        return constrain(moved, x, s);
      }));
      const ev = evaluate(ctx, objective, next);
      st.set(() => {
        const improved = gt(ev.f, t.fMax!);
        return {
          prev: t.cur!, count: add(t.count!, gt(ev.f, t.f!)),
          xMax: where(wide(improved, next), next, t.xMax!), gMax: where(wide(improved, next), ev.g, t.gMax!), fMax: where(improved, ev.f, t.fMax!),
        };
      });
      best = keepWorstCase(best, { x: keep(clone(next)), success: ev.success, objective: keep(clone(ev.f)) });
      st.set(() => ({ cur: next, g: ev.g, f: ev.f }));
      if (checkpoints.has(i + 1)) {
        checkpoint(st, s, x, d, (i + 1) - lastCheck);
        lastCheck = i + 1;
      }
      observe?.({ iteration: i + 1, x: st.t.cur!, stepSize: st.t.eta!, objective: st.t.f! });
      ctx.iterationDone();
    }
    return best;
  } catch (e) {
    if (best) { best.x.dispose(); best.success.dispose(); best.objective.dispose(); }
    throw e;
  } finally {
    st.disposeAll();
  }
}

/** the threat model's projection, then the image box (L1: the exact projection onto the intersection) */
function constrain(xAdv: Tensor, x: Tensor, s: APGDSettings): Tensor {
  return s.norm === 'l1' ? projectL1Box(xAdv, x, s.epsilon) : clipToImage(project(xAdv, x, s.epsilon, s.norm));
}

/** the decision at a checkpoint w_j, `span` = w_j − w_{j−1} iterations after the previous one */
function checkpoint(st: RunState, s: APGDSettings, x: Tensor, d: number, span: number): void {
  const t = st.t;
  st.set(() => {
    const fewIncreases = lt(t.count!, s.rho * span);
    const stalled = mul(affine(t.halvedAtCheck!, -1, 1), le(t.fMax!, t.fMaxAtCheck!));
    const halve = maximum(fewIncreases, stalled);
    const h = wide(halve, x);
    return {
      eta: where(h, affine(t.eta!, 0.5, 0), t.eta!),
      cur: where(h, t.xMax!, t.cur!), g: where(h, t.gMax!, t.g!), f: where(halve, t.fMax!, t.f!),
      k: s.norm === 'l1' ? where(h, clamp(floor(affine(l0PerSample(sub(t.xMax!, x)), 1 / 1.5, 0)), 1, d), t.k!) : t.k!,
      halvedAtCheck: halve, fMaxAtCheck: t.fMax!, count: mul(t.count!, 0),
    };
  });
}
