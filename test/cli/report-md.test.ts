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
import { defaultConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/run.js';
import { attackCommand } from '../../src/cli/attack-command.js';
import { needFullData } from '../helpers/data.js';

describe('detectionMarkdown', () => {
  it('τ at each TPR, success, ROC-AUC, detection and robust error per τ, and the worst case', () => {
    const result = {
      n: 4, cleanAccuracy: 0.75, cleanCorrect: [true, true, true, false], cleanPredictions: Int32Array.from([0, 1, 2, 0]),
      cleanScores: { GM: Float64Array.from([1, 2, 3, 9]) }, thresholds: { GM: 4 }, detection: {},
      runs: [{ label: 'PGD-40 ε=0.3', kind: 'pgd', epsilon: 0.3, accuracy: 0.25, successRate: 2 / 3, meanNorm: 0, seconds: 1, imagesPerSecond: 4,
        misclassified: [true, true, false, true], predictions: Int32Array.from([1, 0, 2, 0]), norms: new Float32Array(4), scores: { GM: Float64Array.from([5, 1.5, 2, 10]) } }],
    } as unknown as RobustnessResult;
    const md = detectionMarkdown({ model: 'tiny', dataset: 'mnist', backend: 'cpu', result, taus: { GM: [{ tpr: 0.95, tau: 2.5 }, { tpr: 0.99, tau: 4 }] }, calibrationImages: 100 });
    expect(md).toContain('**GM** — τ(95 % TPR) = 2.500, τ(99 % TPR) = 4.000');
    expect(md).toContain('| attack | success | ROC-AUC | detected @ 95 % | detected @ 99 % | robust error @ 95 % | robust error @ 99 % |');
    // successful on clean-correct: samples 0 (score 5) and 1 (1.5); clean-correct scores 1, 2, 3
    expect(md).toContain('| PGD-40 ε=0.3 | 66.7 % | 0.667 | 50.0 % | 50.0 % | 33.3 % | 33.3 % |');
    expect(md).toContain('| worst case over attacks | 66.7 % | 0.667 | 50.0 % | 50.0 % | 33.3 % | 33.3 % |');
    expect(md).toContain('4 test images attacked (clean accuracy 75.0 %); τ set on 100 held-out clean test images');
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
    for (const a of ['FGSM', 'DeepFool', 'worst case over attacks']) expect(md).toContain(`| ${a}`);
    expect(md).toContain('τ set on 60 held-out clean test images');
    expect(md).not.toMatch(/NaN|undefined/);
  }, 240_000);
});
