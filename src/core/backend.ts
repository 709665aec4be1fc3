/**
 * The backend boundary. Ops (src/ops/) validate shapes and dtypes, define every gradient once, and
 * call the kernels below; backends (src/backends/<name>/) implement the kernels and nothing else.
 *
 * The contract has two parts:
 * - `Backend`: the required primitives (memory, data movement, elementwise, reductions, GEMM,
 *   convolution and pooling forward, gather/scatter). A new backend implements these and every op,
 *   gradients included, runs on it.
 * - `Accelerations`: optional fused kernels (gradients of convolution and pooling, softmax, the GM
 *   loss, batch norm, the attack step, the optimizer updates). A backend lists the ones it runs in
 *   `accelerated`; an op calls one only where it is listed and composes the same result from the
 *   primitives everywhere else (src/core/accelerations.ts is the lookup).
 * The runtime facts of the contract (op lists, parameter counts, argument validators) are in
 * kernel-contract.ts, which every backend imports.
 *
 * Rules every backend follows:
 * - Kernels are synchronous from the caller's point of view: they enqueue (WebGPU) or compute
 *   (CPU). Only `read` is asynchronous.
 * - Every kernel that returns a Storage allocates it; inputs are never written, except by the
 *   kernels documented as in-place (`assign`, the optimizer steps).
 * - All sizes and offsets are in elements, not bytes. Shapes passed here are already validated.
 * - Float kernels run in the dtype given; a backend that lacks a dtype (WebGPU has no float64)
 *   throws from `alloc`/`upload` with a message naming the dtype and the backend.
 */
import type { DType, TypedArray } from './dtype.js';

/** An opaque handle to a backend's memory holding `size` elements of `dtype`. */
export interface Storage {
  readonly backend: Backend;
  readonly size: number;
  readonly dtype: DType;
}

/**
 * A strided view of a storage: element (i0, i1, ...) lives at offset + Σ i_k·strides[k].
 * Strides may be 0 (broadcast) or negative (flip).
 */
export interface StridedView {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** An input read through a strided view (used for broadcasting without materialising). */
export interface Operand {
  readonly storage: Storage;
  readonly view: StridedView;
}

export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'rsqrt' | 'square' | 'reciprocal'
  | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'relu' | 'gelu' | 'softplus' | 'floor' | 'isfinite'
  /** y = x > 0 ? x : p0·x */
  | 'leakyRelu'
  /** y = min(max(x, p0), p1) */
  | 'clamp'
  /** y = x ^ p0 */
  | 'powScalar'
  /** y = p0·x + p1 */
  | 'affine'
  /** Φ(x), the standard normal CDF (the exact erf form of GELU is x·Φ(x)) */
  | 'normalCdf';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum'
  /** comparisons return 1 or 0 in the output dtype */
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min' | 'prod' | 'argmax' | 'argmin';

export interface MatmulParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** a is stored [batch][k][m] instead of [batch][m][k] */
  transA: boolean;
  /** b is stored [batch][n][k] instead of [batch][k][n] */
  transB: boolean;
  /** element stride between batches of a (0 broadcasts one matrix over the batch) */
  aBatchStride: number;
  bBatchStride: number;
}

/** NCHW input, weight [outC, inC/groups, kh, kw], output NCHW [n, outC, outH, outW]. */
export interface Conv2dParams {
  n: number; inC: number; inH: number; inW: number;
  outC: number; kH: number; kW: number;
  outH: number; outW: number;
  strideH: number; strideW: number;
  padTop: number; padLeft: number;
  dilationH: number; dilationW: number;
  groups: number;
}

/** NCHW pooling window; padding counts as -inf for max and (optionally) zeros for avg. */
export interface Pool2dParams {
  n: number; c: number; inH: number; inW: number;
  outH: number; outW: number;
  kH: number; kW: number;
  strideH: number; strideW: number;
  padTop: number; padLeft: number;
  /** avg only: divide by the full window (PyTorch count_include_pad=true) or by the valid cells */
  countIncludePad: boolean;
}

export type GMLikelihood = 'true-class' | 'true-class-sq' | 'all-class';

