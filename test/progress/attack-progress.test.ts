/**
 * Progress that tells the truth: every attack reports each iteration over its batch (PGD's
 * restarts × steps, C&W's search steps × Adam iterations, DeepFool's iterations, ending at the total
 * also when it stops early), and an evaluation's bars each end with the time of the attack that
 * spent it — checked against a fake clock that only the attacks advance.
 */
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { Attack, type PerturbOutput } from '../../src/attacks/attack.js';
import type { AttackContext } from '../../src/attacks/context.js';
import { keep } from '../../src/core/scope.js';
import { clone } from '../../src/ops/shape.js';
import { evaluateRobustness, type AttackPlan } from '../../src/eval/robustness.js';
import { taskProgressPrinter, type TaskEvent } from '../../src/progress/task-progress.js';
import { images, labels, tinyCnn } from '../attacks/fixtures.js';

async function iterationCalls(attack: Attack): Promise<[number, number][]> {
  const model = tinyCnn(4, 'softmax');
  const calls: [number, number][] = [];
  const r = await attack.run(model, images([3, 1, 8, 8], 7), labels([0, 1, 2]), undefined, { onIteration: (d, t) => { calls.push([d, t]); } });
  r.adversarial.dispose();
  return calls;
}

const upTo = (n: number) => Array.from({ length: n }, (_, i): [number, number] => [i + 1, n]);

describe('attacks report every iteration over the batch', () => {
  it('PGD: restarts × steps; MIM: steps; FGSM: one', async () => {
    expect(await iterationCalls(new g.PGD({ epsilon: 0.1, steps: 3, restarts: 2 }))).toEqual(upTo(6));
    expect(await iterationCalls(new g.MIM({ epsilon: 0.1, steps: 4 }))).toEqual(upTo(4));
    expect(await iterationCalls(new g.FGSM({ epsilon: 0.1 }))).toEqual(upTo(1));
  });

  it('C&W: binary-search steps × Adam iterations, the search included', async () => {
    expect(await iterationCalls(new g.CW({ binarySearchSteps: 3, maxIterations: 4 }))).toEqual(upTo(12));
  });

  it('DeepFool: its iterations, then the total when every sample has crossed early', async () => {
    const calls = await iterationCalls(new g.DeepFool({ maxIterations: 50 }));
    expect(calls.at(-1)).toEqual([50, 50]);
    expect(calls.length).toBeLessThan(50); // it stopped early and jumped to the end
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThan(calls[i - 1]![0]);
  });
});

/** An attack that takes `msPerIteration` of fake time per iteration and stops early on the batch `stopAt` says. */
class TimedAttack extends Attack {
  readonly name = 'Timed';
  readonly norm = 'linf' as const;
  batches = 0;
  constructor(readonly clock: { t: number }, readonly steps: number, readonly msPerIteration: number, readonly stopAt: (batch: number) => number) {
    super('Timed', {});
  }
  override get progressSteps(): number { return this.steps; }
  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const iterations = this.stopAt(this.batches++);
    for (let i = 0; i < iterations; i++) {
      this.clock.t += this.msPerIteration;
      ctx.iterationDone();
    }
    return { adversarial: keep(clone(ctx.x)) };
  }
}

describe('an evaluation attributes each attack its own time', () => {
  it('bars open at the start and close with the seconds the run measured (fake clock)', async () => {
    const clock = { t: 0 };
    const now = () => clock.t;
    const plans: AttackPlan[] = [
      { label: 'quick', kind: 'quick', epsilon: null, attack: new TimedAttack(clock, 2, 1000, () => 2) },
      // 3 iterations of 10 s; the second batch stops after one (as DeepFool does)
      { label: 'slow', kind: 'slow', epsilon: null, attack: new TimedAttack(clock, 3, 10_000, (b) => (b === 0 ? 3 : 1)) },
    ];
    const lines: string[] = [];
    const events: TaskEvent[] = [];
    const print = taskProgressPrinter({ stream: { isTTY: false, write: (s: string) => { lines.push(s); } }, now });
    const result = await evaluateRobustness({
      model: tinyCnn(4, 'softmax'), x: images([6, 1, 8, 8], 5), y: labels([0, 1, 2, 3, 0, 1]), detectors: [], attacks: plans,
      batchSize: 4, now, onProgress: (e) => { events.push(e); print(e); },
    });

    expect(result.runs.map((r) => r.seconds)).toEqual([4, 40]);
    // samples × iterations: 6 × 2 and 6 × 3, monotonic, starting at 0 and ending at the total
    for (const [task, total] of [['quick', 12], ['slow', 18]] as const) {
      const mine = events.filter((e) => e.task === task);
      expect(mine[0]).toEqual({ phase: 'start', task, total });
      expect(mine.at(-1)).toEqual({ phase: 'end', task, total, seconds: task === 'quick' ? 4 : 40 });
      const done = mine.filter((e) => e.phase === 'update').map((e) => (e as { done: number }).done);
      expect(done.at(-1)).toBe(total);
      for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThan(done[i - 1]!);
    }
    // the slow attack's first update comes after 10 s of its own time: 4 samples × 1 iteration
    expect(events.find((e) => e.task === 'slow' && e.phase === 'update')).toMatchObject({ done: 4 });

    const text = lines.join('');
    expect(text).toMatch(/^quick ░{24} 0\/12 {2}00:00\n/);
    expect(text).toMatch(/\nquick █{24} 12\/12 {2}00:04\n/);
    expect(text).toMatch(/\nslow ░{24} 0\/18 {2}00:00\n/);
    expect(text).toMatch(/\nslow █{24} 18\/18 {2}00:40\n$/);
    // no line of the quick attack shows the slow one's time
    for (const l of lines.filter((x) => x.startsWith('quick'))) expect(l).not.toMatch(/00:(1|2|3|4[1-9])/);
  });
});
