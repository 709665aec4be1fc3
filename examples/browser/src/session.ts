/**
 * The live training session: a GM-loss CNN, SGD, a shuffling DataLoader over the training images,
 * and the numbers the page shows (loss, accuracy, images/s). One `step()` = one batch; the caller
 * decides when to yield to the browser. The model can be swapped (checkpoint import).
 */
import {
  cast, DataLoader, eq, GMHead, manualSeed, noGrad, SGD, stack, sum, tensor, tidy,
  type Backend, type Classifier, type Tensor,
} from '../../../src/index.js';
import { defaultConfig, type TrainConfig } from '../../../src/train/config.js';
import type { ImageSet } from './data.js';
import { createPageModel, type PageModelName } from './models.js';

export interface Hyper {
  lr: number;
  alpha: number;
  lambda: number;
}

export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  /** wall time of the step, readback included */
  ms: number;
  batch: number;
}

export interface ProbeResult {
  /** N × D features of the probe images */
  features: Float32Array;
  /** K × D class means */
  means: Float32Array;
  featureDim: number;
  labels: Int32Array;
  /** nearest-mean accuracy on the probe images */
  accuracy: number;
}

/** How many recent steps the images/s figure is averaged over. */
const SPEED_WINDOW = 20;

/** Versions are unique across sessions: a reset or an import never reuses an old τ. */
let versionCounter = 0;
const nextVersion = () => ++versionCounter;

export class TrainingSession {
  model: Classifier;
  optimizer: SGD;
  readonly loader: DataLoader;
  readonly history: StepRecord[] = [];
  /** test accuracy measured on the probe set: [step, accuracy] */
  readonly probeHistory: { step: number; accuracy: number }[] = [];
  config: TrainConfig;
  /** changes whenever the weights change (never repeats): the detector threshold depends on it */
  version = nextVersion();
  #epoch = 0;
  #batch = 0;
  #imagesSeen = 0;
  #trainMs = 0;

  constructor(readonly backend: Backend, readonly train: ImageSet, readonly datasetId: string, hyper: Hyper, o: { batch: number; model?: PageModelName; seed?: number }) {
    const dataset = datasetId.startsWith('fashion') ? 'fashion-mnist' : 'mnist';
    this.config = {
      ...defaultConfig(dataset), model: o.model ?? 'small-cnn', featureDim: 2, loss: 'gm',
      alpha: hyper.alpha, lambda: hyper.lambda, lr: hyper.lr, batch: o.batch, momentum: 0.9, nesterov: true,
      weightDecay: 5e-4, schedule: 'constant', rampEpochs: 0, backend: backend.name as TrainConfig['backend'], out: 'browser',
    };
    manualSeed(o.seed ?? 0);
    this.model = createPageModel(o.model ?? 'small-cnn', {
      featureDim: 2, inputShape: [train.c, train.h, train.w], backend, alpha: hyper.alpha, lambda: hyper.lambda,
    });
    this.optimizer = this.#makeOptimizer();
    this.loader = new DataLoader(train, { batchSize: o.batch, shuffle: true, seed: o.seed ?? 0, dropLast: true });
  }

