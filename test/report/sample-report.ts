/**
 * A synthetic but realistic ReportData for the report tests: two 2-D MNIST-like models (GM and
 * softmax), training curves, features, four attacks, detection scores, example images drawn as
 * seven-segment digits, and confusion matrices. Seeded, so every run draws the same page.
 */
import type { DetectorScores, ExampleGrid, FeatureData, ModelReport, ReportData, RobustnessSummary } from '../../src/report/index.js';
import { rng } from '../helpers/seeded-rng.js';
export { rng };

export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const K = 10;
// seven-segment digits: segments a b c d e f g
const SEGMENTS: Record<number, string> = { 0: 'abcdef', 1: 'bc', 2: 'abged', 3: 'abgcd', 4: 'fgbc', 5: 'afgcd', 6: 'afgedc', 7: 'abc', 8: 'abcdefg', 9: 'abcdfg' };
const SEG_LINES: Record<string, [number, number, number, number]> = {
  a: [9, 6, 19, 6], b: [19, 6, 19, 14], c: [19, 14, 19, 22], d: [9, 22, 19, 22], e: [9, 14, 9, 22], f: [9, 6, 9, 14], g: [9, 14, 19, 14],
};

/** A 28×28 grey digit in [0, 1] (CHW with C = 1), slightly slanted per sample. */
export function digitImage(digit: number, r: () => number): Float32Array {
  const img = new Float32Array(28 * 28);
  const slant = (r() - 0.5) * 0.3, dx = (r() - 0.5) * 3;
  for (const s of SEGMENTS[digit]!) {
    const [x0, y0, x1, y1] = SEG_LINES[s]!;
    for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
      const px = x - dx - slant * (14 - y), py = y;
      const vx = x1 - x0, vy = y1 - y0;
      const t = Math.max(0, Math.min(1, ((px - x0) * vx + (py - y0) * vy) / (vx * vx + vy * vy)));
      const d = Math.hypot(px - (x0 + t * vx), py - (y0 + t * vy));
      img[y * 28 + x] = Math.max(img[y * 28 + x]!, Math.min(1, Math.max(0, 2.2 - d)));
    }
  }
  return img;
}

function training(final: number, lossScale: number, r: () => number) {
  return Array.from({ length: 20 }, (_, i) => {
    const e = i + 1;
    const acc = final - (final - 0.6) * Math.exp(-e / 2.2);
    return {
      epoch: e,
      trainLoss: lossScale * (0.04 + 2.2 * Math.exp(-e / 1.6)) * (1 + 0.03 * gauss(r)),
      trainAccuracy: Math.min(0.9995, acc + 0.004),
      testLoss: e % 5 === 3 ? null : lossScale * (0.06 + 2.0 * Math.exp(-e / 1.7)) * (1 + 0.05 * gauss(r)),
      testAccuracy: e % 5 === 3 ? null : acc - 0.002 * Math.abs(gauss(r)),
      lr: 0.01 * 0.7 ** Math.floor(i / 5),
      seconds: 41 + r() * 3,
    };
  });
}

function gmFeatures(r: () => number): FeatureData {
  const means = new Float64Array(2 * K);
  for (let k = 0; k < K; k++) { means[2 * k] = 7 * Math.cos((2 * Math.PI * k) / K); means[2 * k + 1] = 7 * Math.sin((2 * Math.PI * k) / K); }
  const n = 1500;
  const points = new Float32Array(2 * n), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % K;
    labels[i] = k;
    points[2 * i] = means[2 * k]! + 0.75 * gauss(r);
    points[2 * i + 1] = means[2 * k + 1]! + 0.75 * gauss(r);
  }
  const m = 40;
  const adv = new Float32Array(2 * m);
  for (let i = 0; i < m; i++) {
    const k = labels[i]!, target = (k + 1 + (i % 3)) % K;
    const t = 0.35 + 0.5 * r();
    adv[2 * i] = (1 - t) * points[2 * i]! + t * means[2 * target]! + 1.2 * gauss(r);
    adv[2 * i + 1] = (1 - t) * points[2 * i + 1]! + t * means[2 * target + 1]! + 1.2 * gauss(r);
  }
  return { points, labels, means, density: 'circles', adversarial: { points: adv, name: 'PGD-40 ε=0.3', arrows: true } };
}

