/** Adversarial attacks: gradient attacks, C&W, DeepFool, detector-aware variants, and a registry. */
export { Attack, type AttackOptions, type AttackResult, type PerturbOutput, type RunOptions as AttackRunOptions } from './attack.js';
export { EpsilonAttack, type EpsilonAttackOptions, type EpsilonResult } from './epsilon-attack.js';
export { FGSM, FGM, type FGSMOptions } from './fgsm.js';
export { PGD, BIM, type PGDOptions, type BIMOptions } from './pgd.js';
export { MIM, type MIMOptions } from './mim.js';
export { CW, type CWOptions } from './cw.js';
export { DeepFool, DeepFoolLinf, type DeepFoolOptions } from './deepfool.js';
export { AdaptivePGD, AdaptiveCW, resolveDetectorTerm, type AdaptivePGDOptions, type AdaptiveCWOptions, type DetectorAwareOptions } from './adaptive.js';
export { APGD, APGD_LOSSES, APGD_NORMS, type APGDLoss, type APGDOptions } from './apgd.js';
export { APGDAdaptive, type APGDAdaptiveOptions } from './apgd-adaptive.js';
export { APGDTargeted, type APGDTargetedOptions } from './apgd-targeted.js';
export { apgdRun, type APGDIterate, type APGDSettings, type APGDObjective } from './apgd-run.js';
export { apgdCheckpoints, checkpointFractions } from './apgd-schedule.js';
export { dlrObjective, targetedDlrObjective, topLogits, DLR_FLOOR } from './dlr.js';
export { projectL1, projectL1Box, sparseL1Direction, kthLargest, l0PerSample } from './l1-steps.js';
export { FAB, FABTargeted, type FABOptions, type FABTargetedOptions } from './fab.js';
export { projectOnHyperplaneBox } from './fab-projection.js';
export { AutoAttack, STANDARD_MEMBERS, type AutoAttackOptions, type AutoAttackResult, type AutoAttackMember, type AttackLookup, type MemberConfig, type MemberReport } from './autoattack.js';
export { Square, type SquareOptions } from './square.js';
export { SparseRS, type SparseRSOptions } from './sparse-rs.js';
export { fractionAt, squareSide, pixelsToSwap, HALVING_ITERATIONS } from './rs-schedule.js';
export { changedPixels } from './pixel-norm.js';
export { DetectorAwarePGD, type DetectorAwarePGDOptions, type StepDirection } from './detector-aware-pgd.js';
export { NearestWrongClassPGD, HighConfidencePGD, type HighConfidencePGDOptions } from './nearest-class.js';
export { OrthogonalPGD, SelectivePGD, orthogonalComponent, pickPerSample, type OrthogonalPGDOptions } from './orthogonal.js';
export { nearestWrongClassLoss, combinedDetectorLoss, type DetectorAwareLoss } from './detector-losses.js';
export { worstCaseOverResults, toAttackOutcome, type NamedAttackResult, type WorstCaseOverResults } from './worst-case.js';
export { createAttack, ATTACK_NAMES, type AttackName, type AttackOptionsByName } from './registry.js';
export type { AttackContext, DetectorTerm, FeatureScorer } from './context.js';
export { successMask, attackObjective } from './context.js';
export {
  LOSS_NAMES, type LossName, type ObjectiveSpec, marginObjective, crossEntropyObjective, gmFeatureObjective,
  otherClassMax, otherClassMin, pickClass, evaluateObjective,
} from './losses.js';
export { type AttackModel, type FeatureModel, type ModelHead, type ForwardOutputs, forwardPass, withEvalMode, hasFeatures, hasGMHead } from './model.js';
export {
  NORM_FLOOR, type Norm, type LpOrder, lpOrder, sampleAxes, perSampleNorm, normalizePerSample, ascentDirection,
  projectLinf, projectL2, project, clipToImage, ascentStep, momentumUpdate,
} from './steps.js';
export { randomStart } from './random-start.js';
export { inputGradient } from './gradient.js';
export { TARGET_MODES, type TargetMode } from './targets.js';
export { AttackConfigError, AttackInputError } from './validate.js';
export type { ThreatNorm } from './steps.js';
