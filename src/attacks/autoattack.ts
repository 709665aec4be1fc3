/**
 * The AutoAttack ensemble (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with
 * an ensemble of diverse parameter-free attacks"), standard version: APGD-CE, APGD-T, FAB-T and
 * Square, in that order, each run only on the samples every earlier member failed on. A sample is
 * robust only if every member fails (the per-sample worst case); the result records, per sample,
 * the member that broke it first ('clean' when the clean input is already misclassified).
 *
 * The members come from a small table and are built through a lookup (the attack registry), so a
 * member that is not registered (Square, before it lands) is skipped and reported as such, and one
 * registered later joins without a change here. Members that do not support the threat model (FAB
 * and Square have no L1 form) are skipped too. A minimum-norm member (FAB) counts only where the
 * adversarial it found lies within ε.
 */
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../ops/creation.js';
import { indexSelect } from '../ops/indexing.js';
import { argmax } from '../ops/reduce.js';
import type { Attack, AttackResult, PerturbOutput, RunOptions } from './attack.js';
import type { AttackContext } from './context.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import type { AttackModel } from './model.js';
import { readAndDispose } from './readback.js';
import type { Norm } from './steps.js';
import { AttackConfigError, checkOneOf, checkPositiveInt } from './validate.js';

/** builds a registered attack by name, or null when no attack has that name */
export type AttackLookup = (name: string, options: Record<string, unknown>) => Attack | null;

export interface MemberConfig { epsilon: number; norm: Norm; seed: number; steps: number | undefined }

export interface AutoAttackMember {
  /** the registry name */
  name: string;
  /** the threat models it supports */
  norms: readonly Norm[];
  /** a minimum-norm attack: its success counts only within ε */
  minimumNorm: boolean;
  /** it searches over image squares or pixels, so needs [N, C, H, W] inputs (Square) */
  imagesOnly?: boolean;
  options(c: MemberConfig): Record<string, unknown>;
}

const withSteps = (c: MemberConfig) => (c.steps === undefined ? {} : { steps: c.steps });

/** the standard version, in its order (100 iterations and 9 target classes as published; Square with its own default budget) */
export const STANDARD_MEMBERS: readonly AutoAttackMember[] = [
  { name: 'apgd-ce', norms: ['linf', 'l2', 'l1'], minimumNorm: false, options: (c) => ({ epsilon: c.epsilon, norm: c.norm, seed: c.seed, ...withSteps(c) }) },
  { name: 'apgd-t', norms: ['linf', 'l2', 'l1'], minimumNorm: false, options: (c) => ({ epsilon: c.epsilon, norm: c.norm, seed: c.seed, numTargets: 9, ...withSteps(c) }) },
  { name: 'fab-t', norms: ['linf', 'l2'], minimumNorm: true, options: (c) => ({ norm: c.norm, seed: c.seed, numTargets: 9, ...withSteps(c) }) },
  { name: 'square', norms: ['linf', 'l2'], minimumNorm: false, imagesOnly: true, options: (c) => ({ epsilon: c.epsilon, norm: c.norm, seed: c.seed }) },
];

export interface AutoAttackOptions extends Omit<EpsilonAttackOptions, 'target'> {
  /** 'linf' (default), 'l2' or 'l1' */
  norm?: Norm;
  /** iterations of every iterative member (default: each member's own, 100 for APGD and FAB) */
  steps?: number;
  /** the members in order (default STANDARD_MEMBERS) */
  members?: readonly AutoAttackMember[];
  /** run every member on every sample (per-member statistics) instead of only on the still-robust ones (default false) */
  runAll?: boolean;
}

export interface MemberReport {
  name: string;
  /** 'ran', or why not: not registered, no form for the threat model, or inputs that are not images */
  status: 'ran' | 'not registered' | 'unsupported norm' | 'unsupported input';
  /** samples it was run on */
  attempted: number;
  /** of those, samples it broke */
  successes: number;
}

export interface AutoAttackResult extends AttackResult {
  /** per sample: the member that broke it first, 'clean' if misclassified already, null if robust */
  brokenBy: (string | null)[];
  members: MemberReport[];
}

export class AutoAttack extends EpsilonAttack {
  readonly name: string;
  readonly norm: Norm;
  readonly members: readonly AutoAttackMember[];
  readonly steps: number | undefined;
  readonly runAll: boolean;
  #report: { brokenBy: (string | null)[]; members: MemberReport[] } | null = null;

