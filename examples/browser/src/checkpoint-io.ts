/**
 * Checkpoints in the format `gmgrad train` writes: safetensors with PyTorch names and layouts and
 * the run configuration in the metadata (gmgrad_config, gmgrad_input_shape, gmgrad_num_classes).
 * A model trained in Node opens here, and a model exported here loads with `gmgrad eval`.
 */
import { encodeModel } from '../../../src/index.js';
import { modelMetadata } from '../../../src/train/checkpoint.js';
import { decodePageModel } from './models.js';
import type { TrainingSession } from './session.js';

export async function exportCheckpoint(session: TrainingSession, backendDescription: string): Promise<Uint8Array> {
  const meta = modelMetadata(session.config, session.model, {
    epoch: session.epoch.toFixed(3),
    steps: String(session.steps),
    backend: backendDescription,
    written_by: 'gmgrad browser page',
  });
  return encodeModel(session.model, meta);
}

/** Decode and swap the session's model; returns a line describing what was loaded. */
export function importCheckpoint(session: TrainingSession, bytes: Uint8Array, fileName: string): string {
  const { model, config, metadata } = decodePageModel(bytes, session.backend, fileName);
  const shape = model.meta.inputShape;
  const want = session.imageShape;
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    model.dispose();
    throw new Error(`${fileName}: the model takes images [${shape.join(', ')}], the page's dataset has [${want.join(', ')}]`);
  }
  if (!model.isGM) {
    model.dispose();
    throw new Error(`${fileName}: a ${config.loss ?? 'softmax'} model; the page needs a GM head (its means, scores and τ)`);
  }
  session.replaceModel(model, config);
  const where = metadata.written_by ? ` (${metadata.written_by})` : '';
  return `${fileName}: ${config.model ?? model.meta.model}, ${model.meta.featureDim}-D features, ${config.dataset ?? 'unknown dataset'}${metadata.epoch ? `, epoch ${metadata.epoch}` : ''}${where}`;
}

export function downloadBytes(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
