/**
 * The GEMM and convolution calls of the wasm kernels on typed arrays, over the runtime
 * (../runtime.ts): the planning of each call (which thread does which images, columns or rows; how
 * big each scratch buffer is) and the parameter blocks of the generated drivers (../kernels/gemm.ts,
 * ../kernels/conv.ts).
 */
import type { Conv2dParams, MatmulParams } from '../../../core/backend.js';
import { CONV_FIELDS, GEMM_FIELDS } from '../layout.js';
import { ConvAlgorithms, chooseImplicit, type ConvPass, type DirectConvOption } from '../conv-algorithm.js';
import { implicitBackwardInput, implicitBackwardWeight, implicitForward } from '../conv-implicit.js';
import { splitRange, splitsEvenly } from '../partition.js';
import { KernelRuntime, WORK_COUNTER, need, roundUp, type Fields, type RuntimeInit, type WasmKernelOptions } from '../runtime.js';
import { winogradBackwardInput, winogradBackwardWeight, winogradForward } from '../winograd.js';

/**
 * matmul and the three convolutions, each split across the threads and run by the generated
 * drivers; a convolution runs the direct algorithm or Winograd, as conv-algorithm.ts chooses
 */
export class GemmConvCalls extends KernelRuntime {
  private readonly backwardInput: 'auto' | 'transposed' | 'col2im';
  private readonly algorithms: ConvAlgorithms;
  private readonly directConv: DirectConvOption;

  protected constructor(init: RuntimeInit, opts: WasmKernelOptions) {
    super(init);
    this.backwardInput = opts.backwardInput ?? 'auto';
    this.algorithms = new ConvAlgorithms(this.simd, opts.convAlgorithm ?? 'auto');
    this.directConv = opts.directConv ?? 'auto';
  }

  private implicit(pass: ConvPass, p: Conv2dParams): boolean {
    return chooseImplicit(pass, p, this.simd, this.directConv);
  }

  // ---------------------------------------------------------------- allocating forms

  /** out[batch, m, n] = op(a) · op(b), MatmulParams as in the Backend interface */
  matmul(a: Float32Array, b: Float32Array, p: MatmulParams): Float32Array {
    const out = this.allocF32(p.batch * p.m * p.n, false);
    this.matmulInto(a, b, out, p);
    return out;
  }

  conv2d(x: Float32Array, w: Float32Array, p: Conv2dParams): Float32Array {
    const out = this.allocF32(p.n * p.outC * p.outH * p.outW, false);
    this.conv2dInto(x, w, out, p);
    return out;
  }

  conv2dBackwardInput(dy: Float32Array, w: Float32Array, p: Conv2dParams): Float32Array {
    const out = this.allocF32(p.n * p.inC * p.inH * p.inW, false);
    this.conv2dBackwardInputInto(dy, w, out, p);
    return out;
  }

  conv2dBackwardWeight(x: Float32Array, dy: Float32Array, p: Conv2dParams): Float32Array {
    const out = this.allocF32(p.outC * (p.inC / p.groups) * p.kH * p.kW, false);
    this.conv2dBackwardWeightInto(x, dy, out, p);
    return out;
  }

  // ---------------------------------------------------------------- kernels writing a given output

  matmulInto(a: Float32Array, b: Float32Array, out: Float32Array, p: MatmulParams): void {
    const { batch, m, n, k } = p;
    const span = (stride: number, size: number) => (batch > 0 ? (batch - 1) * stride + size : 0);
    need('matmul', 'a', a, span(p.aBatchStride, m * k));
    need('matmul', 'b', b, span(p.bBatchStride, k * n));
    this.withOperands('matmul', out, batch * m * n, [a, b], (c, [A, B]) => {
      if (k === 0) this.heap.f32(c, batch * m * n).fill(0);
      else this.gemmPtrs(A!, B!, c, p);
    });
  }

  conv2dInto(x: Float32Array, w: Float32Array, out: Float32Array, p: Conv2dParams): void {
    need('conv2d', 'x', x, p.n * p.inC * p.inH * p.inW);
    need('conv2d', 'w', w, p.outC * (p.inC / p.groups) * p.kH * p.kW);
    const count = p.n * p.outC * p.outH * p.outW;
    this.withOperands('conv2d', out, count, [x, w], (y, [X, W]) => {
      // an empty window (no input channels or a 0×k kernel) sums nothing
      if (p.inC * p.kH * p.kW === 0) { this.heap.f32(y, count).fill(0); return; }
      this.algorithms.run('forward', p, (v) => {
        if (v) winogradForward(this, X!, W!, y, p, v);
        else if (this.implicit('forward', p)) implicitForward(this, X!, W!, y, p);
        else this.convForwardPtrs(X!, W!, y, p);
      });
    });
  }