  constructor(readonly options: AutoAttackOptions, private readonly lookup: AttackLookup) {
    const n = options?.norm === undefined ? 'linf' : checkOneOf('AutoAttack', 'norm', options.norm, ['linf', 'l2', 'l1'] as const);
    const name = n === 'linf' ? 'AutoAttack' : `AutoAttack-${n.toUpperCase()}`;
    if ((options as { target?: string }).target !== undefined && (options as { target?: string }).target !== 'untargeted') {
      throw new AttackConfigError(`${name}: the ensemble is untargeted (APGD-T and FAB-T pick their own targets)`);
    }
    super(name, options);
    this.name = name;
    this.norm = n;
    this.steps = options.steps === undefined ? undefined : checkPositiveInt(name, 'steps', options.steps);
    this.members = options.members ?? STANDARD_MEMBERS;
    if (this.members.length === 0) throw new AttackConfigError(`${name}: members must name at least one attack`);
    this.runAll = options.runAll ?? false;
  }

  /** progress counts members (each runs its own iterations) */
  override get progressSteps(): number { return this.members.length; }

  withEpsilon(epsilon: number): AutoAttack {
    return new AutoAttack({ ...this.options, epsilon }, this.lookup);
  }

  override async run(model: AttackModel, x: Tensor, labels: Tensor, targets?: Tensor, options: RunOptions = {}): Promise<AutoAttackResult> {
    this.#report = null;
    const result = await super.run(model, x, labels, targets, options);
    const report = this.#report!;
    return { ...result, brokenBy: report.brokenBy, members: report.members };
  }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    if (ctx.targets) throw new AttackConfigError(`${this.name}: the ensemble is untargeted; do not pass targets`);
    const n = ctx.x.shape[0]!;
    const d = ctx.x.size / n;
    const labels = (await ctx.labels.data()) as Int32Array;
    const cleanPred = (await readAndDispose(tidy(() => argmax(ctx.cleanLogits, 1)))) as Int32Array;
    const brokenBy: (string | null)[] = Array.from(labels, (y, i) => (cleanPred[i] !== y ? 'clean' : null));
    const output = Float64Array.from(await ctx.x.data());
    const reports: MemberReport[] = [];
    const config: MemberConfig = { epsilon: this.epsilon, norm: this.norm, seed: this.seed, steps: this.steps };
    for (const member of this.members) {
      ctx.iterationDone();
      const report: MemberReport = { name: member.name, status: 'ran', attempted: 0, successes: 0 };
      reports.push(report);
      if (!member.norms.includes(this.norm)) { report.status = 'unsupported norm'; continue; }
      if (member.imagesOnly && ctx.x.rank !== 4) { report.status = 'unsupported input'; continue; }
      const attack = this.lookup(member.name, member.options(config));
      if (!attack) { report.status = 'not registered'; continue; }
      const chosen = Array.from({ length: n }, (_, i) => i).filter((i) => this.runAll ? brokenBy[i] !== 'clean' : brokenBy[i] === null);
      report.attempted = chosen.length;
      if (chosen.length === 0) continue;
      const index = keep(tensor(Int32Array.from(chosen), { dtype: 'int32', shape: [chosen.length], backend: ctx.x.backend }));
      const [xs, ys] = [keep(tidy(() => indexSelect(ctx.x, 0, index))), keep(tidy(() => indexSelect(ctx.labels, 0, index)))];
      let r: AttackResult | null = null;
      try {
        r = await attack.run(ctx.model, xs, ys);
        const adv = await r.adversarial.data();
        chosen.forEach((i, j) => {
          const within = !member.minimumNorm || r!.norms[j]! <= this.epsilon * (1 + 1e-6) + 1e-7;
          if (!r!.success[j] || !within) return;
          report.successes++;
          if (brokenBy[i] !== null) return;
          brokenBy[i] = member.name;
          for (let k = 0; k < d; k++) output[i * d + k] = adv[j * d + k]!;
        });
      } finally {
        r?.adversarial.dispose();
        index.dispose();
        xs.dispose();
        ys.dispose();
      }
    }
    this.#report = { brokenBy, members: reports };
    const adversarial = keep(tensor(output, { dtype: ctx.x.dtype, shape: ctx.x.shape, backend: ctx.x.backend }));
    return { adversarial };
  }
}
