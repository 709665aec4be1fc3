/**
 * In-place optimizer updates with PyTorch's semantics (torch.optim.SGD, Adam, AdamW): the
 * backend's fused sgdStep/adamStep where it lists them, else composed from elementwise kernels and
 * written back with assign. Used by src/optim; not differentiable (they run under no gradient).
 */
import type { AdamParams, SgdParams } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { affineRaw, binaryRaw, unaryRaw } from './raw.js';
import { contiguousView } from './util.js';

const add = (a: Tensor, b: Tensor) => binaryRaw('add', a, b);

/** target's storage ← value's contents (same size) */
function write(target: Tensor, value: Tensor): void {
  target.backend.assign(target.storage, contiguousView(target.shape), { storage: value.storage, view: contiguousView(target.shape) });
}

/**
 * g = grad + weightDecay·param; with a momentum buffer: buf = g on the first step, else
 * buf = momentum·buf + (1 − dampening)·g; then g = g + momentum·buf (Nesterov) or g = buf;
 * param −= lr·g. With momentum 0 PyTorch keeps no buffer, so a given one is left untouched.
 */
export function sgdStep(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, p: SgdParams): void {
  const fused = accelerated(param.backend, 'sgdStep');
  if (fused) { fused(param.storage, grad.storage, momentumBuf?.storage ?? null, p); return; }
  tidy(() => {
    let g = p.weightDecay === 0 ? grad : add(grad, affineRaw(param, p.weightDecay, 0));
    if (momentumBuf && p.momentum !== 0) {
      const buf = p.firstStep ? g : add(affineRaw(momentumBuf, p.momentum, 0), affineRaw(g, 1 - p.dampening, 0));
      write(momentumBuf, buf);
      g = p.nesterov ? add(g, affineRaw(momentumBuf, p.momentum, 0)) : momentumBuf;
    }
    write(param, add(param, affineRaw(g, -p.lr, 0)));
  });
}

/**
 * Adam: g = grad (+ weightDecay·param, coupled); AdamW instead scales param by (1 − lr·weightDecay)
 * first. m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * param −= (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + epsilon).
 */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, p: AdamParams): void {
  const fused = accelerated(param.backend, 'adamStep');
  if (fused) { fused(param.storage, grad.storage, m.storage, v.storage, p); return; }
  tidy(() => {
    const stepSize = p.lr / (1 - p.beta1 ** p.step);
    const sqrtCorrection2 = Math.sqrt(1 - p.beta2 ** p.step);
    const w = p.decoupled ? affineRaw(param, 1 - p.lr * p.weightDecay, 0) : param;
    const g = p.decoupled || p.weightDecay === 0 ? grad : add(grad, affineRaw(w, p.weightDecay, 0));
    write(m, add(affineRaw(m, p.beta1, 0), affineRaw(g, 1 - p.beta1, 0)));
    write(v, add(affineRaw(v, p.beta2, 0), affineRaw(unaryRaw('square', g), 1 - p.beta2, 0)));
    const denominator = affineRaw(unaryRaw('sqrt', v), 1 / sqrtCorrection2, p.epsilon);
    write(param, binaryRaw('sub', w, binaryRaw('div', affineRaw(m, stepSize, 0), denominator)));
  });
}
