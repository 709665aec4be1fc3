/**
 * The float32 kernels on typed arrays, over the runtime (runtime.ts): the planning of each call
 * (which thread does which images, columns or planes; how big each scratch buffer is) and the
 * parameter blocks of the generated drivers.
 */
import type { Conv2dParams, MatmulParams, Pool2dParams } from '../../core/backend.js';
import { contiguous, planRows, type StridedLike } from '../cpu/strided.js';
import { inverseDivisors } from '../cpu/pool.js';
import {
  ADAM_FIELDS, AFFINE_FIELDS, AVG_POOL_FIELDS, BATCH_NORM_FIELDS, BINARY_FIELDS, CONV_FIELDS, REDUCE_FIELDS, SGD_FIELDS, GEMM_FIELDS, GM_DISTANCE_FIELDS, GM_GRAD_FIELDS, POOL_FIELDS, SOFTMAX_FIELDS, UNARY_FIELDS,
} from './layout.js';
import { AFFINE_DRIVER, COPY_AS_BINARY, WASM_BINARY, WASM_UNARY, binaryDriverName, unaryDriverName } from './kernels/elementwise.js';
import { LOG_SOFTMAX_DRIVER, SOFTMAX_DRIVER } from './kernels/softmax.js';
import { GM_INV_VAR_DRIVER, gmDistancesDriverName, gmGradDriverName } from './kernels/gm.js';
import { splitRange, splitsEvenly } from './partition.js';
import { WASM_REDUCE_OPS, reduceDriverName, type WasmReduceOp } from './kernels/reduce.js';
import { ADAM_DRIVER, SGD_DRIVER, f64Words } from './kernels/optim.js';
import { BN_BACKWARD_DRIVER, BN_FORWARD_DRIVER } from './kernels/batch-norm.js';
import type { AdamParams, BatchNormParams, SgdParams } from '../../core/backend.js';
import { ConvAlgorithms } from './conv-algorithm.js';
import { winogradBackwardInput, winogradBackwardWeight, winogradForward } from './winograd.js';
import { KernelRuntime, WORK_COUNTER, f32Bits, need, roundUp, type Fields, type RuntimeInit, type WasmKernelOptions } from './runtime.js';

export type { WasmKernelOptions } from './runtime.js';

/**
 * The float32 kernels on typed arrays: matmul, the three convolutions, max pooling and a set of
 * elementwise ops. Each call is split across the threads and run by the generated drivers.
 */
export class WasmKernels extends KernelRuntime {
  private readonly backwardInput: 'auto' | 'transposed' | 'col2im';
  private readonly algorithms: ConvAlgorithms;

  private constructor(init: RuntimeInit, opts: WasmKernelOptions) {
    super(init);
    this.backwardInput = opts.backwardInput ?? 'auto';
    this.algorithms = new ConvAlgorithms(this.simd, opts.convAlgorithm ?? 'auto');
  }

