/**
 * The runtime half of the backend contract (the types are in backend.ts): the op lists, how many
 * scalar parameters each unary op takes, the GM likelihoods, the accelerations, the pooling
 * divisor rule, and the argument validators every backend runs before it allocates. One copy for
 * every backend; each passes its own `fail` so errors keep its type and its name ("webgpu.conv2d:").
 */
import type {
  AccelerationName, BatchNormParams, BinaryOp, Conv2dParams, GMLikelihood, GMLossParams, LinfStepParams, MatmulParams,
  Pool2dParams, PreluParams, ReduceOp, Storage, StridedView, UnaryOp,
} from './backend.js';
import type { DType } from './dtype.js';

/** How many scalar parameters each unary op reads (params[0], params[1]). */
export const UNARY_PARAM_COUNT: Readonly<Record<UnaryOp, number>> = {
  neg: 0, abs: 0, sign: 0, exp: 0, log: 0, log1p: 0, sqrt: 0, rsqrt: 0, square: 0, reciprocal: 0,
  sin: 0, cos: 0, tanh: 0, sigmoid: 0, relu: 0, gelu: 0, softplus: 0, floor: 0, isfinite: 0,
  leakyRelu: 1, clamp: 2, powScalar: 1, affine: 2, normalCdf: 0,
};

export const UNARY_OPS = Object.keys(UNARY_PARAM_COUNT) as readonly UnaryOp[];

const BINARY: Readonly<Record<BinaryOp, true>> = {
  add: true, sub: true, mul: true, div: true, pow: true, maximum: true, minimum: true,
  eq: true, ne: true, lt: true, le: true, gt: true, ge: true,
};
export const BINARY_OPS = Object.keys(BINARY) as readonly BinaryOp[];

export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'];

export const GM_LIKELIHOODS: readonly GMLikelihood[] = ['true-class', 'true-class-sq', 'all-class'];

const ACCELERATIONS: Readonly<Record<AccelerationName, true>> = {
  conv2dEpilogue: true, matmulEpilogue: true, conv2dBackwardInput: true, conv2dBackwardWeight: true, maxPool2dBackward: true, avgPool2dBackward: true,
  softmax: true, gmForward: true, gmBackward: true, batchNormForward: true, batchNormBackward: true,
  batchNormReluForward: true, batchNormReluBackward: true,
  linfStep: true, sgdStep: true, adamStep: true, prelu: true, preluBackward: true, reluBackward: true,
};
/** every optional kernel of the contract */
export const ACCELERATION_NAMES = Object.keys(ACCELERATIONS) as readonly AccelerationName[];

/**
 * 1 / (cells counted in each window) per output position of one plane. countIncludePad counts the
 * window clipped to the padded input (PyTorch's default; a ceil-mode window hanging past the
 * padding is clipped there too), otherwise only the real cells.
 */
export function poolInverseDivisors(p: Pool2dParams): Float64Array {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = p;
  const inv = new Float64Array(outH * outW);
  for (let oy = 0; oy < outH; oy++) {
    const hs = oy * strideH - padTop;
    const hCount = p.countIncludePad ? Math.min(hs + kH, inH + padTop) - hs : Math.min(hs + kH, inH) - Math.max(hs, 0);
    for (let ox = 0; ox < outW; ox++) {
      const ws = ox * strideW - padLeft;
      const wCount = p.countIncludePad ? Math.min(ws + kW, inW + padLeft) - ws : Math.min(ws + kW, inW) - Math.max(ws, 0);
      inv[oy * outW + ox] = 1 / (hCount * wCount);
    }
  }
  return inv;
}

/** Throws the backend's error for "kernel: message". */
export type Fail = (kernel: string, message: string) => never;

/** The argument error of the host (CPU-resident) backends. */
export class KernelError extends Error {
  override name = 'KernelError';
}

export const failKernel: Fail = (kernel, message) => {
  throw new KernelError(`${kernel}: ${message}`);
};

const fmt = (a: readonly number[]) => `[${a.join(', ')}]`;

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The validators, bound to one backend's `fail` and float dtypes. Every message names the kernel
 * ("cpu.conv2d"), the argument, what was expected and what was found.
 */
export class KernelChecks {
  constructor(readonly fail: Fail, readonly floatDTypes: readonly DType[]) {}

