/**
 * The per-sample worst case per threat model: a two-norm run where one attack breaks a sample only
 * under L2 counts it in the L2 worst case and not in the L∞ one, in the rows, in the stdout table
 * and in results.json; labels name the ε bound and the rows without ε; and against a plain
 * re-implementation, a worst case is "some attack of that norm misclassified it and it was accepted".
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ThreatNorm } from '../../src/attacks/steps.js';
import type { AttackRun, RobustnessResult } from '../../src/eval/robustness.js';
import { formatRobustness, robustnessJson } from '../../src/eval/summary.js';
import { threatModelDetection, threatModelWorstCases, type WorstCaseRun } from '../../src/eval/threat-worst-case.js';

const run = (label: string, norm: ThreatNorm, epsilon: number | null, misclassified: boolean[], scores: number[]) =>
  ({ label, norm, epsilon, misclassified, scores: Float64Array.from(scores) });

// 4 samples, the last misclassified when clean; τ = 2.5 (scores above it are flagged)
const cleanCorrect = [true, true, true, false];
const cleanScores = [1, 2, 3];
const TAU = 2.5;
// L∞ breaks sample 0 but is flagged there; the L2 PGD breaks sample 1 unflagged; C&W (no ε) breaks nothing
const RUNS = [
  run('PGD-40 L∞ ε=0.1', 'linf', 0.1, [false, false, false, true], [0, 0, 0, 9]),
  run('PGD-40 L∞ ε=0.3', 'linf', 0.3, [true, false, false, true], [5, 1, 1, 9]),
  run('PGD-40 L2 ε=1', 'l2', 1, [false, true, false, true], [1, 1.5, 2, 9]),
  run('C&W L2', 'l2', null, [false, false, false, true], [0, 0, 0, 9]),
];

function result(): RobustnessResult {
  const worstCases = threatModelWorstCases(RUNS);
  const outcomes = RUNS.map((r) => ({ name: r.label, misclassified: r.misclassified, scores: r.scores }));
  const runs = RUNS.map((r): AttackRun => ({
    ...r, kind: 'pgd', accuracy: r.misclassified.filter((m) => !m).length / 4, successRate: r.misclassified.slice(0, 3).filter(Boolean).length / 3,
    meanNorm: 0, seconds: 1, imagesPerSecond: 4, predictions: new Int32Array(4), norms: new Float32Array(4), scores: { GM: r.scores },
  }));
  return {
    n: 4, cleanAccuracy: 0.75, cleanCorrect, cleanPredictions: new Int32Array(4), cleanScores: { GM: Float64Array.from([1, 2, 3, 9]) },
    thresholds: { GM: TAU }, runs, worstCases, detection: { GM: threatModelDetection(cleanScores, TAU, outcomes, worstCases, cleanCorrect) },
  };
}

describe('the worst case per threat model', () => {
  it('an attack broken only under L2 is in the L2 worst case and not in the L∞ one', () => {
    const r = result();
    expect(r.worstCases.map((w) => [w.norm, w.label, w.runs])).toEqual([
      ['linf', 'worst case L∞ over 2 rows (ε ≤ 0.3)', [0, 1]],
      ['l2', 'worst case L2 over 2 rows (ε = 1; without ε: C&W L2)', [2, 3]],
    ]);
    // accuracy: correct under every attack of the norm (sample 3 is wrong everywhere)
    expect(r.worstCases.map((w) => w.accuracy)).toEqual([0.5, 0.5]);
    const [linf, l2] = r.detection.GM!.worstCases;
    expect(linf!.norm).toBe('linf');
    expect(linf!.attackSuccessRate).toBeCloseTo(1 / 3, 15);
    expect(linf!.robustError).toBe(0);
    expect(linf!.detectionRate).toBe(1);
    expect(l2!.norm).toBe('l2');
    expect(l2!.name).toBe(r.worstCases[1]!.label);
    expect(l2!.robustError).toBeCloseTo(1 / 3, 15);
    expect(l2!.detectionRate).toBe(0);
    expect(l2!.auroc).toBeCloseTo(1 / 3, 15);
  });

  it('the stdout table and results.json show one worst case per norm', () => {
    const r = result();
    const lines = formatRobustness('GM model', r).split('\n');
    const linfLine = lines.find((l) => l.startsWith('worst case L∞ over 2 rows (ε ≤ 0.3)'))!;
    const l2Line = lines.find((l) => l.startsWith('worst case L2 over 2 rows (ε = 1; without ε: C&W L2)'))!;
    expect(linfLine.trim().split(/\s{2,}/).slice(1)).toEqual(['50.0%', '—', '1.000', '100.0%', '0.0%']);
    expect(l2Line.trim().split(/\s{2,}/).slice(1)).toEqual(['50.0%', '—', '0.333', '0.0%', '33.3%']);
    expect(lines.some((l) => l.startsWith('worst case over attacks'))).toBe(false);
    const json = JSON.parse(JSON.stringify(robustnessJson(r))) as {
      worstCases: { norm: string; label: string; accuracy: number; covers: string[] }[];
      detection: Record<string, { worstCases: { norm: string; name: string; robustError: number }[] }>;
    };
    expect(json.worstCases.map((w) => [w.norm, w.covers])).toEqual([
      ['linf', ['PGD-40 L∞ ε=0.1', 'PGD-40 L∞ ε=0.3']], ['l2', ['PGD-40 L2 ε=1', 'C&W L2']],
    ]);
    expect(json.detection.GM!.worstCases.map((w) => [w.norm, w.robustError > 0])).toEqual([['linf', false], ['l2', true]]);
  });

  it('Sparse-RS is its own L0 worst case, named as a row without ε; unknown norms are refused', () => {
    const w = threatModelWorstCases([run('Sparse-RS L0 k=10 1000q', 'l0', null, [true], [0]), run('FAB L∞ 1×40', 'linf', null, [false], [0])]);
    expect(w.map((x) => [x.norm, x.label, x.runs])).toEqual([
      ['linf', 'worst case L∞ over 1 row (without ε: FAB L∞ 1×40)', [1]],
      ['l0', 'worst case L0 over 1 row (without ε: Sparse-RS L0 k=10 1000q)', [0]],
    ]);
    expect(() => threatModelWorstCases([run('odd', 'l3' as ThreatNorm, 1, [true], [0])])).toThrow(/'odd' has norm l3/);
  });

  it('each norm\'s robust error is the share of masked samples some attack of that norm misclassified with an accepted score', () => {
    const norms: ThreatNorm[] = ['linf', 'l2', 'l1', 'l0'];
    const sample = fc.record({ mis: fc.boolean(), score: fc.integer({ min: 0, max: 9 }) });
    const runs = fc.integer({ min: 1, max: 8 }).chain((n) => fc.record({
      mask: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      tau: fc.integer({ min: 0, max: 9 }),
      runs: fc.array(fc.record({ norm: fc.constantFrom(...norms), samples: fc.array(sample, { minLength: n, maxLength: n }) }), { minLength: 1, maxLength: 6 }),
    }));
    fc.assert(fc.property(runs, ({ mask, tau, runs: rs }) => {
      const input: (WorstCaseRun & { scores: number[] })[] = rs.map((r, k) => ({
        label: `a${k}`, norm: r.norm, epsilon: k, misclassified: r.samples.map((s) => s.mis), scores: r.samples.map((s) => s.score),
      }));
      const worstCases = threatModelWorstCases(input);
      const d = threatModelDetection([1, 2, 3], tau, input.map((r) => ({ name: r.label, misclassified: r.misclassified, scores: r.scores })), worstCases, mask);
      expect(worstCases.map((w) => w.norm)).toEqual(norms.filter((n) => input.some((r) => r.norm === n)));
      const evaluated = mask.filter(Boolean).length;
      worstCases.forEach((w, k) => {
        const own = input.filter((r) => r.norm === w.norm);
        const broken = mask.filter((m, i) => m && own.some((r) => r.misclassified[i] && r.scores[i]! <= tau)).length;
        expect(d.worstCases[k]!.robustError).toBe(evaluated ? broken / evaluated : NaN);
        expect(w.accuracy).toBe(mask.filter((_, i) => own.every((r) => !r.misclassified[i])).length / mask.length);
      });
    }), { numRuns: 200 });
  });
});