  static async create(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
    return new WasmKernels(await KernelRuntime.setup(opts), opts);
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
      this.algorithms.run('forward', p, (v) => (v ? winogradForward(this, X!, W!, y, p, v) : this.convForwardPtrs(X!, W!, y, p)));
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

  /** stride 1: a forward convolution with flipped weights; otherwise (or few input channels) a GEMM and col2im */
  private backwardInputDirect(dy: Float32Array, w: Float32Array, out: Float32Array, p: Conv2dParams, count: number, empty: boolean): void {
    if (count > 0 && !empty && this.useTransposedForward(p)) {
      // the flipped weights are made here; the forward driver does the rest
      const wt = this.flippedWeights(w, p);
      try {
        this.withOperands('conv2dBackwardInput', out, count, [dy], (dx, [D]) => {
          this.convForwardPtrs(D!, wt, dx, {
            ...p, inC: p.outC, inH: p.outH, inW: p.outW, outC: p.inC, outH: p.inH, outW: p.inW,
            padTop: p.dilationH * (p.kH - 1) - p.padTop, padLeft: p.dilationW * (p.kW - 1) - p.padLeft,
          });
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
    const base = { ...this.convFields(p), x: X!, w: D!, b0: 0, b1: p.n, lo: 0, hi: K };
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

  // ---------------------------------------------------------------- plumbing

  // ---------------------------------------------------------------- pooling and elementwise

  /** out, argmax [n, c, outH, outW] (argmax: flat h·inW + w of the first maximum in the plane) */
  maxPool2dInto(x: Float32Array, out: Float32Array, argmax: Int32Array, p: Pool2dParams): void {
    const planes = p.n * p.c, count = planes * p.outH * p.outW;
    need('maxPool2d', 'x', x, planes * p.inH * p.inW);
    this.withOutputs('maxPool2d', [[out, count], [argmax, count]], [x], ([y, arg], [X]) => {
      const base = { ...this.poolFields(p), x: X!, y: y!, arg: arg! };
      const parts = this.parallel(count * p.kH * p.kW * 2) ? splitRange(planes, this.threads) : [[0, planes] as [number, number]];
      this.dispatch('maxPool2d', POOL_FIELDS, parts.map(([pl0, pl1]) => [base, { pl0, pl1 }]));
    });
  }

  /** dx [n, c, inH, inW]: each dy added at its window's argmax */
  maxPool2dBackwardInto(dy: Float32Array, argmax: Int32Array, out: Float32Array, p: Pool2dParams): void {
    const planes = p.n * p.c, outCount = planes * p.outH * p.outW;
    need('maxPool2dBackward', 'dy', dy, outCount);
    need('maxPool2dBackward', 'argmax', argmax, outCount);
    this.withOperands('maxPool2dBackward', out, planes * p.inH * p.inW, [dy, argmax], (dx, [D, A]) => {
      const base = { ...this.poolFields(p), x: D!, y: dx, arg: A! };
      const parts = this.parallel(outCount * 16) ? splitRange(planes, this.threads) : [[0, planes] as [number, number]];
      this.dispatch('maxPool2dBackward', POOL_FIELDS, parts.map(([pl0, pl1]) => [base, { pl0, pl1 }]));
    });
  }

  /** out [n, c, outH, outW]: window means (float64 sums times 1/divisor, rounded once) */
  avgPool2dInto(x: Float32Array, out: Float32Array, p: Pool2dParams): void {
    const planes = p.n * p.c, count = planes * p.outH * p.outW;
    need('avgPool2d', 'x', x, planes * p.inH * p.inW);
    this.withOperands('avgPool2d', out, count, [x], (y, [X]) => {
      this.withInverseDivisors(p, (inv) => {
        const base = { ...this.avgPoolFields(p), x: X!, y, inv, acc: 0 };
        const parts = this.parallel(count * p.kH * p.kW * 2) ? splitRange(planes, this.threads) : [[0, planes] as [number, number]];
        this.dispatch('avgPool2d', AVG_POOL_FIELDS, parts.map(([pl0, pl1]) => [base, { pl0, pl1 }]));
      });
    });
  }

  /** dx [n, c, inH, inW]: every window's dy/divisor summed per input cell in float64, rounded once */
  avgPool2dBackwardInto(dy: Float32Array, out: Float32Array, p: Pool2dParams): void {
    const planes = p.n * p.c, outCount = planes * p.outH * p.outW;
    need('avgPool2dBackward', 'dy', dy, outCount);
    this.withOperands('avgPool2dBackward', out, planes * p.inH * p.inW, [dy], (dx, [D]) => {
      this.withInverseDivisors(p, (inv) => {
        const base = { ...this.avgPoolFields(p), x: D!, y: dx, inv };
        const parts = this.parallel(outCount * p.kH * p.kW * 2) ? splitRange(planes, this.threads) : [[0, planes] as [number, number]];
        this.dispatch('avgPool2dBackward', AVG_POOL_FIELDS, parts.map(([pl0, pl1], t) => {
          const [acc] = this.ensureScratch(t, [2 * p.inH * p.inW]);
          return [base, { pl0, pl1, acc: acc! }];
        }));
      });
    });
  }

  private avgPoolFields(p: Pool2dParams): Fields {
    return {
      inH: p.inH, inW: p.inW, outH: p.outH, outW: p.outW, kH: p.kH, kW: p.kW,
      sH: p.strideH, sW: p.strideW, pT: p.padTop, pL: p.padLeft,
    };
  }

  /** the reference's 1/divisor table, as float64 in the heap for the duration of body */
  private withInverseDivisors(p: Pool2dParams, body: (inv: number) => void): void {
    const table = inverseDivisors(p);
    const inv = this.heap.alloc(Math.max(8, table.byteLength));
    try {
      new Float64Array(this.heap.buffer, inv, table.length).set(table);
      body(inv);
    } finally {
      this.heap.free(inv);
    }
  }

  /** The unary ops with a wasm kernel (others stay with the caller's implementation). */
  static readonly unaryOps: ReadonlySet<string> = new Set(Object.keys(WASM_UNARY));
  static readonly binaryOps: ReadonlySet<string> = new Set(Object.keys(WASM_BINARY));

  /** out[i] = op(x[i], params) for the first out.length elements of x */
  unaryInto(op: string, x: Float32Array, out: Float32Array, params: readonly number[] = []): void {
    const e = WASM_UNARY[op];
    if (!e) throw new Error(`wasm unary: no kernel for '${op}'`);
    if (params.length < e.params) throw new Error(`wasm unary(${op}): needs ${e.params} parameter(s), got ${params.length}`);
    const count = out.length;
    need(`unary(${op})`, 'x', x, count);
    this.withOperands(`unary(${op})`, out, count, [x], (y, [X]) => {
      const base = { x: X!, y, p0: f32Bits(params[0] ?? 0), p1: f32Bits(params[1] ?? 0) };
      const parts = this.parallel(count * 8) ? splitRange(count, this.threads, 16) : [[0, count] as [number, number]];
      this.dispatch(unaryDriverName(op), UNARY_FIELDS, parts.map(([lo, hi]) => [base, { lo, hi }]));
    });
  }

  /** out[i] = scale·x[i] + shift in float64, rounded once (the reference's bits) */
  affineInto(x: Float32Array, out: Float32Array, scale: number, shift: number): void {
    const count = out.length;
    need('unary(affine)', 'x', x, count);
    this.withOperands('unary(affine)', out, count, [x], (y, [X]) => {
      const [sc, sc_] = f64Words(scale), [sh, sh_] = f64Words(shift);
      const base = { x: X!, y, scale: sc, scale_: sc_, shift: sh, shift_: sh_ };
      const parts = this.parallel(count * 8) ? splitRange(count, this.threads, 16) : [[0, count] as [number, number]];
      this.dispatch(AFFINE_DRIVER, AFFINE_FIELDS, parts.map(([lo, hi]) => [base, { lo, hi }]));
    });
  }

  /**
   * out (contiguous, shape) = x read through a strided view (a transpose, a slice, an expand).
   * Returns false, leaving out untouched, where the view does not simplify to two outer dimensions
   * and a row.
   */
  copyInto(out: Float32Array, shape: readonly number[], x: Float32Array, view: StridedLike): boolean {
    return this.binaryInto(COPY_AS_BINARY, out, shape, x, view, x, view);
  }

  /**
   * out (contiguous, outShape) = op(a, b) with a and b read through strided views. Returns false,
   * leaving out untouched, when the views do not simplify to at most two outer dimensions and a row.
   */
  binaryInto(op: string, out: Float32Array, outShape: readonly number[], a: Float32Array, av: StridedLike,
    b: Float32Array, bv: StridedLike): boolean {
    if (!WASM_BINARY[op]) throw new Error(`wasm binary: no kernel for '${op}'`);
    const plan = planRows(outShape, [contiguous(outShape), av, bv]);
    if (plan.outerDims.length > 2) return false;
    const count = out.length;
    if (count === 0) return true;
    const [d0, d1] = [plan.outerDims[0] ?? 1, plan.outerDims[1] ?? 1];
    const [sa0, sa1] = [plan.outerStrides[1]![0] ?? 0, plan.outerStrides[1]![1] ?? 0];
    const [sb0, sb1] = [plan.outerStrides[2]![0] ?? 0, plan.outerStrides[2]![1] ?? 0];
    const n = plan.rowLength;
    this.withOperands(`binary(${op})`, out, count, [a, b], (y, [A, B]) => {
      const base = {
        a: A! + plan.offsets[1]! * 4, b: B! + plan.offsets[2]! * 4, y, d1, n,
        sa0, sa1, sar: plan.rowStrides[1]!, sb0, sb1, sbr: plan.rowStrides[2]!, i0lo: 0, i0hi: d0, rlo: 0, rhi: n,
      };
      let parts: Fields[] = [{}];
      if (this.parallel(count * 8)) {
        const T = this.threads;
        if (d0 >= T) parts = splitRange(d0, T).map(([i0lo, i0hi]) => ({ i0lo, i0hi }));
        else if (n >= 16 * T) parts = splitRange(n, T, 16).map(([rlo, rhi]) => ({ rlo, rhi }));
      }
      this.dispatch(binaryDriverName(op), BINARY_FIELDS, parts.map((part) => [base, part]));
    });
    return true;
  }

  // ---------------------------------------------------------------- reductions and optimizer updates

  static readonly reduceOps: ReadonlySet<string> = new Set(WASM_REDUCE_OPS);

  /**
   * out [outer, inner] = op over the middle axis of x viewed as [outer, red, inner] (red ≥ 1 for
   * max and min). Threads split the outer rows, or the inner columns when there are few rows.
   */
  reduceInto(op: WasmReduceOp, x: Float32Array, out: Float32Array, outer: number, red: number, inner: number): void {
    if (red === 0 && op !== 'sum') throw new RangeError(`wasm reduce(${op}): cannot reduce an empty axis`);
    const count = outer * inner;
    need(`reduce(${op})`, 'x', x, count * red);
    this.withOperands(`reduce(${op})`, out, count, [x], (y, [X]) => {
      const whole = { o0: 0, o1: outer, i0: 0, i1: inner };
      let parts = [whole];
      if (this.parallel(count * red * 8)) {
        const T = this.threads;
        if (outer >= T) parts = splitRange(outer, T).map(([o0, o1]) => ({ ...whole, o0, o1 }));
        else if (inner >= 16 * T) parts = splitRange(inner, T, 4).map(([i0, i1]) => ({ ...whole, i0, i1 }));
      }
      const base = { x: X!, y, red, inner };
      this.dispatch(reduceDriverName(op), REDUCE_FIELDS, parts.map((part, t) => {
        // the float64 accumulator row of a slab sum
        const acc = inner > 1 && op === 'sum' ? this.ensureScratch(t, [2 * (part.i1 - part.i0)])[0]! : 0;
        return [base, part, { acc }];
      }));
    });
  }

  /** Training batch norm (BatchNormParams): y, and the per-channel mean and biased variance */
  batchNormForwardInto(x: Float32Array, w: Float32Array | null, b: Float32Array | null, y: Float32Array,
    mean: Float32Array, variance: Float32Array, p: BatchNormParams): void {
    const count = p.outer * p.c * p.inner;
    need('batchNormForward', 'x', x, count);
    for (const [name, a] of [['weight', w], ['bias', b]] as const) if (a) need('batchNormForward', name, a, p.c);
    const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
    this.withOutputs('batchNormForward', [[y, count], [mean, p.c], [variance, p.c]], inputs, ([Y, M, V], [X, ...rest]) => {
      const W = w ? rest.shift()! : 0, B = b ? rest.shift()! : 0;
      this.dispatchBatchNorm(BN_FORWARD_DRIVER, p, { x: X!, w: W, b: B, y: Y!, mean: M!, variance: V!, dy: 0, dw: 0, db: 0 });
    });
  }

  /** Its gradients: dx, and dWeight = Σ dy·x̂, dBias = Σ dy per channel */
  batchNormBackwardInto(dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array, w: Float32Array | null,
    dx: Float32Array, dWeight: Float32Array, dBias: Float32Array, p: BatchNormParams): void {
    const count = p.outer * p.c * p.inner;
    need('batchNormBackward', 'dy', dy, count);
    need('batchNormBackward', 'x', x, count);
    for (const [name, a] of [['mean', mean], ['variance', variance], ['weight', w]] as const) if (a) need('batchNormBackward', name, a, p.c);
    const inputs = [dy, x, mean, variance, ...(w ? [w] : [])];
    this.withOutputs('batchNormBackward', [[dx, count], [dWeight, p.c], [dBias, p.c]], inputs, ([DX, DW, DB], [D, X, M, V, W]) => {
      this.dispatchBatchNorm(BN_BACKWARD_DRIVER, p, { x: X!, w: W ?? 0, b: 0, y: DX!, mean: M!, variance: V!, dy: D!, dw: DW!, db: DB! });
    });
  }

  private dispatchBatchNorm(driver: string, p: BatchNormParams, arrays: Fields): void {
    const [eps, eps_] = f64Words(p.eps);
    const base = { ...arrays, outer: p.outer, c: p.c, inner: p.inner, eps, eps_ };
    const parts = this.parallel(p.outer * p.c * p.inner * 8) ? splitRange(p.c, this.threads) : [[0, p.c] as [number, number]];
    this.dispatch(driver, BATCH_NORM_FIELDS, parts.map(([c0, c1]) => [base, { c0, c1 }]));
  }

  /** SgdParams as in the Backend interface; param and buf updated in place (float64 arithmetic) */
  sgdStepInto(param: Float32Array, grad: Float32Array, buf: Float32Array | null, p: SgdParams): void {
    const n = param.length;
    need('sgdStep', 'grad', grad, n);
    if (buf) need('sgdStep', 'momentumBuf', buf, n);
    if (n === 0) return;
    const useBuf = buf !== null && p.momentum !== 0;
    this.withInPlace(useBuf ? [param, grad, buf] : [param, grad], ([P, G, B]) => {
      const [lr, lr_] = f64Words(p.lr), [momentum, momentum_] = f64Words(p.momentum);
      const [oneMinusDampening, oneMinusDampening_] = f64Words(1 - p.dampening), [weightDecay, weightDecay_] = f64Words(p.weightDecay);
      const base = {
        param: P!, grad: G!, buf: B ?? 0, nesterov: p.nesterov ? 1 : 0, firstStep: p.firstStep ? 1 : 0,
        lr, lr_, momentum, momentum_, oneMinusDampening, oneMinusDampening_, weightDecay, weightDecay_,
      };
      const parts = this.parallel(n * 16) ? splitRange(n, this.threads, 16) : [[0, n] as [number, number]];
      this.dispatch(SGD_DRIVER, SGD_FIELDS, parts.map(([lo, hi]) => [base, { lo, hi }]));
    });
  }

  /** AdamParams as in the Backend interface; param, m and v updated in place (float64 arithmetic) */
  adamStepInto(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, p: AdamParams): void {
    const n = param.length;
    for (const [name, a] of [['grad', grad], ['m', m], ['v', v]] as const) need('adamStep', name, a, n);
    if (n === 0) return;
    this.withInPlace([param, grad, m, v], ([P, G, M, V]) => {
      const words = (name: string, value: number) => { const [lo, hi] = f64Words(value); return { [name]: lo, [`${name}_`]: hi }; };
      const base = {
        param: P!, grad: G!, m: M!, v: V!,
        ...words('stepSize', p.lr / (1 - p.beta1 ** p.step)), ...words('sqrtCorrection2', Math.sqrt(1 - p.beta2 ** p.step)),
        ...words('decay', p.decoupled ? 1 - p.lr * p.weightDecay : 1), ...words('coupled', p.decoupled ? 0 : p.weightDecay),
        ...words('beta1', p.beta1), ...words('oneMinusBeta1', 1 - p.beta1),
        ...words('beta2', p.beta2), ...words('oneMinusBeta2', 1 - p.beta2), ...words('eps', p.eps),
      };
      const parts = this.parallel(n * 32) ? splitRange(n, this.threads, 16) : [[0, n] as [number, number]];
      this.dispatch(ADAM_DRIVER, ADAM_FIELDS, parts.map(([lo, hi]) => [base, { lo, hi }]));
    });
  }

  // ---------------------------------------------------------------- softmax

  /**
   * Softmax (or log-softmax) over the rows of x viewed as [outer, inner], threads splitting the
   * rows. Log-softmax runs two passes with the row sums' logs taken here in between (wasm has no log).
   */
  softmaxInto(x: Float32Array, out: Float32Array, outer: number, inner: number, log: boolean): void {
    const name = log ? 'logSoftmax' : 'softmax', count = outer * inner;
    need(name, 'x', x, count);
    this.withOperands(name, out, count, [x], (y, [X]) => {
      const stats = log ? this.heap.alloc(outer * 8) : 0;
      try {
        const base = { x: X!, y, stats, inner, o0: 0, o1: outer, log: log ? 1 : 0 };
        const parts = this.parallel(count * 24) ? splitRange(outer, this.threads) : [[0, outer] as [number, number]];
        const blocks = parts.map(([o0, o1]) => [base, { o0, o1 }]);
        this.dispatch(SOFTMAX_DRIVER, SOFTMAX_FIELDS, blocks);
        if (!log) return;
        // (max, Σ) → (max, log Σ)
        const s = this.heap.f32(stats, 2 * outer);
        for (let o = 1; o < 2 * outer; o += 2) s[o] = Math.log(s[o]!);
        this.dispatch(LOG_SOFTMAX_DRIVER, SOFTMAX_FIELDS, blocks);
      } finally {
        if (stats) this.heap.free(stats);
      }
    });
  }

  // ---------------------------------------------------------------- GM loss (gm-loss.ts does the rest)

  /** out = e^{−logVar} elementwise in float32 (kernels/exp.ts: within 2 ulp, saturating near 1e±38) */
  gmInvVarInto(logVar: Float32Array, out: Float32Array): void {
    const count = out.length;
    need('gmInvVar', 'logVar', logVar, count);
    this.withOperands('gmInvVar', out, count, [logVar], (y, [X]) => {
      const base = { x: X!, y, p0: 0, p1: 0 };
      const parts = this.parallel(count * 32) ? splitRange(count, this.threads, 16) : [[0, count] as [number, number]];
      this.dispatch(GM_INV_VAR_DRIVER, UNARY_FIELDS, parts.map(([lo, hi]) => [base, { lo, hi }]));
    });
  }

  /**
   * dist [n, k] = ½ Σ_j (x_ij − μ_cj)²·invVar_cj for x [n, d], means and invVar [k, d]; invVar null
   * is identity covariance. Threads split the rows (in blocks of the kernel's four rows).
   */
  gmDistancesInto(x: Float32Array, means: Float32Array, invVar: Float32Array | null, dist: Float32Array,
    n: number, k: number, d: number): void {
    need('gmDistances', 'x', x, n * d);
    need('gmDistances', 'means', means, k * d);
    if (invVar) need('gmDistances', 'invVar', invVar, k * d);
    const inputs = invVar ? [x, means, invVar] : [x, means];
    this.withOperands('gmDistances', dist, n * k, inputs, (y, [X, M, V]) => {
      const base = { x: X!, means: M!, invVar: V ?? 0, dist: y, k, d, r0: 0, r1: n };
      const parts = this.parallel(4 * n * k * d) ? splitRange(n, this.threads, 4) : [[0, n] as [number, number]];
      this.dispatch(gmDistancesDriverName(invVar ? 'diagonal' : 'identity'), GM_DISTANCE_FIELDS,
        parts.map(([r0, r1]) => [base, { r0, r1 }]));
    });
  }

  /**
   * The GM loss gradients given coef [n, k] = ∂L/∂d_ic (d_ic the distance of gmDistancesInto):
   *   dx_i = Σ_c coef_ic·(x_i − μ_c)·invVar_c,   dMeans_c = −Σ_i coef_ic·(x_i − μ_c)·invVar_c,
   *   dLogVar_c = lvBias_c − ½ Σ_i coef_ic·(x_i − μ_c)²·invVar_c   (diagonal covariance only).
   * Each thread does dx for a range of rows and dMeans/dLogVar for a range of classes, so every
   * sum runs in one order whatever the thread count.
   */
  gmGradInto(x: Float32Array, means: Float32Array, invVar: Float32Array | null, coef: Float32Array,
    lvBias: Float32Array | null, dx: Float32Array, dMeans: Float32Array, dLogVar: Float32Array | null,
    n: number, k: number, d: number): void {
    const diagonal = invVar !== null;
    if (diagonal !== (lvBias !== null) || diagonal !== (dLogVar !== null)) {
      throw new Error('wasm gmGrad: invVar, lvBias and dLogVar go together (diagonal covariance) or are all null');
    }
    need('gmGrad', 'x', x, n * d);
    need('gmGrad', 'means', means, k * d);
    need('gmGrad', 'coef', coef, n * k);
    if (invVar) { need('gmGrad', 'invVar', invVar, k * d); need('gmGrad', 'lvBias', lvBias!, k); }
    const outputs: Array<[Float32Array, number]> = [[dx, n * d], [dMeans, k * d]];
    if (dLogVar) outputs.push([dLogVar, k * d]);
    const inputs = invVar ? [x, means, coef, invVar, lvBias!] : [x, means, coef];
    this.withOutputs('gmGrad', outputs, inputs, ([DX, DM, DLV], [X, M, C, V, B]) => {
      const base = {
        x: X!, means: M!, invVar: V ?? 0, coef: C!, lvBias: B ?? 0, dx: DX!, dMeans: DM!, dLogVar: DLV ?? 0,
        n, k, d, r0: 0, r1: n, k0: 0, k1: k,
      };
      let parts: Fields[] = [{}];
      if (this.parallel(10 * n * k * d)) {
        const rows = splitRange(n, this.threads, 4), classes = splitRange(k, this.threads);
        // an empty range ([0, 0)) where one split has fewer parts than the other
        parts = Array.from({ length: Math.max(rows.length, classes.length) }, (_, t) => {
          const [r0, r1] = rows[t] ?? [0, 0], [k0, k1] = classes[t] ?? [0, 0];
          return { r0, r1, k0, k1 };
        });
      }
      this.dispatch(gmGradDriverName(diagonal ? 'diagonal' : 'identity'), GM_GRAD_FIELDS, parts.map((part) => [base, part]));
    });
  }

  private poolFields(p: Pool2dParams): Fields {
    return {
      inH: p.inH, inW: p.inW, outH: p.outH, outW: p.outW, kH: p.kH, kW: p.kW,
      sH: p.strideH, sW: p.strideW, pT: p.padTop, pL: p.padLeft,
    };
  }

}

