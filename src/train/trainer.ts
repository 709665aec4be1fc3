/**
 * The training loop: epochs of seeded batches, the GM α/λ warm-up ramps, the learning-rate
 * schedule, optional gradient clipping, a finite-ness guard on the loss and gradients, per-epoch
 * evaluation and a report of every number through callbacks (the CLI prints them, tests read them).
 */
import type { Backend } from '../core/backend.js';
import { backward, noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add, eq, mul } from '../ops/binary.js';
import { tensor, zeros } from '../ops/creation.js';
import { stack } from '../ops/shape.js';
import { sum } from '../ops/reduce.js';
import { cast } from '../ops/shape.js';
import { GMHead } from '../nn/gm-head.js';
import type { Classifier } from '../models/classifier.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Schedule } from '../optim/schedules.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Adversary } from './adversarial.js';

export interface HostBatch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

export interface BatchSource {
  /** batches per epoch */
  readonly length: number;
  epoch(e: number): AsyncIterable<HostBatch>;
}

export interface Ramp {
  /** epochs over which α and λ rise to their final values (0: no ramp) */
  epochs: number;
  /** starting fractions of the final values (authors: α from 10 %, λ from 1 %) */
  alphaStart: number;
  lambdaStart: number;
  /** 'epoch': one value per epoch, start + (e/epochs)·(1 − start) at epoch e (the authors' code); 'step' (default): continuous */
  every?: 'epoch' | 'step';
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  lr: number;
  alpha: number | null;
  lambda: number | null;
  seconds: number;
  imagesPerSecond: number;
}

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

export interface TrainLoopOptions {
  model: Classifier;
  optimizer: Optimizer<{ lr: number }>;
  schedule: Schedule;
  train: BatchSource;
  test?: BatchSource;
  /** [C, H, W] of one image */
  imageShape: number[];
  epochs: number;
  /** first epoch to run (resume) */
  startEpoch?: number;
  ramp?: Ramp;
  clipNorm?: number;
  /** adversarial training: every batch is attacked first and the loss is the adversary's */
  adversary?: Adversary;
  backend: Backend;
  onStep?: (s: StepInfo) => void;
  /** called after each epoch's evaluation (save checkpoints here) */
  onEpoch?: (m: EpochMetrics) => Promise<void> | void;
}

/** α and λ for a fractional epoch under the warm-up ramp. */
export function rampedHyper(head: { alphaFinal: number; lambdaFinal: number }, ramp: Ramp | undefined, epoch: number): { alpha: number; lambda: number } {
  if (!ramp || ramp.epochs <= 0 || epoch >= ramp.epochs) return { alpha: head.alphaFinal, lambda: head.lambdaFinal };
  const t = (ramp.every === 'epoch' ? Math.floor(epoch) : epoch) / ramp.epochs;
  return {
    alpha: head.alphaFinal * (ramp.alphaStart + (1 - ramp.alphaStart) * t),
    lambda: head.lambdaFinal * (ramp.lambdaStart + (1 - ramp.lambdaStart) * t),
  };
}

/** Upload a host batch. */
export function batchTensors(b: HostBatch, imageShape: number[], backend: Backend): { x: Tensor; y: Tensor } {
  return {
    x: tensor(b.x, { shape: [b.size, ...imageShape], backend }),
    y: tensor(b.y, { shape: [b.size], backend }),
  };
}

/** Loss and accuracy of the model (eval mode, no margin) over a batch source. */
export async function evaluate(model: Classifier, source: BatchSource, imageShape: number[], backend: Backend, epoch = 0): Promise<{ loss: number; accuracy: number; n: number }> {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0, correct = 0, n = 0;
  try {
    for await (const b of source.epoch(epoch)) {
      const stats = noGrad(() => tidy(() => {
        const { x, y } = batchTensors(b, imageShape, backend);
        const out = model.step(x, y);
        const right = sum(cast(eq(out.prediction, y), 'float32'));
        return stack([mul(out.loss, b.size), right]);
      }));
      const [l, c] = await stats.data();
      stats.dispose();
      lossSum += l!; correct += c!; n += b.size;
    }
  } finally {
    model.train(wasTraining);
  }
  return { loss: lossSum / Math.max(n, 1), accuracy: correct / Math.max(n, 1), n };
}

