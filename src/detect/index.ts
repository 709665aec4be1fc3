/** Detection of adversarial inputs: the GM score, the Mahalanobis, kernel-density and LID baselines, and the metrics. */
export {
  FeatureDetector, DetectorError, thresholdAtTpr, forEachBatch, type ScoreOptions, type CalibrateOptions,
} from './detector.js';
export { GMScoreDetector } from './gm-score.js';
export { gmScore, gmClassNll, type GMParameters } from './gm-nll.js';
export {
  MahalanobisDetector, ClassCovarianceAccumulator, type MahalanobisFitOptions, type MahalanobisStatistics,
} from './mahalanobis.js';
export { KernelDensityDetector, type KernelDensityFitOptions, type BandwidthSearchOptions } from './kernel-density.js';
export {
  kdeLogDensity, scottBandwidth, groupByClass, chooseBandwidthByLikelihood, type ClassFeatures, type BandwidthChoice,
} from './kde-math.js';
export { LidDetector, LID_LAYERS, type LidLayer, type LidFitOptions, type LidParameters } from './lid.js';
export { nearestSquaredDistances, lidFromSquaredDistances } from './lid-math.js';
export { fitLogistic, type LogisticModel } from './logistic.js';
export { collectFeatures, type HostFeatures } from './features.js';
export { cholesky, choleskyWithRidge, invertLower, gram, type RidgeCholesky } from './linalg64.js';
export {
  rocAuc, rocCurve, tnrAtTpr, detectionAccuracy, attackSuccessRate, fooled, robustError, worstCaseOverAttacks,
  detectionReport, detectionRow, detectionReportsAtTprs, type RocPoint, type AttackOutcome, type DetectionRow, type DetectionReport,
  type OperatingPointReport,
} from './metrics.js';
