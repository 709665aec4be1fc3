/**
 * The flags that name a checkpoint's architecture, for files that do not carry it (a plain PyTorch
 * state_dict saved with safetensors): one definition, shared by `gmgrad eval` and `gmgrad attack`.
 */
import { readFile } from 'node:fs/promises';
import type { Backend } from '../core/backend.js';
import { getDatasetSpec } from '../data/registry.js';
import type { Architecture } from '../models/architecture.js';
import { MODEL_NAMES, type ModelName } from '../models/zoo.js';
import { decodeModel, type LoadedModel } from '../train/checkpoint.js';
import { UsageError, type OptionSpec, type ParsedArgs } from './args.js';

export const ARCHITECTURE_FLAGS: Record<string, OptionSpec> = {
  model: { type: 'string', choices: MODEL_NAMES, help: 'network, for a checkpoint without gmgrad metadata (a PyTorch state_dict with gmgrad\'s names)' },
  'feature-dim': { type: 'number', help: 'its feature dimension D (checked against the head\'s tensors)' },
  head: { type: 'string', choices: ['gm', 'softmax'], help: 'its head (checked against the head\'s tensors)' },
};

/** The architecture the flags (and --dataset: input shape, classes) ask for. */
export function architectureFromFlags(a: ParsedArgs): Partial<Architecture> {
  const arch: Partial<Architecture> = {};
  if (a.model !== undefined) arch.model = a.model as ModelName;
  if (a.featureDim !== undefined) {
    const d = a.featureDim as number;
    if (!Number.isInteger(d) || d < 1) throw new UsageError(`--feature-dim must be a positive integer, got ${d}`);
    arch.featureDim = d;
  }
  if (a.head !== undefined) arch.head = a.head as 'gm' | 'softmax';
  if (a.dataset !== undefined) {
    const spec = getDatasetSpec(a.dataset as string);
    arch.inputShape = [...spec.shape];
    arch.numClasses = spec.classes.length;
  }
  return arch;
}

/** Read and rebuild --checkpoint, with the architecture flags for files that do not name theirs. */
export async function loadCheckpoint(a: ParsedArgs, backend: Backend): Promise<LoadedModel & { path: string }> {
  const path = a.checkpoint as string;
  const bytes = new Uint8Array(await readFile(path));
  return { ...decodeModel(bytes, backend, path, { architecture: architectureFromFlags(a) }), path };
}
