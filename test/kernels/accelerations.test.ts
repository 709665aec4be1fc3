/**
 * Every accelerated kernel equals its composed version on every device: each op that calls a fused
 * kernel runs twice on the same backend, once as usual and once inside withoutAccelerations (the
 * composition of required primitives written in src/ops, the definition of the fused kernel), and
 * the forward outputs, gradients and updated state must agree (|a − b| <= 1e-4 + 1e-3·|b|; the L∞
 * step, which rounds as the composition does, exactly on CPU-resident devices).
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import type { AccelerationName } from '../../src/core/backend.js';
import { withoutAccelerations } from '../../src/core/accelerations.js';
import { ACCELERATION_NAMES } from '../../src/core/kernel-contract.js';
import { adamStep, sgdStep } from '../../src/ops/optimizer-steps.js';
import { VARIANT_DEVICES, expectClose, openDevice, type Device } from './devices.js';

interface AccelCase {
  label: string;
  /** the accelerations the case runs */
  covers: AccelerationName[];
  /** forward and backward (or the update) synchronously; returns what to compare */
  run(b: Backend): Record<string, Tensor>;
  /** exact on CPU-resident devices */
  exact?: boolean;
}

function inputs(b: Backend, seed: number, ...shapes: number[][]): Tensor[] {
  const gen = new g.Generator(seed);
  return shapes.map((s) => g.randn(s, { generator: gen, backend: b }).requiresGrad_());
}

/** the output and every input's gradient of Σ w∘f(x) */
function withGrads(out: Tensor, xs: Tensor[], prefix = ''): Record<string, Tensor> {
  const w = g.randn(out.shape, { generator: new g.Generator(5), backend: out.backend });
  g.sum(g.mul(out, w)).backward();
  const r: Record<string, Tensor> = { [`${prefix}out`]: out };
  xs.forEach((x, i) => { if (x.grad) r[`${prefix}grad${i}`] = x.grad; });
  return r;
}

