import { describe, expect, it } from 'vitest';
import { makePlans, planAttacks, PLAN_NAMES } from '../../src/eval/plans.js';
import { EXTRA_PLAN_NAMES } from '../../src/eval/plans-extra.js';
import { FIXED_THREAT_MODELS, PLAN_NORMS, THREAT_NORMS, threatModelRuns } from '../../src/eval/threat-models.js';
import { ATTACK_OPTIONS } from '../../src/cli/attack-command.js';
import { parseArgs } from '../../src/cli/args.js';
import { createAttack, PGD, type AttackName } from '../../src/attacks/index.js';

describe('attack plans of the evaluation attacks', () => {
  it('builds one plan per ε for the ε-bounded attacks and one for minimum-norm and L0 attacks, with the budget asked for', () => {
    const plans = makePlans({ attacks: ['apgd-ce', 'autoattack', 'square', 'fab', 'sparse-rs', 'selective-pgd', 'apgd-adaptive'], epsilons: [0.1, 0.3], steps: 7, restarts: 3, queries: 50, pixels: 4, seed: 1 });
    expect(plans.map((p) => p.kind)).toEqual(['apgd-ce', 'apgd-ce', 'autoattack', 'autoattack', 'square', 'square', 'fab', 'sparse-rs', 'selective-pgd', 'selective-pgd', 'apgd-adaptive', 'apgd-adaptive']);
    expect(plans.map((p) => p.epsilon)).toEqual([0.1, 0.3, 0.1, 0.3, 0.1, 0.3, null, null, 0.1, 0.3, 0.1, 0.3]);
    expect(plans[0]!.label).toBe('APGD-CE L∞ 3×7 ε=0.1');
    expect(plans[4]!.label).toBe('Square L∞ 50q ε=0.1');
    expect(plans[7]!.label).toBe('Sparse-RS L0 k=4 50q');
    expect(plans[10]!.label).toBe('APGD-Adaptive L∞ 3×7 ε=0.1');
    expect(plans[0]!.attack.progressSteps).toBe(21);
    expect(plans[10]!.attack.progressSteps).toBe(21);
  });

  it('offers every extra plan on the command line, with its budget flags', () => {
    for (const name of EXTRA_PLAN_NAMES) expect(PLAN_NAMES).toContain(name);
    const a = parseArgs(['--attacks', 'autoattack,apgd-adaptive'], ATTACK_OPTIONS);
    expect(a.attacks).toEqual(['autoattack', 'apgd-adaptive']);
    expect(() => parseArgs(['--attacks', 'no-such-attack'], ATTACK_OPTIONS)).toThrow(/no-such-attack/);
    const b = parseArgs(['--restarts', '5', '--queries', '300', '--pixels', '8', '--kappa', '2', '--detectors', 'kd,lid'], ATTACK_OPTIONS);
    expect([b.restarts, b.queries, b.pixels, b.kappa, b.detectors]).toEqual([5, 300, 8, 2, ['kd', 'lid']]);
    expect(() => parseArgs(['--detectors', 'svm'], ATTACK_OPTIONS)).toThrow(/detectors/);
  });
});

