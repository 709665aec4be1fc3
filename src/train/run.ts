/**
 * A training run in Node: backend, data, model, optimizer, the loop, and every epoch's model,
 * training state and metrics committed as one unit (run-dir.ts); --resume verifies the committed
 * epoch and that the run asked for is the same run (run-identity.ts), and a finished or unfinished
 * run is never overwritten without `force`. The CLI and the demo call this.
 */
import { init } from '../init.js';
import { defaultGenerator } from '../core/random.js';
import { DataLoader } from '../data/dataloader.js';
import { stratifiedSlice, type Dataset } from '../data/dataset.js';
import type { Backend } from '../core/backend.js';
import { loadDataset } from '../data/node/resolve.js';
import { ensureWritableDir } from '../io/node/folders.js';
import { createModel } from '../models/zoo.js';
import type { Classifier } from '../models/classifier.js';
import { GMHead } from '../nn/gm-head.js';
import { SGD } from '../optim/sgd.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { join } from 'node:path';
import { constantLR, cosineLR, linearWarmup, multiStepLR, oneCycleLR, stepLR, type Schedule } from '../optim/schedules.js';
import { ProgressBar } from '../progress/progress-bar.js';
import { checkTrainConfig, type TrainConfig } from './config.js';
import { decodeTrainingState, encodeModel, encodeTrainingState, decodeModel, modelMetadata } from './checkpoint.js';
import { trainLoop, type EpochMetrics } from './trainer.js';
import { modelOptions } from './model-options.js';
import { Generator } from '../core/random.js';
import { RunDir, RunStateError, ARTIFACT_FILES, MANIFEST_FILE, type Committed } from './run-dir.js';
import { identityMismatches, runIdentity, type RunIdentity } from './run-identity.js';
import { adversarialSettings, createAdversary } from './adversarial.js';

export interface RunOptions {
  /** continue the run committed in config.out (it must be the same run: recipe and data) */
  resume?: boolean;
  /** start over in a folder that holds a run (finished or not), discarding it */
  force?: boolean;
  /** print progress (default true) */
  verbose?: boolean;
  /** where progress lines go (default: stderr) */
  log?: (line: string) => void;
  /** where the per-step progress bar is drawn (default: stderr) */
  progressStream?: { write(text: string): unknown; isTTY?: boolean };
  /** the command line that started the run, kept in the checkpoint's metadata (gmgrad_command) */
  command?: string;
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
  if (c.schedule === 'onecycle') return oneCycleLR(c.lr, c.epochs, c.warmupEpochs);
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
  checkTrainConfig(c);
  await ensureWritableDir(c.out, '--out folder'); // before the data is loaded, not after
  const verbose = o.verbose ?? true;
  const { backend, description } = await init({ backend: c.backend, threads: c.threads, verbose: false });
  const quiet = verbose ? {} : { progress: false, log: () => {} };
  const [trainFull, testFull] = await Promise.all([
    loadDataset(c.dataset, { split: 'train', dataDir: c.dataDir, ...quiet }),
    loadDataset(c.dataset, { split: 'test', dataDir: c.dataDir, ...quiet }),
  ]);
  const subset = (d: Dataset, n: number, flag: string) => {
    if (n > d.n) throw new RangeError(`${flag} ${n} is more than the ${d.n} images of the ${d.name} ${d.split} split`);
    return n > 0 && n < d.n ? stratifiedSlice(d, n) : d;
  };
  const trainData = subset(trainFull, c.limit, '--limit');
  const testData = subset(testFull, c.testLimit, '--test-limit');
  return trainOnData(c, backend, description, trainData, testData, o);
}

/** Refuse to start where a run already lives, unless forced (then forget it first). */
async function startFresh(run: RunDir, committed: Committed | null, c: TrainConfig, o: RunOptions): Promise<void> {
  if (committed && !o.force) {
    const m = committed.manifest;
    const state = m.epoch >= m.epochs ? `a finished run (${m.epoch} epoch${m.epoch === 1 ? '' : 's'})` : `an unfinished run (epoch ${m.epoch} of ${m.epochs}); pass --resume to continue it,`;
    throw new RunStateError(`--out ${c.out} holds ${state} and it is not overwritten without --force (or choose another --out)`);
  }
  const foreign = committed ? [] : await run.foreignFiles();
  if (foreign.length && !o.force) {
    throw new RunStateError(`--out ${c.out} already holds ${foreign.join(', ')} (not from a gmgrad run: no ${MANIFEST_FILE}); pass --force to overwrite, or choose another --out`);
  }
  if (o.force) await run.discard();
}