  size(kernel: string, what: string, s: Storage, expected: number, formula?: string): void {
    if (s.size !== expected) this.fail(kernel, `${what} has ${s.size} elements, expected ${expected}${formula ? ` (${formula})` : ''}`);
  }

  dtype(kernel: string, what: string, s: Storage, dtype: DType): void {
    if (s.dtype !== dtype) this.fail(kernel, `${what} must be ${dtype}, got ${s.dtype}`);
  }

  sameDType(kernel: string, what: string, s: Storage, like: Storage, likeName: string): void {
    if (s.dtype !== like.dtype) this.fail(kernel, `${what} is ${s.dtype} but ${likeName} is ${like.dtype}`);
  }

  float(kernel: string, what: string, s: Storage): void {
    if (!this.floatDTypes.includes(s.dtype)) this.fail(kernel, `${what} must be ${this.floatDTypes.join(' or ')}, got ${s.dtype}`);
  }

  count(kernel: string, what: string, value: number): void {
    if (!Number.isInteger(value) || value < 0) this.fail(kernel, `${what} must be a non-negative integer, got ${value}`);
  }

  positive(kernel: string, what: string, value: number): void {
    if (!Number.isInteger(value) || value < 1) this.fail(kernel, `${what} must be a positive integer, got ${value}`);
  }

  /**
   * A view must have the expected shape and stay inside its storage: the lowest and highest element
   * it can reach (negative strides reach below the offset) both lie in [0, size).
   */
  view(kernel: string, what: string, s: Storage, view: StridedView, shape: readonly number[]): void {
    if (view.shape.length !== shape.length || view.shape.some((d, i) => d !== shape[i])) {
      this.fail(kernel, `${what} view has shape ${fmt(view.shape)}, expected ${fmt(shape)}`);
    }
    if (view.strides.length !== view.shape.length) this.fail(kernel, `${what} view has ${view.strides.length} strides for ${view.shape.length} dimensions`);
    if (view.strides.some((st) => !Number.isInteger(st))) this.fail(kernel, `${what} view strides ${fmt(view.strides)} must be integers`);
    if (sizeOfShape(view.shape) === 0) return;
    let lo = view.offset, hi = view.offset;
    for (let d = 0; d < view.shape.length; d++) {
      const reach = view.strides[d]! * (view.shape[d]! - 1);
      if (reach < 0) lo += reach; else hi += reach;
    }
    if (!Number.isInteger(lo) || lo < 0 || hi >= s.size) {
      this.fail(kernel, `${what} view (shape ${fmt(view.shape)}, strides ${fmt(view.strides)}, offset ${view.offset}) reaches elements ${lo}..${hi} of a storage of ${s.size}`);
    }
  }

  unaryParams(kernel: string, op: UnaryOp, params: readonly number[]): void {
    const wanted = UNARY_PARAM_COUNT[op];
    if (wanted === undefined) this.fail(kernel, `unknown unary op '${op}'`);
    if (params.length < wanted) this.fail(kernel, `needs ${wanted} parameter(s), got ${params.length}`);
  }

  binaryOp(kernel: string, op: BinaryOp): void {
    if (!BINARY[op]) this.fail(kernel, `unknown binary op '${op}'`);
  }

  /** reduce(op, x, outer, reduce, inner) */
  reduce(kernel: string, op: ReduceOp, x: Storage, outer: number, red: number, inner: number): void {
    if (!REDUCE_OPS.includes(op)) this.fail(kernel, `unknown reduction '${op}'`);
    this.count(kernel, 'outer', outer); this.count(kernel, 'reduce', red); this.count(kernel, 'inner', inner);
    this.size(kernel, 'x', x, outer * red * inner, `outer·reduce·inner = ${outer}·${red}·${inner}`);
  }

