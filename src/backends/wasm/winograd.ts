/**
 * Planning of the Winograd convolutions (kernels/winograd-conv.ts): the weight transform, block
 * sizes that keep a block's transformed tiles in L2, per-thread scratch, and the split of every
 * step over the threads. Operands are heap addresses; inputs are read in place (the drivers pad on
 * the fly).
 */
import type { Conv2dParams } from '../../core/backend.js';
import {
  FORWARD_ENTRY_BYTES, WINOGRAD_FORWARD_FIELDS, WINOGRAD_WEIGHT_FIELDS, winogradForwardDriver, winogradWeightsDriver, type WinogradVariant,
} from './kernels/winograd-conv.js';
import {
  WEIGHT_GRAD_ENTRY_BYTES, WINOGRAD_WEIGHT_GRAD_FIELDS, WINOGRAD_WEIGHT_OUT_FIELDS, winogradWeightGradDriver, winogradWeightOutDriver,
} from './kernels/winograd-weight-grad.js';
import { XI_PAD } from './kernels/winograd-groups.js';
import { splitRange } from './partition.js';
import { WORK_COUNTER, roundUp, type KernelRuntime } from './runtime.js';

/**
 * Bytes of transformed tiles a block may hold per thread. The GEMMs read each ξ's slice (in L2)
 * while the whole block waits in L3; what must be amortised is the transformed weights, read once
 * per block: blocks of 64 tiles unless that would be more than this.
 */
const BLOCK_BYTES = 4 * 1024 * 1024;
/** output channels per GEMM pass over a block */
const CHANNEL_GROUP = 256;

/** A correlation of [n, c, h, w] with r × r kernels into [n, k, outH, outW], padded by (padT, padL). */
interface Correlation {
  n: number; c: number; k: number; h: number; w: number; outH: number; outW: number; padT: number; padL: number;
  /** where weight (o = output channel, d = input channel, i, j) is: w[o·so + d·sd + (i·r + j)], or flipped in space */
  so: number; sd: number; flip: boolean;
}

/** y = conv2d(x, w) */
export function winogradForward(rt: KernelRuntime, x: number, w: number, y: number, p: Conv2dParams, v: WinogradVariant): void {
  const r = p.kH;
  correlate(rt, x, w, y, v, {
    n: p.n, c: p.inC, k: p.outC, h: p.inH, w: p.inW, outH: p.outH, outW: p.outW, padT: p.padTop, padL: p.padLeft,
    so: p.inC * r * r, sd: r * r, flip: false,
  });
}

/** dx = the input gradient of conv2d (stride 1): dY correlated with the flipped weights, transposed */
export function winogradBackwardInput(rt: KernelRuntime, dy: number, w: number, dx: number, p: Conv2dParams, v: WinogradVariant): void {
  const r = p.kH;
  correlate(rt, dy, w, dx, v, {
    n: p.n, c: p.outC, k: p.inC, h: p.outH, w: p.outW, outH: p.inH, outW: p.inW, padT: r - 1 - p.padTop, padL: r - 1 - p.padLeft,
    so: r * r, sd: p.inC * r * r, flip: true,
  });
}

function correlate(rt: KernelRuntime, x: number, w: number, y: number, v: WinogradVariant, q: Correlation): void {
  const { m, r } = v;
  const alpha = m + r - 1, xi = alpha * alpha;
  const tilesY = Math.ceil(q.outH / m), tilesX = Math.ceil(q.outW / m);
  const kpad = roundUp(q.k, 4);
  const threads = rt.threads;
  const parallel = rt.parallel(2 * q.n * q.c * q.k * r * r * q.outH * q.outW);
  const u = rt.heap.alloc(xi * (kpad * q.c + XI_PAD) * 4);
  try {
    const panels = kpad / 4;
    const weightParts = parallel && panels >= threads ? splitRange(panels, threads) : [[0, panels] as [number, number]];
    const weights = { w, u, o: q.k, d: q.c, so: q.so, sd: q.sd, flip: q.flip ? 1 : 0, opad: kpad };
    rt.dispatch(winogradWeightsDriver(v), WINOGRAD_WEIGHT_FIELDS, weightParts.map(([p0, p1], t) => {
      const [tmp] = rt.ensureScratch(t, [xi * 4]);
      return [weights, { p0, p1, tmp: tmp! }];
    }));

    const tiles = q.n * tilesY * tilesX;
    const kb = Math.min(kpad, CHANNEL_GROUP);
    const blockTiles = blockSize(xi, q.c + kb);
    const blocks = Math.ceil(tiles / blockTiles);
    const base = {
      x, u, y, c: q.c, k: q.k, kpad, h: q.h, w: q.w, padT: q.padT, padL: q.padL, outH: q.outH, outW: q.outW, tilesX,
      tilesPerImage: tilesY * tilesX, tiles, blockTiles, kb, u0: 0, u1: blocks,
    };
    const shares = parallel && blocks > 1 ? Math.min(threads, blocks) : 1;
    const { mr, nr } = rt.shape.gemm;
    rt.dispatch(winogradForwardDriver(v), WINOGRAD_FORWARD_FIELDS, Array.from({ length: shares }, (_, t) => {
      const [vBuf, mBuf, tmp, tab, tile, zero] = rt.ensureScratch(t, [
        xi * (q.c * blockTiles + XI_PAD), xi * (kb * blockTiles + XI_PAD), xi * 4, (FORWARD_ENTRY_BYTES / 4) * blockTiles, mr * nr, 8,
      ]);
      rt.heap.f32(zero!, 8).fill(0);
      return [base, { dyn: shares > 1 ? WORK_COUNTER : 0, vBuf: vBuf!, mBuf: mBuf!, tmp: tmp!, tab: tab!, tile: tile!, zero: zero! }];
    }));
  } finally {
    rt.heap.free(u);
  }
}

