/**
 * One table of every differentiable op, shared by the finite-difference suite (CPU float64) and
 * the cross-backend suite (each backend against the CPU float64 reference).
 * Each spec draws input shapes with fast-check; values come from a seeded generator, pushed away
 * from the op's kinks so central differences are meaningful.
 */
import fc from 'fast-check';
import * as g from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

export interface OpSpec {
  name: string;
  shapes: fc.Arbitrary<number[][]>;
  /** value range of the inputs */
  domain?: [number, number];
  /** points where the op has a kink; inputs stay at least 0.05 away */
  kinks?: number[];
  fn: (...xs: Tensor[]) => Tensor;
  /** relative tolerance of the gradient check (default 1e-6) */
  rtol?: number;
}

const dim = fc.integer({ min: 1, max: 4 });
export const anyShape = fc.array(dim, { minLength: 0, maxLength: 3 });
const nonScalar = fc.array(dim, { minLength: 1, maxLength: 3 });
const one = (s: fc.Arbitrary<number[]>) => s.map((x) => [x]);

/** Two shapes that broadcast: b drops leading dims and/or sets some dims to 1 (or the reverse). */
export const broadcastPair = fc.tuple(nonScalar, fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.integer({ min: 0, max: 2 }), fc.boolean())
  .map(([a, ones, drop, swap]) => {
    const b = a.map((d, i) => (ones[i] ? 1 : d)).slice(Math.min(drop, a.length - 1));
    return swap ? [b, a] : [a, b];
  });

const matmulShapes = fc.record({ b: fc.constantFrom<number[]>([], [2], [1]), b2: fc.constantFrom<number[]>([], [2]), m: dim, k: dim, n: dim })
  .map(({ b, b2, m, k, n }) => [[...b, m, k], [...b2, k, n]]);

interface ConvCase { n: number; c: number; h: number; w: number; oc: number; k: number; stride: number; pad: number; dil: number; groups: number }
const convCase: fc.Arbitrary<ConvCase> = fc.record({
  n: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 3, max: 6 }), w: fc.integer({ min: 3, max: 6 }), ocg: fc.integer({ min: 1, max: 2 }),
  k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }), dil: fc.integer({ min: 1, max: 2 }),
}).map((r) => ({ n: r.n, c: r.cg * r.groups, h: r.h, w: r.w, oc: r.ocg * r.groups, k: r.k, stride: r.stride, pad: r.pad, dil: r.dil, groups: r.groups }))
  .filter((c) => c.h + 2 * c.pad >= c.dil * (c.k - 1) + 1 && c.w + 2 * c.pad >= c.dil * (c.k - 1) + 1);

const poolCase = fc.record({ n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 2, max: 6 }), w: fc.integer({ min: 2, max: 6 }), k: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }) })
  .filter((p) => 2 * p.pad <= p.k && p.h + 2 * p.pad >= p.k && p.w + 2 * p.pad >= p.k);

/** a deterministic int32 index tensor built from a shape (fn is called many times) */
function indexTensor(like: Tensor, shape: number[], mod: number): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return g.tensor(Int32Array.from({ length: size }, (_, i) => (i * 7 + 3) % mod), { shape, backend: like.backend });
}

const convs = new Map<string, ConvCase>();
const pools = new Map<string, { k: number; stride: number; pad: number }>();