const CASES: AccelCase[] = [
  ...[
    { stride: 1, padding: 1, dilation: 1, groups: 1, shape: [2, 3, 7, 6], weight: [4, 3, 3, 3] },
    { stride: 2, padding: 2, dilation: 1, groups: 2, shape: [2, 4, 9, 8], weight: [6, 2, 3, 3] },
    { stride: [2, 3] as [number, number], padding: [3, 0] as [number, number], dilation: [2, 1] as [number, number], groups: 1, shape: [1, 2, 11, 10], weight: [3, 2, 2, 3] },
    { stride: 1, padding: 'same' as const, dilation: 1, groups: 1, shape: [1, 3, 5, 6], weight: [2, 3, 4, 2] },
  ].map((c, i): AccelCase => ({
    label: `conv2d ${JSON.stringify(c)}`, covers: ['conv2dBackwardInput', 'conv2dBackwardWeight'],
    run: (b) => { const [x, w] = inputs(b, 10 + i, c.shape, c.weight); return withGrads(g.conv2d(x!, w!, null, c), [x!, w!]); },
  })),
  ...[
    { shape: [2, 3, 7, 6], weight: [4, 3, 3, 3], options: { padding: 1 }, bias: true, batchNorm: true, relu: true },
    { shape: [2, 4, 9, 8], weight: [6, 2, 3, 3], options: { stride: 2, padding: 1, groups: 2 }, bias: false, batchNorm: true, relu: false },
    { shape: [1, 3, 5, 6], weight: [2, 3, 1, 1], options: {}, bias: true, batchNorm: false, relu: true },
    // both GEMM sides >= 32: the stores of WebGPU's hardware core apply the epilogue
    { shape: [1, 4, 6, 6], weight: [32, 4, 3, 3], options: { padding: 1 }, bias: true, batchNorm: true, relu: true },
  ].map((c, i): AccelCase => ({
    label: `conv2dFused ${JSON.stringify(c)}`, covers: ['conv2dEpilogue'],
    run: (b) => {
      const outC = c.weight[0]!;
      const [x, w, bias, bnWeight, bnBias, mean] = inputs(b, 15 + i, c.shape, c.weight, [outC], [outC], [outC], [outC]);
      const runningVar = g.affine(g.rand([outC], { generator: new g.Generator(16), backend: b }), 1, 0.5);
      const batchNorm = c.batchNorm ? { runningMean: mean!.detach(), runningVar, weight: bnWeight!, bias: bnBias!, varianceEpsilon: 1e-5 } : null;
      const y = g.conv2dFused(x!, w!, { bias: c.bias ? bias! : null, batchNorm, relu: c.relu }, c.options);
      return withGrads(y, [x!, w!, ...(c.bias ? [bias!] : []), ...(c.batchNorm ? [bnWeight!, bnBias!] : [])]);
    },
  })),
  ...[[5, 7, 3], [40, 20, 36]].flatMap(([n, inF, outF]) => [true, false].map((bias): AccelCase => ({
    label: `linearFused ${JSON.stringify({ n, inF, outF, bias })} + relu`, covers: ['matmulEpilogue'],
    run: (b) => {
      const [x, w, bv] = inputs(b, 17, [n!, inF!], [outF!, inF!], [outF!]);
      return withGrads(g.linearFused(x!, w!, { bias: bias ? bv! : null, relu: true }), bias ? [x!, w!, bv!] : [x!, w!]);
    },
  }))),
  ...[{ k: 2, stride: 2, padding: 0 }, { k: 3, stride: 2, padding: 1, ceilMode: true }, { k: 3, stride: 1, padding: 1 }].map((c): AccelCase => ({
    label: `maxPool2d ${JSON.stringify(c)}`, covers: ['maxPool2dBackward'],
    run: (b) => { const [x] = inputs(b, 20, [2, 3, 7, 8]); return withGrads(g.maxPool2d(x!, c.k, c), [x!]); },
  })),
  ...[true, false].flatMap((countIncludePad) => [{ k: 3, stride: 2, padding: 1 }, { k: 2, stride: 2, padding: 1, ceilMode: true }].map((c): AccelCase => ({
    label: `avgPool2d ${JSON.stringify({ ...c, countIncludePad })}`, covers: ['avgPool2dBackward'],
    run: (b) => { const [x] = inputs(b, 21, [2, 3, 7, 8]); return withGrads(g.avgPool2d(x!, c.k, { ...c, countIncludePad }), [x!]); },
  }))),
  ...(['softmax', 'logSoftmax'] as const).flatMap((op) => [[4, 10], [3, 1500]].map((shape): AccelCase => ({
    label: `${op} ${JSON.stringify(shape)}`, covers: ['softmax'],
    run: (b) => { const [x] = inputs(b, 30, shape); return withGrads(g[op](g.mul(x!, 3), -1), [x!]); },
  }))),
  ...(['true-class', 'true-class-sq', 'all-class'] as const).flatMap((likelihood) => [false, true].map((diagonal): AccelCase => ({
    label: `gmLoss ${likelihood}${diagonal ? ' diagonal' : ''}`, covers: ['gmForward', 'gmBackward'],
    run: (b) => {
      const [x, m, v] = inputs(b, 40, [9, 6], [5, 6], [5, 6]);
      const labels = g.tensor(Int32Array.from([0, 4, 2, 2, 1, 3, 0, 4, 1]), { backend: b });
      const r = g.gmLoss(x!, m!, labels, { margin: 0.7, lambda: 0.3, likelihood, logVar: diagonal ? g.mul(v!, 0.3) : null });
      r.loss.backward();
      const out: Record<string, Tensor> = { loss: r.loss, logits: r.logits, prediction: r.prediction, score: r.score, dx: x!.grad!, dMeans: m!.grad! };
      if (diagonal) out.dLogVar = v!.grad!;
      return out;
    },
  }))),
  ...[[4, 3, 5, 5], [16, 8, 6, 6]].map((shape): AccelCase => ({
    label: `batchNorm training ${JSON.stringify(shape)}`, covers: ['batchNormForward', 'batchNormBackward'],
    run: (b) => {
      const [x, w, bias] = inputs(b, 50, shape, [shape[1]!], [shape[1]!]);
      const runningMean = g.zeros([shape[1]!], { backend: b }), runningVar = g.ones([shape[1]!], { backend: b });
      const r = withGrads(g.batchNorm(g.mul(x!, 2), { training: true, weight: w, bias, runningMean, runningVar }), [x!, w!, bias!]);
      return { ...r, runningMean, runningVar };
    },
  })),
  // relu(batchNorm(x) + residual): about half the outputs are 0; running statistics updated as batchNorm's
  ...[[[4, 3, 5, 5], false], [[4, 3, 5, 5], true], [[16, 8, 6, 6], true], [[3, 2, 7], false]].map(([shape, withResidual]): AccelCase => ({
    label: `batchNormRelu training ${JSON.stringify(shape)}${withResidual ? ' + residual' : ''}`, covers: ['batchNormReluForward', 'batchNormReluBackward'],
    run: (b) => {
      const s = shape as number[];
      const [x, w, bias, r] = inputs(b, 52, s, [s[1]!], [s[1]!], s);
      const runningMean = g.zeros([s[1]!], { backend: b }), runningVar = g.ones([s[1]!], { backend: b });
      const residual = withResidual ? r! : null;
      const y = g.batchNormRelu(g.mul(x!, 2), { training: true, weight: w, bias, runningMean, runningVar }, residual);
      return { ...withGrads(y, [x!, w!, bias!, ...(residual ? [residual] : [])]), runningMean, runningVar };
    },
  })),
  // x holds exact zeros (relu'(0) = 0 in both); 4·8·16² values reach the wasm kernel
  ...[[[2, 5, 6, 7], 5], [[2, 5, 6, 7], 1], [[4, 8, 16, 16], 8], [[9, 33], 1]].map(([shape, slopes]): AccelCase => ({
    label: `prelu ${JSON.stringify(shape)}, ${slopes === 1 ? 'one shared slope' : 'a slope per channel'}`, covers: ['prelu', 'preluBackward'],
    run: (b) => {
      const s = shape as number[], gen = new g.Generator(55);
      const x = g.mul(g.randn(s, { generator: gen, backend: b }), g.gt(g.rand(s, { generator: gen, backend: b }), 0.2)).requiresGrad_();
      const w = g.affine(g.rand([slopes as number], { generator: gen, backend: b }), 0.5, -0.1).requiresGrad_();
      return withGrads(g.prelu(x, w), [x, w]);
    },
  })),
  // y = relu(x) holds exact zeros (relu'(0) = 0 in both); 4·8·16² values reach the wasm kernel
  ...[[2, 5, 6, 7], [4, 8, 16, 16]].map((shape): AccelCase => ({
    label: `relu ${JSON.stringify(shape)}`, covers: ['reluBackward'], exact: true,
    run: (b) => {
      const gen = new g.Generator(57);
      const x = g.mul(g.randn(shape, { generator: gen, backend: b }), g.gt(g.rand(shape, { generator: gen, backend: b }), 0.2)).requiresGrad_();
      return withGrads(g.relu(x), [x]);
    },
  })),
  {
    label: 'linfStep (sign(0) = 0, moves outside the ball and the image range)', covers: ['linfStep'], exact: true,
    run: (b) => {
      const gen = new g.Generator(60);
      const x = g.rand([3, 5, 7], { generator: gen, backend: b });
      const xAdv = g.add(x, g.affine(g.rand([3, 5, 7], { generator: gen, backend: b }), 0.8, -0.4));
      const grad = g.mul(g.randn([3, 5, 7], { generator: gen, backend: b }), g.gt(g.rand([3, 5, 7], { generator: gen, backend: b }), 0.33));
      return { out: g.linfStep(xAdv, x, grad, 0.1, 0.25) };
    },
  },
  ...[{ momentum: 0, dampening: 0, nesterov: false }, { momentum: 0.9, dampening: 0.1, nesterov: false }, { momentum: 0.8, dampening: 0, nesterov: true }].flatMap((h) => [300, 5003].map((n): AccelCase => ({
    label: `SGD ${n} ${JSON.stringify(h)}`, covers: ['sgdStep'],
    run: (b) => {
      const [p, buf] = inputs(b, 70, [n], [n]).map((t) => t.detach());
      for (let step = 0; step < 3; step++) sgdStep(p!, inputs(b, 71 + step, [n])[0]!.detach(), buf!, { lr: 0.05, weightDecay: 0.01, ...h, firstStep: step === 0 });
      return { param: p!, buffer: buf! };
    },
  }))),
  ...[false, true].flatMap((decoupled) => [300, 5003].map((n): AccelCase => ({
    label: `${decoupled ? 'AdamW' : 'Adam'} ${n}`, covers: ['adamStep'],
    run: (b) => {
      const [p] = inputs(b, 80, [n]).map((t) => t.detach());
      const m = g.zeros([n], { backend: b }), v = g.zeros([n], { backend: b });
      for (let step = 1; step <= 3; step++) {
        adamStep(p!, inputs(b, 81 + step, [n])[0]!.detach(), m, v, { lr: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1, decoupled, step });
      }
      return { param: p!, m, v };
    },
  }))),
];

