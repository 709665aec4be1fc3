/**
 * The kernel density detector (Feinman, Curtin, Shintre & Gardner 2017, "Detecting adversarial
 * samples from artifacts"): a Gaussian KDE of the penultimate features of clean training data per
 * class, p̂_c(f) = (1/n_c) Σ_{i∈c} N(f; fᵢ, σ²I); score = −log p̂_ŷ(f) under the predicted class ŷ
 * (higher = less like clean data). On the device the log-density is a log-sum-exp over the stored
 * features of each class, differentiable in f, so adaptive attacks can go through it.
 */
import { Generator } from '../core/random.js';
import { keep } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { add, sub } from '../ops/binary.js';
import { full, tensor } from '../ops/creation.js';
import { linear } from '../ops/linalg.js';
import { argmax, logsumexp, sum } from '../ops/reduce.js';
import { concat, narrow, reshape } from '../ops/shape.js';
import { affine, clamp, square } from '../ops/unary.js';
import { pickClass } from '../attacks/losses.js';
import type { AttackModel, FeatureModel } from '../attacks/model.js';
import { checkFeatureModel, DetectorError, FeatureDetector, type ScoreOptions } from './detector.js';
import { collectFeatures, hostLabels } from './features.js';
import { chooseBandwidthByLikelihood, groupByClass, scottBandwidth, type BandwidthChoice, type ClassFeatures } from './kde-math.js';

export interface KernelDensityFitOptions extends ScoreOptions {
  /** σ of the Gaussian kernel (default: Scott's rule, kde-math.ts scottBandwidth) */
  bandwidth?: number;
  /** keep at most this many training features per class, a seeded random subset (default: all) */
  maxPerClass?: number;
  /** seed of that subset (default 0) */
  seed?: number;
  /** number of classes (default: largest label + 1) */
  numClasses?: number;
}

export interface BandwidthSearchOptions extends Omit<KernelDensityFitOptions, 'bandwidth'> {
  /** bandwidths to try (default: Scott's rule × 1/8, 1/4, 1/2, 1, 2, 4) */
  candidates?: readonly number[];
}

/** finite (WGSL has no guaranteed infinities) and far above any real score */
const UNSEEN_SCORE = 3.4028234663852886e38;

async function classFeatures(what: string, model: FeatureModel, x: Tensor, labels: Tensor, o: KernelDensityFitOptions): Promise<ClassFeatures> {
  const y = await hostLabels(what, x, labels);
  const numClasses = o.numClasses ?? y.reduce((a, b) => Math.max(a, b), -1) + 1;
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new DetectorError(`${what}: numClasses must be a positive integer, got ${numClasses}`);
  const cap = o.maxPerClass;
  if (cap !== undefined && !(Number.isInteger(cap) && cap > 0)) throw new DetectorError(`${what}: maxPerClass must be a positive integer, got ${cap}`);
  const f = await collectFeatures(model, x, o.batchSize, what);
  const gen = new Generator(o.seed ?? 0);
  const pick = cap === undefined ? undefined : (rows: number[]) => {
    if (rows.length <= cap) return rows;
    return Array.from(gen.permutation(rows.length).subarray(0, cap)).sort((a, b) => a - b).map((i) => rows[i]!);
  };
  return groupByClass(f.values, y, f.dim, numClasses, pick);
}

interface DeviceTensors {
  /** [M, D] stored features, sorted by class */
  points: Tensor;
  /** [1, M] their squared norms */
  sqNorms: Tensor;
}

export class KernelDensityDetector extends FeatureDetector {
  readonly name = 'KernelDensityDetector';
  readonly numClasses: number;
  readonly dim: number;
  readonly bandwidth: number;
  readonly #features: ClassFeatures;
  readonly #device = new Map<string, DeviceTensors>();

  constructor(model: AttackModel, features: ClassFeatures, bandwidth: number) {
    checkFeatureModel('KernelDensityDetector', model);
    super(model);
    if (!(bandwidth > 0 && Number.isFinite(bandwidth))) throw new DetectorError(`KernelDensityDetector: bandwidth must be a finite number > 0, got ${bandwidth}`);
    this.numClasses = features.numClasses;
    this.dim = features.dim;
    this.bandwidth = bandwidth;
    this.#features = features;
  }

