/** In-place optimizer steps with PyTorch's semantics (sgdUpdate, adamUpdate). */
import type { AdamParams, SgdParams } from '../../core/backend.js';
import type { GpuContext } from './gpu-context.js';
import { params } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';

const WG = 64;

export function sgdStep(ctx: GpuContext, kernel: string, param: WebGpuStorage, grad: WebGpuStorage, buf: WebGpuStorage | null, p: SgdParams): void {
  if (param.size === 0) return;
  // with momentum 0 PyTorch keeps no buffer: a given one is left untouched
  const momentum = buf !== null && p.momentum !== 0;
  ctx.run(kernel, { shaders: ['sgdUpdate'], subs: { WG, MOMENTUM: momentum }, layout: ['uniform', 'rw', 'read', 'rw'] },
    params().u32(param.size).f32(p.lr).f32(p.momentum).f32(p.dampening).f32(p.weightDecay)
      .u32(p.nesterov ? 1 : 0).u32(p.firstStep ? 1 : 0).bytes(),
    [param, grad, momentum ? buf : ctx.unusedOutput(0)], Math.ceil(param.size / WG));
}

export function adamStep(ctx: GpuContext, kernel: string, param: WebGpuStorage, grad: WebGpuStorage, m: WebGpuStorage, v: WebGpuStorage, p: AdamParams): void {
  if (param.size === 0) return;
  const stepSize = p.lr / (1 - p.beta1 ** p.step);
  const sqrtCorrection2 = Math.sqrt(1 - p.beta2 ** p.step);
  const decay = p.decoupled ? 1 - p.lr * p.weightDecay : 1;
  const coupled = p.decoupled ? 0 : p.weightDecay;
  ctx.run(kernel, { shaders: ['adamUpdate'], subs: { WG }, layout: ['uniform', 'rw', 'read', 'rw', 'rw'] },
    params().u32(param.size).f32(p.beta1).f32(p.beta2).f32(p.epsilon).f32(stepSize).f32(sqrtCorrection2).f32(decay).f32(coupled).bytes(),
    [param, grad, m, v], Math.ceil(param.size / WG));
}
