/**
 * The LID detector (Ma, Li, Wang, Erfani, Wijewickrema, Schoenebeck, Song, Houle & Bailey 2018,
 * "Characterizing adversarial subspaces using local intrinsic dimensionality"): the maximum-
 * likelihood LID estimate of a sample's representation with respect to its k nearest neighbours
 * in a reference minibatch of clean training representations, at one or more layers (here the
 * penultimate features and the logits, the layers every FeatureModel exposes), combined by a
 * logistic regression.
 *
 * Unlike Ma et al., who train the regression on clean and noisy (negatives) against adversarial
 * examples (positives), the combiner here is trained on clean (0) against Gaussian-noisy clean
 * (1) inputs only, never on adversarial ones: the threshold is then calibrated on clean data like
 * every other detector's, and the detector is not tuned to the attack it is evaluated on. The
 * score is the regression's log-odds w·z + b (z the LIDs standardised on clean data); higher =
 * less like clean data. Differentiable in the features (lid-math.ts).
 */
import { noGrad } from '../core/autograd.js';
import { Generator } from '../core/random.js';
import { keep, tidy } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { add } from '../ops/binary.js';
import { randn, tensor } from '../ops/creation.js';
import { narrow, reshape, stack } from '../ops/shape.js';
import { affine } from '../ops/unary.js';
import { clipToImage } from '../attacks/steps.js';
import type { AttackModel, FeatureModel } from '../attacks/model.js';
import { checkFeatureModel, DetectorError, FeatureDetector, forEachBatch, type ScoreOptions } from './detector.js';
import { collectFeatures } from './features.js';
import { lidFromSquaredDistances, nearestSquaredDistances } from './lid-math.js';
import { fitLogistic } from './logistic.js';

export const LID_LAYERS = ['features', 'logits'] as const;
/** features: the penultimate features; logits: the head's output */
export type LidLayer = (typeof LID_LAYERS)[number];

export interface LidFitOptions extends ScoreOptions {
  /** neighbours k (default 20, Ma et al.'s choice for MNIST and CIFAR-10 with minibatches of 100) */
  k?: number;
  /** reference minibatch size, a seeded random subset of the fit data (default 100, as Ma et al.) */
  referenceSize?: number;
  /** layers whose LIDs are combined (default both) */
  layers?: readonly LidLayer[];
  /** 'logistic' (default): the regression on clean vs noisy clean; 'none': the raw LID (one layer only) */
  combiner?: 'logistic' | 'none';
  /** std of the Gaussian noise (in [0, 1] image units) of the noisy-clean class (default 0.05) */
  noiseStd?: number;
  /** seed of the reference subset and the noise (default 0) */
  seed?: number;
}

export interface LidParameters {
  k: number;
  layers: LidLayer[];
  /** per layer: reference representations [R·D_l] and D_l */
  references: { values: Float64Array; dim: number }[];
  /** score = Σ_l weights[l]·LID_l + bias (the standardisation folded in) */
  weights: Float64Array;
  bias: number;
}

interface DeviceLayer { reference: Tensor; sqNorms: Tensor; duplicateBelow: number }

export class LidDetector extends FeatureDetector {
  readonly name = 'LidDetector';
  readonly params: LidParameters;
  readonly #device = new Map<string, DeviceLayer[]>();

  constructor(model: AttackModel, params: LidParameters) {
    checkFeatureModel('LidDetector', model);
    super(model);
    const r = params.references[0]?.values.length ?? 0;
    if (params.references.length !== params.layers.length || params.weights.length !== params.layers.length || r === 0) {
      throw new DetectorError(`LidDetector: ${params.layers.length} layers need as many non-empty references and weights, got ${params.references.length} and ${params.weights.length}`);
    }
    this.params = params;
  }

  /** Fit on clean data x: draw the reference minibatch, then train the combiner on x and noisy x. */
  static async fit(model: AttackModel, x: Tensor, o: LidFitOptions = {}): Promise<LidDetector> {
    const what = 'LidDetector.fit';
    checkFeatureModel(what, model);
    const n = x.shape[0] ?? 0;
    const k = o.k ?? 20, size = Math.min(o.referenceSize ?? 100, n);
    const layers = [...(o.layers ?? LID_LAYERS)];
    const combiner = o.combiner ?? 'logistic', noiseStd = o.noiseStd ?? 0.05;
    if (!Number.isInteger(k) || k < 2) throw new DetectorError(`${what}: k must be an integer >= 2, got ${k}`);
    if (size < k + 1) throw new DetectorError(`${what}: the reference needs more than k = ${k} samples, got ${size} (x has ${n})`);
    if (layers.length === 0 || layers.some((l) => !LID_LAYERS.includes(l))) throw new DetectorError(`${what}: layers must be a non-empty list of ${LID_LAYERS.join(', ')}, got ${JSON.stringify(layers)}`);
    if (combiner === 'none' && layers.length !== 1) throw new DetectorError(`${what}: combiner 'none' scores one layer's LID; got layers ${JSON.stringify(layers)}`);
    if (!(noiseStd > 0 && Number.isFinite(noiseStd))) throw new DetectorError(`${what}: noiseStd must be a finite number > 0, got ${noiseStd}`);
    const gen = new Generator(o.seed ?? 0);
    const chosen = Array.from(gen.permutation(n).subarray(0, size)).sort((a, b) => a - b);
    const references = [];
    for (const layer of layers) {
      const all = await collectFeatures(model, x, o.batchSize, what, layer === 'logits' ? (f) => model.head.forward(f) : undefined);
      const values = new Float64Array(size * all.dim);
      chosen.forEach((i, r) => values.set(all.values.subarray(i * all.dim, (i + 1) * all.dim), r * all.dim));
      references.push({ values, dim: all.dim });
    }
    const raw = new LidDetector(model, { k, layers, references, weights: new Float64Array(layers.length).fill(1), bias: 0 });
    if (combiner === 'none') return raw;
    try {
      const clean = await raw.lids(x, o);
      const noisy = await raw.lids(x, o, (xb) => clipToImage(add(xb, randn(xb.shape, { generator: gen, dtype: xb.dtype, backend: xb.backend, std: noiseStd }))));
      return new LidDetector(model, { k, layers, references, ...combine(clean, noisy, layers.length) });
    } finally {
      raw.dispose();
    }
  }