  matmul(kernel: string, a: Storage, b: Storage, p: MatmulParams): void {
    this.sameDType(kernel, 'b', b, a, 'a');
    for (const [name, v] of [['batch', p.batch], ['m', p.m], ['n', p.n], ['k', p.k], ['aBatchStride', p.aBatchStride], ['bBatchStride', p.bBatchStride]] as const) {
      this.count(kernel, name, v);
    }
    const span = (stride: number, rows: number, cols: number) => (p.batch > 0 && rows * cols > 0 ? (p.batch - 1) * stride + rows * cols : 0);
    const needA = span(p.aBatchStride, p.m, p.k), needB = span(p.bBatchStride, p.k, p.n);
    if (a.size < needA) this.fail(kernel, `a has ${a.size} elements, needs ${needA} (batch ${p.batch}, stride ${p.aBatchStride}, ${p.transA ? `k×m = ${p.k}×${p.m}` : `m×k = ${p.m}×${p.k}`})`);
    if (b.size < needB) this.fail(kernel, `b has ${b.size} elements, needs ${needB} (batch ${p.batch}, stride ${p.bBatchStride}, ${p.transB ? `n×k = ${p.n}×${p.k}` : `k×n = ${p.k}×${p.n}`})`);
  }

  conv(kernel: string, p: Conv2dParams): void {
    for (const key of ['n', 'inC', 'inH', 'inW', 'outC', 'kH', 'kW', 'outH', 'outW', 'padTop', 'padLeft'] as const) this.count(kernel, key, p[key]);
    for (const key of ['strideH', 'strideW', 'dilationH', 'dilationW', 'groups'] as const) this.positive(kernel, key, p[key]);
    if (p.inC % p.groups !== 0 || p.outC % p.groups !== 0) this.fail(kernel, `groups ${p.groups} must divide inC ${p.inC} and outC ${p.outC}`);
  }

  /** a convolution operand: x [n, inC, inH, inW], w [outC, inC/groups, kH, kW] or dy [n, outC, outH, outW] */
  convOperand(kernel: string, role: 'x' | 'w' | 'dy', s: Storage, p: Conv2dParams): void {
    switch (role) {
      case 'x': return this.size(kernel, 'x', s, p.n * p.inC * p.inH * p.inW, `n·inC·inH·inW = ${p.n}·${p.inC}·${p.inH}·${p.inW}`);
      case 'w': return this.size(kernel, 'w', s, p.outC * (p.inC / p.groups) * p.kH * p.kW, `outC·(inC/groups)·kH·kW = ${p.outC}·${p.inC / p.groups}·${p.kH}·${p.kW}`);
      case 'dy': return this.size(kernel, 'dy', s, p.n * p.outC * p.outH * p.outW, `n·outC·outH·outW = ${p.n}·${p.outC}·${p.outH}·${p.outW}`);
    }
  }

  /** conv2d and its gradients: the parameters, two operands of one dtype */
  convCall(kernel: string, p: Conv2dParams, [roleA, a]: ['x' | 'dy', Storage], [roleB, b]: ['w' | 'dy', Storage]): void {
    this.conv(kernel, p);
    this.sameDType(kernel, roleB, b, a, roleA);
    this.convOperand(kernel, roleA, a, p);
    this.convOperand(kernel, roleB, b, p);
  }

  pool(kernel: string, p: Pool2dParams): void {
    for (const key of ['n', 'c', 'inH', 'inW', 'outH', 'outW', 'padTop', 'padLeft'] as const) this.count(kernel, key, p[key]);
    for (const key of ['kH', 'kW', 'strideH', 'strideW'] as const) this.positive(kernel, key, p[key]);
    // every window must hold at least one real cell: the first ends past the top/left padding,
    // the last starts inside the input
    const emptyH = p.outH > 0 && (p.kH <= p.padTop || (p.outH - 1) * p.strideH - p.padTop >= p.inH);
    const emptyW = p.outW > 0 && (p.kW <= p.padLeft || (p.outW - 1) * p.strideW - p.padLeft >= p.inW);
    if (emptyH || emptyW) {
      this.fail(kernel, `a ${p.kH}×${p.kW} window (stride ${p.strideH}×${p.strideW}, padding ${p.padTop}×${p.padLeft}) for a ${p.outH}×${p.outW} output of a ${p.inH}×${p.inW} input covers only padding`);
    }
  }

  poolInput(kernel: string, what: string, s: Storage, p: Pool2dParams): void {
    this.size(kernel, what, s, p.n * p.c * p.inH * p.inW, `n·c·inH·inW = ${p.n}·${p.c}·${p.inH}·${p.inW}`);
  }