  /** the stored clean features grouped by class (host, float64) */
  get classFeatures(): ClassFeatures { return this.#features; }

  /** Fit on clean training data: store its features per class (eval mode, batched). */
  static async fit(model: AttackModel, x: Tensor, labels: Tensor, o: KernelDensityFitOptions = {}): Promise<KernelDensityDetector> {
    checkFeatureModel('KernelDensityDetector.fit', model);
    const cf = await classFeatures('KernelDensityDetector.fit', model, x, labels, o);
    return new KernelDensityDetector(model, cf, o.bandwidth ?? scottBandwidth(cf));
  }

  /**
   * Choose σ by the mean log-likelihood of held-out clean features under their true class's KDE
   * (fitted on the training data), over a grid of candidates. Fit with the returned bandwidth.
   */
  static async chooseBandwidth(model: AttackModel, xTrain: Tensor, yTrain: Tensor, xHeld: Tensor, yHeld: Tensor,
    o: BandwidthSearchOptions = {}): Promise<BandwidthChoice> {
    const what = 'KernelDensityDetector.chooseBandwidth';
    checkFeatureModel(what, model);
    const train = await classFeatures(what, model, xTrain, yTrain, o);
    const held = await collectFeatures(model, xHeld, o.batchSize, what);
    const heldLabels = await hostLabels(what, xHeld, yHeld);
    const base = o.candidates ? null : scottBandwidth(train);
    const candidates = o.candidates ?? [0.125, 0.25, 0.5, 1, 2, 4].map((m) => m * base!);
    return chooseBandwidthByLikelihood(train, held.values, heldLabels, candidates);
  }

  #deviceTensors(features: Tensor): DeviceTensors {
    const key = `${features.backend.name}:${features.dtype}`;
    let t = this.#device.get(key);
    if (!t || t.points.isDisposed || t.points.backend !== features.backend) {
      const o = { dtype: features.dtype, backend: features.backend };
      const m = this.#features.offsets[this.numClasses]!, d = this.dim;
      const norms = new Float64Array(m);
      for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) norms[i]! += this.#features.values[i * d + j]! ** 2;
      t = {
        points: keep(tensor(this.#features.values, { ...o, shape: [m, d] })),
        sqNorms: keep(tensor(norms, { ...o, shape: [1, m] })),
      };
      this.#device.set(key, t);
    }
    return t;
  }

  /** −log p̂_k(f) per class [N, K] (classes without training features: the largest float); differentiable */
  override classScoresFromFeatures(features: Tensor): Tensor {
    if (features.rank !== 2 || features.shape[1] !== this.dim) {
      throw new DetectorError(`KernelDensityDetector: features must be [N, ${this.dim}], got ${formatShape(features.shape)}`);
    }
    const { points, sqNorms } = this.#deviceTensors(features);
    const n = features.shape[0]!, d = this.dim, s2 = this.bandwidth * this.bandwidth;
    // ‖f − xᵢ‖² = ‖f‖² + ‖xᵢ‖² − 2 f·xᵢ, floored at 0 against rounding
    const sq = clamp(sub(add(sum(square(features), 1, true), sqNorms), affine(linear(features, points), 2, 0)), 0, Infinity);
    const exponents = affine(sq, -1 / (2 * s2), 0);
    const columns: Tensor[] = [];
    for (let c = 0; c < this.numClasses; c++) {
      const start = this.#features.offsets[c]!, count = this.#features.offsets[c + 1]! - start;
      if (count === 0) {
        columns.push(full([n, 1], UNSEEN_SCORE, { dtype: features.dtype, backend: features.backend }));
        continue;
      }
      const logNorm = Math.log(count) + (d / 2) * Math.log(2 * Math.PI * s2);
      columns.push(affine(logsumexp(narrow(exponents, 1, start, count), 1, true), -1, logNorm));
    }
    return concat(columns, 1);
  }

  /** −log p̂_ŷ(f), ŷ the model's prediction from these features (the index is not differentiated) */
  override scoreFromFeatures(features: Tensor): Tensor {
    const predicted = argmax(this.model.head.forward(features), 1);
    return reshape(pickClass(this.classScoresFromFeatures(features), predicted), [-1]);
  }

  /** Free the device copies of the stored features. */
  dispose(): void {
    for (const t of this.#device.values()) {
      t.points.dispose();
      t.sqNorms.dispose();
    }
    this.#device.clear();
  }
}
