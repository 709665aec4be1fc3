/**
 * The GM loss's hardware variant (variant-select.ts): every distance d_ik and log-determinant h_k
 * computed once by the tiled pass (shaders/gmDistanceTiled.wgsl) into a cache [N·K + K] that the
 * row and coefficient kernels read (their DIST_CACHED form), instead of each (i, k) invocation
 * looping over the D features; and, on devices with subgroups of one fixed size, the rows kernel
 * with one subgroup per sample (gmLossRowsSubgroup.wgsl).
 */
import type { GMLossParams } from '../../core/backend.js';
import type { GpuContext } from './gpu-context.js';
import type { KernelSpec } from './gpu-pipelines.js';
import { params } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';

const TILE = 64;

/** The distance cache of a GM loss call on the hardware variant, or null (direct form). */
export function gmDistanceCache(ctx: GpuContext, kernel: string, x: WebGpuStorage, means: WebGpuStorage, logVar: WebGpuStorage | null,
  p: GMLossParams): WebGpuStorage | null {
  if (ctx.options.variants.gmLoss !== 'tiled' || p.n * p.k === 0) return null;
  const cache = ctx.allocate(kernel, p.n * p.k + p.k, 'float32', false);
  const tilesK = Math.ceil(p.k / TILE);
  const block = params().u32(p.n).u32(p.k).u32(p.d).u32(tilesK).bytes();
  const diagonal = p.diagonal && logVar !== null && p.d > 0;
  const input = (s: WebGpuStorage | null) => (s && s.size > 0 ? s : ctx.unusedInput);
  const spec = (entryPoint: string): KernelSpec => ({
    shaders: ['gmDistanceTiled'], entryPoint, subs: { DIAGONAL: diagonal }, layout: ['uniform', 'read', 'read', 'read', 'rw'],
  });
  ctx.run(kernel, spec('distances'), block, [input(x), input(means), input(logVar), cache], Math.ceil(p.n / TILE) * tilesK);
  if (diagonal) ctx.run(kernel, spec('logDets'), block, [input(x), input(means), input(logVar), cache], Math.ceil(p.k / 64));
  return cache;
}

/** shaders, entry point and workgroup size of the forward's rows kernel */
export function gmRowsKernel(ctx: GpuContext, defaultWg: number): { shaders: string[]; entryPoint: string; wg: number } {
  const size = ctx.options.variants.subgroupSize;
  if (size > 0) return { shaders: ['enableSubgroups', 'gmLossRows', 'gmLossRowsSubgroup'], entryPoint: 'rowsSubgroup', wg: size };
  return { shaders: ['gmLossRows'], entryPoint: 'rows', wg: defaultWg };
}
