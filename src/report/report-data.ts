/**
 * The plain data a report is drawn from. Everything is numbers, strings and (typed) arrays, so a
 * report can be rendered in Node or in a browser without the engine. Every section is optional:
 * the page shows what is present. Field names follow the engine's own results (EpochMetrics,
 * AttackRun, DetectionReport), so those objects can be passed through unchanged.
 */
import type { AdversarialFeatures } from './charts/feature-scatter.js';
import type { ImageGridRow } from './charts/image-grid.js';
import type { ImageShape } from './raster.js';

export type ConfigValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[] | Record<string, unknown>;

export interface ReportData {
  title: string;
  subtitle?: string;
  /** run configuration (command-line flags, hyper-parameters), shown as a table */
  config?: Record<string, ConfigValue>;
  backend?: BackendInfo;
  /** display names of the classes, index = label (default: the label number) */
  classNames?: readonly string[];
  /** one entry per trained model (e.g. "GM" and "softmax"); sections compare them side by side */
  models: readonly ModelReport[];
  footer?: FooterInfo;
}

export interface BackendInfo {
  /** e.g. "webgpu", "wasm", "cpu" */
  name: string;
  /** adapter / device description, e.g. "NVIDIA H200 (Vulkan)" or "SwiftShader" */
  device?: string;
  details?: Record<string, ConfigValue>;
}

export interface ModelReport {
  name: string;
  /** the classifier head: 'gm' models get GM-specific labels (μ, σ circles) */
  head?: 'gm' | 'softmax';
  /** per-epoch metrics (the trainer's EpochMetrics fit) */
  training?: readonly EpochRecord[];
  /** 2-D features (only for models whose feature layer has two dimensions) */
  features?: FeatureData;
  robustness?: RobustnessSummary;
  /** raw detection scores per detector: the score histograms and ROC curves are drawn from them */
  detection?: readonly DetectorScores[];
  /** adversarial examples, one grid per attack */
  examples?: readonly ExampleGrid[];
  /** K×K counts on clean test data, rows = true class, columns = prediction */
  confusion?: readonly ArrayLike<number>[];
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  /** fraction in [0, 1] */
  trainAccuracy: number;
  testLoss?: number | null;
  testAccuracy?: number | null;
  lr?: number;
  seconds?: number;
}

export interface FeatureData {
  /** N × 2 clean test features, row-major */
  points: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** K × 2 class means (GM: the head's μ; softmax: empirical means of the clean features) */
  means?: ArrayLike<number>;
  /** K × 2 diagonal covariances (GM with learned variances); identity when absent */
  variances?: ArrayLike<number>;
  /** how to draw the class Gaussians (default: 'circles' for GM models with means, else 'none') */
  density?: 'none' | 'circles' | 'contours';
  adversarial?: AdversarialFeatures;
}

export interface AttackSummary {
  /** e.g. "PGD-40 ε=0.3" */
  label: string;
  kind?: string;
  epsilon?: number | null;
  /** accuracy on the adversarial inputs (over all evaluated samples) */
  accuracy: number;
  /** misclassified among the clean-correct samples */
  successRate: number;
  meanNorm?: number;
  seconds?: number;
  imagesPerSecond?: number;
}

export interface DetectionRowData {
  auroc: number;
  tnrAt95Tpr: number;
  /** misclassified and accepted, over all evaluated samples */
  robustError: number;
  detectionRate?: number;
  detectionAccuracy?: number;
}

export interface DetectorSummary {
  /** the detector's threshold */
  tau?: number;
  /** one row per attack, in the order of RobustnessSummary.attacks */
  perAttack: readonly DetectionRowData[];
  /** the per-sample worst case of each threat model, in the order of RobustnessSummary.worstCases */
  worstCases?: readonly DetectionRowData[];
}

/** A threat model's per-sample worst case over its attacks. */
export interface WorstCaseSummary {
  /** says the norm and the rows covered, e.g. "worst case L∞ over 4 rows (ε ≤ 0.3; without ε: FAB L∞ 1×40)" */
  label: string;
  /** e.g. "L∞" */
  norm: string;
  /** classified correctly under every attack of the threat model */
  accuracy: number;
}

export interface RobustnessSummary {
  /** test images attacked */
  n: number;
  cleanAccuracy: number;
  /** the clean true-positive rate τ was calibrated at (e.g. 0.99) */
  calibrationTpr?: number;
  attacks: readonly AttackSummary[];
  /** one per threat model among the attacks */
  worstCases?: readonly WorstCaseSummary[];
  /** detector name ("GM score", "Mahalanobis") → its metrics */
  detection?: Record<string, DetectorSummary>;
}

export interface DetectorScores {
  detector: string;
  /** threshold: inputs with score > τ are flagged */
  tau: number;
  /** scores of the clean (correctly classified) test inputs */
  clean: ArrayLike<number>;
  /**
   * scores of the adversarial inputs per attack — the positives of the ROC curve (the engine's
   * metrics use the successful adversarial inputs of clean-correct samples)
   */
  attacks: readonly { label: string; scores: ArrayLike<number> }[];
}

export interface ExampleGrid {
  attack: string;
  shape: ImageShape;
  rows: readonly ImageGridRow[];
  /** which detector's score the captions show, e.g. "GM score" */
  detector?: string;
}

export interface FooterInfo {
  /** total wall-clock time of the run */
  seconds?: number;
  /** phase name → seconds, e.g. { training: 812, attacks: 95 } */
  timings?: Record<string, number>;
  /** package → version, e.g. { gmgrad: "0.1.0", node: "20.20.2" } */
  versions?: Record<string, string>;
  /** ISO time stamp */
  generatedAt?: string;
  /** the command line that produced the run */
  command?: string;
}
