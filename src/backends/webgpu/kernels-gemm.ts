/**
 * Everything that is a GEMM: matmul and the three convolutions (implicit GEMMs, no im2col buffer).
 * A kernel is a "problem" shader (how to address A, B and C: matmulOperands, conv2dImplicitGemm,
 * conv2dInputGradGemm, conv2dWeightGradGemm) followed by a "core" (how to compute):
 *   - gemmHw (hw64 / hw128, gemm-variants.ts): tiles in double-buffered workgroup memory, vec4
 *     staging, 4×4 or 8×8 register blocks, the epilogue fused into its stores; the choice for GPUs;
 *   - gemmRegister / gemmRegisterWide: 16×8 or 4×16 register blocks straight from memory, no
 *     workgroup memory or barriers, in either orientation; the choice for CPU implementations
 *     (SwiftShader), where barriers are costly.
 * Long reductions over K with few output tiles (weight gradients; a matmul of small M·N with long
 * K) are split: K chunks write separate partial outputs, summed afterwards by the reduction kernel
 * in a fixed order. The split depends only on the shapes (not on the core or the adapter), and
 * every core adds each output's products in the same order, so every adapter and core computes
 * the same sums. A fused epilogue (bias, ReLU, batch-norm scale/shift) runs in gemmHw's stores,
 * or as a pass of its own after the other cores and after a split sum.
 */
import type { Conv2dParams, MatmulParams } from '../../core/backend.js';
import { wgslType, type GpuContext } from './gpu-context.js';
import type { KernelSpec } from './gpu-pipelines.js';
import { params, type ParamWriter } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';
import { reduce } from './kernels-reduce.js';
import { applyEpilogue, chooseHwTile, coreForShape, hwKernel, isHwCore, type Epilogue, type GemmProblem } from './gemm-variants.js';
import type { GemmCore, GpuClass } from './variant-select.js';

export type { GemmCore } from './variant-select.js';
export type { Epilogue } from './gemm-variants.js';

/** how a GEMM runs: its core, and the adapter class that sizes the hardware core's tiles */
export interface GemmRun { core: GemmCore; gpuClass: GpuClass }

/** split K when it is at least this long and the output has fewer 64×64 tiles than SPLIT_TILES */
const SPLIT_MIN_K = 1024;
const SPLIT_TILES = 128;
const SPLIT_MIN_CHUNK = 256;

interface GemmShape { m: number; n: number; k: number; batches: number }

export interface GemmPlan { splits: number; kChunk: number }

/**
 * The register cores: gemmRegister (a tall 16×8 block per invocation: 128 multiply-adds per 24
 * loads) and gemmRegisterWide (4×16: 64 per 20, for GEMMs with a short side). `reuse` weighs the
 * tall block's better ratio when choosing.
 */
const REGISTER_BLOCKS = [
  { shader: 'gemmRegister', rows: 16, cols: 8, reuse: 1 },
  { shader: 'gemmRegisterWide', rows: 4, cols: 16, reuse: 0.6 },
] as const;

/** workgroup shapes (WGX × WGY invocations): few, as each is a compile (about a second on SwiftShader) */
const REGISTER_SHAPES = [
  { wgx: 8, wgy: 8 }, { wgx: 16, wgy: 4 }, { wgx: 32, wgy: 2 }, { wgx: 64, wgy: 1 }, { wgx: 4, wgy: 8 }, { wgx: 2, wgy: 8 },
] as const;

export interface RegisterPlan {
  shader: 'gemmRegister' | 'gemmRegisterWide';
  /** the core computes Cᵀ = Bᵀ·Aᵀ (its rows are the problem's columns) */
  swapped: boolean;
  wgx: number;
  wgy: number;
  /** rows and columns of one workgroup's tile, in the core's orientation */
  tileM: number;
  tileN: number;
}

/**
 * Block, orientation and workgroup shape of the register core: the choice that leaves the
 * smallest part of its tiles outside the GEMM, weighted by the block's reuse. A GEMM of few rows
 * and many columns takes the wide block (the input gradient of a convolution over 1 to 4 image
 * channels); a narrow one may run swapped, Cᵀ = Bᵀ·Aᵀ. Near-ties (within 10%) keep the first
 * candidate: the tall block, the normal orientation, the biggest and squarest tile.
 */