  conv2dBackwardInputInto(dy: Float32Array, w: Float32Array, out: Float32Array, p: Conv2dParams): void {
    const count = p.n * p.inC * p.inH * p.inW;
    need('conv2dBackwardInput', 'dy', dy, p.n * p.outC * p.outH * p.outW);
    need('conv2dBackwardInput', 'w', w, p.outC * (p.inC / p.groups) * p.kH * p.kW);
    const empty = p.n * p.outC * p.outH * p.outW * p.kH * p.kW === 0;
    if (count === 0 || empty) { this.backwardInputDirect(dy, w, out, p, count, empty); return; }
    this.algorithms.run('backwardInput', p, (v) => {
      if (v) this.withOperands('conv2dBackwardInput', out, count, [dy, w], (dx, [D, W]) => winogradBackwardInput(this, D!, W!, dx, p, v));
      else this.backwardInputDirect(dy, w, out, p, count, empty);
    });
  }

  /** stride 2: implicit phases where they apply; stride 1: a forward convolution with flipped weights; otherwise (or few input channels) a GEMM and col2im */
  private backwardInputDirect(dy: Float32Array, w: Float32Array, out: Float32Array, p: Conv2dParams, count: number, empty: boolean): void {
    if (count > 0 && !empty && this.implicit('backwardInput', p)) {
      this.withOperands('conv2dBackwardInput', out, count, [dy, w], (dx, [D, W]) => implicitBackwardInput(this, D!, W!, dx, p));
      return;
    }
    if (count > 0 && !empty && this.useTransposedForward(p)) {
      // the flipped weights are made here; the forward driver does the rest
      const wt = this.flippedWeights(w, p);
      try {
        const q: Conv2dParams = {
          ...p, inC: p.outC, inH: p.outH, inW: p.outW, outC: p.inC, outH: p.inH, outW: p.inW,
          padTop: p.dilationH * (p.kH - 1) - p.padTop, padLeft: p.dilationW * (p.kW - 1) - p.padLeft,
        };
        this.withOperands('conv2dBackwardInput', out, count, [dy], (dx, [D]) => {
          if (this.implicit('forward', q)) implicitForward(this, D!, wt, dx, q);
          else this.convForwardPtrs(D!, wt, dx, q);
        });
      } finally {
        this.heap.free(wt);
      }
      return;
    }
    this.withOperands('conv2dBackwardInput', out, count, [dy, w], (dx, [D, W]) => {
      if (empty) this.heap.f32(dx, count).fill(0);
      else this.backwardInputCol2im(D!, W!, dx, p);
    });
  }

  conv2dBackwardWeightInto(x: Float32Array, dy: Float32Array, out: Float32Array, p: Conv2dParams): void {
    const count = p.outC * (p.inC / p.groups) * p.kH * p.kW, HW = p.outH * p.outW;
    need('conv2dBackwardWeight', 'x', x, p.n * p.inC * p.inH * p.inW);
    need('conv2dBackwardWeight', 'dy', dy, p.n * p.outC * HW);
    this.withOperands('conv2dBackwardWeight', out, count, [x, dy], (dw, [X, D]) => {
      if (count > 0 && p.n * HW > 0) {
        this.algorithms.run('backwardWeight', p, (v) => (v ? winogradBackwardWeight(this, X!, D!, dw, p, v) : this.backwardWeightDirect(X!, D!, dw, p)));
      } else {
        this.heap.f32(dw, count).fill(0);
      }
    });
  }

