/**
 * A training run in Node: backend, data, model, optimizer, the loop, checkpoints every epoch
 * (atomic), metrics.json, resume. The CLI and the demo call this.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '../init.js';
import { defaultGenerator } from '../core/random.js';
import { DataLoader } from '../data/dataloader.js';
import { stratifiedSlice, type Dataset } from '../data/dataset.js';
import type { Backend } from '../core/backend.js';
import { loadDataset } from '../data/node/resolve.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { createModel } from '../models/zoo.js';
import type { Classifier } from '../models/classifier.js';
import { GMHead } from '../nn/gm-head.js';
import { SGD } from '../optim/sgd.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { constantLR, cosineLR, linearWarmup, multiStepLR, stepLR, type Schedule } from '../optim/schedules.js';
import { ProgressBar } from '../cli/progress.js';
import type { TrainConfig } from './config.js';
import { decodeTrainingState, encodeModel, encodeTrainingState, decodeModel, modelMetadata } from './checkpoint.js';
import { trainLoop, type EpochMetrics } from './trainer.js';
import { Generator } from '../core/random.js';

export interface RunOptions {
  resume?: boolean;
  /** print progress (default true) */
  verbose?: boolean;
}

export interface RunResult {
  model: Classifier;
  history: EpochMetrics[];
  config: TrainConfig;
  backendDescription: string;
  /** path of the final model checkpoint */
  checkpoint: string;
}

export function makeSchedule(c: TrainConfig): Schedule {
  let s: Schedule;
  switch (c.schedule) {
    case 'step': s = stepLR(c.lr, c.lrStep, c.lrGamma); break;
    case 'multistep': s = multiStepLR(c.lr, c.milestones, c.lrGamma); break;
    case 'cosine': s = cosineLR(c.lr, c.epochs); break;
    default: s = constantLR(c.lr);
  }
  return c.warmupEpochs > 0 ? linearWarmup(s, c.warmupEpochs) : s;
}

export function makeOptimizer(c: TrainConfig, model: Classifier): Optimizer<{ lr: number }> {
  const meansParams = model.head instanceof GMHead ? model.head.parameters() : [];
  const rest = model.parameters().filter((p) => !meansParams.includes(p));
  const groups = [{ params: rest }, ...(meansParams.length ? [{ params: meansParams, lrScale: c.meansLrScale }] : [])];
  if (c.optimizer === 'adam') return new Adam(groups, { lr: c.lr, weightDecay: c.weightDecay }) as unknown as Optimizer<{ lr: number }>;
  if (c.optimizer === 'adamw') return new AdamW(groups, { lr: c.lr, weightDecay: c.weightDecay }) as unknown as Optimizer<{ lr: number }>;
  return new SGD(groups, { lr: c.lr, momentum: c.momentum, nesterov: c.nesterov && c.momentum > 0, weightDecay: c.weightDecay }) as unknown as Optimizer<{ lr: number }>;
}

export async function runTraining(c: TrainConfig, o: RunOptions = {}): Promise<RunResult> {
  const verbose = o.verbose ?? true;
  const { backend, description } = await init({ backend: c.backend, threads: c.threads, verbose });
  const [trainFull, testFull] = await Promise.all([
    loadDataset(c.dataset, { split: 'train', dataDir: c.dataDir }),
    loadDataset(c.dataset, { split: 'test', dataDir: c.dataDir }),
  ]);
  const trainData = c.limit > 0 && c.limit < trainFull.n ? stratifiedSlice(trainFull, c.limit) : trainFull;
  const testData = c.testLimit > 0 && c.testLimit < testFull.n ? stratifiedSlice(testFull, c.testLimit) : testFull;
  return trainOnData(c, backend, description, trainData, testData, o);
}

