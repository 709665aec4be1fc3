/** Accuracy, per-class accuracy and the confusion matrix of a model over a dataset (what `gmgrad eval` and `gmgrad release` report). */
import type { Backend } from '../core/backend.js';
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { DataLoader } from '../data/dataloader.js';
import type { ImageData } from '../data/dataset.js';
import type { Classifier } from '../models/classifier.js';
import { argmax, min } from '../ops/reduce.js';
import { cast, stack } from '../ops/shape.js';
import { isFinite } from '../ops/unary.js';
import { batchTensors } from '../train/trainer.js';

export interface AccuracyResult {
  accuracy: number;
  perClass: number[];
  /** rows: true class, columns: predicted */
  confusion: number[][];
  n: number;
}

/** `what` names the model and the data in the error raised when a logit is not finite. */
export async function evaluateAccuracy(model: Classifier, data: ImageData, numClasses: number, backend: Backend,
  o: { batchSize?: number; what?: string; onBatch?: (done: number, total: number) => void } = {}): Promise<AccuracyResult> {
  const batchSize = o.batchSize ?? 256;
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const loader = new DataLoader(data, { batchSize });
  const wasTraining = model.training;
  model.eval();
  let done = 0;
  try {
    for await (const b of loader.epoch(0)) {
      const out = noGrad(() => tidy(() => {
        const logits = model.forward(batchTensors(b, [data.c, data.h, data.w], backend).x);
        // the last row says whether every logit was finite
        return stack([cast(argmax(logits, 1), 'float32'), cast(min(isFinite(logits), 1), 'float32')]);
      }));
      const v = await out.data();
      out.dispose();
      for (let i = 0; i < b.size; i++) {
        if (v[b.size + i] !== 1) throw new Error(`${o.what ?? 'the model'}: the logits for image ${done * batchSize + i} are not finite; its weights or inputs overflow`);
        confusion[b.y[i]!]![v[i]!]!++;
      }
      o.onBatch?.(++done, loader.length);
    }
  } finally {
    model.train(wasTraining);
  }
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  const perClass = confusion.map((row, i) => row[i]! / Math.max(1, row.reduce((x, y) => x + y, 0)));
  return { accuracy: correct / Math.max(1, data.n), perClass, confusion, n: data.n };
}