export function planRegister(m: number, n: number): RegisterPlan {
  let best: RegisterPlan | null = null;
  let bestScore = -1;
  for (const block of REGISTER_BLOCKS) {
    for (const swapped of [false, true]) {
      const rows = swapped ? n : m, cols = swapped ? m : n;
      for (const { wgx, wgy } of REGISTER_SHAPES) {
        const tileM = block.rows * wgy, tileN = block.cols * wgx;
        const use = (rows / (Math.ceil(rows / tileM) * tileM)) * (cols / (Math.ceil(cols / tileN) * tileN));
        const score = use * block.reuse;
        // a later candidate must be clearly better: ties go to big, square tiles of the tall block
        if (score > bestScore * 1.1) {
          best = { shader: block.shader, swapped, wgx, wgy, tileM, tileN };
          bestScore = score;
        }
      }
    }
  }
  return best!;
}

/** K chunks for a GEMM: a function of the shape alone. */
export function planSplits(s: GemmShape): GemmPlan {
  const tiles = Math.ceil(s.m / 64) * Math.ceil(s.n / 64) * s.batches;
  let splits = 1;
  if (s.k >= SPLIT_MIN_K && tiles < SPLIT_TILES) {
    splits = Math.min(Math.ceil(s.k / SPLIT_MIN_CHUNK), Math.ceil((2 * SPLIT_TILES) / tiles), 64);
  }
  if (splits <= 1) return { splits: 1, kChunk: Math.max(1, s.k) };
  const kChunk = Math.ceil(Math.ceil(s.k / splits) / 16) * 16;
  return { splits: Math.ceil(s.k / kChunk), kChunk };
}

/**
 * Runs one GEMM problem: `extra` appends the problem's own parameters after the common ones.
 * `out` receives the result (through a partial buffer and a sum when K is split), then the
 * epilogue with `channels` output channels of `inner` consecutive elements each.
 */
function runGemm(ctx: GpuContext, kernel: string, problem: GemmProblem, run: GemmRun, shape: GemmShape,
  a: WebGpuStorage, b: WebGpuStorage, out: WebGpuStorage, extra: (w: ParamWriter) => void,
  epilogue: Epilogue | null = null, channels = 0, inner = 1): void {
  if (out.size === 0 || shape.m * shape.n * shape.batches === 0) return;
  if (shape.k === 0) {
    ctx.fillBits(out, 0);
    if (epilogue) applyEpilogue(ctx, kernel, out, epilogue, channels, inner);
    return;
  }
  const { splits, kChunk } = planSplits(shape);
  const target = splits > 1 ? ctx.allocate(kernel, splits * out.size, out.dtype, false) : out;
  const core = coreForShape(run.core, shape.m, shape.n);
  const fused = isHwCore(core) && splits === 1 ? epilogue : null;
  let spec: KernelSpec, tilesM: number, tilesN: number;
  if (isHwCore(core)) {
    const tile = chooseHwTile(core, shape.m, shape.n, shape.batches * splits, run.gpuClass);
    ({ spec, tilesM, tilesN } = hwKernel(problem, tile, shape.m, shape.n, out.dtype, fused));
  } else {
    const reg = planRegister(shape.m, shape.n);
    // the core's rows and columns (the problem's, or its transpose when swapped)
    const rows = reg.swapped ? shape.n : shape.m, cols = reg.swapped ? shape.m : shape.n;
    tilesM = Math.ceil(rows / reg.tileM); tilesN = Math.ceil(cols / reg.tileN);
    spec = {
      shaders: [problem.shader, reg.swapped ? 'gemmOrientSwapped' : 'gemmOrientNormal', reg.shader],
      subs: { T: wgslType(out.dtype), WGX: reg.wgx, WGY: reg.wgy, ...problem.subs },
      layout: ['uniform', 'read', 'read', 'rw'],
    };
  }
  const w = params().u32(shape.m).u32(shape.n).u32(shape.k).u32(shape.batches).u32(splits).u32(kChunk).u32(tilesM).u32(tilesN);
  extra(w);
  const operands = fused ? [a, b, target, fused.scale ?? ctx.unusedInput, fused.shift ?? ctx.unusedInput] : [a, b, target];
  ctx.run(kernel, spec, w.bytes(), operands, tilesM * tilesN * shape.batches * splits);
  if (splits > 1) {
    reduce(ctx, kernel, 'sum', target, 1, splits, out.size, out);
    ctx.release(target);
  }
  if (epilogue && !fused) applyEpilogue(ctx, kernel, out, epilogue, channels, inner);
}

