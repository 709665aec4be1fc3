/**
 * What an attack (or a detector) needs from a model, written structurally so that a Classifier,
 * any Module with a forward, or a plain object all qualify. When a model exposes `features()` and a
 * `head`, the logits are computed as `head.forward(features(x))` in one pass, so feature-space
 * objectives and detector scores reuse the same forward as the logits.
 */
import { noGrad } from '../core/autograd.js';
import type { Tensor } from '../core/tensor.js';

export interface ModelHead {
  forward(features: Tensor): Tensor;
  /** GM head: d_k(f) [N, K] */
  distances?(features: Tensor): Tensor;
  /** GM head: class means [K, D] (the detection score is detect/gm-nll's gmScore of means and logVar) */
  readonly means?: Tensor;
  /** GM head: log-variances [K, D]; null for identity covariance */
  readonly logVar?: Tensor | null;
}

export interface AttackModel {
  training: boolean;
  train(mode?: boolean): unknown;
  /** logits [N, K] (no training margin), differentiable in x */
  forward(x: Tensor): Tensor;
  /** penultimate features [N, D] */
  features?(x: Tensor): Tensor;
  readonly head?: ModelHead;
}

/** A model with penultimate features and a head (what detectors and feature-space objectives need). */
export interface FeatureModel extends AttackModel {
  features(x: Tensor): Tensor;
  readonly head: ModelHead;
}

export interface ForwardOutputs {
  logits: Tensor;
  /** null when the model has no features()/head split */
  features: Tensor | null;
}

export function hasFeatures(model: AttackModel): model is FeatureModel {
  return typeof model.features === 'function' && model.head !== undefined && typeof model.head.forward === 'function';
}

export function hasGMHead(model: AttackModel): model is FeatureModel & { head: Required<ModelHead> } {
  return hasFeatures(model) && typeof model.head.distances === 'function' && model.head.means !== undefined && model.head.logVar !== undefined;
}

/** logits (and features when the model has them) in one forward pass */
export function forwardPass(model: AttackModel, x: Tensor): ForwardOutputs {
  if (hasFeatures(model)) {
    const features = model.features(x);
    return { logits: model.head.forward(features), features };
  }
  return { logits: model.forward(x), features: null };
}

interface ModeCarrier { training: boolean; children?: () => [string, unknown][] }

function collectModes(m: unknown, out: [ModeCarrier, boolean][], seen: Set<unknown>): void {
  if (m === null || typeof m !== 'object' || seen.has(m)) return;
  seen.add(m);
  const carrier = m as ModeCarrier;
  if (typeof carrier.training === 'boolean') out.push([carrier, carrier.training]);
  if (typeof carrier.children === 'function') {
    for (const [, child] of carrier.children()) collectModes(child, out, seen);
  }
}

/**
 * Run fn with the model in eval mode (batch-norm running statistics, no dropout) and restore every
 * submodule's own flag afterwards: `train(previous)` would overwrite submodules that the caller had
 * deliberately put in another mode.
 */
export async function withEvalMode<T>(model: AttackModel, fn: () => Promise<T>): Promise<T> {
  const saved: [ModeCarrier, boolean][] = [];
  collectModes(model, saved, new Set());
  model.train(false);
  try {
    return await fn();
  } finally {
    for (const [m, flag] of saved) m.training = flag;
  }
}

/** Logits without recording a graph (predictions, bookkeeping). */
export function logitsNoGrad(model: AttackModel, x: Tensor): Tensor {
  return noGrad(() => forwardPass(model, x).logits);
}
