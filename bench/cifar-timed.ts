/**
 * A timed ResNet-20 (GM head) training run on real CIFAR-10 images, for the device run
 * (bench/device/run.sh): the library's own training loop (src/train/trainer.ts, as `gmgrad train`
 * runs it: the CIFAR recipe's SGD with Nesterov momentum and weight decay, random crop + flip,
 * the α/λ warm-up) on the subset packed by bench/device/pack.mjs, with a cosine schedule over the
 * epochs that fit the time budget. Reports training seconds per epoch (evaluation excluded), the
 * rate in images/s, the time a full 50 000-image epoch takes at that rate, test accuracy after
 * every epoch, and the backend's dispatch counts per step.
 *
 *   node bench/dist/bench/cifar-timed.js --data DIR [--epochs 30] [--budget 150] [--batch 128]
 *     [--lr 0.1] [--backend webgpu] [--limit N] [--test-limit N] [--out result.json]
 * DIR holds train.bin and test.bin (CIFAR-10 binary records).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { init } from '../src/init.js';
import { CIFAR10_RECORD_BYTES, parseCifar10Batch } from '../src/data/cifar.js';
import type { Dataset } from '../src/data/dataset.js';
import { DataLoader } from '../src/data/dataloader.js';
import { createModel } from '../src/models/zoo.js';
import { defaultConfig } from '../src/train/config.js';
import { makeOptimizer, makeSchedule } from '../src/train/run.js';
import { trainLoop, type EpochMetrics } from '../src/train/trainer.js';
import { Generator, defaultGenerator } from '../src/core/random.js';
import { median } from './lib/timing.js';

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const FULL_EPOCH = 50_000;

function flags(argv: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]!, v = argv[i + 1];
    if (!k.startsWith('--') || v === undefined) throw new Error(`cifar-timed: expected --name value pairs, got '${k}'`);
    m.set(k.slice(2), v);
  }
  return m;
}

/** the split's first `limit` images (0: all) */
function load(dir: string, split: 'train' | 'test', limit: number): Dataset {
  const file = path.join(dir, `${split}.bin`);
  let bytes = new Uint8Array(readFileSync(file));
  if (limit > 0) bytes = bytes.subarray(0, Math.min(bytes.length, limit * CIFAR10_RECORD_BYTES));
  const b = parseCifar10Batch(bytes, file);
  return { ...b, c: 3, h: 32, w: 32, name: 'cifar10', split, classes: CLASSES, source: file };
}

class BudgetSpent extends Error {}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const dir = f.get('data');
  if (!dir) throw new Error('cifar-timed: --data DIR (train.bin, test.bin) is required');
  const budgetS = Number(f.get('budget') ?? 150);
  const trainData = load(dir, 'train', Number(f.get('limit') ?? 0)), testData = load(dir, 'test', Number(f.get('test-limit') ?? 0));
  const config = {
    ...defaultConfig('cifar10'), epochs: Number(f.get('epochs') ?? 30), batch: Number(f.get('batch') ?? 128),
    lr: Number(f.get('lr') ?? 0.1), schedule: 'cosine' as const, rampEpochs: 2, backend: (f.get('backend') ?? 'webgpu') as 'webgpu',
  };
  const { backend, description } = await init({ backend: config.backend, verbose: false, allowSoftwareWebGpu: true });
  defaultGenerator.manualSeed(config.seed);
  const model = createModel('resnet20', {
    head: 'gm', featureDim: config.featureDim, inputShape: [3, 32, 32], backend, margin: config.alpha, lambda: config.lambda,
    likelihood: config.likelihood, generator: new Generator(config.seed),
  });
  const optimizer = makeOptimizer(config, model);
  const train = new DataLoader(trainData, { batchSize: config.batch, shuffle: true, seed: config.seed, augment: true });
  const test = new DataLoader(testData, { batchSize: 256, shuffle: false });
  const stats = () => (backend as { stats?: () => { dispatches: number; submits: number; reads: number } }).stats?.();
  const history: EpochMetrics[] = [];
  const started = performance.now();
  let stepsSeen = 0;
  const before = stats();
  try {
    await trainLoop({
      model, optimizer, schedule: makeSchedule(config), train, test, imageShape: [3, 32, 32], epochs: config.epochs, backend,
      ramp: { epochs: config.rampEpochs, alphaStart: 0.1, lambdaStart: 0.01 },
      onStep: () => { stepsSeen++; },
      onEpoch: (m) => {
        history.push(m);
        const elapsed = (performance.now() - started) / 1000;
        process.stderr.write(`epoch ${m.epoch}: ${m.seconds.toFixed(2)} s training (${Math.round(m.imagesPerSecond)} img/s), test accuracy ${((m.testAccuracy ?? 0) * 100).toFixed(2)}%\n`);
        // stop when another epoch (with its evaluation) would overrun the budget
        if (elapsed * (history.length + 1) / history.length > budgetS) throw new BudgetSpent();
      },
    });
  } catch (e) {
    if (!(e instanceof BudgetSpent)) throw e;
  }
  const after = stats();
  // the first epoch compiles every pipeline: the rate is the median of the later ones
  const steady = history.length > 1 ? history.slice(1) : history;
  const rate = median(steady.map((m) => m.imagesPerSecond));
  const last = history[history.length - 1];
  const result = {
    backend: description, trainImages: trainData.n, testImages: testData.n, batch: config.batch, epochsRun: history.length,
    imagesPerSecond: rate, epochSeconds: trainData.n / rate, fullEpochSeconds: FULL_EPOCH / rate,
    testAccuracy: last?.testAccuracy ?? null, wallSeconds: (performance.now() - started) / 1000,
    perStep: before && after && stepsSeen > 0 ? {
      dispatches: (after.dispatches - before.dispatches) / stepsSeen, submits: (after.submits - before.submits) / stepsSeen, reads: (after.reads - before.reads) / stepsSeen,
    } : null,
    epochs: history,
  };
  const out = f.get('out');
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`ResNet-20 (GM) on ${trainData.n} CIFAR-10 images, batch ${config.batch}, ${description}: ${Math.round(rate)} img/s in training, ` +
    `${result.epochSeconds.toFixed(2)} s per epoch of the subset, ${result.fullEpochSeconds.toFixed(1)} s per 50 000-image epoch at that rate; ` +
    `test accuracy ${((result.testAccuracy ?? 0) * 100).toFixed(2)}% on ${testData.n} images after ${history.length} epoch(s)`);
  model.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exitCode = 2;
});
