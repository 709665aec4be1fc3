/**
 * The hardware GEMM core (shaders/gemmHw.wgsl) and the fused epilogue: which tile a GEMM runs
 * with, how its operands are fetched, and the kernel spec that puts problem, fetch, epilogue and
 * core together. kernels-gemm.ts runs the spec (and the split-K sum) like the other cores'.
 *
 * Tiles (16×16 invocations each): hw64 = 64×64 with 4×4 per invocation and K slices of 16;
 * hw128 = 128×128 with 8×8 per invocation and K slices of 8. Both double-buffer 2 × 8 KiB of
 * workgroup memory. 'hw' picks hw128 when both sides of a GEMM span a 128-tile and it has enough
 * of them to keep a GPU busy (many for a discrete GPU, fewer for an integrated one), hw64 otherwise,
 * and the register core when a side is shorter than HW_MIN_SIDE.
 */
import type { BindingKind, KernelSpec } from './gpu-pipelines.js';
import { wgslType, type GpuContext } from './gpu-context.js';
import { params } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';
import type { GemmCore, GpuClass } from './variant-select.js';

export interface HwTile { name: 'hw64' | 'hw128'; rm: number; rn: number; tk: number }

export const HW_TILES: Readonly<Record<'hw64' | 'hw128', HwTile>> = {
  hw64: { name: 'hw64', rm: 4, rn: 4, tk: 16 },
  hw128: { name: 'hw128', rm: 8, rn: 8, tk: 8 },
};

/**
 * 'hw' leaves a GEMM with a side shorter than this to the register core (its blocks and
 * orientation fit narrow GEMMs: a 16-channel layer, the input gradient of an RGB image), where a
 * 64-wide tile would compute mostly padding
 */
export const HW_MIN_SIDE = 32;

/** 128×128 tiles (workgroups) a GEMM needs before 'hw' uses them, per GPU class */
const MIN_BIG_TILES: Readonly<Record<GpuClass, number>> = { discrete: 96, integrated: 32, software: 32 };

/** the core a GEMM of this shape runs on: 'hw' gives narrow GEMMs to the register core */
export function coreForShape(core: GemmCore, m: number, n: number): GemmCore {
  return core === 'hw' && Math.min(m, n) < HW_MIN_SIDE ? 'register' : core;
}

export function isHwCore(core: GemmCore): core is 'hw' | 'hw64' | 'hw128' {
  return core === 'hw' || core === 'hw64' || core === 'hw128';
}

export function chooseHwTile(core: 'hw' | 'hw64' | 'hw128', m: number, n: number, workgroupsPerTile: number, cls: GpuClass): HwTile {
  if (core !== 'hw') return HW_TILES[core];
  // a side shorter than a big tile would leave most of each tile idle
  if (m < 128 || n < 128) return HW_TILES.hw64;
  const big = Math.ceil(m / 128) * Math.ceil(n / 128) * workgroupsPerTile;
  return big >= MIN_BIG_TILES[cls] ? HW_TILES.hw128 : HW_TILES.hw64;
}

/**
 * A GEMM problem as the hardware core sees it: its WGSL file, which operand index runs along k
 * in memory (fetch those K-fast), and for a matmul the vec4 form when it applies.
 */
export interface GemmProblem {
  shader: string;
  aKFast: boolean;
  bKFast: boolean;
  /** a problem file with vec4 bindings and its own quad fetches, and its substitutions */
  vec4?: { shader: string; subs: Readonly<Record<string, boolean>> } | null;
  /** the epilogue's channel is the row within the batch (convolutions) or the column (matmul) */
  epiPerRow: boolean;
  subs?: Readonly<Record<string, string | number | boolean>>;
}

/** out = act(v·scale[c] + shift[c]) per output channel c; scale and shift are float32 [channels] */
export interface Epilogue { scale: WebGpuStorage | null; shift: WebGpuStorage | null; relu: boolean }

function epilogueSubs(e: Epilogue) {
  return { EPI_SCALE: e.scale !== null, EPI_SHIFT: e.shift !== null, EPI_RELU: e.relu };
}

export interface HwKernel { spec: KernelSpec; tilesM: number; tilesN: number }

/** The kernel spec of a GEMM on the hardware core; `epilogue` fuses it into the stores. */
export function hwKernel(problem: GemmProblem, tile: HwTile, m: number, n: number, dtype: WebGpuStorage['dtype'], epilogue: Epilogue | null): HwKernel {
  const layout: (BindingKind | null)[] = ['uniform', 'read', 'read', 'rw'];
  const shaders = problem.vec4 ? [problem.vec4.shader] : [problem.shader, 'gemmFetchScalar'];
  let subs: Record<string, string | number | boolean> = {
    T: wgslType(dtype), RM: tile.rm, RN: tile.rn, TK: tile.tk, A_K_FAST: problem.aKFast, B_K_FAST: problem.bKFast,
    ...problem.subs, ...problem.vec4?.subs,
  };
  if (epilogue) {
    shaders.push('gemmEpilogue');
    layout.push('read', 'read');
    subs = { ...subs, ...epilogueSubs(epilogue), EPI_PER_ROW: problem.epiPerRow };
  } else {
    shaders.push('gemmEpilogueNone');
  }
  shaders.push('gemmHw');
  return { spec: { shaders, subs, layout }, tilesM: Math.ceil(m / (16 * tile.rm)), tilesN: Math.ceil(n / (16 * tile.rn)) };
}

const APPLY_WG = 256;

/**
 * The epilogue as a pass of its own over `out`, in place (cores that do not fuse it, and after a
 * split-K sum): element e has channel (e / inner) % channels.
 */
export function applyEpilogue(ctx: GpuContext, kernel: string, out: WebGpuStorage, e: Epilogue, channels: number, inner: number): void {
  if (out.size === 0) return;
  ctx.run(kernel, {
    shaders: ['gemmEpilogueApply'], subs: { WG: APPLY_WG, ...epilogueSubs(e) }, layout: ['uniform', 'read', 'read', 'rw'],
  }, params().u32(out.size).u32(channels).u32(inner).bytes(), [e.scale ?? ctx.unusedInput, e.shift ?? ctx.unusedInput, out], Math.ceil(out.size / APPLY_WG));
}