async function readAll(r: Record<string, Tensor>): Promise<Record<string, Float64Array>> {
  const out: Record<string, Float64Array> = {};
  for (const [k, t] of Object.entries(r)) out[k] = Float64Array.from(await t.data());
  return out;
}

/** runs a case in a scope; the results share storage with what it computed (a leaf's grad goes with the leaf) */
function runCase(c: AccelCase, b: Backend): Record<string, Tensor> {
  return g.tidy(() => Object.fromEntries(Object.entries(c.run(b)).map(([k, t]) => [k, g.detach(t)])));
}

async function compare(device: Device, b: Backend, c: AccelCase): Promise<void> {
  const fused = await readAll(runCase(c, b));
  const composed = await readAll(withoutAccelerations(() => runCase(c, b)));
  expect(Object.keys(composed).sort()).toEqual(Object.keys(fused).sort());
  for (const [what, want] of Object.entries(composed)) {
    if (c.exact && !device.gpu) expectClose(`${c.label} ${what}`, fused[what]!, want, 0, 0);
    else expectClose(`${c.label} ${what}`, fused[what]!, want, 1e-3, c.exact ? 1e-7 : 1e-4);
  }
}

it('the cases cover every acceleration of the contract', () => {
  expect([...new Set(CASES.flatMap((c) => c.covers))].sort()).toEqual([...ACCELERATION_NAMES].sort());
});

describe.each(VARIANT_DEVICES)('fused kernels equal their compositions on $name', (device) => {
  const get = openDevice(device);

  it(device.gpu ? 'lists every acceleration but PReLU' : 'lists every acceleration but the GEMM epilogues', () => {
    const b = get();
    if (!b) return;
    const unlisted: AccelerationName[] = device.gpu ? ['prelu', 'preluBackward'] : ['conv2dEpilogue', 'matmulEpilogue'];
    const expected = ACCELERATION_NAMES.filter((name) => !unlisted.includes(name));
    expect(Object.keys(b.accelerated).sort()).toEqual([...expected].sort());
  });

  for (const c of CASES) {
    it(c.label, async () => {
      const b = get();
      if (!b) return;
      await compare(device, b, c);
    });
  }
});