/** Train on datasets already in memory (the demo's own splits, tests). */
export async function trainOnData(c: TrainConfig, backend: Backend, description: string, trainData: Dataset, testData: Dataset, o: RunOptions = {}): Promise<RunResult> {
  const verbose = o.verbose ?? true;
  const log = (s: string) => { if (verbose) console.error(s); };
  log(`gmgrad train: ${c.dataset} (${trainData.n} train / ${testData.n} test images from ${trainData.source}), ${c.model} → ${c.featureDim}-d features, ${c.loss} head, backend ${description}`);
  const imageShape = [trainData.c, trainData.h, trainData.w];
  const train = new DataLoader(trainData, { batchSize: c.batch, shuffle: true, seed: c.seed, dropLast: false, augment: c.augment });
  const test = new DataLoader(testData, { batchSize: 256, shuffle: false });
  await mkdir(c.out, { recursive: true });
  const modelPath = join(c.out, 'model.safetensors');
  const statePath = join(c.out, 'training-state.safetensors');
  const metricsPath = join(c.out, 'metrics.json');

  defaultGenerator.manualSeed(c.seed);
  let model = createModel(c.model, {
    head: c.loss, featureDim: c.featureDim, inputShape: imageShape, numClasses: trainData.classes.length, backend,
    margin: c.alpha, lambda: c.lambda, likelihood: c.likelihood, diagonal: c.diagonal, generator: new Generator(c.seed),
  });
  let optimizer = makeOptimizer(c, model);
  let startEpoch = 0;
  let history: EpochMetrics[] = [];
  if (o.resume) {
    if (!existsSync(modelPath) || !existsSync(statePath)) throw new Error(`--resume: no checkpoint in ${c.out} (expected model.safetensors and training-state.safetensors)`);
    model.dispose();
    model = decodeModel(new Uint8Array(await readFile(modelPath)), backend, modelPath).model;
    optimizer = makeOptimizer(c, model);
    const pos = decodeTrainingState(new Uint8Array(await readFile(statePath)), optimizer, statePath);
    startEpoch = pos.epoch;
    defaultGenerator.offset = pos.generatorOffset;
    if (existsSync(metricsPath)) history = (JSON.parse(await readFile(metricsPath, 'utf8')) as { epochs: EpochMetrics[] }).epochs.slice(0, startEpoch);
    log(`resuming after epoch ${startEpoch} from ${c.out}`);
  }

  let bar: ProgressBar | null = null;
  const runStart = performance.now();
  const epochsRun = await trainLoop({
    model, optimizer, schedule: makeSchedule(c), train, test, imageShape, epochs: c.epochs, startEpoch,
    ramp: c.loss === 'gm' ? { epochs: c.rampEpochs, alphaStart: 0.1, lambdaStart: 0.01 } : undefined,
    clipNorm: c.clipNorm || undefined, backend,
    onStep: (s) => {
      if (!verbose) return;
      if (s.step === 1) bar = new ProgressBar(`epoch ${s.epoch + 1}/${c.epochs}`, s.steps);
      bar?.update(s.step, { loss: s.loss, acc: s.accuracy, 'img/s': Math.round(s.imagesPerSecond) });
    },
    onEpoch: async (m) => {
      bar?.done();
      history.push(m);
      log(`epoch ${m.epoch}/${c.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAccuracy).toFixed(2)}%  test loss ${m.testLoss?.toFixed(4)} acc ${((m.testAccuracy ?? 0) * 100).toFixed(2)}%  lr ${m.lr.toPrecision(3)}  ${m.seconds.toFixed(1)} s (${Math.round(m.imagesPerSecond)} img/s)`);
      // model first, then the state that points at it: a crash between the two leaves a
      // consistent pair from the previous epoch only if the state is written last
      await writeFileAtomic(modelPath, await encodeModel(model, modelMetadata(c, model, { epoch: String(m.epoch), backend: description })));
      await writeFileAtomic(statePath, await encodeTrainingState(optimizer, { epoch: m.epoch, generatorOffset: defaultGenerator.offset }));
      await writeFile(metricsPath, JSON.stringify({ config: c, backend: description, epochs: history }, null, 2));
    },
  });
  const last = history[history.length - 1];
  if (verbose && last) {
    const secs = (performance.now() - runStart) / 1000;
    log(`done: ${epochsRun.length} epoch(s) in ${secs.toFixed(1)} s; final test accuracy ${((last.testAccuracy ?? 0) * 100).toFixed(2)}%; checkpoint ${modelPath}`);
  }
  return { model, history, config: c, backendDescription: description, checkpoint: modelPath };
}
