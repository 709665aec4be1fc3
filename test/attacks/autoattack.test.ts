/**
 * The AutoAttack ensemble: the standard order with later members on still-robust samples only, the
 * per-sample worst case (robust only if every member fails) and who broke each sample first,
 * members looked up at run time (an unregistered one, like Square before it lands, is skipped and
 * reported), threat models a member lacks, FAB counted only within ε, seeds, and the registry.
 */
import { describe, expect, it } from 'vitest';
import { getBackend } from '../../src/index.js';
import { ATTACK_NAMES, AutoAttack, createAttack, STANDARD_MEMBERS, type Attack, type AutoAttackResult } from '../../src/attacks/index.js';
import { arr, images, predictions, tinyCnn } from './fixtures.js';
import { GradientTrap } from './score-helpers.js';
import { trainedBlobModel } from './trained-fixture.js';

const { model, x, y } = trainedBlobModel();
const n = x.shape[0]!;
const lookup = (name: string, o: Record<string, unknown>) => (ATTACK_NAMES.includes(name as never) ? createAttack(name as 'pgd', o as never) : null);

describe('AutoAttack, standard version', () => {
  it('runs apgd-ce, apgd-t, fab-t, square in order, later ones only on the samples still robust; records who broke each sample', async () => {
    const r = (await createAttack('autoattack', { epsilon: 0.15, steps: 10 }).run(model, x, y)) as AutoAttackResult;
    expect(r.members.map((m) => m.name)).toEqual(['apgd-ce', 'apgd-t', 'fab-t', 'square']);
    // the trained fixture takes flat inputs: Square, which searches over image squares, is skipped saying why
    expect(r.members[3]!.status).toBe(ATTACK_NAMES.includes('square' as never) ? 'unsupported input' : 'not registered');
    // the clean points are all correctly classified, so the first member sees every sample
    expect(r.members[0]!.attempted).toBe(n);
    let robust = n;
    for (const m of r.members.filter((v) => v.status === 'ran')) {
      expect(m.attempted).toBe(robust);
      robust -= m.successes;
    }
    // success ⇔ some member broke it; robust ⇔ every member failed
    r.brokenBy.forEach((b, i) => expect(r.success[i]).toBe(b !== null));
    expect(r.success.filter((s) => !s).length).toBe(robust);
    expect(r.brokenBy.filter((b) => b === 'apgd-ce').length).toBe(r.members[0]!.successes);
    expect(r.success.some(Boolean)).toBe(true);
    expect(Math.max(...r.norms)).toBeLessThanOrEqual(0.15 + 1e-6);
    // a robust sample is returned as its clean input
    const adv = arr(r.adversarial), clean = arr(x);
    r.success.forEach((s, i) => { if (!s) expect(adv.slice(i * 8, i * 8 + 8)).toEqual(clean.slice(i * 8, i * 8 + 8)); });
  });

  it('the worst case is at least as strong as its first member alone; runAll gives each member every sample', async () => {
    const alone = await createAttack('apgd-ce', { epsilon: 0.1, steps: 10 }).run(model, x, y);
    const all = (await new AutoAttack({ epsilon: 0.1, steps: 10, runAll: true }, lookup).run(model, x, y)) as AutoAttackResult;
    const count = (s: boolean[]) => s.filter(Boolean).length;
    expect(count(all.success)).toBeGreaterThanOrEqual(count(alone.success));
    for (const m of all.members.filter((v) => v.status === 'ran')) expect(m.attempted).toBe(n);
    // the first member saw the same samples with the same seed as the lone run
    expect(all.members[0]!.successes).toBe(count(alone.success));
  });

  it('same seed → identical output', async () => {
    const a = await new AutoAttack({ epsilon: 0.1, steps: 5, seed: 2 }, lookup).run(model, x, y);
    const b = await new AutoAttack({ epsilon: 0.1, steps: 5, seed: 2 }, lookup).run(model, x, y);
    expect(arr(a.adversarial)).toEqual(arr(b.adversarial));
  });
});

