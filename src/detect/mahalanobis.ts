/**
 * The Mahalanobis detector for softmax networks (Lee et al. 2018): class means and one shared
 * covariance of the penultimate features on clean training data, fitted on the host in float64;
 * score = min_c (f − μ_c)ᵀ Σ⁻¹ (f − μ_c), the squared Mahalanobis distance to the nearest class
 * (classes without training samples are left out).
 * Σ⁻¹ comes from a Cholesky factor of Σ + λI (a small relative ridge: feature covariances are often
 * singular). On the device the score is ‖W f − W μ_c‖² with W = L⁻¹, differentiable in f.
 */
import { noGrad } from '../core/autograd.js';
import { keep, tidy } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../ops/creation.js';
import { where } from '../ops/binary.js';
import { gmDistances } from '../ops/gm.js';
import { linear } from '../ops/linalg.js';
import { affine } from '../ops/unary.js';
import type { AttackModel, FeatureModel } from '../attacks/model.js';
import { checkFeatureModel, DetectorError, FeatureDetector, forEachBatch, type ScoreOptions } from './detector.js';
import { choleskyWithRidge, gram, invertLower } from './linalg64.js';

export interface MahalanobisFitOptions extends ScoreOptions {
  /** relative ridge λ/(trace Σ / D) added before the Cholesky (default 1e-6; grown ×10 if needed) */
  ridge?: number;
  /** number of classes (default: largest label + 1) */
  numClasses?: number;
}

export interface MahalanobisStatistics {
  numClasses: number;
  dim: number;
  /** samples per class */
  counts: Float64Array;
  /** [K·D] class means (rows of classes without samples are NaN; the score leaves them out) */
  means: Float64Array;
  /** [D·D] shared covariance (1/N)·Σᵢ (fᵢ − μ_{yᵢ})(fᵢ − μ_{yᵢ})ᵀ */
  covariance: Float64Array;
}

/**
 * Streaming class means and pooled within-class scatter (Chan et al.'s merge, per class and
 * batch): numerically stable, memory K·D + D², one pass over the data.
 */
export class ClassCovarianceAccumulator {
  readonly counts: Float64Array;
  readonly means: Float64Array;
  readonly scatter: Float64Array;
  total = 0;

  constructor(readonly numClasses: number, readonly dim: number) {
    this.counts = new Float64Array(numClasses);
    this.means = new Float64Array(numClasses * dim);
    this.scatter = new Float64Array(dim * dim);
  }

  /** rows of features [n, D] (row-major) with their labels */
  add(features: ArrayLike<number>, labels: ArrayLike<number>): void {
    const d = this.dim, n = labels.length;
    if (features.length !== n * d) throw new DetectorError(`ClassCovarianceAccumulator: ${features.length} values for ${n} labels of dimension ${d}`);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= this.numClasses) throw new DetectorError(`ClassCovarianceAccumulator: label ${c} outside [0, ${this.numClasses})`);
      let rows = byClass.get(c);
      if (!rows) byClass.set(c, rows = []);
      rows.push(i);
    }
    const mb = new Float64Array(d), centred = new Float64Array(d);
    for (const [c, rows] of byClass) {
      const nb = rows.length;
      mb.fill(0);
      for (const i of rows) for (let j = 0; j < d; j++) mb[j]! += features[i * d + j]!;
      for (let j = 0; j < d; j++) mb[j]! /= nb;
      for (const i of rows) {
        for (let j = 0; j < d; j++) centred[j] = features[i * d + j]! - mb[j]!;
        addOuter(this.scatter, centred, d, 1);
      }
      const na = this.counts[c]!;
      const mean = this.means.subarray(c * d, (c + 1) * d);
      if (na === 0) {
        mean.set(mb);
      } else {
        for (let j = 0; j < d; j++) centred[j] = mb[j]! - mean[j]!;
        addOuter(this.scatter, centred, d, (na * nb) / (na + nb));
        for (let j = 0; j < d; j++) mean[j]! += centred[j]! * nb / (na + nb);
      }
      this.counts[c] = na + nb;
    }
    this.total += n;
  }

  statistics(): MahalanobisStatistics {
    if (this.total === 0) throw new DetectorError('ClassCovarianceAccumulator: no samples');
    const means = Float64Array.from(this.means);
    for (let c = 0; c < this.numClasses; c++) if (this.counts[c] === 0) means.fill(NaN, c * this.dim, (c + 1) * this.dim);
    return {
      numClasses: this.numClasses,
      dim: this.dim,
      counts: Float64Array.from(this.counts),
      means,
      covariance: this.scatter.map((v) => v / this.total),
    };
  }
}

function addOuter(target: Float64Array, v: Float64Array, d: number, weight: number): void {
  for (let a = 0; a < d; a++) {
    const va = v[a]! * weight;
    if (va === 0) continue;
    for (let b = 0; b < d; b++) target[a * d + b]! += va * v[b]!;
  }
}

interface DeviceTensors {
  w: Tensor;
  means: Tensor;
  unseen: Tensor | null;
}

/** finite (WGSL has no guaranteed infinities) and far above any real score */
const UNSEEN_SCORE = 3.4028234663852886e38;