function softmaxFeatures(r: () => number): FeatureData {
  const n = 1500;
  const points = new Float32Array(2 * n), labels = new Int32Array(n);
  const sums = new Float64Array(2 * K);
  for (let i = 0; i < n; i++) {
    const k = i % K;
    labels[i] = k;
    const angle = (2 * Math.PI * k) / K + 0.12 * gauss(r);
    const radius = 2 + 30 * r() ** 1.5;
    points[2 * i] = radius * Math.cos(angle);
    points[2 * i + 1] = radius * Math.sin(angle);
    sums[2 * k] += points[2 * i]!; sums[2 * k + 1] += points[2 * i + 1]!;
  }
  const means = sums.map((v) => v / (n / K));
  const m = 40;
  const adv = new Float32Array(2 * m);
  for (let i = 0; i < m; i++) {
    const angle = Math.atan2(points[2 * i + 1]!, points[2 * i]!) + (2 * Math.PI / K) * (0.6 + 0.5 * r());
    const radius = Math.hypot(points[2 * i]!, points[2 * i + 1]!) * (0.8 + 0.6 * r());
    adv[2 * i] = radius * Math.cos(angle); adv[2 * i + 1] = radius * Math.sin(angle);
  }
  return { points, labels, means, adversarial: { points: adv, name: 'PGD-40 ε=0.3', arrows: true } };
}

const ATTACKS = [
  { label: 'FGSM ε=0.3', kind: 'fgsm', epsilon: 0.3 },
  { label: 'PGD-40 ε=0.3', kind: 'pgd', epsilon: 0.3 },
  { label: 'C&W L2', kind: 'cw', epsilon: null },
  { label: 'adaptive PGD ε=0.3', kind: 'adaptive-pgd', epsilon: 0.3 },
];

function scores(r: () => number, n: number, centre: number, spread: number): Float64Array {
  return Float64Array.from({ length: n }, () => centre * Math.exp(spread * gauss(r)));
}