export interface GMLossParams {
  n: number; k: number; d: number;
  /** the classification margin m on the true class: its distance is scaled by 1 + m (training) */
  margin: number;
  lambda: number;
  likelihood: GMLikelihood;
  /** diagonal covariance: logVar [K, D] is present */
  diagonal: boolean;
}

export interface GMForwardResult {
  /** scalar mean loss L = L_cls + λ·L_lkd */
  loss: Storage;
  /** [N, K] logits z_k with the margin applied to the true class (training logits) */
  logits: Storage;
  /** [N] log-sum-exp of each logits row (kept for the backward) */
  logSumExp: Storage;
  /** [N] int32 argmin_k d_k (argmax_k z_k at α = 0 with diagonal covariance) */
  prediction: Storage;
  /** [N] detection score min_k d_k(x) */
  score: Storage;
}

export interface GMBackwardResult {
  dx: Storage;
  dMeans: Storage;
  /** present only for diagonal covariance: gradient with respect to logVar */
  dLogVar?: Storage;
}

/**
 * One fused L∞ attack step on flat storages of `size` elements:
 * out = clamp(min(max(xAdv + alpha·sign(g), x − eps), x + eps), lo, hi). Project first, then clip.
 * alpha is the step size and eps the radius of the L∞ ball (torchattacks' names).
 */
export interface LinfStepParams {
  size: number;
  alpha: number;
  eps: number;
  lo: number;
  hi: number;
}

/**
 * Training-mode batch normalisation of x viewed as [outer, c, inner] (NCHW: outer = N, inner = H·W),
 * per channel over the outer·inner values.
 */
export interface BatchNormParams {
  outer: number;
  c: number;
  inner: number;
  /** added to the variance before the square root */
  varianceEpsilon: number;
}

/**
 * PReLU of x viewed as [outer, c, inner] (NCHW: outer = N, inner = H·W): the slope of channel ch is
 * weight[shared ? 0 : ch].
 */
export interface PreluParams {
  outer: number;
  c: number;
  inner: number;
  shared: boolean;
}

export interface BatchNormForwardResult {
  /** (x − mean)/√(variance + varianceEpsilon) · weight + bias, x's shape */
  out: Storage;
  /** [c] batch mean */
  mean: Storage;
  /** [c] biased batch variance */
  variance: Storage;
}

export interface BatchNormBackwardResult {
  dx: Storage;
  /** [c] Σ dy·x̂ */
  dWeight: Storage;
  /** [c] Σ dy */
  dBias: Storage;
}

export interface BatchNormReluBackwardResult extends BatchNormBackwardResult {
  /** g·[out > 0], the residual's gradient; null when not asked for */
  dResidual: Storage | null;
}

export interface SgdParams {
  lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean;
  /** first step: the momentum buffer is set to the gradient (PyTorch semantics) */
  firstStep: boolean;
}

export interface AdamParams {
  lr: number; beta1: number; beta2: number;
  /** added to the denominator √v̂ */
  epsilon: number;
  weightDecay: number;
  /** AdamW: decoupled weight decay */
  decoupled: boolean;
  /** 1-based step count for the bias correction */
  step: number;
}

export interface MemoryInfo {
  liveBuffers: number;
  liveBytes: number;
  pooledBytes: number;
}

/**
 * A per-channel affine map and ReLU applied to a GEMM's result as it is stored:
 * out = relu?(v·scale[c] + shift[c]). scale and shift are [channels] of the result's dtype, or
 * null for 1 and 0. A bias is a shift; an inference-mode batch norm is a scale and a shift.
 */
export interface GemmEpilogue {
  scale: Storage | null;
  shift: Storage | null;
  relu: boolean;
}

/**
 * The required primitives (22 methods). Shapes passed here are already validated by the op layer;
 * backends validate again (they are called directly by tests and by other backends) and name the
 * kernel in every error.
 */
export interface Backend {
  readonly name: string;
  /** float32 and int32 always; float64 where supported (the CPU reference) */
  supportsDType(dtype: DType): boolean;
  /** the optional fused kernels this backend runs (an empty object: none) */
  readonly accelerated: Accelerations;