export class MahalanobisDetector extends FeatureDetector {
  readonly name = 'MahalanobisDetector';
  readonly numClasses: number;
  readonly dim: number;
  readonly counts: Float64Array;
  readonly means: Float64Array;
  readonly covariance: Float64Array;
  /** (Σ + λI)⁻¹ */
  readonly precision: Float64Array;
  /** W = L⁻¹ with Σ + λI = L·Lᵀ, so that (f − μ)ᵀ(Σ + λI)⁻¹(f − μ) = ‖W(f − μ)‖² */
  readonly whitening: Float64Array;
  /** the absolute ridge λ used */
  readonly ridge: number;
  readonly #device = new Map<string, DeviceTensors>();

  constructor(model: AttackModel, stats: MahalanobisStatistics, ridge = 1e-6) {
    checkFeatureModel('MahalanobisDetector', model);
    super(model);
    this.numClasses = stats.numClasses;
    this.dim = stats.dim;
    this.counts = stats.counts;
    this.means = stats.means;
    this.covariance = stats.covariance;
    const { l, ridge: used } = choleskyWithRidge(stats.covariance, stats.dim, ridge);
    this.ridge = used;
    this.whitening = invertLower(l, stats.dim);
    this.precision = gram(this.whitening, stats.dim);
  }

  /** Fit on clean training data (features of model.features(x) in eval mode, batched). */
  static async fit(model: AttackModel, x: Tensor, labels: Tensor, o: MahalanobisFitOptions = {}): Promise<MahalanobisDetector> {
    checkFeatureModel('MahalanobisDetector.fit', model);
    if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== x.shape[0]) {
      throw new DetectorError(`MahalanobisDetector.fit: labels must be int32 [${x.shape[0]}], got ${labels.dtype} ${formatShape(labels.shape)}`);
    }
    const ridge = o.ridge ?? 1e-6;
    if (!(ridge >= 0 && Number.isFinite(ridge))) throw new DetectorError(`MahalanobisDetector.fit: ridge must be a finite number >= 0, got ${ridge}`);
    const y = (await labels.data()) as Int32Array;
    const numClasses = o.numClasses ?? y.reduce((a, b) => Math.max(a, b), -1) + 1;
    if (!Number.isInteger(numClasses) || numClasses <= 0) throw new DetectorError(`MahalanobisDetector.fit: numClasses must be a positive integer, got ${numClasses}`);
    let acc: ClassCovarianceAccumulator | null = null;
    const fm: FeatureModel = model;
    await forEachBatch(model, x, o.batchSize, 'MahalanobisDetector.fit', async (xb, start) => {
      const f = tidy(() => noGrad(() => fm.features(xb)));
      try {
        if (f.rank !== 2) throw new DetectorError(`MahalanobisDetector.fit: features must be [N, D], got ${formatShape(f.shape)}`);
        acc ??= new ClassCovarianceAccumulator(numClasses, f.shape[1]!);
        acc.add(await f.data(), y.subarray(start, start + f.shape[0]!));
      } finally {
        f.dispose();
      }
    });
    if (!acc) throw new DetectorError('MahalanobisDetector.fit: no training samples');
    return new MahalanobisDetector(model, (acc as ClassCovarianceAccumulator).statistics(), ridge);
  }

  /**
   * W, the whitened means W·μ_c [K, D] (zero rows for classes without training samples) and, when
   * such classes exist, a [1, K] mask that excludes them; on the features' backend and dtype (cached)
   */
  #deviceTensors(features: Tensor): DeviceTensors {
    const key = `${features.backend.name}:${features.dtype}`;
    let t = this.#device.get(key);
    if (!t || t.w.isDisposed || t.w.backend !== features.backend) {
      const d = this.dim, k = this.numClasses;
      const whitened = new Float64Array(k * d);
      for (let c = 0; c < k; c++) {
        if (this.counts[c] === 0) continue;
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let j = 0; j <= i; j++) s += this.whitening[i * d + j]! * this.means[c * d + j]!;
          whitened[c * d + i] = s;
        }
      }
      const o = { dtype: features.dtype, backend: features.backend };
      const unseen = Array.from(this.counts, (n) => (n === 0 ? 1 : 0));
      t = {
        w: keep(tensor(this.whitening, { ...o, shape: [d, d] })),
        means: keep(tensor(whitened, { ...o, shape: [k, d] })),
        unseen: unseen.some(Boolean) ? keep(tensor(unseen, { ...o, shape: [1, k] })) : null,
      };
      this.#device.set(key, t);
    }
    return t;
  }

  /** (f − μ_c)ᵀ(Σ + λI)⁻¹(f − μ_c) per class [N, K] (classes without training data: the largest float) */
  override classScoresFromFeatures(features: Tensor): Tensor {
    if (features.rank !== 2 || features.shape[1] !== this.dim) {
      throw new DetectorError(`MahalanobisDetector: features must be [N, ${this.dim}], got ${formatShape(features.shape)}`);
    }
    const { w, means, unseen } = this.#deviceTensors(features);
    // gmDistances is ½‖·‖²; the squared Mahalanobis distance is twice that
    const d = affine(gmDistances(linear(features, w), means), 2, 0);
    return unseen ? where(unseen, UNSEEN_SCORE, d) : d;
  }

  /** Free the device copies of W and the means. */
  dispose(): void {
    for (const t of this.#device.values()) {
      t.w.dispose();
      t.means.dispose();
      t.unseen?.dispose();
    }
    this.#device.clear();
  }
}
