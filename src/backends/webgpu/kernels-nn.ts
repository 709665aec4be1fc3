/**
 * Fused network kernels: softmax/log-softmax over the last axis (softmaxRows), the
 * Gaussian-mixture loss pair (gmLossRows forward, gmLossGrads backward; docs/gm-loss.md)
 * and training-mode batch normalisation (batchNorm forward and backward).
 */
import type { BatchNormParams, GMLossParams } from '../../core/backend.js';
import type { GpuContext } from './gpu-context.js';
import { params, type ParamWriter } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';
import { gmDistanceCache, gmRowsKernel } from './gm-variants.js';

/** rows up to this long are handled by one invocation each */
const SHORT_ROW = 32;

export function softmax(ctx: GpuContext, kernel: string, x: WebGpuStorage, rows: number, cols: number, log: boolean, out: WebGpuStorage): void {
  if (rows * cols === 0) return;
  const perThread = cols <= SHORT_ROW;
  const wg = perThread ? 64 : cols <= 1024 ? 64 : 256;
  ctx.run(kernel, {
    shaders: ['softmaxRows'], entryPoint: perThread ? 'rowPerThread' : 'rowPerWorkgroup',
    subs: { WG: wg, LOG: log }, layout: ['uniform', 'read', 'rw'],
  }, params().u32(rows).u32(cols).bytes(), [x, out], perThread ? Math.ceil(rows / wg) : rows);
}

const LIKELIHOOD_CODE = { 'true-class': 0, 'true-class-sq': 1, 'all-class': 2 } as const;
const GM_WG = 64;

function gmParams(p: GMLossParams): ParamWriter {
  return params().u32(p.n).u32(p.k).u32(p.d).f32(p.margin).f32(p.lambda);
}

function gmSubs(p: GMLossParams, cache: WebGpuStorage | null = null, wg = GM_WG) {
  return { WG: wg, DIAGONAL: p.diagonal, LIKELIHOOD: LIKELIHOOD_CODE[p.likelihood], DIST_CACHED: cache !== null };
}

export interface GmForwardOutputs {
  loss: WebGpuStorage; logits: WebGpuStorage; logSumExp: WebGpuStorage; prediction: WebGpuStorage; score: WebGpuStorage;
}

export function gmForward(ctx: GpuContext, kernel: string, x: WebGpuStorage, means: WebGpuStorage, logVar: WebGpuStorage | null,
  labels: WebGpuStorage, p: GMLossParams, out: GmForwardOutputs): void {
  // per sample: [0] log-sum-exp, [1] score, [2] loss; copied out once the mean is taken
  const stats = ctx.allocate(kernel, 3 * p.n, 'float32', false);
  const input = (s: WebGpuStorage | null) => (s && s.size > 0 ? s : ctx.unusedInput);
  // the hardware variant: distances from one tiled pass, rows by subgroups where the device has them
  const cache = gmDistanceCache(ctx, kernel, x, means, logVar, p);
  const rows = gmRowsKernel(ctx, GM_WG);
  ctx.run(kernel, {
    shaders: rows.shaders, entryPoint: rows.entryPoint, subs: gmSubs(p, cache, rows.wg),
    layout: ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw', 'rw', null, 'read'],
  }, gmParams(p).bytes(), [input(x), input(means), input(logVar), labels, out.logits, out.prediction, stats, null, cache ?? ctx.unusedInput], p.n);
  ctx.run(kernel, {
    shaders: ['gmLossRows'], entryPoint: 'mean', subs: gmSubs(p),
    layout: ['uniform', null, null, null, null, null, null, 'rw', 'rw', null],
  }, gmParams(p).bytes(), [null, null, null, null, null, null, stats, out.loss, null], 1);
  ctx.recorder.copy(stats.pooled, out.logSumExp.pooled, p.n * 4, 0, 0);
  ctx.recorder.copy(stats.pooled, out.score.pooled, p.n * 4, p.n * 4, 0);
  ctx.release(stats);
  if (cache) ctx.release(cache);
}

export interface GmBackwardOutputs { dx: WebGpuStorage; dMeans: WebGpuStorage; dLogVar: WebGpuStorage | null }

