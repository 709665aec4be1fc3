/** The model a command starts from: --checkpoint FILE or --pretrained NAME (a released model, sha256 checked), decoded on the chosen backend. */
import type { Backend } from '../core/backend.js';
import { init } from '../init.js';
import { checkpointFromArgs, type CheckpointBytes } from '../io/node/released-weights.js';
import { decodeModel, type LoadedModel } from '../train/checkpoint.js';
import { UsageError, type OptionSpec, type ParsedArgs } from './args.js';

export const MODEL_SOURCE_OPTIONS: Record<string, OptionSpec> = {
  checkpoint: { type: 'string', help: 'model.safetensors written by gmgrad train (a file in weights/ is checked against its sha256)' },
  pretrained: { type: 'string', help: 'a released model by name (weights/manifest.json), sha256 checked' },
};

export interface CommandModel extends LoadedModel {
  file: CheckpointBytes;
  backend: Backend;
  description: string;
}

export async function modelFromArgs(a: ParsedArgs, command: string): Promise<CommandModel> {
  if (!a.checkpoint && !a.pretrained) throw new UsageError(`${command} needs --checkpoint PATH or --pretrained NAME`);
  const file = await checkpointFromArgs(a.checkpoint as string | undefined, a.pretrained as string | undefined, command);
  const { backend, description } = await init({ backend: a.backend as 'auto' });
  return { ...decodeModel(file.bytes, backend, file.path), file, backend, description };
}