  poolOutput(kernel: string, what: string, s: Storage, p: Pool2dParams): void {
    this.size(kernel, what, s, p.n * p.c * p.outH * p.outW, `n·c·outH·outW = ${p.n}·${p.c}·${p.outH}·${p.outW}`);
  }

  /** gather/scatterAdd: the four sizes, x (or the output) [outer, axis, inner], index int32 [outer, count, inner] */
  axisShape(kernel: string, outer: number, axis: number, inner: number, count: number, index: Storage): void {
    this.count(kernel, 'outer', outer); this.count(kernel, 'axis', axis);
    this.count(kernel, 'inner', inner); this.count(kernel, 'count', count);
    this.size(kernel, 'index', index, outer * count * inner, `outer·count·inner = ${outer}·${count}·${inner}`);
    this.dtype(kernel, 'index', index, 'int32');
  }

  /**
   * The GM loss operands' shapes and dtypes: x [n, d] float, means and logVar [k, d] of x's dtype,
   * labels int32 [n], logVar present exactly when p.diagonal. Label values are checked where they
   * are read (hostLabels), or turn the loss NaN (a GPU cannot throw).
   */
  gm(kernel: string, x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams): void {
    for (const [name, v] of [['n', p.n], ['k', p.k], ['d', p.d]] as const) this.count(kernel, name, v);
    if (p.n === 0 || p.k === 0) this.fail(kernel, `needs at least one sample and one class, got n=${p.n}, k=${p.k}`);
    if (!GM_LIKELIHOODS.includes(p.likelihood)) this.fail(kernel, `unknown likelihood '${p.likelihood}'`);
    this.float(kernel, 'x', x);
    this.sameDType(kernel, 'means', means, x, 'x');
    this.size(kernel, 'x', x, p.n * p.d, `n·d = ${p.n}·${p.d}`);
    this.size(kernel, 'means', means, p.k * p.d, `k·d = ${p.k}·${p.d}`);
    this.dtype(kernel, 'labels', labels, 'int32');
    this.size(kernel, 'labels', labels, p.n, 'n');
    if (p.diagonal !== (logVar !== null)) this.fail(kernel, p.diagonal ? 'diagonal covariance needs logVar' : 'logVar given but p.diagonal is false');
    if (logVar) {
      this.sameDType(kernel, 'logVar', logVar, x, 'x');
      this.size(kernel, 'logVar', logVar, p.k * p.d, `k·d = ${p.k}·${p.d}`);
    }
  }

  /** gmBackward's extra operands: logSumExp [n] and gradLoss [1] of x's dtype */
  gmBackwardExtras(kernel: string, x: Storage, logSumExp: Storage, gradLoss: Storage, p: GMLossParams): void {
    this.size(kernel, 'logSumExp', logSumExp, p.n, 'n');
    this.size(kernel, 'gradLoss', gradLoss, 1, 'a scalar');
    this.sameDType(kernel, 'logSumExp', logSumExp, x, 'x');
    this.sameDType(kernel, 'gradLoss', gradLoss, x, 'x');
  }

