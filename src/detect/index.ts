/** Detection of adversarial inputs: the GM score, the Mahalanobis baseline, and the metrics. */
export {
  FeatureDetector, DetectorError, thresholdAtTpr, forEachBatch, type ScoreOptions, type CalibrateOptions,
} from './detector.js';
export { GMScoreDetector } from './gm-score.js';
export { gmScore, gmClassNll, type GMParameters } from './gm-nll.js';
export {
  MahalanobisDetector, ClassCovarianceAccumulator, type MahalanobisFitOptions, type MahalanobisStatistics,
} from './mahalanobis.js';
export { cholesky, choleskyWithRidge, invertLower, gram, type RidgeCholesky } from './linalg64.js';
export {
  rocAuc, rocCurve, tnrAtTpr, detectionAccuracy, attackSuccessRate, fooled, robustError, worstCaseOverAttacks,
  detectionReport, type RocPoint, type AttackOutcome, type DetectionRow, type DetectionReport,
} from './metrics.js';
