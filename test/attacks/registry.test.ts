/** createAttack: every registered name builds the right attack; unknown names and bad options fail clearly. */
import { describe, expect, it } from 'vitest';
import {
  AdaptiveCW, AdaptivePGD, ATTACK_NAMES, BIM, createAttack, CW, DeepFool, DeepFoolLinf, FGM, FGSM, MIM, PGD,
} from '../../src/attacks/index.js';

describe('createAttack', () => {
  it('knows every attack by name', () => {
    expect(ATTACK_NAMES).toEqual(['fgsm', 'fgm', 'bim', 'pgd', 'pgd-l2', 'mim', 'cw', 'deepfool', 'deepfool-linf', 'adaptive-pgd', 'adaptive-cw',
      'apgd-ce', 'apgd-dlr', 'apgd-t', 'apgd-adaptive', 'fab', 'fab-t', 'autoattack', 'square', 'sparse-rs',
      'adaptive-mean', 'orthogonal-pgd', 'selective-pgd', 'high-confidence-pgd']);
    const e = { epsilon: 0.1 };
    const built = [
      createAttack('fgsm', e), createAttack('fgm', e), createAttack('bim', e), createAttack('pgd', e), createAttack('pgd-l2', e),
      createAttack('mim', e), createAttack('cw', {}), createAttack('deepfool', {}), createAttack('deepfool-linf', {}),
      createAttack('adaptive-pgd', { ...e, tau: 1 }), createAttack('adaptive-cw', { tau: 1 }),
    ];
    const classes = [FGSM, FGM, BIM, PGD, PGD, MIM, CW, DeepFool, DeepFoolLinf, AdaptivePGD, AdaptiveCW];
    built.forEach((a, i) => expect(a).toBeInstanceOf(classes[i]!));
    expect(built.map((a) => [a.name, a.norm])).toEqual([
      ['FGSM', 'linf'], ['FGM', 'l2'], ['BIM', 'linf'], ['PGD', 'linf'], ['PGD-L2', 'l2'], ['MIM', 'linf'], ['CW', 'l2'],
      ['DeepFool', 'l2'], ['DeepFool-Linf', 'linf'], ['Adaptive-PGD', 'linf'], ['Adaptive-CW', 'l2'],
    ]);
  });

  it('rejects unknown names and invalid options', () => {
    expect(() => createAttack('jsma' as never, {} as never)).toThrow(/unknown attack 'jsma' \(known: fgsm, fgm, bim, pgd/);
    expect(() => createAttack('pgd', { epsilon: -1 })).toThrow(/PGD: epsilon must be a finite number >= 0, got -1/);
    expect(() => createAttack('pgd-l2', { epsilon: 0.5, steps: 0 })).toThrow(/PGD-L2: steps must be a positive integer/);
    expect(() => createAttack('bim', {} as never)).toThrow(/BIM: epsilon is required/);
    expect(() => createAttack('deepfool', { candidates: 1 })).toThrow(/candidates must be >= 2/);
  });

  it('derives the default step sizes from ε', () => {
    expect((createAttack('pgd', { epsilon: 0.3, steps: 40 }) as PGD).alpha).toBeCloseTo(2.5 * 0.3 / 40, 15);
    expect((createAttack('pgd', { epsilon: 0.3 }) as PGD).withEpsilon(0.1).alpha).toBeCloseTo(0.025, 15);
  });
});
