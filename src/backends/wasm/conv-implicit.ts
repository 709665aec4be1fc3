/**
 * Planning of the implicit-GEMM convolutions (kernels/conv-implicit.ts): the phase-split padded
 * layout of each image, the packed weights and the table of patch-row offsets per GEMM, the
 * scratch of each thread, and the split over the threads. Operands are heap addresses.
 */
import type { Conv2dParams } from '../../core/backend.js';
import { IMPLICIT_FIELDS, IMPLICIT_MR } from './kernels/conv-implicit.js';
import { IMPLICIT_WEIGHT_GRAD_FIELDS, TRANSPOSE_SUM_FIELDS, WG_ROWS } from './kernels/conv-implicit-weight-grad.js';
import { splitRange } from './partition.js';
import { WORK_COUNTER, roundUp, type KernelRuntime } from './runtime.js';

/** an image [C, H, W] copied with stride s and padding (pT, pL) into s·s planes of PH × PW per channel */
interface Layout { C: number; H: number; W: number; s: number; pT: number; pL: number; PH: number; PW: number }

const floatsOf = (l: Layout) => l.s * l.s * l.C * l.PH * l.PW;

/** the forward layout: every input pixel, and every read of output pixel (oh, ow) at tap (kh, kw) */
function forwardLayout(p: Conv2dParams): Layout {
  const s = p.strideH;
  return {
    C: p.inC, H: p.inH, W: p.inW, s, pT: p.padTop, pL: p.padLeft,
    PH: Math.max(Math.floor((p.inH - 1 + p.padTop) / s) + 1, p.outH + Math.floor((p.kH - 1) / s)),
    PW: Math.max(Math.floor((p.inW - 1 + p.padLeft) / s) + 1, p.outW + Math.floor((p.kW - 1) / s)),
  };
}

/** byte offset of patch row k = (c·kH + kh)·kW + kw (the weights' own order) in the forward layout */
function forwardOffsets(p: Conv2dParams, l: Layout): number[] {
  const s = l.s, out: number[] = [];
  for (let c = 0; c < p.inC; c++) for (let kh = 0; kh < p.kH; kh++) for (let kw = 0; kw < p.kW; kw++) {
    const phase = (kh % s) * s + (kw % s);
    out.push((((phase * p.inC + c) * l.PH + Math.floor(kh / s)) * l.PW + Math.floor(kw / s)) * 4);
  }
  return out;
}

/**
 * One GEMM of convImplicit: source[i] is the index in the weights of packed weight i (MR-row
 * panels: packed (panel·K + k)·MR + r holds weight (panel·MR + r, k)), offsets the patch rows.
 */
interface GemmPlan { source: Int32Array; offsets: Int32Array }
/** a pass's tables; the weight gradient's: the padded patch-row offsets and each output pixel's place in a plane */
interface Plan { l: Layout; gemms: GemmPlan[]; rows?: Int32Array; pixels?: Int32Array }

function gemmPlan(M: number, offsets: number[], index: (m: number, k: number) => number): GemmPlan {
  const K = offsets.length, source = new Int32Array(M * K);
  for (let m = 0; m < M; m++) {
    const base = Math.floor(m / IMPLICIT_MR) * K * IMPLICIT_MR + (m % IMPLICIT_MR);
    for (let k = 0; k < K; k++) source[base + k * IMPLICIT_MR] = index(m, k);
  }
  return { source, offsets: Int32Array.from(offsets) };
}

/** plans by pass and shape (a model has few shapes; the tables are rebuilt only if it has very many) */
const plans = new Map<string, Plan>();
function cached(pass: string, p: Conv2dParams, make: () => Plan): Plan {
  const key = `${pass}:${p.inC},${p.outC},${p.inH},${p.inW},${p.outH},${p.outW},${p.kH},${p.kW},${p.strideH},${p.padTop},${p.padLeft}`;
  let plan = plans.get(key);
  if (!plan) {
    if (plans.size >= 64) plans.clear();
    plan = make();
    plans.set(key, plan);
  }
  return plan;
}

/**
 * Runs convImplicit over every image: each GEMM's records (patch-row offset and the MR weights
 * gathered from w, per panel and depth step) and the GEMM table in one heap block (freed here), images drawn by the threads from a shared counter. interleave:
 * the four stride-2 phases into dst's images.
 */
