/** Model checkpoint files in Node: encodeModel / decodeModel through an atomic write and a named read. */
import type { Backend } from '../core/backend.js';
import { readCheckpointFile, writeCheckpointFile } from '../io/node/checkpoint-file.js';
import type { Classifier } from '../models/classifier.js';
import { decodeModel, encodeModel, type DecodeModelOptions, type LoadedModel } from './checkpoint.js';

/** Write the model (state dict + architecture + `metadata`) to `path` as safetensors, atomically. */
export async function saveModel(path: string, model: Classifier, metadata: Record<string, string> = {}): Promise<void> {
  await writeCheckpointFile(path, await encodeModel(model, metadata));
}

/** Rebuild the model saved at `path` (a plain PyTorch state_dict needs `options.architecture`). */
export async function loadModel(path: string, backend: Backend, options: DecodeModelOptions = {}): Promise<LoadedModel> {
  return decodeModel(await readCheckpointFile(path), backend, path, options);
}