  // ---- memory ----
  alloc(size: number, dtype: DType): Storage;
  upload(data: TypedArray): Storage;
  read(s: Storage): Promise<TypedArray>;
  /** CPU-resident backends can read without awaiting; others return undefined */
  readSync(s: Storage): TypedArray | undefined;
  free(s: Storage): void;
  memory(): MemoryInfo;
  /** submit whatever has been recorded (no-op on CPU backends) */
  flush(): void;

  // ---- data movement ----
  fill(size: number, dtype: DType, value: number): Storage;
  /** materialise a strided view as a new contiguous storage of shape view.shape */
  copy(x: Operand): Storage;
  /** in place: write src (read through its view) into dst through dstView; shapes equal */
  assign(dst: Storage, dstView: StridedView, src: Operand): void;
  cast(x: Storage, to: DType): Storage;

  // ---- elementwise ----
  unary(op: UnaryOp, x: Storage, params?: readonly number[]): Storage;
  /** a and b are read through views whose shape is outShape (broadcast dims have stride 0) */
  binary(op: BinaryOp, a: Operand, b: Operand, outShape: readonly number[]): Storage;
  /** cond != 0 ? a : b; all three viewed with shape outShape; output dtype is a's */
  where(cond: Operand, a: Operand, b: Operand, outShape: readonly number[]): Storage;

  // ---- reductions: x viewed as [outer, reduce, inner] → [outer, inner] ----
  /** argmax/argmin return int32 (first index on ties); the others keep x's dtype */
  reduce(op: ReduceOp, x: Storage, outer: number, reduce: number, inner: number): Storage;

  // ---- linear algebra and convolution ----
  /** out [batch, m, n] */
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage;
  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage;

  // ---- pooling ----
  /** returns the output and, per output element, the flat index (h·inW + w) of the first max */
  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage };
  avgPool2d(x: Storage, p: Pool2dParams): Storage;

  // ---- indexing: x viewed as [outer, axis, inner] ----
  /** out[o, j, i] = x[o, index[o, j, i], i]; index is int32 [outer, count, inner] */
  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage;
  /** out = zeros[outer, axis, inner]; out[o, index[o, j, i], i] += src[o, j, i] */
  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage;
}

/**
 * Optional fused kernels. Each computes exactly what src/ops composes from the primitives when the
 * backend does not list it (the composition is the definition; the kernel is a faster way to the
 * same numbers, checked equal on every backend by test/kernels/accelerations.test.ts). A backend
 * that lists one runs it for every dtype it supports. Entries are plain functions: call them
 * without a receiver.
 */
