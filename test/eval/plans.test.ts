import { describe, expect, it } from 'vitest';
import { makePlans, PLAN_NAMES } from '../../src/eval/plans.js';
import { EXTRA_PLAN_NAMES } from '../../src/eval/plans-extra.js';
import { ATTACK_OPTIONS } from '../../src/cli/attack-command.js';
import { parseArgs } from '../../src/cli/args.js';

describe('attack plans of the evaluation attacks', () => {
  it('builds one plan per ε for the ε-bounded attacks and one for minimum-norm and L0 attacks, with the budget asked for', () => {
    const plans = makePlans({ attacks: ['apgd-ce', 'autoattack', 'square', 'fab', 'sparse-rs', 'selective-pgd'], epsilons: [0.1, 0.3], steps: 7, restarts: 3, queries: 50, pixels: 4, seed: 1 });
    expect(plans.map((p) => p.kind)).toEqual(['apgd-ce', 'apgd-ce', 'autoattack', 'autoattack', 'square', 'square', 'fab', 'sparse-rs', 'selective-pgd', 'selective-pgd']);
    expect(plans.map((p) => p.epsilon)).toEqual([0.1, 0.3, 0.1, 0.3, 0.1, 0.3, null, null, 0.1, 0.3]);
    expect(plans[0]!.label).toBe('APGD-CE 3×7 ε=0.1');
    expect(plans[4]!.label).toBe('Square 50q ε=0.1');
    expect(plans[7]!.label).toBe('Sparse-RS L0 k=4 50q');
    expect(plans[0]!.attack.progressSteps).toBe(21);
  });

  it('offers every extra plan on the command line, with its budget flags', () => {
    for (const name of EXTRA_PLAN_NAMES) expect(PLAN_NAMES).toContain(name);
    const a = parseArgs(['--attacks', 'autoattack'], ATTACK_OPTIONS);
    expect(a.attacks).toEqual(['autoattack']);
    expect(() => parseArgs(['--attacks', 'no-such-attack'], ATTACK_OPTIONS)).toThrow(/no-such-attack/);
    const b = parseArgs(['--restarts', '5', '--queries', '300', '--pixels', '8', '--kappa', '2', '--detectors', 'kd,lid'], ATTACK_OPTIONS);
    expect([b.restarts, b.queries, b.pixels, b.kappa, b.detectors]).toEqual([5, 300, 8, 2, ['kd', 'lid']]);
    expect(() => parseArgs(['--detectors', 'svm'], ATTACK_OPTIONS)).toThrow(/detectors/);
  });
});