function runImplicit(rt: KernelRuntime, src: number, w: number, wCount: number, dst: number, plan: Plan, q: {
  n: number; M: number; rows: number; cols: number; dstImage: number; interleave: boolean; flops: number;
}): void {
  const { l, gemms } = plan;
  const words = gemms.reduce((s, g) => s + g.source.length + g.source.length / IMPLICIT_MR, 0) + 2 * gemms.length;
  const block = rt.heap.alloc(words * 4);
  try {
    const wv = rt.heap.f32(w, wCount), f32 = rt.heap.f32(block, words), i32 = rt.heap.i32(block, words);
    let at = 0;
    const table: number[] = [];
    for (const { source, offsets } of gemms) {
      table.push(block + at * 4, offsets.length);
      // per panel and depth step: the offset, then the MR weights
      for (let i = 0; i < source.length; i += IMPLICIT_MR) {
        i32[at++] = offsets[(i / IMPLICIT_MR) % offsets.length]!;
        for (let r = 0; r < IMPLICIT_MR; r++) f32[at++] = wv[source[i + r]!]!;
      }
    }
    at = block + at * 4;
    rt.heap.i32(at, table.length).set(table);
    const shares = rt.parallel(q.flops) ? Math.min(rt.threads, q.n) : 1;
    const base = {
      src, srcImage: l.C * l.H * l.W * 4, C: l.C, H: l.H, W: l.W, s: l.s, pT: l.pT, pL: l.pL, PH: l.PH, PW: l.PW,
      prepBytes: floatsOf(l) * 4, table: at, nph: gemms.length, M: q.M, rows: q.rows, cols: q.cols, dst, dstImage: q.dstImage,
      interleave: q.interleave ? 1 : 0, b0: 0, b1: q.n, dyn: shares > 1 ? WORK_COUNTER : 0,
    };
    rt.dispatch('convImplicit', IMPLICIT_FIELDS, Array.from({ length: shares }, (_, t) => {
      const [prep, phaseBuf] = rt.ensureScratch(t, [floatsOf(l), q.interleave ? gemms.length * q.M * q.rows * q.cols : 1]);
      return [base, { prep: prep!, phaseBuf: phaseBuf! }];
    }));
  } finally {
    rt.heap.free(block);
  }
}

const flopsOf = (p: Conv2dParams) => 2 * p.n * p.outC * p.inC * p.kH * p.kW * p.outH * p.outW;

/** y = conv2d(x, w) (implicitApplies(forward)) */
export function implicitForward(rt: KernelRuntime, x: number, w: number, y: number, p: Conv2dParams): void {
  const K = p.inC * p.kH * p.kW;
  const plan = cached('forward', p, () => {
    const l = forwardLayout(p);
    return { l, gemms: [gemmPlan(p.outC, forwardOffsets(p, l), (m, k) => m * K + k)] };
  });
  runImplicit(rt, x, w, p.outC * K, y, plan, {
    n: p.n, M: p.outC, rows: p.outH, cols: p.outW, dstImage: p.outC * p.outH * p.outW * 4, interleave: false, flops: flopsOf(p),
  });
}

/**
 * dx = the input gradient of a stride-2 conv2d (implicitApplies(backwardInput)): input row
 * ih = 2i + a gets dY row oh from tap kh when 2·oh + kh − pT = ih, so each phase (a, b) of dX is
 * a stride-1 correlation of dY with the taps kh ≡ a + pT, kw ≡ b + pL (mod 2), reading dY row
 * i + (a + pT − kh) / 2 and column j + (b + pL − kw) / 2.
 */
export function implicitBackwardInput(rt: KernelRuntime, dy: number, w: number, dx: number, p: Conv2dParams): void {
  const plan = cached('backwardInput', p, () => phasePlan(p));
  runImplicit(rt, dy, w, p.outC * p.inC * p.kH * p.kW, dx, plan, {
    n: p.n, M: p.inC, rows: p.outH, cols: p.outW, dstImage: p.inC * p.inH * p.inW * 4, interleave: true, flops: flopsOf(p),
  });
}