export interface Accelerations {
  /** conv2d with the epilogue over its output channels (ops/fused.ts composes conv2d, batchNorm, relu) */
  readonly conv2dEpilogue?: (x: Storage, w: Storage, p: Conv2dParams, e: GemmEpilogue) => Storage;
  /** matmul with the epilogue over the result's columns (composed: linear, relu) */
  readonly matmulEpilogue?: (a: Storage, b: Storage, p: MatmulParams, e: GemmEpilogue) => Storage;
  /** dx [n, inC, inH, inW] of conv2d given dy (ops/conv-grad.ts composes it as a transposed convolution) */
  readonly conv2dBackwardInput?: (dy: Storage, w: Storage, p: Conv2dParams) => Storage;
  /** dw [outC, inC/groups, kH, kW] of conv2d given x and dy (composed: im2col + GEMM) */
  readonly conv2dBackwardWeight?: (x: Storage, dy: Storage, p: Conv2dParams) => Storage;
  /** dx of maxPool2d: each dy added at its window's argmax (composed: scatterAdd) */
  readonly maxPool2dBackward?: (dy: Storage, argmax: Storage, p: Pool2dParams) => Storage;
  /** dx of avgPool2d (composed: a transposed convolution of dy/divisor with a ones kernel) */
  readonly avgPool2dBackward?: (dy: Storage, p: Pool2dParams) => Storage;
  /** softmax (or log-softmax) over the last axis of x viewed as [outer, inner] */
  readonly softmax?: (x: Storage, outer: number, inner: number, log: boolean) => Storage;
  /** Gaussian-mixture loss forward; logVar only when p.diagonal */
  readonly gmForward?: (x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) => GMForwardResult;
  /** gradients of the mean loss, each scaled by gradLoss (a 1-element storage: the upstream gradient) */
  readonly gmBackward?: (x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage,
    gradLoss: Storage, p: GMLossParams) => GMBackwardResult;
  /** batch normalisation with batch statistics (weight and bias [c], or null for 1 and 0) */
  readonly batchNormForward?: (x: Storage, weight: Storage | null, bias: Storage | null, p: BatchNormParams) => BatchNormForwardResult;
  /** its gradients given dy and the forward's mean and variance */
  readonly batchNormBackward?: (dy: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    p: BatchNormParams) => BatchNormBackwardResult;
  /**
   * relu(batchNorm(x) + residual) with batch statistics (residual x's size, or null for none): a
   * batch norm, an add and a ReLU in one kernel (ops/batch-norm-relu.ts composes them)
   */
  readonly batchNormReluForward?: (x: Storage, residual: Storage | null, weight: Storage | null, bias: Storage | null,
    p: BatchNormParams) => BatchNormForwardResult;
  /**
   * its gradients given g and the forward's out, mean and variance: the batch-norm gradients of
   * g' = g·[out > 0] (ReLU's gradient, +0 where out <= 0 or NaN), and g' itself when residualGrad
   */
  readonly batchNormReluBackward?: (g: Storage, out: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    p: BatchNormParams, residualGrad: boolean) => BatchNormReluBackwardResult;
  /** the L∞ projected-gradient step (LinfStepParams); xAdv, x and g contiguous, same size and dtype */
  readonly linfStep?: (xAdv: Storage, x: Storage, g: Storage, p: LinfStepParams) => Storage;
  /** SGD update, in place on param and momentumBuf */
  readonly sgdStep?: (param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams) => void;
  /** Adam/AdamW update, in place on param, m and v */
  readonly adamStep?: (param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams) => void;
  /** PReLU: x > 0 ? x : slope·x (ops/unary.ts composes relu(x) − slope·relu(−x)) */
  readonly prelu?: (x: Storage, weight: Storage, p: PreluParams) => Storage;
  /** its gradients: dx = g·(x > 0 ? 1 : slope); dWeight[s] = Σ g·min(x, 0) over the values of slope s */
  readonly preluBackward?: (g: Storage, x: Storage, weight: Storage, p: PreluParams) => { dx: Storage; dWeight: Storage };
  /**
   * ReLU's gradient read off its output: g where y > 0, else 0 (+0 also where g is NaN or y is
   * NaN, as PyTorch's threshold_backward); g and y of one size and dtype (ops/unary.ts composes it
   * with where(y > 0, g, 0))
   */
  readonly reluBackward?: (g: Storage, y: Storage) => Storage;
}

export type AccelerationName = keyof Accelerations;

/**
 * A backend whose storages are typed arrays in host memory (the CPU reference). Another backend
 * can hold one as its reference (the WebAssembly backend does): it then allocates through it,
 * reads arrays through it and falls back to its kernels for what it does not run itself.
 */
export interface HostBackend extends Backend {
  /** "wasm.conv2d": the prefix of every error a kernel throws (the owner's name) */
  kernelName(op: string): string;
  /** the live array behind a storage of the owner, checked alive and owned (errors name kernel and what) */
  arrayOf(kernel: string, what: string, s: Storage): TypedArray;
  /** a new storage, counted in memory(), whose array the caller overwrites entirely */
  allocate(kernel: string, size: number, dtype: DType): Storage;
}

/** Where a host backend keeps its arrays (ordinary typed arrays, or a WebAssembly heap). */
export interface HostArrays {
  /** a typed array of exactly `size` elements; its contents need not be zero */
  newArray(dtype: DType, size: number): TypedArray;
  /** called once per storage when it is freed, with the array newArray returned for it */
  release(data: TypedArray, dtype: DType): void;
  /** bytes held for reuse (reported as memory().pooledBytes) */
  pooledBytes(): number;
  /**
   * the bytes a new array of `dtype` may still take here, and that limit in words for the refusal
   * (a store of bounded size, such as a WebAssembly heap); absent or null: no limit of its own
   */
  room?(dtype: DType): { bytes: number; limit: string } | null;
}