  /** dW by packed patches and the GEMM micro-kernel, threads over images (or weight columns) */
  private backwardWeightDirect(X: number, D: number, dw: number, p: Conv2dParams): void {
    if (this.implicit('backwardWeight', p)) { implicitBackwardWeight(this, X, D, dw, p); return; }
    const icg = p.inC / p.groups, ocg = p.outC / p.groups;
    const K = icg * p.kH * p.kW, count = p.outC * K, HW = p.outH * p.outW;
    this.heap.f32(dw, count).fill(0);
    const { mr, nr, kc, mc, nc } = this.shape.gemm;
    let parts: Fields[] = [{}];
    let partials = false;
    if (this.parallel(2 * p.n * ocg * K * HW * p.groups)) {
      const T = this.threads;
      // static split of the images (not drawn from a counter): which thread sums which image
      // must not vary from run to run, or the rounding of dW would
      if (splitsEvenly(p.n, T)) { parts = splitRange(p.n, T).map(([b0, b1]) => ({ b0, b1 })); partials = true; }
      else if (K >= nr * T) parts = splitRange(K, T, nr).map(([lo, hi]) => ({ lo, hi }));
    }
    const bWidth = Math.min(nc, roundUp(K, nr));
    const base = { ...this.convFields(p), x: X, w: D, b0: 0, b1: p.n, lo: 0, hi: K };
    const outputs: number[] = [];
    const blocks = parts.map((part, t) => {
      const sizes = [mc * kc, kc * bWidth, mr * nr];
      if (partials && t > 0) sizes.push(count);
      const [bufA, bufB, tile, partial] = this.ensureScratch(t, sizes);
      let y = dw;
      if (partial !== undefined) { this.heap.f32(partial, count).fill(0); y = partial; }
      outputs.push(y);
      return [base, part, { y, bufA: bufA!, bufB: bufB!, tile: tile! }];
    });
    this.dispatch('convBackwardWeight', CONV_FIELDS, blocks);
    // each thread summed its own images; add the partial sums into thread 0's result
    for (let t = 1; partials && t < outputs.length; t++) this.exports.addIntoF32!(dw, outputs[t]!, count);
  }

  private gemmPtrs(a: number, b: number, c: number, p: MatmulParams): void {
    const { batch, m, n, k } = p;
    const { mr, nr, kc, mc, nc } = this.shape.gemm;
    if (batch > 1 && p.bBatchStride === 0 && !p.transA && p.aBatchStride === m * k) {
      // one B under a stack of row-major A matrices is a single taller GEMM
      this.gemmPtrs(a, b, c, { ...p, batch: 1, m: batch * m, aBatchStride: 0 });
      return;
    }
    const base: Fields = {
      a, b, c, m, n, k,
      rsA: p.transA ? 1 : k, csA: p.transA ? m : 1, rsB: p.transB ? 1 : n, csB: p.transB ? k : 1, ldc: n,
      batchA: p.aBatchStride, batchB: p.bBatchStride, batchC: m * n,
      b0: 0, b1: batch, m0: 0, m1: m, n0: 0, n1: n, accumulate: 0, nChunk: n, dyn: 0,
    };
    let parts: Fields[] = [{}];
    if (this.parallel(2 * batch * m * n * k)) {
      // Threads draw work units from a shared counter: whole matrices when the batch is large
      // enough, else chunks of columns (each chunk packs its part of B and all of A, so chunks
      // stay ≥ 64 wide). Failing both, rows are split statically.
      const T = this.threads;
      const nChunk = Math.max(64, roundUp(Math.ceil(n / (4 * T)), nr));
      if (batch >= 2 * T) parts = new Array(T).fill({ dyn: WORK_COUNTER });
      else if (batch * Math.ceil(n / nChunk) >= T && m <= 4 * n) parts = new Array(T).fill({ dyn: WORK_COUNTER, nChunk });
      else if (m >= mr * T) parts = splitRange(m, T, mr).map(([m0, m1]) => ({ m0, m1 }));
      else if (n >= nr * T) parts = splitRange(n, T, nr).map(([n0, n1]) => ({ n0, n1, nChunk: n1 - n0 }));
    }
    const bWidth = Math.min(nc, roundUp(n, nr));
    const blocks = parts.map((part, t) => {
      const [bufA, bufB, tile] = this.ensureScratch(t, [mc * kc, kc * bWidth, mr * nr]);
      return [base, part, { bufA: bufA!, bufB: bufB!, tile: tile! }];
    });
    this.dispatch('gemm', GEMM_FIELDS, blocks);
  }

  /**
   * Stride 1 can run as a forward convolution (no scatter) whose GEMM has M = input channels per
   * group; col2im's GEMM has M = icg·kH·kW and pays a scatter-add. Few input channels make the
   * former's tiles mostly padding, so it is chosen only when the input has more channels.
   */
  private useTransposedForward(p: Conv2dParams): boolean {
    if (p.strideH !== 1 || p.strideW !== 1 || this.backwardInput === 'col2im') return false;
    if (this.backwardInput === 'transposed') return true;
    return p.inC >= p.outC;
  }

