/** Turn evaluation results into the self-contained HTML report and write it (atomically). */
import { writeFileAtomic } from '../io/node/atomic-write.js';
import type { ImageData } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';
import type { EpochMetrics } from '../train/trainer.js';
import type { ModelEvaluation } from './evaluate-model.js';
import { formatRobustness } from './summary.js';

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
}

export async function writeReport(path: string, input: ReportInput): Promise<void> {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const tables = input.models.map((m) => `<pre>${esc(formatRobustness(`${m.name} model`, m.evaluation.result))}</pre>`).join('\n');
  const html = `<!doctype html><meta charset="utf-8"><title>${esc(input.title)}</title><h1>${esc(input.title)}</h1><p>backend: ${esc(input.backend)}</p>${tables}`;
  await writeFileAtomic(path, new TextEncoder().encode(html));
}