  #makeOptimizer(): SGD {
    return new SGD(this.model.parameters(), {
      lr: this.config.lr, momentum: this.config.momentum, nesterov: this.config.nesterov, weightDecay: this.config.weightDecay,
    });
  }

  get head(): GMHead | null { return this.model.head instanceof GMHead ? this.model.head : null; }
  get steps(): number { return this.history.length; }
  get epoch(): number { return this.#epoch + this.#batch / this.loader.length; }
  get imageShape(): number[] { return [this.train.c, this.train.h, this.train.w]; }

  setHyper(h: Partial<Hyper>): void {
    if (h.lr !== undefined) { this.optimizer.setLearningRate(h.lr); this.config.lr = h.lr; }
    const head = this.head;
    if (h.alpha !== undefined) { this.config.alpha = h.alpha; if (head) head.margin = h.alpha; }
    if (h.lambda !== undefined) { this.config.lambda = h.lambda; if (head) head.lambda = h.lambda; }
  }

  /** One training step on the next batch. */
  async step(): Promise<StepRecord> {
    const t0 = performance.now();
    const b = this.loader.batch(this.#epoch, this.#batch);
    this.model.train();
    const stats = tidy(() => {
      const x = tensor(b.x, { shape: b.shape, backend: this.backend });
      const y = tensor(b.y, { shape: [b.size], backend: this.backend });
      const out = this.model.step(x, y);
      out.loss.backward();
      return stack([out.loss, sum(cast(eq(out.prediction, y), 'float32'))]);
    });
    // queue the update before waiting for the numbers: the device keeps working meanwhile
    this.optimizer.step();
    this.optimizer.zeroGrad();
    let loss: number, right: number;
    try {
      const d = await stats.data();
      loss = d[0]!; right = d[1]!;
    } finally {
      stats.dispose();
    }
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${this.steps + 1}: the loss is ${loss}; lower the learning rate and reset`);
    const ms = performance.now() - t0;
    const rec: StepRecord = { step: this.steps + 1, epoch: this.epoch, loss, accuracy: right / b.size, ms, batch: b.size };
    this.history.push(rec);
    this.#imagesSeen += b.size;
    this.#trainMs += ms;
    this.version = nextVersion();
    if (++this.#batch >= this.loader.length) { this.#batch = 0; this.#epoch++; }
    return rec;
  }

  /** images/s over the last steps (time inside steps only, charts excluded) */
  get recentSpeed(): number {
    const recent = this.history.slice(-SPEED_WINDOW);
    const ms = recent.reduce((a, r) => a + r.ms, 0);
    return ms > 0 ? (recent.reduce((a, r) => a + r.batch, 0) * 1000) / ms : 0;
  }

  get overallSpeed(): number {
    return this.#trainMs > 0 ? (this.#imagesSeen * 1000) / this.#trainMs : 0;
  }

  /** Features of the probe images (eval mode) and the class means, on the host. */
  async probe(x: Float32Array, labels: Int32Array, chunk = 256): Promise<ProbeResult> {
    const per = this.train.c * this.train.h * this.train.w;
    const n = labels.length;
    const d = this.model.meta.featureDim;
    const features = new Float32Array(n * d);
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      for (let start = 0; start < n; start += chunk) {
        const size = Math.min(chunk, n - start);
        const f = tidy(() => noGrad(() => this.model.features(tensor(x.subarray(start * per, (start + size) * per), { shape: [size, ...this.imageShape], backend: this.backend }))));
        try { features.set(await f.data() as Float32Array, start * d); } finally { f.dispose(); }
      }
    } finally {
      this.model.train(wasTraining);
    }
    const head = this.head;
    const means = head ? Float32Array.from(await head.means.data()) : new Float32Array(0);
    const k = means.length / d;
    let right = 0;
    for (let i = 0; i < n; i++) {
      let best = -1, bestD = Infinity;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) { const t = features[i * d + j]! - means[c * d + j]!; s += t * t; }
        if (s < bestD) { bestD = s; best = c; }
      }
      if (best === labels[i]) right++;
    }
    const accuracy = n > 0 ? right / n : 0;
    this.probeHistory.push({ step: this.steps, accuracy });
    return { features, means, featureDim: d, labels, accuracy };
  }

  /**
   * Replace the model (a checkpoint was imported): its run's learning rate, momentum and weight
   * decay for a fresh optimizer, its α and λ, and new curves (the old ones belong to the old model).
   */
  replaceModel(model: Classifier, config: Partial<TrainConfig>): void {
    const old = this.model;
    this.optimizer.dispose();
    this.model = model;
    const head = this.head;
    this.config = {
      ...this.config, ...config, model: model.meta.model as TrainConfig['model'], featureDim: model.meta.featureDim,
      alpha: head?.margin ?? this.config.alpha, lambda: head?.lambda ?? this.config.lambda, backend: this.config.backend, out: 'browser',
    };
    this.optimizer = this.#makeOptimizer();
    this.history.length = 0;
    this.probeHistory.length = 0;
    this.#imagesSeen = 0;
    this.#trainMs = 0;
    this.version = nextVersion();
    old.dispose();
  }

  /** What trains the model, as the page shows it (the learning rate has its slider). */
  describeOptimizer(): string {
    const c = this.config;
    const momentum = c.momentum > 0 ? `momentum ${c.momentum}${c.nesterov ? ', Nesterov' : ''}, ` : '';
    return `SGD (${momentum}weight decay ${c.weightDecay})`;
  }

  /** Inputs for the model: floats [n, c, h, w] on this session's backend. */
  input(x: Float32Array, n: number): Tensor {
    return tensor(x, { shape: [n, ...this.imageShape], backend: this.backend });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}