/** Name the first parameter whose gradient holds NaN or Inf. */
async function firstNonFiniteGradient(model: Classifier): Promise<string | null> {
  for (const [name, p] of model.namedParameters()) {
    if (!p.grad) continue;
    const d = await p.grad.data();
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return `${name} (element ${i} is ${d[i]})`;
  }
  return null;
}

/** One batch's forward and backward (attacked first under adversarial training): [loss, correct, gradient guard]. */
async function trainingStep(model: Classifier, b: HostBatch, o: TrainLoopOptions, at: { epoch: number; step: number }): Promise<Tensor> {
  const { x, y } = batchTensors(b, o.imageShape, o.backend);
  let xAdv: Tensor | null = null;
  try {
    // the attack sees the weights this step updates, after the ramp and learning-rate update
    if (o.adversary) xAdv = await o.adversary.perturb(model, x, y, at);
    return tidy(() => {
      const out = o.adversary && xAdv ? o.adversary.loss(model, x, xAdv, y) : model.step(x, y);
      backward(out.loss);
      // NaN/Inf anywhere in the gradients makes Σ 0·g NaN: one cheap guard per step
      let guard = zeros([], { backend: o.backend });
      for (const p of model.parameters()) if (p.grad) guard = add(guard, sum(mul(p.grad, 0)));
      const right = sum(cast(eq(out.prediction, y), 'float32'));
      return stack([out.loss, right, guard]);
    });
  } finally {
    x.dispose(); y.dispose(); xAdv?.dispose();
  }
}

export async function trainLoop(o: TrainLoopOptions): Promise<EpochMetrics[]> {
  const { model, optimizer, backend } = o;
  const history: EpochMetrics[] = [];
  const head = model.head instanceof GMHead ? model.head : null;
  const finals = head ? { alphaFinal: head.margin, lambdaFinal: head.lambda } : null;
  let globalStep = (o.startEpoch ?? 0) * o.train.length;
  try {
    for (let epoch = o.startEpoch ?? 0; epoch < o.epochs; epoch++) {
      model.train();
      const t0 = performance.now();
      let lossSum = 0, correct = 0, seen = 0, step = 0;
      for await (const b of o.train.epoch(epoch)) {
        const fractional = epoch + step / o.train.length;
        optimizer.setLearningRate(o.schedule(fractional));
        if (head && finals) {
          const ramped = rampedHyper(finals, o.ramp, fractional);
          head.margin = ramped.alpha; head.lambda = ramped.lambda;
        }
        const stats = await trainingStep(model, b, o, { epoch, step });
        const [loss, right, guard] = await stats.data();
        stats.dispose();
        globalStep++;
        if (!Number.isFinite(loss!) || !Number.isFinite(guard!)) {
          const bad = !Number.isFinite(loss!) ? `the loss (${loss})` : `the gradient of ${await firstNonFiniteGradient(model)}`;
          optimizer.zeroGrad();
          throw new TrainingDivergedError(`training diverged at epoch ${epoch + 1}, step ${step + 1} (global step ${globalStep}): ${bad} is not finite. The last good checkpoint is left as it was; try a lower learning rate or gradient clipping (--clip-norm).`);
        }
        if (o.clipNorm) await clipGradNorm(model.parameters(), o.clipNorm);
        optimizer.step();
        optimizer.zeroGrad();
        lossSum += loss! * b.size; correct += right!; seen += b.size; step++;
        const secs = (performance.now() - t0) / 1000;
        o.onStep?.({ epoch, step, steps: o.train.length, loss: loss!, accuracy: right! / b.size, imagesPerSecond: seen / secs });
      }
      const seconds = (performance.now() - t0) / 1000;
      const evalResult = o.test ? await evaluate(model, o.test, o.imageShape, backend) : null;
      const m: EpochMetrics = {
        epoch: epoch + 1,
        trainLoss: lossSum / Math.max(seen, 1),
        trainAccuracy: correct / Math.max(seen, 1),
        testLoss: evalResult?.loss ?? null,
        testAccuracy: evalResult?.accuracy ?? null,
        lr: optimizer.learningRate,
        alpha: head ? head.margin : null,
        lambda: head ? head.lambda : null,
        seconds,
        imagesPerSecond: seen / seconds,
      };
      history.push(m);
      await o.onEpoch?.(m);
    }
  } finally {
    if (head && finals) { head.margin = finals.alphaFinal; head.lambda = finals.lambdaFinal; }
  }
  return history;
}
