/** gather and scatterAdd along the middle axis of [outer, axis, inner] (gatherAxis, scatterAddAxis). */
import { POISON_F32_BITS, wgslType, type GpuContext } from './gpu-context.js';
import { params } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';

const WG = 64;

export interface AxisShape { outer: number; axis: number; inner: number; count: number }

export function gather(ctx: GpuContext, kernel: string, x: WebGpuStorage, index: WebGpuStorage, s: AxisShape, out: WebGpuStorage): void {
  if (out.size === 0) return;
  // an index outside [0, axis) reads as NaN (float32) or 0 (int32): never a plausible value
  const missing = x.dtype === 'int32' ? 0 : POISON_F32_BITS;
  ctx.run(kernel, { shaders: ['gatherAxis'], subs: { WG }, layout: ['uniform', 'read', 'read', 'rw'] },
    params().u32(s.outer).u32(s.axis).u32(s.inner).u32(s.count).u32(out.size).bits(missing).bytes(),
    [s.axis * s.inner * s.outer > 0 ? x : ctx.unusedInput, index, out], Math.ceil(out.size / WG));
}

export function scatterAdd(ctx: GpuContext, kernel: string, src: WebGpuStorage, index: WebGpuStorage, s: AxisShape, out: WebGpuStorage): void {
  if (out.size === 0) return;
  if (src.size === 0) {
    ctx.fillBits(out, 0);
    return;
  }
  ctx.run(kernel, { shaders: ['scatterAddAxis'], subs: { T: wgslType(src.dtype), WG }, layout: ['uniform', 'read', 'read', 'rw'] },
    params().u32(s.outer).u32(s.axis).u32(s.inner).u32(s.count).u32(out.size).bytes(), [src, index, out], Math.ceil(out.size / WG));
}
