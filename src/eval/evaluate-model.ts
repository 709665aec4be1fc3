/**
 * Detectors for one model (the GM score when it has a GM head, Mahalanobis on clean training
 * features always), their thresholds from held-out clean data, and the robustness evaluation.
 */
import type { Backend } from '../core/backend.js';
import { keep } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../ops/creation.js';
import { GMScoreDetector } from '../detect/gm-score.js';
import { MahalanobisDetector } from '../detect/mahalanobis.js';
import { KernelDensityDetector } from '../detect/kernel-density.js';
import { LidDetector } from '../detect/lid.js';
import type { ImageData } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';
import { evaluateRobustness, type NamedDetector, type RobustnessOptions, type RobustnessResult } from './robustness.js';
import { planAttacks, type PlanOptions } from './plans.js';
import type { SkippedRun } from './threat-models.js';

/** Images in [0, 1] as a [N, C, H, W] tensor and int32 labels. */
export function toTensors(d: ImageData, backend: Backend): { x: Tensor; y: Tensor } {
  const x = new Float32Array(d.images.length);
  for (let i = 0; i < x.length; i++) x[i] = d.images[i]! / 255;
  return {
    x: keep(tensor(x, { shape: [d.n, d.c, d.h, d.w], backend })),
    y: keep(tensor(Int32Array.from(d.labels), { shape: [d.n], backend })),
  };
}

export interface ModelEvaluationOptions extends Omit<PlanOptions, 'adaptiveDetector'> {
  model: Classifier;
  backend: Backend;
  /** clean training images the Mahalanobis statistics are fitted on */
  fit: ImageData;
  /** held-out clean images τ is calibrated on (never the attacked ones) */
  calibration: ImageData;
  /** the images attacked */
  evaluation: ImageData;
  tpr?: number;
  /** baseline detectors fitted beside GM and Mahalanobis: 'kd' (Feinman et al. 2017), 'lid' (Ma et al. 2018) */
  extraDetectors?: readonly ('kd' | 'lid')[];
  /** further clean true-positive rates to report τ at (e.g. 0.95; the detectors flag at `tpr`) */
  extraTprs?: number[];
  batchSize?: number;
  keepFeatures?: boolean;
  keepImages?: number;
  onProgress?: RobustnessOptions['onProgress'];
  /** milliseconds, monotonic (default performance.now) */
  now?: () => number;
  log?: (line: string) => void;
}

export interface ModelEvaluation {
  result: RobustnessResult;
  detectors: NamedDetector[];
  /** the detector the adaptive attack targeted */
  primary: string;
  /** detector name → τ at each clean true-positive rate asked for (extraTprs and tpr), from the held-out calibration images */
  taus: Record<string, { tpr: number; tau: number }[]>;
  /** (attack, norm) pairs of a several-norm run the attack has no form for, with the reason */
  skipped: SkippedRun[];
}

export async function evaluateModel(o: ModelEvaluationOptions): Promise<ModelEvaluation> {
  const { model, backend } = o;
  const log = o.log ?? (() => {});
  const fit = toTensors(o.fit, backend);
  const cal = toTensors(o.calibration, backend);
  const ev = toTensors(o.evaluation, backend);
  try {
    model.eval();
    const detectors: NamedDetector[] = [];
    if (model.isGM) detectors.push({ name: 'GM score', detector: new GMScoreDetector(model) });
    log(`fitting the Mahalanobis detector on ${o.fit.n} clean training images`);
    detectors.push({ name: 'Mahalanobis', detector: await MahalanobisDetector.fit(model, fit.x, fit.y, { numClasses: model.meta.numClasses, batchSize: o.batchSize }) });
    if (o.extraDetectors?.includes('kd')) {
      log(`fitting the kernel-density detector on ${o.fit.n} clean training images`);
      detectors.push({ name: 'Kernel density', detector: await KernelDensityDetector.fit(model, fit.x, fit.y, { batchSize: o.batchSize, seed: o.seed }) });
    }
    if (o.extraDetectors?.includes('lid')) {
      log(`fitting the LID detector on ${o.fit.n} clean training images`);
      detectors.push({ name: 'LID', detector: await LidDetector.fit(model, fit.x, { batchSize: o.batchSize }) });
    }
    const taus: Record<string, { tpr: number; tau: number }[]> = {};
    for (const d of detectors) {
      // the extra rates first: calibrate() leaves the detector at the last τ it computed
      taus[d.name] = [];
      for (const tpr of o.extraTprs ?? []) taus[d.name]!.push({ tpr, tau: await d.detector.calibrate(cal.x, cal.y, { tpr, batchSize: o.batchSize }) });
      const tau = await d.detector.calibrate(cal.x, cal.y, { tpr: o.tpr ?? 0.99, batchSize: o.batchSize });
      taus[d.name]!.push({ tpr: o.tpr ?? 0.99, tau });
      log(`${d.name}: τ = ${tau.toPrecision(4)} (${100 * (o.tpr ?? 0.99)} % of ${o.calibration.n} held-out clean images accepted)`);
    }
    const primary = detectors[0]!;
    const { plans: attacks, skipped } = planAttacks({ ...o, adaptiveDetector: primary.detector });
    const result = await evaluateRobustness({
      model, x: ev.x, y: ev.y, detectors, attacks, batchSize: o.batchSize,
      keepFeatures: o.keepFeatures, keepImages: o.keepImages, onProgress: o.onProgress, now: o.now,
    });
    return { result, detectors, primary: primary.name, taus, skipped };
  } finally {
    for (const t of [fit.x, fit.y, cal.x, cal.y, ev.x, ev.y]) t.dispose();
  }
}
