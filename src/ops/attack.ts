/**
 * Fused attack steps. Not differentiable (attacks never differentiate through their own update):
 * the result is a fresh leaf.
 */
import { formatShape } from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { checkFloat, checkSameDType, checkTensor, OpError, sameBackend } from './util.js';

export interface LinfStepOptions {
  /** the image range the result is clipped to, default [0, 1] */
  lo?: number;
  hi?: number;
}

/**
 * One L∞ projected-gradient step in one kernel:
 * clamp(min(max(xAdv + α·sign(g), x − ε), x + ε), lo, hi) — move, project onto the ε-ball around
 * the clean x, then clip to the image range. sign(0) = 0.
 */
export function linfStep(xAdv: Tensor, x: Tensor, g: Tensor, alpha: number, eps: number, options: LinfStepOptions = {}): Tensor {
  const op = 'linfStep';
  checkTensor(op, xAdv, 'xAdv'); checkTensor(op, x, 'x'); checkTensor(op, g, 'g');
  for (const [name, t] of [['x', x], ['g', g]] as const) {
    if (t.shape.length !== xAdv.shape.length || t.shape.some((d, i) => d !== xAdv.shape[i])) {
      throw new OpError(`${op}: ${name} has shape ${formatShape(t.shape)}, expected the shape of xAdv ${formatShape(xAdv.shape)}`);
    }
  }
  checkFloat(op, xAdv); checkSameDType(op, xAdv, x); checkSameDType(op, xAdv, g);
  const lo = options.lo ?? 0, hi = options.hi ?? 1;
  if (!(alpha >= 0 && Number.isFinite(alpha))) throw new OpError(`${op}: alpha must be a finite number >= 0, got ${alpha}`);
  if (!(eps >= 0)) throw new OpError(`${op}: eps must be >= 0, got ${eps}`);
  if (!(lo <= hi)) throw new OpError(`${op}: lo must be <= hi, got lo ${lo}, hi ${hi}`);
  const backend = sameBackend(op, xAdv, x, g);
  return fromStorage(backend.linfStep(xAdv.storage, x.storage, g.storage, { size: xAdv.size, alpha, eps, lo, hi }), xAdv.shape, xAdv.dtype);
}
