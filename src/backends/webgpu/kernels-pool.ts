/** Max and average pooling and their gradients (shaders/poolMax.wgsl, poolAvg.wgsl). */
import type { Pool2dParams } from '../../core/backend.js';
import { wgslType, type GpuContext } from './gpu-context.js';
import { params, type ParamWriter } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';

const WG = 64;

function geometry(p: Pool2dParams, count: number): ParamWriter {
  return params().u32(p.n * p.c).u32(p.inH).u32(p.inW).u32(p.outH).u32(p.outW)
    .i32(p.kH).i32(p.kW).i32(p.strideH).i32(p.strideW).i32(p.padTop).i32(p.padLeft).u32(count);
}

export function maxPool2d(ctx: GpuContext, kernel: string, x: WebGpuStorage, p: Pool2dParams, out: WebGpuStorage, argmax: WebGpuStorage): void {
  if (out.size === 0) return;
  ctx.run(kernel, {
    shaders: ['poolMax'], entryPoint: 'forward',
    subs: { T: wgslType(x.dtype), WG, NAN_TEST: x.dtype === 'int32' ? 'false' : 'isNan(v)' },
    layout: ['uniform', 'read', null, 'rw', 'rw'],
  }, geometry(p, out.size).bytes(), [x, null, out, argmax], Math.ceil(out.size / WG));
}

export function maxPool2dBackward(ctx: GpuContext, kernel: string, dy: WebGpuStorage, argmax: WebGpuStorage, p: Pool2dParams, out: WebGpuStorage): void {
  if (out.size === 0) return;
  if (dy.size === 0) {
    ctx.fillBits(out, 0);
    return;
  }
  ctx.run(kernel, {
    shaders: ['poolMax'], entryPoint: 'backward',
    subs: { T: wgslType(dy.dtype), WG, NAN_TEST: dy.dtype === 'int32' ? 'false' : 'isNan(v)' },
    layout: ['uniform', 'read', 'read', 'rw', null],
  }, geometry(p, out.size).bytes(), [dy, argmax, out, null], Math.ceil(out.size / WG));
}

export function avgPool2d(ctx: GpuContext, kernel: string, x: WebGpuStorage, p: Pool2dParams, out: WebGpuStorage): void {
  if (out.size === 0) return;
  ctx.run(kernel, { shaders: ['poolAvg'], entryPoint: 'forward', subs: { WG }, layout: ['uniform', 'read', 'rw'] },
    geometry(p, out.size).u32(p.countIncludePad ? 1 : 0).bytes(), [x, out], Math.ceil(out.size / WG));
}

export function avgPool2dBackward(ctx: GpuContext, kernel: string, dy: WebGpuStorage, p: Pool2dParams, out: WebGpuStorage): void {
  if (out.size === 0) return;
  if (dy.size === 0) {
    ctx.fillBits(out, 0);
    return;
  }
  ctx.run(kernel, { shaders: ['poolAvg'], entryPoint: 'backward', subs: { WG }, layout: ['uniform', 'read', 'rw'] },
    geometry(p, out.size).u32(p.countIncludePad ? 1 : 0).bytes(), [dy, out], Math.ceil(out.size / WG));
}