/** The committed run, checked against the one asked for; every disagreement is named. */
function checkResumable(committed: Committed | null, foreign: string[], c: TrainConfig, identity: RunIdentity, log: (s: string) => void, description: string): Committed {
  if (!committed && foreign.length) {
    throw new RunStateError(`--resume: ${c.out} holds ${foreign.join(', ')} but no ${MANIFEST_FILE} (written by an older gmgrad, or by hand), so they cannot be verified as one epoch; start over with --force`);
  }
  if (!committed) {
    throw new RunStateError(`--resume: ${c.out} holds no committed epoch (no ${MANIFEST_FILE}: the run never finished an epoch there); start it without --resume`);
  }
  const m = committed.manifest;
  const mismatches = identityMismatches(m.identity as unknown as RunIdentity, identity);
  if (mismatches.length) throw new RunStateError(`--resume: this is not the run in ${c.out}: ${mismatches.join('; ')}. Resume with the run's settings, or start over with --force`);
  if (c.epochs < m.epoch) throw new RunStateError(`--resume: the run in ${c.out} has already done ${m.epoch} epochs, more than --epochs ${c.epochs}`);
  if (c.epochs !== m.epochs && (c.schedule === 'cosine' || c.schedule === 'onecycle')) {
    throw new RunStateError(`--resume: --epochs ${c.epochs} differs from the run's ${m.epochs}, and its ${c.schedule} learning-rate schedule depends on it`);
  }
  if (m.backend !== description) log(`note: the run was trained on ${m.backend}, it resumes on ${description}; the result will not be bit-identical to an uninterrupted run`);
  return committed;
}