  private convFields(p: Conv2dParams): Fields {
    return {
      n: p.n, inC: p.inC, inH: p.inH, inW: p.inW, outC: p.outC, kH: p.kH, kW: p.kW, outH: p.outH, outW: p.outW,
      sH: p.strideH, sW: p.strideW, pT: p.padTop, pL: p.padLeft, dH: p.dilationH, dW: p.dilationW, groups: p.groups,
      nb: 0, bufC: 0, dyn: 0,
    };
  }

  private convForwardPtrs(x: number, w: number, y: number, p: Conv2dParams): void {
    const { mr, nr, kc } = this.shape.gemm;
    const convNc = this.shape.convNc;
    const icg = p.inC / p.groups, ocg = p.outC / p.groups;
    const K = icg * p.kH * p.kW, HW = p.outH * p.outW;
    let parts: Fields[] = [{}];
    if (this.parallel(2 * p.n * p.outC * K * HW)) {
      const T = this.threads;
      // images drawn from a shared counter; a batch too small for that splits the pixels
      if (p.n >= T) parts = new Array(T).fill({ dyn: WORK_COUNTER });
      else if (HW >= nr * T) parts = splitRange(HW, T, nr).map(([lo, hi]) => ({ lo, hi }));
    }
    const base = { ...this.convFields(p), x, w, y, b0: 0, b1: p.n, lo: 0, hi: HW };
    const blocks = parts.map((part, t) => {
      const [bufA, bufB, tile] = this.ensureScratch(t, [p.groups * roundUp(ocg, mr) * K, kc * Math.min(convNc, roundUp(HW, nr)), mr * nr]);
      return [base, part, { bufA: bufA!, bufB: bufB!, tile: tile! }];
    });
    this.dispatch('convForward', CONV_FIELDS, blocks);
  }

  /**
   * With stride 1 the input gradient is a forward convolution of dY with the weights flipped in
   * space and transposed per group ([inC, outC/groups, kH, kW]), padded by dilation·(k − 1) − pad.
   * Returns a heap block the caller frees.
   */
  private flippedWeights(w: Float32Array, p: Conv2dParams): number {
    const icg = p.inC / p.groups, ocg = p.outC / p.groups, khw = p.kH * p.kW, size = p.outC * icg * khw;
    const wt = this.heap.alloc(size * 4);
    const dst = this.heap.f32(wt, size);
    for (let g = 0; g < p.groups; g++) for (let oc = 0; oc < ocg; oc++) for (let c = 0; c < icg; c++) {
      const from = ((g * ocg + oc) * icg + c) * khw, to = ((g * icg + c) * ocg + oc) * khw;
      for (let i = 0; i < khw; i++) dst[to + khw - 1 - i] = w[from + i]!;
    }
    return wt;
  }

  private backwardInputCol2im(dy: number, w: number, out: number, p: Conv2dParams): void {
    const { mr, nr, kc, mc, nc } = this.shape.gemm;
    const icg = p.inC / p.groups, khw = p.kH * p.kW, HW = p.outH * p.outW;
    let parts: Fields[] = [{}];
    if (this.parallel(2 * p.n * p.outC * icg * khw * HW)) {
      const T = this.threads;
      if (p.n >= T) parts = new Array(T).fill({ dyn: WORK_COUNTER });
      else if (icg >= T) parts = splitRange(icg, T).map(([lo, hi]) => ({ lo, hi }));
    }
    const base = { ...this.convFields(p), x: dy, w, y: out, b0: 0, b1: p.n, lo: 0, hi: icg };
    const blocks = parts.map((part, t) => {
      const lo = part.lo ?? 0, hi = part.hi ?? icg;
      const rows = (hi - lo) * khw;
      const nb = Math.max(1, Math.min(HW, Math.floor(65536 / rows)));
      const [bufA, bufB, tile, bufC] = this.ensureScratch(t, [mc * kc, kc * Math.min(nc, roundUp(nb, nr)), mr * nr, rows * nb]);
      return [base, part, { nb, bufA: bufA!, bufB: bufB!, tile: tile!, bufC: bufC! }];
    });
    this.dispatch('convBackwardInputCol2im', CONV_FIELDS, blocks);
  }
}
