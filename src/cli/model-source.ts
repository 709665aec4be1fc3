/**
 * The model a command starts from: --checkpoint FILE (gmgrad's, or a PyTorch state_dict with the
 * architecture flags) or --pretrained NAME (a released model, sha256 checked), decoded on the chosen backend.
 */
import type { Backend } from '../core/backend.js';
import { init } from '../init.js';
import type { BackendChoice } from '../core/engine.js';
import { checkpointFromArgs, type CheckpointBytes } from '../io/node/released-weights.js';
import { decodeModel, type LoadedModel } from '../train/checkpoint.js';
import { UsageError, type OptionSpec } from './args.js';
import { ARCHITECTURE_FLAGS, architectureFromFlags, type ArchitectureArgs } from './architecture-flags.js';

export const MODEL_SOURCE_OPTIONS = {
  checkpoint: { type: 'string', path: 'file', help: 'model.safetensors written by gmgrad train (a file in weights/ is checked against its sha256), or a PyTorch state_dict in safetensors (with --model, --feature-dim, --head)' },
  pretrained: { type: 'string', help: 'a released model by name instead of --checkpoint (weights/manifest.json; sha256 checked)' },
  ...ARCHITECTURE_FLAGS,
} as const satisfies Record<string, OptionSpec>;

export interface CommandModel extends LoadedModel {
  file: CheckpointBytes;
  backend: Backend;
  description: string;
}

export async function modelFromArgs(a: ArchitectureArgs & { checkpoint?: string; pretrained?: string; backend: BackendChoice }, command: string): Promise<CommandModel> {
  if (a.checkpoint === undefined && a.pretrained === undefined) throw new UsageError(`${command} needs --checkpoint PATH or --pretrained NAME`);
  if (a.checkpoint !== undefined && a.pretrained !== undefined) throw new UsageError('give --checkpoint FILE or --pretrained NAME, not both');
  const file = await checkpointFromArgs(a.checkpoint, a.pretrained, command);
  const { backend, description } = await init({ backend: a.backend, verbose: false });
  return { ...decodeModel(file.bytes, backend, file.path, { architecture: architectureFromFlags(a) }), file, backend, description };
}
