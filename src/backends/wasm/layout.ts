/**
 * Parameter blocks: the TypeScript side writes one block of i32 fields per thread into wasm memory
 * and each thread's driver reads its own. Field names are shared by the code generator (which emits
 * loads at these byte offsets) and the runtime (which fills them), so they cannot drift apart.
 * Addresses are byte offsets in the wasm memory; sizes, strides and ranges are in elements.
 */

export function fields<const N extends readonly string[]>(names: N): { readonly [K in N[number]]: number } {
  const out: Record<string, number> = {};
  names.forEach((n, i) => { out[n] = i * 4; });
  return out as { readonly [K in N[number]]: number };
}

/** C[b] (+)= op(A[b]) · op(B[b]) for b in [b0, b1), rows [m0, m1), columns [n0, n1) */
export const GEMM_FIELDS = fields([
  'a', 'b', 'c', 'm', 'n', 'k',
  // element (i, p) of A is a[i·rsA + p·csA]; element (p, j) of B is b[p·rsB + j·csB]
  'rsA', 'csA', 'rsB', 'csB', 'ldc',
  'batchA', 'batchB', 'batchC',
  'b0', 'b1', 'm0', 'm1', 'n0', 'n1',
  // 1: add into C instead of overwriting it
  'accumulate',
  // work units are (matrix, column chunk of nChunk columns); dyn: address of a shared unit counter
  // that threads draw units from, or 0 for this thread to do all units of its ranges
  'nChunk', 'dyn',
  // per-thread scratch: packed A block, packed B block, one edge tile
  'bufA', 'bufB', 'tile',
] as const);

/**
 * Convolution drivers (NCHW). `lo`/`hi` is a secondary split when the batch is too small to give
 * every thread images: output pixels (forward), weight columns (weight grad), input channels within
 * a group (input grad via col2im). Roles of x, w, y: forward (input, weights, output); weight grad
 * (input, dY, dW: zeroed by the caller and accumulated into); input grad (dY, weights, dX).
 */
export const CONV_FIELDS = fields([
  'x', 'w', 'y', 'n', 'inC', 'inH', 'inW', 'outC', 'kH', 'kW', 'outH', 'outW',
  'sH', 'sW', 'pT', 'pL', 'dH', 'dW', 'groups',
  'b0', 'b1', 'lo', 'hi',
  // address of a shared image counter (dynamic scheduling over images) or 0 (this thread does [b0, b1))
  'dyn',
  // input grad via col2im: pixels per GEMM block (the dCol scratch holds rows × nb floats)
  'nb',
  'bufA', 'bufB', 'tile', 'bufC',
] as const);

/** y[i] = f(x[i]) for i in [lo, hi); p0, p1 are float32 bit patterns (an op's scalar parameters) */
export const UNARY_FIELDS = fields(['x', 'y', 'lo', 'hi', 'p0', 'p1'] as const);

/**
 * y (contiguous, [d0, d1, n]) = f(a, b) with a and b read through strides (elements) along the two
 * outer dimensions and the row; this thread does i0 in [i0lo, i0hi) and row elements [rlo, rhi).
 */
export const BINARY_FIELDS = fields([
  'a', 'b', 'y', 'd1', 'n', 'sa0', 'sa1', 'sar', 'sb0', 'sb1', 'sbr', 'i0lo', 'i0hi', 'rlo', 'rhi',
] as const);

/** NCHW pooling over planes [pl0, pl1); `arg` is the int32 argmax (flat h·inW + w in the plane) */
export const POOL_FIELDS = fields([
  'x', 'y', 'arg', 'inH', 'inW', 'outH', 'outW', 'kH', 'kW', 'sH', 'sW', 'pT', 'pL', 'pl0', 'pl1',
] as const);

/**
 * Average pooling over planes [pl0, pl1): `inv` is a float64 array of 1/divisor per output
 * position; `acc` the thread's float64 scratch plane (inH·inW) for the gradient's sums.
 */
