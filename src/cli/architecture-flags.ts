/**
 * The flags that name a checkpoint's architecture, for files that do not carry it (a plain PyTorch
 * state_dict saved with safetensors): one definition, shared by `gmgrad eval` and `gmgrad attack`.
 */
import type { Backend } from '../core/backend.js';
import { getDatasetSpec } from '../data/registry.js';
import { readCheckpointFile } from '../io/node/checkpoint-file.js';
import type { Architecture } from '../models/architecture.js';
import { MODEL_NAMES, type ModelName } from '../models/zoo.js';
import { decodeModel, type LoadedModel } from '../train/checkpoint.js';
import type { OptionSpec } from './args.js';

export const ARCHITECTURE_FLAGS = {
  model: { type: 'string', choices: MODEL_NAMES, help: 'network, for a checkpoint without gmgrad metadata (a PyTorch state_dict with gmgrad\'s names)', defaultText: 'the checkpoint\'s' },
  'feature-dim': { type: 'integer', min: 1, max: 65536, help: 'its feature dimension D (checked against the head\'s tensors)', defaultText: 'the checkpoint\'s' },
  head: { type: 'string', choices: ['gm', 'softmax'], help: 'its head (checked against the head\'s tensors)', defaultText: 'the checkpoint\'s' },
} as const satisfies Record<string, OptionSpec>;

export interface ArchitectureArgs {
  checkpoint: string;
  model?: string;
  featureDim?: number;
  head?: string;
  dataset?: string;
}

/** The architecture the flags (and --dataset: input shape, classes) ask for. */
export function architectureFromFlags(a: ArchitectureArgs): Partial<Architecture> {
  const arch: Partial<Architecture> = {};
  if (a.model !== undefined) arch.model = a.model as ModelName;
  if (a.featureDim !== undefined) arch.featureDim = a.featureDim;
  if (a.head !== undefined) arch.head = a.head as 'gm' | 'softmax';
  if (a.dataset !== undefined) {
    const spec = getDatasetSpec(a.dataset);
    arch.inputShape = [...spec.shape];
    arch.numClasses = spec.classes.length;
  }
  return arch;
}

/** Read and rebuild --checkpoint, with the architecture flags for files that do not name theirs. */
export async function loadCheckpoint(a: ArchitectureArgs, backend: Backend): Promise<LoadedModel> {
  return decodeModel(await readCheckpointFile(a.checkpoint), backend, a.checkpoint, { architecture: architectureFromFlags(a) });
}