describe('AutoAttack members', () => {
  it('skips a member that is not registered and one without the threat model, and says so', async () => {
    const members = [...STANDARD_MEMBERS.slice(0, 1), { ...STANDARD_MEMBERS[0]!, name: 'no-such-attack' }, STANDARD_MEMBERS[2]!];
    const r = (await new AutoAttack({ epsilon: 1, norm: 'l1', steps: 5, members }, lookup).run(model, x, y)) as AutoAttackResult;
    expect(r.members.map((m) => [m.name, m.status])).toEqual([['apgd-ce', 'ran'], ['no-such-attack', 'not registered'], ['fab-t', 'unsupported norm']]);
    expect(Math.max(...r.norms)).toBeLessThanOrEqual(1 + 1e-5);
  });

  it('a minimum-norm member counts only within ε', async () => {
    const fabOnly = [STANDARD_MEMBERS[2]!];
    const tiny = (await new AutoAttack({ epsilon: 1e-4, steps: 10, members: fabOnly }, lookup).run(model, x, y)) as AutoAttackResult;
    expect(tiny.members[0]!.successes).toBe(0);
    expect(tiny.success.every((s) => !s)).toBe(true);
    expect(arr(tiny.adversarial)).toEqual(arr(x));
    const wide = (await new AutoAttack({ epsilon: 1, steps: 10, members: fabOnly }, lookup).run(model, x, y)) as AutoAttackResult;
    expect(wide.members[0]!.successes).toBe(n);
  });

  it('validates its options', () => {
    expect(() => new AutoAttack({ epsilon: 0.1, norm: 'l0' as never }, lookup)).toThrow(/AutoAttack: norm must be one of/);
    expect(() => new AutoAttack({ epsilon: 0.1, members: [] }, lookup)).toThrow(/members must name at least one attack/);
    expect(() => new AutoAttack({ epsilon: 0.1, target: 'random' } as never, lookup)).toThrow(/untargeted/);
    expect(() => createAttack('autoattack', {} as never)).toThrow(/AutoAttack: epsilon is required/);
    expect(createAttack('autoattack', { epsilon: 0.5, norm: 'l2' }).name).toBe('AutoAttack-L2');
  });
});

describe('memory stays flat for the new attacks', () => {
  const live = () => getBackend().memory().liveBuffers;
  const cases: [string, (steps: number) => Attack][] = [
    ['apgd-ce l1', (s) => createAttack('apgd-ce', { epsilon: 0.5, norm: 'l1', steps: s, restarts: 2 })],
    ['apgd-t', (s) => createAttack('apgd-t', { epsilon: 0.1, steps: s, numTargets: 2 })],
    ['fab-t', (s) => createAttack('fab-t', { steps: s, numTargets: 2, restarts: 2 })],
    ['autoattack', (s) => createAttack('autoattack', { epsilon: 0.1, steps: s })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      (await make(2).run(model, x, y)).adversarial.dispose();
      const before = live();
      (await make(5).run(model, x, y)).adversarial.dispose();
      expect(live()).toBe(before);
    });
  }
});

describe('AutoAttack on images', () => {
  it('runs its Square member on [N, C, H, W] inputs, without a gradient, on the samples still robust', async () => {
    const trap = new GradientTrap(tinyCnn(3, 'softmax', 5));
    const xi = images([4, 1, 8, 8], 21);
    const yi = predictions(trap.inner, xi);
    const square = STANDARD_MEMBERS.find((m) => m.name === 'square')!;
    const r = (await new AutoAttack({ epsilon: 0.3, members: [square], seed: 2 }, lookup).run(trap, xi, yi)) as AutoAttackResult;
    expect(r.members[0]!.status).toBe(ATTACK_NAMES.includes('square' as never) ? 'ran' : 'not registered');
    if (r.members[0]!.status === 'ran') {
      expect(r.members[0]!.attempted).toBe(4);
      expect(trap.recordedForwards).toBe(0);
      expect(r.members[0]!.successes).toBe(r.success.filter(Boolean).length);
    }
  });
});