export const AVG_POOL_FIELDS = fields([
  'x', 'y', 'inv', 'acc', 'inH', 'inW', 'outH', 'outW', 'kH', 'kW', 'sH', 'sW', 'pT', 'pL', 'pl0', 'pl1',
] as const);

/**
 * GM loss, squared distances: dist[i, c] = ½ Σ_j (x_ij − μ_cj)²·invVar_cj for rows i in [r0, r1)
 * (x [n, d], means and invVar [k, d], dist [n, k]; invVar is 0 for identity covariance).
 */
export const GM_DISTANCE_FIELDS = fields(['x', 'means', 'invVar', 'dist', 'k', 'd', 'r0', 'r1'] as const);

/**
 * GM loss, gradients from coef [n, k] = ∂L/∂d_ic: dx rows [r0, r1) and, summed over every row,
 * dMeans and dLogVar classes [k0, k1); lvBias [k] is the ½ Σ_i ∂L/∂h_c part of dLogVar.
 * invVar, dLogVar and lvBias are 0 for identity covariance.
 */
export const GM_GRAD_FIELDS = fields([
  'x', 'means', 'invVar', 'coef', 'lvBias', 'dx', 'dMeans', 'dLogVar', 'n', 'k', 'd', 'r0', 'r1', 'k0', 'k1',
] as const);

/**
 * Softmax over rows [o0, o1) of x viewed as [outer, inner]; stats [outer, 2] holds each row's
 * (max, Σ e^{x − max}) for log-softmax, which takes the log in TypeScript and then the shift pass.
 * log: 0 writes the softmax to y, 1 writes only the stats.
 */
export const SOFTMAX_FIELDS = fields(['x', 'y', 'stats', 'inner', 'o0', 'o1', 'log'] as const);

/**
 * Reductions of x viewed as [outer, red, inner] into y [outer, inner]: this thread does outer rows
 * [o0, o1) and inner columns [i0, i1). `acc` is the thread's float64 scratch of i1 − i0 sums.
 */
export const REDUCE_FIELDS = fields(['x', 'y', 'red', 'inner', 'o0', 'o1', 'i0', 'i1', 'acc'] as const);

/**
 * Training batch norm of x viewed as [outer, c, inner], channels [c0, c1) on this thread. Forward:
 * x, w, b (0: none) → y, mean, variance. Backward: dy, x, mean, variance, w → dx, dw, db. eps is a
 * float64 word pair.
 */
export const BATCH_NORM_FIELDS = fields([
  'eps', 'eps_', 'x', 'w', 'b', 'y', 'mean', 'variance', 'dy', 'dw', 'db', 'outer', 'c', 'inner', 'c0', 'c1',
  // the ReLU variants: the residual (forward), the output read for the mask and the residual's gradient (backward); 0: none
  'r', 'o', 'dr',
] as const);

/** y[i] = scale·x[i] + shift for i in [lo, hi), in float64 (scale and shift: float64 word pairs) */
export const AFFINE_FIELDS = fields(['x', 'y', 'lo', 'hi', 'scale', 'scale_', 'shift', 'shift_'] as const);

/**
 * Optimizer updates on elements [lo, hi). Scalars the update computes with in float64 take two
 * words each (the float64's little-endian halves; the kernel reads them as one f64 at the first).
 */
export const SGD_FIELDS = fields([
  'param', 'grad', 'buf', 'lo', 'hi', 'nesterov', 'firstStep',
  'lr', 'lr_', 'momentum', 'momentum_', 'oneMinusDampening', 'oneMinusDampening_', 'weightDecay', 'weightDecay_',
] as const);
export const ADAM_FIELDS = fields([
  'param', 'grad', 'm', 'v', 'lo', 'hi',
  'stepSize', 'stepSize_', 'sqrtCorrection2', 'sqrtCorrection2_', 'decay', 'decay_', 'coupled', 'coupled_',
  'beta1', 'beta1_', 'oneMinusBeta1', 'oneMinusBeta1_', 'beta2', 'beta2_', 'oneMinusBeta2', 'oneMinusBeta2_', 'eps', 'eps_',
] as const);

export const PARAM_BLOCK_BYTES = 256;