export const opSpecs: OpSpec[] = [
  // ---- unary
  { name: 'neg', shapes: one(anyShape), fn: g.neg },
  { name: 'abs', shapes: one(anyShape), kinks: [0], fn: g.abs },
  { name: 'exp', shapes: one(anyShape), fn: g.exp },
  { name: 'log', shapes: one(anyShape), domain: [0.2, 3], fn: g.log },
  { name: 'log1p', shapes: one(anyShape), domain: [-0.5, 3], fn: g.log1p },
  { name: 'sqrt', shapes: one(anyShape), domain: [0.2, 3], fn: g.sqrt },
  { name: 'rsqrt', shapes: one(anyShape), domain: [0.2, 3], fn: g.rsqrt },
  { name: 'square', shapes: one(anyShape), fn: g.square },
  { name: 'reciprocal', shapes: one(anyShape), domain: [0.3, 3], fn: g.reciprocal },
  { name: 'sin', shapes: one(anyShape), fn: g.sin },
  { name: 'cos', shapes: one(anyShape), fn: g.cos },
  { name: 'tanh', shapes: one(anyShape), fn: g.tanh },
  { name: 'sigmoid', shapes: one(anyShape), fn: g.sigmoid },
  { name: 'relu', shapes: one(anyShape), kinks: [0], fn: g.relu },
  { name: 'leakyRelu', shapes: one(anyShape), kinks: [0], fn: (x) => g.leakyRelu(x, 0.2) },
  { name: 'gelu', shapes: one(anyShape), fn: g.gelu },
  { name: 'normalCdf', shapes: one(anyShape), fn: g.normalCdf },
  { name: 'softplus', shapes: one(anyShape), fn: g.softplus },
  { name: 'clamp', shapes: one(anyShape), kinks: [-0.5, 0.5], fn: (x) => g.clamp(x, -0.5, 0.5) },
  { name: 'powScalar', shapes: one(anyShape), domain: [0.2, 2], fn: (x) => g.powScalar(x, 2.5) },
  {
    name: 'prelu', shapes: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map(([n, c, h]) => [[n, c, h], [c]]),
    kinks: [0], fn: (x, w) => g.prelu(x, w),
  },
  // ---- binary (broadcasting)
  { name: 'add', shapes: broadcastPair, fn: g.add },
  { name: 'sub', shapes: broadcastPair, fn: g.sub },
  { name: 'mul', shapes: broadcastPair, fn: g.mul },
  { name: 'div', shapes: broadcastPair, domain: [0.5, 2], fn: g.div },
  { name: 'pow', shapes: broadcastPair, domain: [0.5, 2], fn: g.pow },
  { name: 'maximum', shapes: broadcastPair, fn: g.maximum },
  { name: 'minimum', shapes: broadcastPair, fn: g.minimum },
  { name: 'where', shapes: broadcastPair, kinks: [0], fn: (a, b) => g.where(g.gt(a, 0), a, b) },
  // ---- reductions
  { name: 'sum(all)', shapes: one(anyShape), fn: (x) => g.sum(x) },
  { name: 'sum(axis, keepdim)', shapes: one(nonScalar), fn: (x) => g.sum(x, -1, true) },
  { name: 'sum(non-contiguous axes)', shapes: fc.tuple(dim, dim, dim).map((s) => [s]), fn: (x) => g.sum(x, [0, 2]) },
  { name: 'mean', shapes: one(nonScalar), fn: (x) => g.mean(x, 0) },
  { name: 'max', shapes: one(nonScalar), fn: (x) => g.max(x, -1) },
  { name: 'min', shapes: one(nonScalar), fn: (x) => g.min(x, [0]) },
  { name: 'max(non-contiguous axes)', shapes: fc.tuple(dim, dim, dim, dim).map((s) => [s]), fn: (x) => g.max(x, [0, 2, 3]) },
  { name: 'mean(batch-norm axes)', shapes: fc.tuple(dim, dim, dim, dim).map((s) => [s]), fn: (x) => g.mean(x, [0, 2, 3], true) },
  { name: 'prod', shapes: one(nonScalar), domain: [0.5, 1.5], fn: (x) => g.prod(x, -1) },
  { name: 'var', shapes: fc.tuple(fc.integer({ min: 2, max: 4 }), dim).map((s) => [s]), fn: (x) => g.variance(x, 0) },
  { name: 'std', shapes: fc.tuple(fc.integer({ min: 2, max: 4 }), dim).map((s) => [s]), fn: (x) => g.std(x, 0, true) },
  { name: 'logsumexp', shapes: one(nonScalar), fn: (x) => g.logsumexp(x, -1) },
  { name: 'norm L1', shapes: one(nonScalar), kinks: [0], fn: (x) => g.norm(x, 1, -1) },
  { name: 'norm L2', shapes: one(nonScalar), fn: (x) => g.norm(x, 2) },
  { name: 'norm Linf', shapes: one(nonScalar), kinks: [0], fn: (x) => g.norm(x, Infinity, -1) },
  // ---- shape
  { name: 'reshape', shapes: one(anyShape), fn: (x) => g.reshape(x, [-1]) },
  { name: 'permute', shapes: fc.tuple(dim, dim, dim).map((s) => [s]), fn: (x) => g.permute(x, [2, 0, 1]) },
  { name: 'transpose', shapes: fc.tuple(dim, dim).map((s) => [s]), fn: (x) => g.transpose(x) },
  { name: 'expand', shapes: fc.tuple(dim, dim).map(([a, b]) => [[a, 1, b]]), fn: (x) => g.expand(x, [2, x.shape[0]!, 3, x.shape[2]!]) },
  { name: 'squeeze/unsqueeze', shapes: fc.tuple(dim, dim).map(([a, b]) => [[a, 1, b]]), fn: (x) => g.unsqueeze(g.squeeze(x, 1), 0) },
  { name: 'flatten', shapes: fc.tuple(dim, dim, dim).map((s) => [s]), fn: (x) => g.flatten(x, 1) },
  { name: 'slice with steps', shapes: fc.tuple(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 5 })).map((s) => [s]), fn: (x) => g.slice(x, [{ start: 1 }, { start: 0, step: 2 }]) },
  { name: 'concat', shapes: fc.tuple(dim, dim, dim).map(([a, b, c]) => [[a, b], [a, c]]), fn: (a, b) => g.concat([a, b, a], 1) },
  { name: 'stack', shapes: fc.tuple(dim, dim).map((s) => [s, s]), fn: (a, b) => g.stack([a, b], 1) },
  { name: 'split', shapes: fc.tuple(fc.integer({ min: 2, max: 5 }), dim).map((s) => [s]), fn: (x) => g.mul(g.split(x, 1, 0)[1]!, g.split(x, [1, x.shape[0]! - 1], 0)[0]!) },
  { name: 'pad constant', shapes: fc.tuple(dim, dim, dim).map((s) => [s]), fn: (x) => g.pad(x, [1, 2, 0, 1], 'constant', 0.5) },
  { name: 'pad reflect', shapes: fc.tuple(dim, fc.integer({ min: 3, max: 5 }), fc.integer({ min: 3, max: 5 })).map((s) => [s]), fn: (x) => g.pad(x, [2, 1, 1, 2], 'reflect') },
  { name: 'flip', shapes: fc.tuple(dim, dim).map((s) => [s]), fn: (x) => g.flip(x, [0, 1]) },
  { name: 'gather', shapes: fc.tuple(dim, fc.integer({ min: 2, max: 4 })).map((s) => [s]), fn: (x) => g.gather(x, 1, indexTensor(x, [x.shape[0]!, 3], x.shape[1]!)) },
  { name: 'indexSelect', shapes: fc.tuple(fc.integer({ min: 2, max: 4 }), dim).map((s) => [s]), fn: (x) => g.indexSelect(x, 0, indexTensor(x, [5], x.shape[0]!)) },
  { name: 'scatterAdd', shapes: fc.tuple(dim, fc.integer({ min: 2, max: 4 })).map(([a, b]) => [[a, b], [a, 3]]), fn: (base, src) => g.scatterAdd(base, 1, indexTensor(base, [base.shape[0]!, 3], base.shape[1]!), src) },
  // ---- linear algebra
  { name: 'matmul (batched, broadcast)', shapes: matmulShapes, fn: g.matmul },
  { name: 'matmul (1-D)', shapes: fc.tuple(dim, dim).map(([k, n]) => [[k], [k, n]]), fn: g.matmul },
  { name: 'linear', shapes: fc.tuple(dim, dim, dim).map(([n, i, o]) => [[n, i], [o, i], [o]]), fn: (x, w, b) => g.linear(x, w, b) },
  // ---- nn
  {
    name: 'conv2d', shapes: convCase.map((c) => {
      const shapes = [[c.n, c.c, c.h, c.w], [c.oc, c.c / c.groups, c.k, c.k], [c.oc]];
      convs.set(JSON.stringify(shapes), c);
      return shapes;
    }),
    fn: (x, w, b) => {
      const c = convs.get(JSON.stringify([x.shape, w.shape, b.shape]))!;
      return g.conv2d(x, w, b, { stride: c.stride, padding: c.pad, dilation: c.dil, groups: c.groups });
    },
  },
  { name: "conv2d padding 'same' (even kernel)", shapes: fc.tuple(dim, fc.integer({ min: 2, max: 5 })).map(([c, h]) => [[1, c, h, h + 1], [2, c, 2, 2]]), fn: (x, w) => g.conv2d(x, w, null, { padding: 'same' }) },
  {
    name: 'maxPool2d', shapes: poolCase.map((p) => { const s = [[p.n, p.c, p.h, p.w]]; pools.set(JSON.stringify(s), p); return s; }),
    fn: (x) => { const p = pools.get(JSON.stringify([x.shape]))!; return g.maxPool2d(x, p.k, { stride: p.stride, padding: p.pad }); },
  },
  {
    name: 'avgPool2d', shapes: poolCase.map((p) => { const s = [[p.n, p.c, p.h, p.w]]; pools.set(JSON.stringify(s), p); return s; }),
    fn: (x) => { const p = pools.get(JSON.stringify([x.shape]))!; return g.avgPool2d(x, p.k, { stride: p.stride, padding: p.pad }); },
  },
  { name: 'avgPool2d countIncludePad=false', shapes: fc.tuple(dim, fc.integer({ min: 3, max: 5 })).map(([c, h]) => [[1, c, h, h]]), fn: (x) => g.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }) },
  { name: 'adaptiveAvgPool2d', shapes: fc.tuple(dim, dim).map(([c, h]) => [[2, c, 2 * h, 2 * h]]), fn: (x) => g.adaptiveAvgPool2d(x, [2, 2]) },
  { name: 'softmax', shapes: one(nonScalar), fn: (x) => g.softmax(x, 0) },
  { name: 'logSoftmax', shapes: one(nonScalar), fn: (x) => g.logSoftmax(x, -1) },
  { name: 'crossEntropy', shapes: fc.tuple(dim, fc.integer({ min: 2, max: 5 })).map((s) => [s]), fn: (x) => g.crossEntropy(x, indexTensor(x, [x.shape[0]!], x.shape[1]!)) },
  { name: 'crossEntropy label smoothing, sum', shapes: fc.tuple(dim, fc.integer({ min: 2, max: 5 })).map((s) => [s]), fn: (x) => g.crossEntropy(x, indexTensor(x, [x.shape[0]!], x.shape[1]!), { labelSmoothing: 0.1, reduction: 'sum' }) },
  { name: 'nllLoss none', shapes: fc.tuple(dim, fc.integer({ min: 2, max: 5 })).map((s) => [s]), fn: (x) => g.nllLoss(x, indexTensor(x, [x.shape[0]!], x.shape[1]!), 'none') },
  { name: 'mseLoss', shapes: fc.tuple(dim, dim).map((s) => [s, s]), fn: (a, b) => g.mseLoss(a, b) },
  {
    // normalising by the batch variance cancels digits: central differences are good to ~1e-5 here
    name: 'batchNorm (training)', rtol: 1e-4, shapes: fc.tuple(fc.integer({ min: 2, max: 3 }), dim, dim).map(([n, c, h]) => [[n, c, h, 2], [c], [c]]),
    fn: (x, w, b) => g.batchNorm(x, { training: true, weight: w, bias: b, runningMean: g.zeros([x.shape[1]!], { dtype: x.dtype, backend: x.backend }), runningVar: g.ones([x.shape[1]!], { dtype: x.dtype, backend: x.backend }) }),
  },
  {
    name: 'batchNorm (eval)', shapes: fc.tuple(dim, dim).map(([n, c]) => [[n, c, 2, 2], [c], [c]]),
    fn: (x, w, b) => g.batchNorm(x, { training: false, weight: w, bias: b, runningMean: g.full([x.shape[1]!], 0.1, { dtype: x.dtype, backend: x.backend }), runningVar: g.full([x.shape[1]!], 2, { dtype: x.dtype, backend: x.backend }) }),
  },
  // ResNet's option-A shortcut: every stride-th row and column, zero channels before and after
  ...[[2, 1, 2], [1, 0, 1], [3, 2, 0]].map(([stride, before, after]): OpSpec => ({
    name: `subsamplePadChannels stride ${stride}, pad ${before}/${after}`, shapes: fc.tuple(dim, dim, dim, dim).map((s) => [s]),
    fn: (x) => g.subsamplePadChannels(x, stride!, before!, after!),
  })),
  // relu(batchNorm(x) + residual) (the fused batchNormRelu kernels in training)
  ...[false, true].flatMap((withResidual): OpSpec[] => [true, false].map((training): OpSpec => ({
    name: `batchNormRelu (${training ? 'training' : 'eval'}${withResidual ? ', residual' : ''})`, rtol: 1e-4,
    shapes: fc.tuple(fc.integer({ min: 2, max: 3 }), dim, dim).map(([n, c, h]) => [[n, c, h, 2], [c], [c], ...(withResidual ? [[n, c, h, 2]] : [])]),
    fn: (x, w, b, r) => g.batchNormRelu(x, {
      training, weight: w, bias: b,
      runningMean: g.full([x.shape[1]!], 0.1, { dtype: x.dtype, backend: x.backend }), runningVar: g.full([x.shape[1]!], 2, { dtype: x.dtype, backend: x.backend }),
    }, r ?? null),
  }))),
  // ---- the GM loss (fused kernel), identity and diagonal covariance, the three likelihoods
  ...(['true-class', 'true-class-sq', 'all-class'] as const).flatMap((likelihood): OpSpec[] => [
    {
      name: `gmLoss identity ${likelihood}`, shapes: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 })).map(([n, k, d]) => [[n, d], [k, d]]),
      fn: (x, m) => g.gmLoss(x, m, indexTensor(x, [x.shape[0]!], m.shape[0]!), { margin: 0.7, lambda: 0.3, likelihood }).loss,
    },
    {
      name: `gmLoss diagonal ${likelihood}`, shapes: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 })).map(([n, k, d]) => [[n, d], [k, d], [k, d]]),
      fn: (x, m, v) => g.gmLoss(x, m, indexTensor(x, [x.shape[0]!], m.shape[0]!), { margin: 0.5, lambda: 0.2, likelihood, logVar: g.affine(v, 0.3, 0) }).loss,
    },
  ]),
  { name: 'gmDistances', shapes: fc.tuple(dim, dim, dim).map(([n, k, d]) => [[n, d], [k, d]]), fn: (x, m) => g.gmDistances(x, m) },
];

/** Values for one input: uniform in the domain, pushed at least 0.05 away from kinks. */
export function valuesFor(spec: OpSpec, size: number, seed: number): Float64Array {
  const [lo, hi] = spec.domain ?? [-2, 2];
  const vals = new g.Generator(seed).uniform(size, lo, hi);
  for (let i = 0; i < size; i++) {
    for (const k of spec.kinks ?? []) {
      if (Math.abs(vals[i]! - k) < 0.05) vals[i] = k + (vals[i]! >= k ? 0.05 : -0.05) + (i % 3) * 0.01;
    }
  }
  return vals;
}
