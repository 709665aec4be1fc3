/** Turn training histories and robustness evaluations into the self-contained HTML report. */
import { writeFileAtomic } from '../io/node/atomic-write.js';
import type { ImageData } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';
import { GMHead } from '../nn/gm-head.js';
import type { EpochMetrics } from '../train/trainer.js';
import { featureScatter, renderReport, type ReportData, type ModelReport, type ExampleGrid, type ConfigValue } from '../report/index.js';
import type { ModelEvaluation } from './evaluate-model.js';
import { NORM_LABELS } from './threat-models.js';

export interface ReportModelInput {
  name: string;
  model: Classifier;
  evaluation: ModelEvaluation;
  /** the attacked images (for the image grid) */
  images: ImageData;
  history: EpochMetrics[] | null;
}

export interface ReportInput {
  title: string;
  backend: string;
  config: Record<string, unknown>;
  models: ReportModelInput[];
  seconds?: number;
  classNames?: string[];
}

/** K×2 means: the GM head's μ, or (softmax) the empirical class means of the clean features. */
async function classMeans(m: ReportModelInput, points: Float32Array, labels: ArrayLike<number>): Promise<number[]> {
  const k = m.model.meta.numClasses;
  if (m.model.head instanceof GMHead) return Array.from(await m.model.head.means.data());
  const sum = new Array<number>(2 * k).fill(0), count = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    sum[2 * c] += points[2 * i]!; sum[2 * c + 1] += points[2 * i + 1]!; count[c]!++;
  }
  return sum.map((s, j) => s / Math.max(1, count[Math.floor(j / 2)]!));
}

async function modelReport(m: ReportModelInput): Promise<ModelReport> {
  const r = m.evaluation.result;
  const labels = Array.from(m.images.labels);
  const detectors = Object.keys(r.detection);
  const report: ModelReport = {
    name: m.name,
    head: m.model.isGM ? 'gm' : 'softmax',
    training: m.history ?? undefined,
    robustness: {
      n: r.n, cleanAccuracy: r.cleanAccuracy, calibrationTpr: 0.99,
      attacks: r.runs.map((run) => ({ label: run.label, kind: run.kind, epsilon: run.epsilon, accuracy: run.accuracy, successRate: run.successRate, meanNorm: run.meanNorm, seconds: run.seconds, imagesPerSecond: run.imagesPerSecond })),
      worstCases: r.worstCases.map((w) => ({ label: w.label, norm: NORM_LABELS[w.norm], accuracy: w.accuracy })),
      detection: Object.fromEntries(detectors.map((d) => [d, { tau: r.thresholds[d], perAttack: r.detection[d]!.perAttack, worstCases: r.detection[d]!.worstCases }])),
    },
    detection: detectors.map((d) => ({
      detector: d,
      tau: r.thresholds[d]!,
      clean: Array.from(r.cleanScores[d]!).filter((_, i) => r.cleanCorrect[i]),
      attacks: r.runs.map((run) => ({
        label: run.label,
        scores: Array.from(run.scores[d]!).filter((_, i) => r.cleanCorrect[i] && run.misclassified[i]),
      })),
    })),
  };
  if (r.cleanFeatures && m.model.meta.featureDim === 2) {
    const adversarialRun = r.runs.find((x) => x.kind === 'pgd') ?? r.runs[0];
    report.features = {
      points: r.cleanFeatures, labels, means: await classMeans(m, r.cleanFeatures, labels),
      adversarial: adversarialRun?.features ? { points: adversarialRun.features, name: adversarialRun.label, arrows: true, maxArrows: 60 } : undefined,
    };
  }
  const per = m.images.c * m.images.h * m.images.w;
  const primary = m.evaluation.primary;
  const examples: ExampleGrid[] = [];
  for (const run of r.runs) {
    if (!run.images) continue;
    const count = run.images.length / per;
    const rows = Array.from({ length: count }, (_, i) => ({
      clean: Array.from(m.images.images.subarray(i * per, (i + 1) * per), (v) => v / 255),
      adversarial: run.images!.subarray(i * per, (i + 1) * per),
      trueLabel: labels[i]!,
      cleanPrediction: r.cleanPredictions[i],
      prediction: run.predictions[i]!,
      cleanScore: r.cleanScores[primary]![i],
      score: run.scores[primary]![i],
      flagged: run.scores[primary]![i]! > r.thresholds[primary]!,
    }));
    examples.push({ attack: run.label, shape: { channels: m.images.c as 1 | 3, height: m.images.h, width: m.images.w }, rows, detector: primary });
  }
  report.examples = examples;
  const k = m.model.meta.numClasses;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  r.cleanPredictions.forEach((p, i) => { confusion[labels[i]!]![p]!++; });
  report.confusion = confusion;
  return report;
}

export async function buildReportData(input: ReportInput): Promise<ReportData> {
  const [name, ...rest] = input.backend.split(' ');
  return {
    title: input.title,
    config: input.config as Record<string, ConfigValue>,
    backend: { name: name ?? input.backend, device: rest.join(' ').replace(/^\(|\)$/g, '') || undefined },
    classNames: input.classNames,
    models: await Promise.all(input.models.map(modelReport)),
    footer: {
      seconds: input.seconds,
      generatedAt: new Date().toISOString(),
      versions: { gmgrad: '0.1.0', node: typeof process !== 'undefined' ? process.version : 'browser' },
      command: typeof process !== 'undefined' ? `gmgrad ${process.argv.slice(2).join(' ')}` : undefined,
    },
  };
}

/**
 * Writes the report, and next to it `features-<model>.svg` for every model with 2-D features (the
 * scatter of the report as a standalone file, for papers and notes). Returns the paths written.
 */
export async function writeReport(path: string, input: ReportInput): Promise<string[]> {
  const data = await buildReportData(input);
  await writeFileAtomic(path, new TextEncoder().encode(await renderReport(data)));
  const written = [path];
  const dir = path.replace(/[^/\\]*$/, '');
  for (const m of data.models) {
    const f = m.features;
    if (!f) continue;
    const svg = featureScatter({
      width: 580, height: 580, points: f.points, labels: f.labels, means: f.means, variances: f.variances,
      density: f.density ?? (m.head === 'gm' && f.means ? 'circles' : 'none'), classNames: data.classNames, adversarial: f.adversarial,
    });
    const file = `${dir}features-${m.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.svg`;
    await writeFileAtomic(file, new TextEncoder().encode(svg));
    written.push(file);
  }
  return written;
}
