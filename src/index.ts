/** gmgrad: tensors, autodiff, layers, the GM loss, attacks and detection, on WebGPU or the CPU. */
export * from './ops/index.js';
export { Tensor, type NestedArray } from './core/tensor.js';
export type { DType, TypedArray } from './core/dtype.js';
export type { Backend, MemoryInfo, GMLikelihood } from './core/backend.js';
export { backward, grad, valueAndGrad, noGrad, enableGrad, isGradEnabled } from './core/autograd.js';
export { withoutAccelerations } from './core/accelerations.js';
export { tidy, keep } from './core/scope.js';
export { Generator, manualSeed, defaultGenerator } from './core/random.js';
export { getBackend, setBackend, createBackend, memory, type InitOptions, type BackendName } from './core/engine.js';
export { ShapeError, formatShape } from './core/shape.js';
export { init, describeBackend, type InitResult } from './init.js';
export * from './attacks/index.js';
export * from './detect/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export { createModel, MODEL_NAMES, type ModelName, type ModelOptions } from './models/zoo.js';
export { Classifier, type InputNormalization } from './models/classifier.js';
export { DataLoader, type DataLoaderOptions } from './data/dataloader.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export { encodeModel, decodeModel, type LoadedModel, type DecodeModelOptions } from './train/checkpoint.js';
export { modelMetadata } from './train/checkpoint.js';
export { defaultConfig, type TrainConfig } from './train/config.js';
export * as report from './report/index.js';
export { architectureOf, buildModel, type Architecture } from './models/architecture.js';
export { DATASETS, datasetNames, getDatasetSpec, type DatasetName, type DatasetSpec, type Split } from './data/registry.js';
export { slice as sliceDataset, stratifiedSlice, gather as gatherDataset, type Dataset, type ImageData } from './data/dataset.js';
export { evaluateModel, toTensors, type ModelEvaluation, type ModelEvaluationOptions } from './eval/evaluate-model.js';
export { evaluateRobustness, type AttackPlan, type AttackRun, type NamedDetector, type RobustnessOptions, type RobustnessResult } from './eval/robustness.js';
export { makePlans, PLAN_NAMES, type PlanOptions } from './eval/plans.js';
export { formatRobustness, robustnessJson } from './eval/summary.js';
export {
  runSanityChecks, type SanityOptions, type SanityReport, type SanityAttack, type GradientBudget, type CheckStatus,
  type MonotonicCheck, type UnboundedCheck, type BudgetCheck, type GradientFreeCheck, type TramerCheck,
} from './eval/sanity-checks.js';
export { sanityMarkdown } from './eval/sanity-md.js';
export { tramerReduction, detectorRobustAccuracy, type TramerInput, type TramerResult } from './eval/sanity-tramer.js';
export { adversarialSettings, createAdversary, batchSeed, type Adversary, type AdversarialSettings, type BatchPosition } from './train/adversarial.js';
export { ProgressBar, type ProgressBarOptions, type ProgressStream } from './progress/progress-bar.js';
export { taskProgressPrinter, type TaskEvent } from './progress/task-progress.js';
export { customOp, type CustomOpDefinition } from './core/custom-op.js';