function phasePlan(p: Conv2dParams): Plan {
  const taps = (phase: number, pad: number, k: number) => {
    const out: Array<[number, number]> = [];
    for (let t = 0; t < k; t++) if ((phase + pad - t) % 2 === 0) out.push([t, (phase + pad - t) / 2]);
    return out;
  };
  const rowTaps = [0, 1].map((a) => taps(a, p.padTop, p.kH)), colTaps = [0, 1].map((b) => taps(b, p.padLeft, p.kW));
  const reach = (all: Array<Array<[number, number]>>) => all.flat().map(([, d]) => d);
  const padT = Math.max(0, -Math.min(...reach(rowTaps))), padL = Math.max(0, -Math.min(...reach(colTaps)));
  const l: Layout = {
    C: p.outC, H: p.outH, W: p.outW, s: 1, pT: padT, pL: padL,
    PH: padT + p.outH + Math.max(0, ...reach(rowTaps)), PW: padL + p.outW + Math.max(0, ...reach(colTaps)),
  };
  const gemms: GemmPlan[] = [];
  for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
    const phaseTaps = rowTaps[a]!.flatMap(([kh, dr]) => colTaps[b]!.map(([kw, dc]) => ({ kh, kw, dr, dc })));
    const offsets: number[] = [], index: number[] = [];
    for (let oc = 0; oc < p.outC; oc++) for (const { kh, kw, dr, dc } of phaseTaps) {
      offsets.push(((oc * l.PH + dr + padT) * l.PW + dc + padL) * 4);
      index.push(((oc * p.inC) * p.kH + kh) * p.kW + kw);
    }
    // weight (c, k) = w[oc][c][kh][kw]: index[k] is its place for c = 0
    gemms.push(gemmPlan(p.inC, offsets, (c, k) => index[k]! + c * p.kH * p.kW));
  }
  return { l, gemms };
}

/** dw = the weight gradient of conv2d (implicitApplies(backwardWeight)); written, not accumulated into */
export function implicitBackwardWeight(rt: KernelRuntime, x: number, dy: number, dw: number, p: Conv2dParams): void {
  const K = p.inC * p.kH * p.kW, Kp = roundUp(K, WG_ROWS), HW = p.outH * p.outW;
  const { l, rows, pixels } = cached('backwardWeight', p, () => {
    const l = forwardLayout(p), offsets = forwardOffsets(p, l);
    // rows past K repeat the last one; their sums are never read
    while (offsets.length < Kp) offsets.push(offsets[K - 1]!);
    const pixels = new Int32Array(HW);
    for (let oh = 0; oh < p.outH; oh++) for (let ow = 0; ow < p.outW; ow++) pixels[oh * p.outW + ow] = (oh * l.PW + ow) * 4;
    return { l, gemms: [], rows: Int32Array.from(offsets), pixels };
  });
  const block = rt.heap.alloc((Kp + HW) * 4);
  try {
    const off = block, pix = block + Kp * 4;
    rt.heap.i32(off, Kp).set(rows!);
    rt.heap.i32(pix, HW).set(pixels!);
    const parallel = rt.parallel(flopsOf(p));
    const shares = parallel ? Math.min(rt.threads, p.n) : 1;
    const base = {
      src: x, srcImage: l.C * l.H * l.W * 4, C: l.C, H: l.H, W: l.W, s: l.s, pT: l.pT, pL: l.pL, PH: l.PH, PW: l.PW,
      prepBytes: floatsOf(l) * 4, off, K: Kp, pix, dy, M: p.outC, HW,
    };
    const partials: number[] = [];
    // a static split: which thread sums which image must not vary from run to run, or the rounding would
    rt.dispatch('convImplicitWeightGrad', IMPLICIT_WEIGHT_GRAD_FIELDS, splitRange(p.n, shares).map(([b0, b1], t) => {
      const [prep, dyT, partial] = rt.ensureScratch(t, [floatsOf(l), HW * p.outC, Kp * p.outC]);
      partials.push(partial!);
      return [base, { b0, b1, prep: prep!, dyT: dyT!, partial: partial! }];
    }));
    // the threads' partials into dW in thread order, output channels split over the threads
    const channelParts = parallel && p.outC >= rt.threads ? splitRange(p.outC, rt.threads) : [[0, p.outC] as [number, number]];
    partials.forEach((partial, t) => {
      rt.dispatch('convTransposeSum', TRANSPOSE_SUM_FIELDS, channelParts.map(([m0, m1]) => [{
        partial, dst: dw, M: p.outC, K, accumulate: t > 0 ? 1 : 0, m0, m1,
      }]));
    });
  } finally {
    rt.heap.free(block);
  }
}