/** Model, optimizer position and history from a verified commit; every file must agree on the epoch. */
function restore(committed: Committed, c: TrainConfig, backend: Backend, o: { model: Classifier }): { model: Classifier; optimizer: Optimizer<{ lr: number }>; epoch: number; offset: number; history: EpochMetrics[]; command: string | undefined } {
  const { manifest: m, bytes } = committed;
  const where = (f: keyof typeof ARTIFACT_FILES) => join(c.out, ARTIFACT_FILES[f]);
  const loaded = decodeModel(bytes.model, backend, where('model'));
  if (loaded.metadata.epoch !== String(m.epoch)) {
    loaded.model.dispose();
    throw new RunStateError(`${where('model')} is from epoch ${loaded.metadata.epoch ?? '?'}, but ${MANIFEST_FILE} commits epoch ${m.epoch}`);
  }
  o.model.dispose();
  const optimizer = makeOptimizer(c, loaded.model);
  const pos = decodeTrainingState(bytes.state, optimizer, where('state'), c.optimizer);
  if (pos.epoch !== m.epoch) throw new RunStateError(`${where('state')} is from epoch ${pos.epoch}, but ${MANIFEST_FILE} commits epoch ${m.epoch}`);
  let history: EpochMetrics[];
  try {
    history = (JSON.parse(new TextDecoder().decode(bytes.metrics)) as { epochs: EpochMetrics[] }).epochs;
  } catch (e) {
    throw new RunStateError(`${where('metrics')}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(history) || history.length !== m.epoch) throw new RunStateError(`${where('metrics')} records ${Array.isArray(history) ? history.length : 'no'} epochs, but ${MANIFEST_FILE} commits epoch ${m.epoch}`);
  return { model: loaded.model, optimizer, epoch: pos.epoch, offset: pos.generatorOffset, history, command: loaded.metadata.gmgrad_command };
}

/** Train on datasets already in memory (the demo's own splits, tests). */
export async function trainOnData(c: TrainConfig, backend: Backend, description: string, trainData: Dataset, testData: Dataset, o: RunOptions = {}): Promise<RunResult> {
  checkTrainConfig(c);
  const verbose = o.verbose ?? true;
  const log = (s: string) => { if (verbose) (o.log ?? ((l: string) => console.error(l)))(s); };
  const imageShape = [trainData.c, trainData.h, trainData.w];
  const identity = runIdentity(c, trainData, testData);
  if (o.resume && o.force) throw new RunStateError('--resume continues a run and --force discards it: give one of them');
  const run = await RunDir.open(c.out);
  try {
    // --force discards whatever is there, readable or not
    const committed = o.force ? null : await run.readCommitted();
    defaultGenerator.manualSeed(c.seed);
    let model = createModel(c.model, { ...modelOptions(c), inputShape: imageShape, numClasses: trainData.classes.length, backend, generator: new Generator(c.seed) });
    let optimizer = makeOptimizer(c, model);
    let startEpoch = 0;
    let history: EpochMetrics[] = [];
    // a resumed run keeps the command that started it
    let command = o.command;
    if (o.resume) {
      const foreign = committed ? [] : await run.foreignFiles();
      const r = restore(checkResumable(committed, foreign, c, identity, log, description), c, backend, { model });
      ({ model, optimizer, history } = r);
      command = r.command ?? command;
      startEpoch = r.epoch;
      defaultGenerator.offset = r.offset;
      log(`resuming after epoch ${startEpoch} from ${c.out}`);
    } else {
      await startFresh(run, committed, c, o);
    }
    const adversarial = adversarialSettings(c);
    const adversarialText = adversarial
      ? `, ${adversarial.mode === 'pgd' ? 'PGD-AT' : `TRADES β=${adversarial.beta}`} (${adversarial.norm === 'linf' ? 'L∞' : 'L2'} ε=${adversarial.epsilon}, ${adversarial.steps} steps of ${+adversarial.stepSize.toPrecision(4)})`
      : '';
    log(`training on ${c.dataset} (${trainData.n} train / ${testData.n} test images from ${trainData.source}), ${c.model} → ${c.featureDim}-d features, ${c.loss} head${adversarialText}, backend ${description}`);
    const train = new DataLoader(trainData, { batchSize: c.batch, shuffle: true, seed: c.seed, dropLast: false, augment: c.augment });
    const test = new DataLoader(testData, { batchSize: 256, shuffle: false });
    let bar: ProgressBar | null = null;
    const runStart = performance.now();
    const epochsRun = await trainLoop({
      model, optimizer, schedule: makeSchedule(c), train, test, imageShape, epochs: c.epochs, startEpoch,
      ramp: c.loss === 'gm' ? { epochs: c.rampEpochs, alphaStart: 0.1, lambdaStart: 0.01, every: c.rampEvery } : undefined,
      clipNorm: c.clipNorm || undefined, backend, adversary: adversarial ? createAdversary(adversarial) : undefined,
      onStep: (s) => {
        if (!verbose) return;
        if (s.step === 1) bar = new ProgressBar(`epoch ${s.epoch + 1}/${c.epochs}`, s.steps, o.progressStream);
        bar?.update(s.step, { loss: s.loss, acc: s.accuracy, 'img/s': Math.round(s.imagesPerSecond) });
      },
      onEpoch: async (m) => {
        bar?.done();
        history.push(m);
        log(`epoch ${m.epoch}/${c.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAccuracy).toFixed(2)}%  test loss ${m.testLoss?.toFixed(4)} acc ${((m.testAccuracy ?? 0) * 100).toFixed(2)}%  lr ${m.lr.toPrecision(3)}  ${m.seconds.toFixed(1)} s (${Math.round(m.imagesPerSecond)} img/s)`);
        await run.commit({ epoch: m.epoch, epochs: c.epochs, identity: identity as unknown as Record<string, unknown>, backend: description }, {
          model: await encodeModel(model, modelMetadata(c, model, { epoch: String(m.epoch), backend: description, ...(command ? { gmgrad_command: command } : {}) })),
          state: await encodeTrainingState(optimizer, { epoch: m.epoch, generatorOffset: defaultGenerator.offset }, c.optimizer),
          metrics: new TextEncoder().encode(JSON.stringify({ config: c, backend: description, epochs: history }, null, 2)),
        });
      },
    });
    const last = history[history.length - 1];
    const modelPath = join(c.out, ARTIFACT_FILES.model);
    if (last) {
      const secs = (performance.now() - runStart) / 1000;
      log(`done: ${epochsRun.length} epoch(s) in ${secs.toFixed(1)} s; final test accuracy ${((last.testAccuracy ?? 0) * 100).toFixed(2)}%; checkpoint ${modelPath}`);
    }
    return { model, history, config: c, backendDescription: description, checkpoint: modelPath };
  } finally {
    await run.close();
  }
}