function percentile(v: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(v).sort();
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

function detectorScores(r: () => number, detector: string, centres: number[], cleanCentre: number): DetectorScores {
  const clean = scores(r, 900, cleanCentre, 0.7);
  return {
    detector, tau: percentile(clean, 0.99), clean,
    attacks: ATTACKS.map((a, i) => ({ label: a.label, scores: scores(r, 300, centres[i]!, 0.9) })),
  };
}

function robustness(accs: number[], det: Record<string, number[][]>, clean: number, taus: Record<string, number>): RobustnessSummary {
  return {
    n: 1000, cleanAccuracy: clean, calibrationTpr: 0.99,
    attacks: ATTACKS.map((a, i) => ({ ...a, accuracy: accs[i]!, successRate: 1 - accs[i]! / clean, meanNorm: a.epsilon ?? 1.4, seconds: 3 + i * 4 })),
    // one worst case per threat model: C&W is the L2 row, the others L∞
    worstCases: [
      { label: 'worst case L∞ over 3 rows (ε = 0.3)', norm: 'L∞', accuracy: Math.min(accs[0]!, accs[1]!, accs[3]!) * 0.9 },
      { label: 'worst case L2 over 1 row (without ε: C&W L2)', norm: 'L2', accuracy: accs[2]! },
    ],
    detection: Object.fromEntries(Object.entries(det).map(([name, rows]) => {
      const linf = [rows[0]!, rows[1]!, rows[3]!];
      return [name, {
        tau: taus[name],
        perAttack: rows.map(([auroc, tnr, re]) => ({ auroc: auroc!, tnrAt95Tpr: tnr!, robustError: re! })),
        worstCases: [
          { auroc: Math.min(...linf.map((x) => x[0]!)), tnrAt95Tpr: Math.min(...linf.map((x) => x[1]!)), robustError: Math.max(...linf.map((x) => x[2]!)) * 1.1 },
          { auroc: rows[2]![0]!, tnrAt95Tpr: rows[2]![1]!, robustError: rows[2]![2]! },
        ],
      }];
    })),
  };
}

function examples(r: () => number, attack: string, detector: string, tau: number, flaggedRate: number): ExampleGrid {
  const rows = Array.from({ length: 8 }, (_, i) => {
    const label = (i * 3 + 1) % K;
    const clean = digitImage(label, r);
    const adversarial = clean.map((v) => Math.min(1, Math.max(0, v + (r() < 0.5 ? -0.3 : 0.3))));
    const flagged = r() < flaggedRate;
    const prediction = i % 4 === 3 ? label : (label + 1 + (i % 5)) % K;
    return {
      clean, adversarial, trueLabel: label, cleanPrediction: label, prediction,
      cleanScore: tau * (0.1 + 0.5 * r()), score: flagged ? tau * (1.5 + 8 * r()) : tau * (0.3 + 0.6 * r()), flagged,
    };
  });
  return { attack, shape: { channels: 1, height: 28, width: 28 }, rows, detector };
}

function confusion(r: () => number, acc: number): number[][] {
  return Array.from({ length: K }, (_, i) => {
    const total = 95 + Math.floor(r() * 20);
    const row = new Array<number>(K).fill(0);
    const right = Math.round(total * (acc + (r() - 0.5) * 0.01));
    row[i] = right;
    for (let w = 0; w < total - right; w++) row[(i + 1 + Math.floor(r() * 3) * (i % 2 ? 1 : 4)) % K]! += 1;
    return row;
  });
}

/** The full sample: every section present. `classNames` lets tests inject hostile names. */
export function sampleReport(classNames: readonly string[] = Array.from({ length: K }, (_, i) => String(i))): ReportData {
  const r = rng(20240601);
  const gmDet = [detectorScores(r, 'GM score', [40, 160, 9, 2.2], 1.0), detectorScores(r, 'Mahalanobis', [25, 70, 12, 5], 2.0)];
  const smDet = [detectorScores(r, 'Mahalanobis', [9, 14, 4, 3], 2.0)];
  const gm: ModelReport = {
    name: 'GM (α = 1, λ = 0.1)', head: 'gm',
    training: training(0.9929, 1.4, r),
    features: gmFeatures(r),
    robustness: robustness([0.412, 0.021, 0.0, 0.008], {
      'GM score': [[0.991, 0.972, 0.004], [0.998, 0.994, 0.003], [0.874, 0.61, 0.29], [0.612, 0.18, 0.71]],
      Mahalanobis: [[0.962, 0.88, 0.05], [0.981, 0.93, 0.06], [0.83, 0.49, 0.41], [0.75, 0.33, 0.58]],
    }, 0.9929, { 'GM score': gmDet[0]!.tau, Mahalanobis: gmDet[1]!.tau }),
    detection: gmDet,
    examples: [examples(r, 'PGD-40 ε=0.3', 'GM score', gmDet[0]!.tau, 0.85)],
    confusion: confusion(r, 0.993),
  };
  const softmax: ModelReport = {
    name: 'softmax', head: 'softmax',
    training: training(0.9902, 1.0, r),
    features: softmaxFeatures(r),
    robustness: robustness([0.231, 0.0, 0.0, 0.0], {
      Mahalanobis: [[0.931, 0.71, 0.18], [0.957, 0.8, 0.15], [0.71, 0.28, 0.69], [0.66, 0.2, 0.77]],
    }, 0.9902, { Mahalanobis: smDet[0]!.tau }),
    detection: smDet,
    examples: [examples(r, 'PGD-40 ε=0.3', 'Mahalanobis', smDet[0]!.tau, 0.6)],
    confusion: confusion(r, 0.99),
  };
  return {
    title: 'gmgrad — MNIST, 2-D features: GM loss vs softmax',
    subtitle: 'Training, feature space, adversarial attacks and likelihood-based detection',
    classNames,
    config: {
      dataset: 'mnist', architecture: '6 × conv5×5 + PReLU → FC 2', 'feature dim': 2, epochs: 20, 'batch size': 64,
      optimiser: 'Nesterov SGD', 'learning rate': 0.01, momentum: 0.9, 'weight decay': 0.001, 'lr schedule': '×0.7 every 5 epochs',
      'GM α': 1, 'GM λ': 0.1, 'ramp epochs': 5, 'calibration TPR': 0.99, attacks: ATTACKS.map((a) => a.label), seed: 1234, 'mixed precision': false,
    },
    backend: { name: 'webgpu', device: 'SwiftShader (Vulkan 1.3)', details: { 'max buffer': '256 MiB', 'f16': false, 'kernels compiled': 41 } },
    models: [gm, softmax],
    footer: {
      generatedAt: '2024-06-01T12:00:00Z', seconds: 1942.5,
      timings: { training: 1710.2, attacks: 201.4, report: 0.3 },
      versions: { gmgrad: '0.1.0', node: '20.20.2', webgpu: '0.6.2' },
      command: 'gmgrad demo --dataset mnist --feature-dim 2 --report runs/demo/report.html',
    },
  };
}