/** tiles per block: 64, or fewer (at least 8) to keep the block's transformed data (α² · rows per tile floats) under BLOCK_BYTES */
function blockSize(xi: number, rows: number): number {
  return Math.max(8, Math.min(64, Math.floor(BLOCK_BYTES / (xi * rows * 4) / 8) * 8));
}

/** dw = the weight gradient of conv2d (zeroed and written here) */
export function winogradBackwardWeight(rt: KernelRuntime, x: number, dy: number, dw: number, p: Conv2dParams, v: WinogradVariant): void {
  const { m, r } = v;
  const alpha = m + r - 1, xi = alpha * alpha;
  const c = p.inC, k = p.outC;
  const tilesY = Math.ceil(p.outH / m), tilesX = Math.ceil(p.outW / m);
  const parallel = rt.parallel(2 * p.n * c * k * r * r * p.outH * p.outW);
  const threads = rt.threads;
  const tiles = p.n * tilesY * tilesX;
  const blockTiles = blockSize(xi, c + k);
  const blocks = Math.ceil(tiles / blockTiles);
  const shares = parallel ? Math.min(threads, blocks) : 1;
  const mSize = xi * (k * c + XI_PAD);
  const total = rt.heap.alloc((mSize + 4) * 4);
  try {
    rt.heap.f32(total, mSize + 4).fill(0);
    const { mr, nr, kc, mc, nc } = rt.shape.gemm;
    const base = {
      x, dy, c, k, h: p.inH, w: p.inW, padT: p.padTop, padL: p.padLeft, outH: p.outH, outW: p.outW, tilesX,
      tilesPerImage: tilesY * tilesX, tiles, blockTiles,
    };
    const partials: number[] = [];
    rt.dispatch(winogradWeightGradDriver(v), WINOGRAD_WEIGHT_GRAD_FIELDS, splitRange(blocks, shares).map(([u0, u1], t) => {
      const sizes = [
        xi * (c * blockTiles + XI_PAD), xi * (k * blockTiles + XI_PAD), xi * 4, (WEIGHT_GRAD_ENTRY_BYTES / 4) * blockTiles,
        mc * kc, kc * Math.min(nc, roundUp(c, nr)), mr * nr, 8,
      ];
      if (t > 0) sizes.push(mSize);
      const [xBuf, dBuf, tmp, tab, bufA, bufB, tile, zero, partial] = rt.ensureScratch(t, sizes);
      rt.heap.f32(zero!, 8).fill(0);
      if (partial !== undefined) { rt.heap.f32(partial, mSize).fill(0); partials.push(partial); }
      return [base, {
        u0, u1, mOut: partial ?? total, xBuf: xBuf!, dBuf: dBuf!, tmp: tmp!, tab: tab!, bufA: bufA!, bufB: bufB!, tile: tile!, zero: zero!,
      }];
    }));
    // every thread summed its own blocks; the partial sums go into thread 0's, in thread order
    for (const partial of partials) rt.addF32(total, partial, mSize);
    const outParts = parallel && k >= threads ? splitRange(k, threads) : [[0, k] as [number, number]];
    const out = { m: total, dw, k, c };
    rt.dispatch(winogradWeightOutDriver(v), WINOGRAD_WEIGHT_OUT_FIELDS, outParts.map(([k0, k1], t) => {
      const [tmp] = rt.ensureScratch(t, [xi * 4]);
      return [out, { k0, k1, tmp: tmp! }];
    }));
  } finally {
    rt.heap.free(total);
  }
}