export function gmBackward(ctx: GpuContext, kernel: string, x: WebGpuStorage, means: WebGpuStorage, logVar: WebGpuStorage | null,
  labels: WebGpuStorage, logSumExp: WebGpuStorage, gradLoss: WebGpuStorage, p: GMLossParams, out: GmBackwardOutputs): void {
  const nk = p.n * p.k;
  const input = (s: WebGpuStorage | null) => (s && s.size > 0 ? s : ctx.unusedInput);
  // coef[0] = weights on d_ik, coef[1] = weights on h_k
  const coef = ctx.allocate(kernel, 2 * nk, 'float32', false);
  const cache = gmDistanceCache(ctx, kernel, x, means, logVar, p);
  ctx.run(kernel, {
    shaders: ['gmLossGrads'], entryPoint: 'coefficients', subs: gmSubs(p, cache),
    layout: ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'rw', null, null, 'read'],
  }, gmParams(p).bytes(), [input(x), input(means), input(logVar), labels, logSumExp, gradLoss, coef, null, null, cache ?? ctx.unusedInput], Math.ceil(nk / GM_WG));
  if (cache) ctx.release(cache);
  if (p.d > 0) {
    ctx.run(kernel, {
      shaders: ['gmLossGrads'], entryPoint: 'inputGrad', subs: gmSubs(p),
      layout: ['uniform', 'read', 'read', 'read', null, null, null, 'rw', 'rw', null, null],
    }, gmParams(p).bytes(), [x, means, input(logVar), null, null, null, coef, out.dx, null, null], Math.ceil((p.n * p.d) / GM_WG));
    ctx.run(kernel, {
      shaders: ['gmLossGrads'], entryPoint: 'paramGrad', subs: gmSubs(p),
      layout: ['uniform', 'read', 'read', 'read', null, null, null, 'rw', 'rw', 'rw', null],
    }, gmParams(p).bytes(), [x, means, input(logVar), null, null, null, coef, out.dMeans, out.dLogVar ?? ctx.unusedOutput(0), null], Math.ceil((p.k * p.d) / GM_WG));
  }
  ctx.release(coef);
}

const BN_WG = 256;

function bnParams(p: BatchNormParams, hasWeight: boolean, hasBias: boolean, relu: { residual: boolean } | null = null): Uint8Array {
  return params().u32(p.outer).u32(p.c).u32(p.inner).f32(p.varianceEpsilon).u32(hasWeight ? 1 : 0).u32(hasBias ? 1 : 0)
    .u32(relu?.residual ? 1 : 0).u32(relu ? 1 : 0).bytes();
}

/**
 * Training batch norm (shaders/batchNorm.wgsl): out, and mean / variance [c]; with `relu`, out =
 * relu(batch norm + residual) (Accelerations.batchNormReluForward)
 */
export function batchNormForward(ctx: GpuContext, kernel: string, x: WebGpuStorage, weight: WebGpuStorage | null,
  bias: WebGpuStorage | null, p: BatchNormParams, out: { out: WebGpuStorage; mean: WebGpuStorage; variance: WebGpuStorage },
  relu: { residual: WebGpuStorage | null } | null = null): void {
  if (p.c === 0) return;
  ctx.run(kernel, {
    shaders: ['batchNorm'], entryPoint: 'forward', subs: { WG: BN_WG },
    layout: ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw', 'rw', null, null],
  }, bnParams(p, weight !== null, bias !== null, relu && { residual: relu.residual !== null }),
  [x, relu?.residual ?? ctx.unusedInput, weight ?? ctx.unusedInput, bias ?? ctx.unusedInput, out.mean, out.variance, out.out, null, null], p.c);
}

/** Its gradients: dx, and dWeight / dBias [c] */
export function batchNormBackward(ctx: GpuContext, kernel: string, dy: WebGpuStorage, x: WebGpuStorage, mean: WebGpuStorage,
  variance: WebGpuStorage, weight: WebGpuStorage | null, p: BatchNormParams,
  out: { dx: WebGpuStorage; dWeight: WebGpuStorage; dBias: WebGpuStorage }): void {
  if (p.c === 0) return;
  ctx.run(kernel, {
    shaders: ['batchNorm'], entryPoint: 'backward', subs: { WG: BN_WG },
    layout: ['uniform', 'read', 'read', 'read', null, 'rw', 'rw', 'rw', 'rw', 'rw'],
  }, bnParams(p, weight !== null, false),
  [x, dy, weight ?? ctx.unusedInput, null, mean, variance, out.dx, out.dWeight, out.dBias], p.c);
}