  /** label values read on the host: each in [0, k) */
  hostLabels(kernel: string, labels: ArrayLike<number>, k: number): void {
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i]!;
      if (!(y >= 0 && y < k)) this.fail(kernel, `label ${y} of sample ${i} is outside [0, ${k})`);
    }
  }

  /** index values read on the host: each in [0, axis) */
  hostIndices(kernel: string, index: ArrayLike<number>, axis: number): void {
    for (let t = 0; t < index.length; t++) {
      const k = index[t]!;
      if (!(k >= 0 && k < axis)) this.fail(kernel, `index[${t}] = ${k} is outside [0, ${axis})`);
    }
  }

  /** max-pool argmax values read on the host: each a cell of the plane */
  hostArgmax(kernel: string, argmax: ArrayLike<number>, p: Pool2dParams): void {
    const plane = p.inH * p.inW;
    for (let i = 0; i < argmax.length; i++) {
      const at = argmax[i]!;
      if (!(at >= 0 && at < plane)) this.fail(kernel, `argmax[${i}] = ${at} is outside the ${p.inH}×${p.inW} plane`);
    }
  }

  /**
   * A batch-norm call: x float [outer·c·inner], `sameSize` arguments like x, `channelArgs` [c] of
   * x's dtype (null: absent).
   */
  batchNorm(kernel: string, x: Storage, channelArgs: Array<[string, Storage | null]>, p: BatchNormParams,
    sameSize: Array<[string, Storage]> = []): void {
    for (const [name, v] of [['outer', p.outer], ['c', p.c], ['inner', p.inner]] as const) this.count(kernel, name, v);
    if (!(p.varianceEpsilon > 0)) this.fail(kernel, `varianceEpsilon must be a positive number, got ${p.varianceEpsilon}`);
    if (p.outer * p.inner === 0) this.fail(kernel, `no values per channel (outer·inner = ${p.outer}·${p.inner})`);
    this.float(kernel, 'x', x);
    this.size(kernel, 'x', x, p.outer * p.c * p.inner, `outer·c·inner = ${p.outer}·${p.c}·${p.inner}`);
    for (const [name, s] of sameSize) { this.sameDType(kernel, name, s, x, 'x'); this.size(kernel, name, s, x.size, 'the size of x'); }
    for (const [name, s] of channelArgs) {
      if (!s) continue;
      this.sameDType(kernel, name, s, x, 'x');
      this.size(kernel, name, s, p.c, 'c');
    }
  }

  /** a PReLU call: x float [outer·c·inner], weight x's dtype [shared ? 1 : c], `sameSize` like x */
  prelu(kernel: string, x: Storage, weight: Storage, p: PreluParams, sameSize: Array<[string, Storage]> = []): void {
    for (const [name, v] of [['outer', p.outer], ['c', p.c], ['inner', p.inner]] as const) this.count(kernel, name, v);
    this.float(kernel, 'x', x);
    this.size(kernel, 'x', x, p.outer * p.c * p.inner, `outer·c·inner = ${p.outer}·${p.c}·${p.inner}`);
    this.sameDType(kernel, 'weight', weight, x, 'x');
    this.size(kernel, 'weight', weight, p.shared ? 1 : p.c, p.shared ? 'one shared slope' : 'a slope per channel, c');
    for (const [name, s] of sameSize) { this.sameDType(kernel, name, s, x, 'x'); this.size(kernel, name, s, x.size, 'the size of x'); }
  }

  /** the step's numbers: finite α ≥ 0, ε ≥ 0 and lo ≤ hi (a NaN here would silently poison the batch) */
  linfStep(kernel: string, p: LinfStepParams, operands: Array<[string, Storage]>): void {
    this.count(kernel, 'size', p.size);
    if (!(p.alpha >= 0 && Number.isFinite(p.alpha))) this.fail(kernel, `alpha must be a finite number >= 0, got ${p.alpha}`);
    if (!(p.eps >= 0)) this.fail(kernel, `eps must be >= 0, got ${p.eps}`);
    if (!(p.lo <= p.hi)) this.fail(kernel, `lo must be <= hi, got lo ${p.lo}, hi ${p.hi}`);
    const first = operands[0]![1];
    for (const [name, s] of operands) {
      this.float(kernel, name, s);
      this.sameDType(kernel, name, s, first, operands[0]![0]);
      this.size(kernel, name, s, p.size, 'size');
    }
  }

  /** optimizer operands: param float, the others its dtype and size, no two the same storage */
  update(kernel: string, param: Storage, others: ReadonlyArray<readonly [string, Storage]>): void {
    this.float(kernel, 'param', param);
    const seen: Array<[string, Storage]> = [['param', param]];
    for (const [name, s] of others) {
      const twin = seen.find(([, t]) => t === s);
      if (twin) this.fail(kernel, `${name} is the same storage as ${twin[0]}`);
      this.sameDType(kernel, name, s, param, 'param');
      this.size(kernel, name, s, param.size, 'the size of param');
      seen.push([name, s]);
    }
  }

  /** reluBackward: float g and y of one size and dtype */
  reluBackward(kernel: string, g: Storage, y: Storage): void {
    this.float(kernel, 'y', y);
    this.sameDType(kernel, 'g', g, y, 'y');
    this.size(kernel, 'g', g, y.size, 'the size of y');
  }

  adamStep(kernel: string, step: number): void {
    if (!(Number.isInteger(step) && step >= 1)) this.fail(kernel, `step must be a positive integer (1-based), got ${step}`);
  }
}
