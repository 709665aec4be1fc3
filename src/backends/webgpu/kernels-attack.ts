/** The fused L∞ attack step (shaders/linfStep.wgsl). */
import type { LinfStepParams } from '../../core/backend.js';
import type { GpuContext } from './gpu-context.js';
import { params } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';

const WG = 64;

export function linfStep(ctx: GpuContext, kernel: string, xAdv: WebGpuStorage, x: WebGpuStorage, g: WebGpuStorage, out: WebGpuStorage, p: LinfStepParams): void {
  if (p.size === 0) return;
  ctx.run(kernel, { shaders: ['linfStep'], subs: { WG }, layout: ['uniform', 'read', 'read', 'read', 'rw'] },
    params().u32(p.size).f32(p.alpha).f32(p.eps).f32(p.lo).f32(p.hi).bytes(),
    [xAdv, x, g, out], Math.ceil(p.size / WG));
}