/**
 * The vec4 form of a matmul, when an operand is contiguous along the direction the hardware core
 * fetches it in quads (A stored k × m, B stored k × n) with 4-aligned strides and both operands'
 * lengths are multiples of 4 (they are bound as vec4 arrays).
 */
function matmulVec4(a: WebGpuStorage, b: WebGpuStorage, p: MatmulParams): GemmProblem['vec4'] {
  const aVec = p.transA && p.m % 4 === 0 && p.aBatchStride % 4 === 0;
  const bVec = !p.transB && p.n % 4 === 0 && p.bBatchStride % 4 === 0;
  if (!(aVec || bVec) || a.size % 4 !== 0 || b.size % 4 !== 0) return null;
  return { shader: 'matmulOperandsVec4', subs: { A_VEC: aVec, B_VEC: bVec } };
}

/** C = A·B; the epilogue's channels are C's columns (a linear layer's output features) */
export function matmul(ctx: GpuContext, kernel: string, run: GemmRun, a: WebGpuStorage, b: WebGpuStorage, p: MatmulParams, out: WebGpuStorage,
  epilogue: Epilogue | null = null): void {
  const problem: GemmProblem = { shader: 'matmulOperands', aKFast: !p.transA, bKFast: p.transB, vec4: matmulVec4(a, b, p), epiPerRow: false };
  runGemm(ctx, kernel, problem, run, { m: p.m, n: p.n, k: p.k, batches: p.batch }, a, b, out, (w) => {
    // A element (row, kk); B element (kk, col)
    w.u32(p.aBatchStride).u32(p.transA ? 1 : p.k).u32(p.transA ? p.m : 1);
    w.u32(p.bBatchStride).u32(p.transB ? 1 : p.n).u32(p.transB ? p.k : 1);
  }, epilogue, p.n, 1);
}

function convParams(p: Conv2dParams): (w: ParamWriter) => void {
  return (w) => {
    w.u32(p.inC).u32(p.inH).u32(p.inW).u32(p.outC).u32(p.outH).u32(p.outW).u32(p.kH).u32(p.kW);
    w.i32(p.strideH).i32(p.strideW).i32(p.padTop).i32(p.padLeft).i32(p.dilationH).i32(p.dilationW);
    w.u32(p.inC / p.groups).u32(p.outC / p.groups);
  };
}

/** the forward convolution; the epilogue's channels are its output channels */
export function conv2d(ctx: GpuContext, kernel: string, run: GemmRun, x: WebGpuStorage, w: WebGpuStorage, p: Conv2dParams, out: WebGpuStorage,
  epilogue: Epilogue | null = null): void {
  const cg = p.inC / p.groups, og = p.outC / p.groups;
  // A = the filters (contiguous along k), B = the input patches (along the output pixels)
  runGemm(ctx, kernel, { shader: 'conv2dImplicitGemm', aKFast: true, bKFast: false, epiPerRow: true }, run,
    { m: og, n: p.n * p.outH * p.outW, k: cg * p.kH * p.kW, batches: p.groups }, x, w, out, convParams(p), epilogue, p.outC, p.outH * p.outW);
}

export function conv2dBackwardInput(ctx: GpuContext, kernel: string, run: GemmRun, dy: WebGpuStorage, w: WebGpuStorage, p: Conv2dParams, out: WebGpuStorage): void {
  const cg = p.inC / p.groups, og = p.outC / p.groups;
  const problem: GemmProblem = {
    shader: 'conv2dInputGradGemm', aKFast: true, bKFast: false, epiPerRow: true, subs: { UNIT_STRIDE: p.strideH === 1 && p.strideW === 1 },
  };
  runGemm(ctx, kernel, problem, run, { m: cg, n: p.n * p.inH * p.inW, k: og * p.kH * p.kW, batches: p.groups }, dy, w, out, convParams(p));
}

export function conv2dBackwardWeight(ctx: GpuContext, kernel: string, run: GemmRun, x: WebGpuStorage, dy: WebGpuStorage, p: Conv2dParams, out: WebGpuStorage): void {
  const cg = p.inC / p.groups, og = p.outC / p.groups;
  // A = dy and B = the input patches are both contiguous along k (the output pixels)
  runGemm(ctx, kernel, { shader: 'conv2dWeightGradGemm', aKFast: true, bKFast: true, epiPerRow: true }, run,
    { m: og, n: cg * p.kH * p.kW, k: p.n * p.outH * p.outW, batches: p.groups }, x, dy, out, convParams(p));
}
