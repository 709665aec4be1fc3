/**
 * The paper's feature-space figure: the 2-D features of a test set, one colour per class; for a GM
 * model its class means and the 1σ/2σ/3σ contours of its Gaussians (one elliptical cluster per class
 * with gaps between them), for a softmax model the features alone (radial petals).
 */
import type { Backend } from '../core/backend.js';
import type { Dataset } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';
import { GMHead } from '../nn/gm-head.js';
import { featureScatter } from '../report/charts/feature-scatter.js';
import { toTensors } from './evaluate-model.js';
import { featuresOf } from './robustness.js';

export interface FeatureFigureOptions {
  title: string;
  /** plot at most this many points, evenly over the set (default: all) */
  maxPoints?: number;
  batchSize?: number;
  size?: number;
}

export async function featureFigure(model: Classifier, data: Dataset, backend: Backend, o: FeatureFigureOptions): Promise<{ svg: string; points: number }> {
  if (model.meta.featureDim !== 2) throw new Error(`featureFigure: the model has ${model.meta.featureDim}-d features; the figure needs 2-d ones (mnist-2d-gm, mnist-2d-softmax)`);
  const { x, y } = toTensors(data, backend);
  let points: Float32Array;
  model.eval();
  try {
    points = await featuresOf(model, x, o.batchSize ?? 256);
  } finally {
    x.dispose();
    y.dispose();
  }
  const head = model.head instanceof GMHead ? model.head : null;
  const means = head ? Array.from(await head.means.data()) : undefined;
  const variances = head?.logVar ? Array.from(await head.logVar.data(), Math.exp) : undefined;
  const size = o.size ?? 640;
  const svg = featureScatter({
    width: size, height: size, title: o.title, points, labels: data.labels, classNames: data.classes,
    means, variances, density: head ? 'circles' : 'none', maxPoints: o.maxPoints ?? data.n,
    xLabel: 'feature 1', yLabel: 'feature 2',
  });
  return { svg, points: Math.min(data.n, o.maxPoints ?? data.n) };
}