describe('threat models', () => {
  it('every plan name is either named for one threat model or takes --norm', () => {
    for (const name of PLAN_NAMES) expect(Object.hasOwn(FIXED_THREAT_MODELS, name) !== Object.hasOwn(PLAN_NORMS, name), name).toBe(true);
  });

  it('each attack that takes a norm builds under every norm it lists, and its class refuses the others', () => {
    // the registry attack each plan name builds under a norm
    const registryName: Record<string, AttackName> = { pgd: 'pgd', adaptive: 'adaptive-pgd' };
    for (const [name, supported] of Object.entries(PLAN_NORMS)) {
      for (const norm of THREAT_NORMS) {
        if (supported.includes(norm)) {
          const plans = makePlans({ attacks: [name], norms: [norm], epsilons: [0.2], steps: 2, seed: 0 });
          expect(plans.length, `${name} ${norm}`).toBe(1);
          expect(plans[0]!.attack.norm, `${name} ${norm}`).toBe(norm);
        } else {
          const options = { epsilon: 0.2, norm, tau: 1, kappa: 1 } as never;
          const build = () => (name === 'pgd' ? new PGD(options) : createAttack(registryName[name] ?? name as AttackName, options));
          expect(build, `${name} ${norm}`).toThrow(/norm must be one of/);
        }
      }
    }
  });

  it('labels and runs carry the norm; a list runs each norm with its own ε; fixed-norm attacks run once', () => {
    const { plans, skipped } = planAttacks({
      attacks: ['apgd-ce', 'pgd', 'fgsm', 'fgm', 'cw', 'square', 'fab'], norms: ['linf', 'l2', 'l1'],
      epsilons: [0.3], epsilonsByNorm: { l2: [1, 2], l1: [10] }, steps: 100, seed: 0,
    });
    expect(plans.map((p) => p.label)).toEqual([
      'APGD-CE L∞ 1×100 ε=0.3', 'APGD-CE L2 1×100 ε=1', 'APGD-CE L2 1×100 ε=2', 'APGD-CE L1 1×100 ε=10',
      'PGD-100 L∞ ε=0.3', 'PGD-100 L2 ε=1', 'PGD-100 L2 ε=2',
      'FGSM L∞ ε=0.3', 'FGM L2 ε=1', 'FGM L2 ε=2', 'C&W L2',
      'Square L∞ 1000q ε=0.3', 'Square L2 1000q ε=1', 'Square L2 1000q ε=2',
      'FAB L∞ 1×100', 'FAB L2 1×100',
    ]);
    expect(plans.map((p) => p.attack.norm)).toEqual(['linf', 'l2', 'l2', 'l1', 'linf', 'l2', 'l2', 'linf', 'l2', 'l2', 'l2', 'linf', 'l2', 'l2', 'linf', 'l2']);
    expect(plans.every((p) => p.epsilon === null || p.attack.norm !== 'l2' || p.epsilon >= 1)).toBe(true);
    expect(skipped.map((s) => [s.attack, s.norm])).toEqual([['pgd', 'l1'], ['square', 'l1'], ['fab', 'l1']]);
    expect(skipped[0]!.reason).toBe('pgd has no L1 form (it supports linf, l2)');
  });

  it('one norm an attack lacks is an error naming the attack, the norm and what it supports', () => {
    expect(() => makePlans({ attacks: ['apgd-ce', 'square'], norms: ['l1'], epsilons: [5] }))
      .toThrow("attack 'square' under --norm l1: square has no L1 form (it supports linf, l2)");
    expect(() => threatModelRuns(['orthogonal-pgd'], ['l1'])).toThrow(/orthogonal-pgd.*--norm l1.*supports linf, l2/);
    expect(threatModelRuns(['sparse-rs', 'deepfool-linf'], ['l1']).runs).toEqual([{ attack: 'sparse-rs', norm: 'l0' }, { attack: 'deepfool-linf', norm: 'linf' }]);
  });

  it('--norm takes one or several of linf, l2, l1 (default linf); --eps-<norm> lists are optional', () => {
    expect(parseArgs([], ATTACK_OPTIONS).norm).toEqual(['linf']);
    const a = parseArgs(['--norm', 'linf,l2', '--eps-l2', '0.5,1'], ATTACK_OPTIONS);
    expect([a.norm, a.epsL2, a.epsL1]).toEqual([['linf', 'l2'], [0.5, 1], undefined]);
    expect(() => parseArgs(['--norm', 'l0'], ATTACK_OPTIONS)).toThrow(/--norm must be a comma-separated list of linf, l2, l1/);
    expect(ATTACK_OPTIONS.eps.help).toMatch(/in the chosen --norm/);
  });
});
