/**
 * The backend boundary. Ops (src/ops/) validate shapes and dtypes, define gradients, and call the
 * kernels below; backends (src/backends/<name>/) implement the kernels and nothing else.
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
  /** y = 1 if p0 <= x <= p1 else 0 (gradient masks of clamp) */
  | 'inRange'
  /** gelu'(x) (tanh approximation is NOT used: exact erf form, as PyTorch's default) */
  | 'geluGrad';

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
  alpha: number;
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
  eps: number;
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
  /** (x − mean)/√(variance + eps) · weight + bias, x's shape */
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

export interface SgdParams {
  lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean;
  /** first step: the momentum buffer is set to the gradient (PyTorch semantics) */
  firstStep: boolean;
}

export interface AdamParams {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number;
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

export interface Backend {
  readonly name: string;
  /** float32 and int32 always; float64 where supported (the CPU reference) */
  supportsDType(dtype: DType): boolean;

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

  // ---- linear algebra ----
  /** out [batch, m, n] */
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage;

  // ---- convolution and pooling ----
  conv2d(x: Storage, w: Storage, p: Conv2dParams): Storage;
  conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage;
  conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage;
  /** returns the output and, per output element, the flat index (h·inW + w) of the first max */
  maxPool2d(x: Storage, p: Pool2dParams): { out: Storage; argmax: Storage };
  maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage;
  avgPool2d(x: Storage, p: Pool2dParams): Storage;
  avgPool2dBackward(dy: Storage, p: Pool2dParams): Storage;

  // ---- indexing: x viewed as [outer, axis, inner] ----
  /** out[o, j, i] = x[o, index[o, j, i], i]; index is int32 [outer, count, inner] */
  gather(x: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage;
  /** out = zeros[outer, axis, inner]; out[o, index[o, j, i], i] += src[o, j, i] */
  scatterAdd(src: Storage, index: Storage, outer: number, axis: number, inner: number, count: number): Storage;

  // ---- fused nn ----
  /** softmax (or log-softmax) over the last axis of x viewed as [outer, inner] */
  softmax(x: Storage, outer: number, inner: number, log: boolean): Storage;
  /** Gaussian-mixture loss forward; logVar only when p.diagonal */
  gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams): GMForwardResult;
  /** gradients of the mean loss, each scaled by gradLoss (a 1-element storage: the upstream gradient) */
  gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage,
    gradLoss: Storage, p: GMLossParams): GMBackwardResult;

  /** batch normalisation with batch statistics (weight and bias [c], or null for 1 and 0) */
  batchNormForward(x: Storage, weight: Storage | null, bias: Storage | null, p: BatchNormParams): BatchNormForwardResult;
  /** its gradients given dy and the forward's mean and variance */
  batchNormBackward(dy: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
    p: BatchNormParams): BatchNormBackwardResult;

  // ---- attacks ----
  /** the fused L∞ projected-gradient step (LinfStepParams); xAdv, x and g contiguous, same size and dtype */
  linfStep(xAdv: Storage, x: Storage, g: Storage, p: LinfStepParams): Storage;

  // ---- optimizer updates (in place on param and state) ----
  sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams): void;
  adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void;

  // ---- optional fused kernels: without them the op composes its result from the ones above ----
  /** PReLU: x > 0 ? x : slope·x (float32 storages) */
  prelu?(x: Storage, weight: Storage, p: PreluParams): Storage;
  /** its gradients: dx = g·(x > 0 ? 1 : slope); dWeight[s] = Σ g·min(x, 0) over the values of slope s */
  preluBackward?(g: Storage, x: Storage, weight: Storage, p: PreluParams): { dx: Storage; dWeight: Storage };
}