  #deviceLayers(features: Tensor): DeviceLayer[] {
    const key = `${features.backend.name}:${features.dtype}`;
    let t = this.#device.get(key);
    if (!t || t[0]!.reference.isDisposed || t[0]!.reference.backend !== features.backend) {
      const o = { dtype: features.dtype, backend: features.backend };
      t = this.params.references.map(({ values, dim }) => {
        const r = values.length / dim;
        const norms = new Float64Array(r);
        for (let i = 0; i < r; i++) for (let j = 0; j < dim; j++) norms[i]! += values[i * dim + j]! ** 2;
        const meanSq = norms.reduce((a, b) => a + b, 0) / r;
        return {
          reference: keep(tensor(values, { ...o, shape: [r, dim] })),
          sqNorms: keep(tensor(norms, { ...o, shape: [1, r] })),
          // a reference row this close is the query itself (relative to the rows' scale, above float32 rounding)
          duplicateBelow: 1e-6 * meanSq + 1e-30,
        };
      });
      this.#device.set(key, t);
    }
    return t;
  }

  /** LID per layer [N, L] of features [N, D]; differentiable */
  lidsFromFeatures(features: Tensor): Tensor {
    const dim0 = this.params.references[0]!.dim;
    if (features.rank !== 2 || (this.params.layers[0] === 'features' && features.shape[1] !== dim0)) {
      throw new DetectorError(`LidDetector: features must be [N, D] matching the reference, got ${formatShape(features.shape)}`);
    }
    const device = this.#deviceLayers(features);
    const columns = this.params.layers.map((layer, l) => {
      const rep = layer === 'logits' ? this.model.head.forward(features) : features;
      const { reference, sqNorms, duplicateBelow } = device[l]!;
      return lidFromSquaredDistances(nearestSquaredDistances(rep, reference, sqNorms, this.params.k, duplicateBelow));
    });
    return stack(columns, 1);
  }

  /** Σ_l w_l·LID_l + b [N]; differentiable */
  override scoreFromFeatures(features: Tensor): Tensor {
    const lids = this.lidsFromFeatures(features);
    let score: Tensor | null = null;
    this.params.layers.forEach((_, l) => {
      const term = affine(lidColumn(lids, l), this.params.weights[l]!, l === 0 ? this.params.bias : 0);
      score = score ? add(score, term) : term;
    });
    return score!;
  }

  /** host LIDs [N·L] of inputs (optionally transformed per batch, e.g. noised), batched, eval mode */
  async lids(x: Tensor, o: ScoreOptions = {}, transform?: (xb: Tensor) => Tensor): Promise<Float64Array> {
    const l = this.params.layers.length;
    const out = new Float64Array((x.shape[0] ?? 0) * l);
    await forEachBatch(this.model, x, o.batchSize, `${this.name}.lids`, async (xb, start) => {
      const t = tidy(() => noGrad(() => this.lidsFromFeatures(this.model.features(transform ? transform(xb) : xb))));
      try {
        out.set(await t.data(), start * l);
      } finally {
        t.dispose();
      }
    });
    return out;
  }

  /** Free the device copies of the references. */
  dispose(): void {
    for (const layers of this.#device.values()) for (const t of layers) { t.reference.dispose(); t.sqNorms.dispose(); }
    this.#device.clear();
  }
}

function lidColumn(lids: Tensor, l: number): Tensor {
  return reshape(narrow(lids, 1, l, 1), [-1]);
}

/** Standardise the LIDs on the clean ones, fit the regression clean (0) vs noisy (1), fold the standardisation into (w, b). */
function combine(clean: Float64Array, noisy: Float64Array, l: number): { weights: Float64Array; bias: number } {
  const n = clean.length / l;
  const mean = new Float64Array(l), std = new Float64Array(l);
  for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) mean[j]! += clean[i * l + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) std[j]! += (clean[i * l + j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < l; j++) std[j] = Math.sqrt(std[j]!) || 1;
  const z = new Float64Array(2 * n * l), y = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < l; j++) {
      z[i * l + j] = (clean[i * l + j]! - mean[j]!) / std[j]!;
      z[(n + i) * l + j] = (noisy[i * l + j]! - mean[j]!) / std[j]!;
    }
    y[n + i] = 1;
  }
  const fit = fitLogistic(z, y, l);
  const weights = fit.weights.map((w, j) => w / std[j]!);
  let bias = fit.bias;
  for (let j = 0; j < l; j++) bias -= weights[j]! * mean[j]!;
  return { weights, bias };
}
