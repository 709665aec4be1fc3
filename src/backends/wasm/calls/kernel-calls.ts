/**
 * The wasm kernels on typed arrays: GEMM and convolutions (gemm-conv.ts), and here pooling, a set
 * of elementwise ops, strided copies, reductions, batch norm, the optimizer updates, softmax and
 * the GM loss's distance and gradient passes. Each call is split across the threads and run by the
 * generated drivers (../kernels/).
 */
import type { AdamParams, BatchNormParams, Pool2dParams, SgdParams } from '../../../core/backend.js';
import { poolInverseDivisors as inverseDivisors } from '../../../core/kernel-contract.js';
import { contiguous, planRows, type StridedLike } from '../../common/strided-rows.js';
import {
  ADAM_FIELDS, AFFINE_FIELDS, AVG_POOL_FIELDS, BATCH_NORM_FIELDS, BINARY_FIELDS, REDUCE_FIELDS, SGD_FIELDS, GM_DISTANCE_FIELDS, GM_GRAD_FIELDS, POOL_FIELDS, SOFTMAX_FIELDS, UNARY_FIELDS,
} from '../layout.js';
import { AFFINE_DRIVER, COPY_AS_BINARY, WASM_BINARY, WASM_UNARY, binaryDriverName, unaryDriverName } from '../kernels/elementwise.js';
import { LOG_SOFTMAX_DRIVER, SOFTMAX_DRIVER } from '../kernels/softmax.js';
import { GM_INV_VAR_DRIVER, gmDistancesDriverName, gmGradDriverName } from '../kernels/gm.js';
import { splitRange } from '../partition.js';
import { WASM_REDUCE_OPS, reduceDriverName, type WasmReduceOp } from '../kernels/reduce.js';
import { ADAM_DRIVER, SGD_DRIVER, f64Words } from '../kernels/optim.js';
import { BN_BACKWARD_DRIVER, BN_FORWARD_DRIVER } from '../kernels/batch-norm.js';
import { KernelRuntime, f32Bits, need, type Fields, type RuntimeInit, type WasmKernelOptions } from '../runtime.js';
import { GemmConvCalls } from './gemm-conv.js';

export type { WasmKernelOptions } from '../runtime.js';

/** Every float32 kernel of the wasm backend, on typed arrays (heap-resident ones are used in place). */
export class WasmKernels extends GemmConvCalls {
  private constructor(init: RuntimeInit, opts: WasmKernelOptions) {
    super(init, opts);
  }

  static async create(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
    return new WasmKernels(await KernelRuntime.setup(opts), opts);
  }

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
   * Whether strided operands of this output shape simplify to at most two outer dimensions and a
   * row (what copyInto and binaryInto run; other views are for the caller's own loops).
   */
  static stridedFits(shape: readonly number[], views: readonly StridedLike[]): boolean {
    return planRows(shape, [contiguous(shape), ...views]).outerDims.length <= 2;
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
      this.dispatchBatchNorm(BN_FORWARD_DRIVER, p, { x: X!, w: W, b: B, y: Y!, mean: M!, variance: V!, dy: 0, dw: 0, db: 0, r: 0, o: 0, dr: 0 });
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
      this.dispatchBatchNorm(BN_BACKWARD_DRIVER, p, { x: X!, w: W ?? 0, b: 0, y: DX!, mean: M!, variance: V!, dy: D!, dw: DW!, db: DB!, r: 0, o: 0, dr: 0 });
    });
  }

  /** channels split over the threads (kernels/batch-norm.ts) */
  dispatchBatchNorm(driver: string, p: BatchNormParams, arrays: Fields): void {
    const [eps, eps_] = f64Words(p.varianceEpsilon);
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
        ...words('beta2', p.beta2), ...words('oneMinusBeta2', 1 - p.beta2), ...words('eps', p.epsilon),
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

