/** Attacks by name: `createAttack('pgd', { epsilon: 0.3 })`. */
import type { Attack } from './attack.js';
import { APGD, type APGDOptions } from './apgd.js';
import { APGDAdaptive, type APGDAdaptiveOptions } from './apgd-adaptive.js';
import { APGDTargeted, type APGDTargetedOptions } from './apgd-targeted.js';
import { AutoAttack, type AutoAttackOptions } from './autoattack.js';
import { FAB, FABTargeted, type FABOptions, type FABTargetedOptions } from './fab.js';
import { AdaptiveCW, AdaptivePGD, type AdaptiveCWOptions, type AdaptivePGDOptions } from './adaptive.js';
import { CW, type CWOptions } from './cw.js';
import { DeepFool, DeepFoolLinf, type DeepFoolOptions } from './deepfool.js';
import { FGM, FGSM, type FGSMOptions } from './fgsm.js';
import type { DetectorAwarePGDOptions } from './detector-aware-pgd.js';
import { HighConfidencePGD, NearestWrongClassPGD, type HighConfidencePGDOptions } from './nearest-class.js';
import { OrthogonalPGD, SelectivePGD, type OrthogonalPGDOptions } from './orthogonal.js';
import { MIM, type MIMOptions } from './mim.js';
import { BIM, PGD, type BIMOptions, type PGDOptions } from './pgd.js';
import { SparseRS, type SparseRSOptions } from './sparse-rs.js';
import { Square, type SquareOptions } from './square.js';
import { AttackConfigError } from './validate.js';

export interface AttackOptionsByName {
  fgsm: FGSMOptions;
  fgm: FGSMOptions;
  bim: BIMOptions;
  pgd: Omit<PGDOptions, 'norm'>;
  'pgd-l2': Omit<PGDOptions, 'norm'>;
  mim: MIMOptions;
  cw: CWOptions;
  deepfool: DeepFoolOptions;
  'deepfool-linf': DeepFoolOptions;
  'adaptive-pgd': AdaptivePGDOptions;
  'adaptive-cw': AdaptiveCWOptions;
  'apgd-ce': Omit<APGDOptions, 'loss'>;
  'apgd-dlr': Omit<APGDOptions, 'loss'>;
  'apgd-t': APGDTargetedOptions;
  'apgd-adaptive': APGDAdaptiveOptions;
  fab: FABOptions;
  'fab-t': FABTargetedOptions;
  autoattack: AutoAttackOptions;
  square: SquareOptions;
  'sparse-rs': SparseRSOptions;
  'adaptive-mean': DetectorAwarePGDOptions;
  'orthogonal-pgd': OrthogonalPGDOptions;
  'selective-pgd': OrthogonalPGDOptions;
  'high-confidence-pgd': HighConfidencePGDOptions;
}

export type AttackName = keyof AttackOptionsByName;

const FACTORIES: { [K in AttackName]: (o: AttackOptionsByName[K]) => Attack } = {
  fgsm: (o) => new FGSM(o),
  fgm: (o) => new FGM(o),
  bim: (o) => new BIM(o),
  pgd: (o) => new PGD({ ...o, norm: 'linf' }),
  'pgd-l2': (o) => new PGD({ ...o, norm: 'l2' }),
  mim: (o) => new MIM(o),
  cw: (o) => new CW(o),
  deepfool: (o) => new DeepFool(o),
  'deepfool-linf': (o) => new DeepFoolLinf(o),
  'adaptive-pgd': (o) => new AdaptivePGD(o),
  'adaptive-cw': (o) => new AdaptiveCW(o),
  'apgd-ce': (o) => new APGD({ ...o, loss: 'ce' }),
  'apgd-dlr': (o) => new APGD({ ...o, loss: 'dlr' }),
  'apgd-t': (o) => new APGDTargeted(o),
  'apgd-adaptive': (o) => new APGDAdaptive(o),
  fab: (o) => new FAB(o),
  'fab-t': (o) => new FABTargeted(o),
  autoattack: (o) => new AutoAttack(o, lookupAttack),
  square: (o) => new Square(o),
  'sparse-rs': (o) => new SparseRS(o),
  'adaptive-mean': (o) => new NearestWrongClassPGD(o),
  'orthogonal-pgd': (o) => new OrthogonalPGD(o),
  'selective-pgd': (o) => new SelectivePGD(o),
  'high-confidence-pgd': (o) => new HighConfidencePGD(o),
};

/** the ensemble's member lookup: a registered attack by name, null for an unknown name */
function lookupAttack(name: string, options: Record<string, unknown>): Attack | null {
  if (!Object.prototype.hasOwnProperty.call(FACTORIES, name)) return null;
  return (FACTORIES as unknown as Record<string, (o: Record<string, unknown>) => Attack>)[name]!(options);
}

export const ATTACK_NAMES = Object.keys(FACTORIES) as AttackName[];

export function createAttack<K extends AttackName>(name: K, options: AttackOptionsByName[K]): Attack {
  const make = FACTORIES[name] as ((o: AttackOptionsByName[K]) => Attack) | undefined;
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(FACTORIES, name) || !make) {
    throw new AttackConfigError(`createAttack: unknown attack '${String(name)}' (known: ${ATTACK_NAMES.join(', ')})`);
  }
  return make(options ?? ({} as AttackOptionsByName[K]));
}
