/**
 * The detection table of docs/reproduction.md: the Markdown numbers from a hand-made evaluation, and
 * `gmgrad attack --report-md` end to end on a tiny 2-D GM model (real MNIST slices).
 */
import { QUIET } from './helpers.js';
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectionMarkdown } from '../../src/eval/report-md.js';
import type { RobustnessResult } from '../../src/eval/robustness.js';
import { threatModelWorstCases } from '../../src/eval/threat-worst-case.js';
import { defaultConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/run.js';
import { attackCommand } from '../../src/cli/attack-command.js';
import { needFullData } from '../helpers/data.js';

describe('detectionMarkdown', () => {
  const evaluation = (runs: { label: string; norm: string; epsilon: number | null; misclassified: boolean[]; scores: number[] }[]) => {
    const full = runs.map((r) => ({ ...r, kind: 'pgd', accuracy: 0, successRate: 0, meanNorm: 0, seconds: 1, imagesPerSecond: 4,
      predictions: new Int32Array(4), norms: new Float32Array(4), scores: { GM: Float64Array.from(r.scores) } }));
    return {
      n: 4, cleanAccuracy: 0.75, cleanCorrect: [true, true, true, false], cleanPredictions: Int32Array.from([0, 1, 2, 0]),
      cleanScores: { GM: Float64Array.from([1, 2, 3, 9]) }, thresholds: { GM: 4 }, detection: {},
      runs: full, worstCases: threatModelWorstCases(full as unknown as RobustnessResult['runs']),
    } as unknown as RobustnessResult;
  };

  it('τ at each TPR, success, ROC-AUC, detection and robust error per τ, and the worst case', () => {
    const result = evaluation([{ label: 'PGD-40 ε=0.3', norm: 'linf', epsilon: 0.3, misclassified: [true, true, false, true], scores: [5, 1.5, 2, 10] }]);
    const md = detectionMarkdown({ model: 'tiny', dataset: 'mnist', backend: 'cpu', result, taus: { GM: [{ tpr: 0.95, tau: 2.5 }, { tpr: 0.99, tau: 4 }] }, calibrationImages: 100 });
    expect(md).toContain('**GM** — τ(95 % TPR) = 2.500, τ(99 % TPR) = 4.000');
    expect(md).toContain('| attack | success | ROC-AUC | detected @ 95 % | detected @ 99 % | robust error @ 95 % | robust error @ 99 % |');
    // successful on clean-correct: samples 0 (score 5) and 1 (1.5); clean-correct scores 1, 2, 3
    expect(md).toContain('| PGD-40 ε=0.3 | 66.7 % | 0.667 | 50.0 % | 50.0 % | 33.3 % | 33.3 % |');
    expect(md).toContain('| worst case L∞ over 1 row (ε = 0.3) | 66.7 % | 0.667 | 50.0 % | 50.0 % | 33.3 % | 33.3 % |');
    expect(md).toContain('4 test images attacked (clean accuracy 75.0 %); τ set on 100 held-out clean test images');
    expect(md).not.toContain('skipped');
  });

  it('a two-norm run: one worst case per norm (an attack broken only under L2 is in the L2 one alone), and the skipped pairs', () => {
    const result = evaluation([
      // L∞ breaks sample 0, flagged at both τ; the L2 PGD breaks sample 1 unflagged; C&W breaks nothing
      { label: 'PGD-40 L∞ ε=0.3', norm: 'linf', epsilon: 0.3, misclassified: [true, false, false, true], scores: [5, 1, 1, 10] },
      { label: 'PGD-40 L2 ε=1', norm: 'l2', epsilon: 1, misclassified: [false, true, false, true], scores: [1, 1.5, 2, 10] },
      { label: 'C&W L2', norm: 'l2', epsilon: null, misclassified: [false, false, false, true], scores: [0, 0, 0, 10] },
    ]);
    const md = detectionMarkdown({
      model: 'tiny', dataset: 'mnist', backend: 'cpu', result, taus: { GM: [{ tpr: 0.95, tau: 2.5 }, { tpr: 0.99, tau: 4 }] }, calibrationImages: 100,
      skipped: [{ attack: 'square', norm: 'l1', reason: 'square has no L1 form (it supports linf, l2)' }, { attack: 'fab', norm: 'l1', reason: 'fab has no L1 form (it supports linf, l2)' }],
    });
    expect(md).toContain('| worst case L∞ over 1 row (ε = 0.3) | 33.3 % | 1.000 | 100.0 % | 100.0 % | 0.0 % | 0.0 % |');
    expect(md).toContain('| worst case L2 over 2 rows (ε = 1; without ε: C&W L2) | 33.3 % | 0.333 | 0.0 % | 0.0 % | 33.3 % | 33.3 % |');
    expect(md).not.toContain('worst case over attacks');
    expect(md).toContain('- skipped under L1: square has no L1 form (it supports linf, l2)\n- skipped under L1: fab has no L1 form (it supports linf, l2)\n');
  });
});

describe('gmgrad attack --report-md', () => {
  it('writes the detection table for a tiny 2-D GM model, τ at 95 % and 99 % TPR for both detectors', async (ctx) => {
    // the command fits Mahalanobis on the training split: full MNIST
    const mnistDir = await needFullData(ctx, 'mnist');
    const out = mkdtempSync(join(tmpdir(), 'gmgrad-report-md-'));
    const r = await runTraining({
      ...defaultConfig('mnist'), model: 'tiny-cnn', featureDim: 2, loss: 'gm', epochs: 1, batch: 50, lr: 0.01,
      rampEpochs: 0, limit: 500, testLimit: 200, backend: 'wasm', out, dataDir: mnistDir, seed: 3,
    }, { verbose: false });
    r.model.dispose();
    const quiet = [vi.spyOn(console, 'error').mockImplementation(() => {}), vi.spyOn(console, 'log').mockImplementation(() => {})];
    const mdPath = join(out, 'docs', 'detection.md');
    try {
      await attackCommand([
        '--checkpoint', join(out, 'model.safetensors'), '--attacks', 'fgsm,deepfool,adaptive', '--eps', '0.2', '--steps', '3',
        '--n', '20', '--calibration', '60', '--fit-n', '200', '--backend', 'wasm', '--data', mnistDir, '--out', join(out, 'attack'), '--report-md', mdPath,
      ], QUIET);
    } finally {
      for (const q of quiet) q.mockRestore();
    }
    const md = readFileSync(mdPath, 'utf8');
    for (const d of ['GM score', 'Mahalanobis']) expect(md).toMatch(new RegExp(`\\*\\*${d}\\*\\* — τ\\(95 % TPR\\) = [-0-9.e+]+, τ\\(99 % TPR\\) = [-0-9.e+]+`));
    // FGSM and adaptive PGD are L∞, DeepFool L2: a worst case each
    for (const a of ['FGSM', 'DeepFool', 'worst case L∞ over 2 rows (ε = 0.2)', 'worst case L2 over 1 row (without ε: DeepFool L2)']) expect(md).toContain(`| ${a}`);
    expect(md).toContain('τ set on 60 held-out clean test images');
    expect(md).not.toMatch(/NaN|undefined/);
  }, 240_000);
});
