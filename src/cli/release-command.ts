/**
 * `gmgrad release`: add a trained checkpoint to the released weights. It evaluates the model on the
 * full official test set (the number `gmgrad eval` will reproduce), copies the file into the
 * weights folder and records its sha256, recipe, seed, epochs, accuracy and the command that
 * trained it in weights/manifest.json.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { init } from '../init.js';
import { loadDataset } from '../data/node/resolve.js';
import { decodeModel } from '../train/checkpoint.js';
import { evaluateAccuracy } from '../eval/accuracy.js';
import { readCheckpointFile, writeCheckpointFile } from '../io/node/checkpoint-file.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { ensureWritableDir } from '../io/node/folders.js';
import { BACKEND_CHOICES } from '../train/config.js';
import { manifestPath, readManifest, weightsDir } from '../io/node/released-weights.js';
import { sha256Hex, type ReleasedCheckpoint } from '../io/weights-manifest.js';
import type { EpochMetrics } from '../train/trainer.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';
import { ProgressBar } from '../progress/progress-bar.js';

export const RELEASE_OPTIONS = {
  checkpoint: { type: 'string', path: 'file', required: true, help: 'model.safetensors of a finished gmgrad train --recipe run (metrics.json beside it gives the wall clock)' },
  name: { type: 'string', help: 'the released name', defaultText: 'the recipe\'s' },
  notes: { type: 'string', help: 'what a user should know about this model (e.g. a shortened schedule)' },
  replace: { type: 'boolean', default: false, help: 'replace a released model of the same name' },
  data: { type: 'string', path: 'dir', help: 'folder holding the dataset files', defaultText: 'GMGRAD_DATA, the user cache, system folders' },
  backend: { type: 'string', default: 'auto', choices: BACKEND_CHOICES, help: 'compute backend of the evaluation' },
} as const satisfies Record<string, OptionSpec>;

/** The checkpoint without the paths of the machine that trained it (data and run folders, in the config and the command). */
function withoutMachinePaths(bytes: Uint8Array, source: string): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, { source });
  const config = JSON.parse(metadata.gmgrad_config ?? '{}') as Record<string, unknown>;
  for (const k of ['dataDir', 'out', 'threads']) delete config[k];
  const cleaned: Record<string, string> = { ...metadata, gmgrad_config: JSON.stringify(config) };
  if (metadata.gmgrad_command !== undefined) cleaned.gmgrad_command = withoutMachineFlags(metadata.gmgrad_command);
  return encodeSafetensors(tensors, cleaned);
}

/** The training command without the flags that name the training machine's folders (--data, --out). */
function withoutMachineFlags(command: string): string {
  // shell words as train-command writes them: bare characters, '…' quoted runs, \' for a quote
  const words = command.match(/(?:'[^']*'|\\'|[^\s'\\])+/g) ?? [];
  const unquoted = (w: string) => w.replace(/'([^']*)'|\\(')/g, '$1$2');
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const flag = /^--(data|out)(=|$)/.exec(unquoted(words[i]!));
    if (!flag) kept.push(words[i]!);
    else if (flag[2] === '') i++; // the value is the next word
  }
  return kept.join(' ');
}

function hours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${(seconds / 60).toFixed(0)} min`;
}

export async function releaseCommand(argv: string[], io: CliIO): Promise<ReleasedCheckpoint | null> {
  const a = parseArgs(argv, RELEASE_OPTIONS);
  if (a.help) { say(io.stdout, helpText('release', 'Evaluate a trained checkpoint on the full test set and add it to the released weights (weights/manifest.json).', RELEASE_OPTIONS)); return null; }
  const path = a.checkpoint;
  const bytes = withoutMachinePaths(await readCheckpointFile(path), path);
  const { backend, description } = await init({ backend: a.backend, verbose: false });
  const { model, config, metadata } = decodeModel(bytes, backend, path);
  if (!config.recipe) throw new UsageError(`${path}: not trained from a recipe (no recipe in its config); released weights must name the recipe that made them (gmgrad train --recipe NAME)`);
  const epochs = Number(metadata.epoch);
  if (!(epochs > 0)) throw new UsageError(`${path}: the metadata records no finished epoch`);
  if (config.epochs !== undefined && epochs < config.epochs) throw new UsageError(`${path}: ${epochs} of the run's ${config.epochs} epochs are done; finish it with gmgrad train --resume first`);
  if (config.limit) throw new UsageError(`${path}: trained on a ${config.limit}-image subset (--limit); released weights use the full training set`);
  if (a.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(a.name)) throw new UsageError(`--name must be letters, digits, '.', '_' or '-' (it names weights/NAME.safetensors), got '${a.name}'`);
  const name = a.name ?? config.recipe;
  const dir = weightsDir();
  const manifest = readManifest(dir);
  const existing = manifest.checkpoints.findIndex((c) => c.name === name);
  if (existing >= 0 && !a.replace) throw new UsageError(`'${name}' is already released (${manifestPath(dir)}); pass --replace to replace it`);
  await ensureWritableDir(dir, 'weights folder');

  const dataset = config.dataset ?? 'mnist';
  const test = await loadDataset(dataset, { split: 'test', dataDir: a.data ?? config.dataDir, progress: false, log: (l) => say(io.stderr, l) });
  if (test.classes.length !== model.meta.numClasses) throw new UsageError(`${path}: the model has ${model.meta.numClasses} classes, but ${dataset} has ${test.classes.length}`);
  const bar = new ProgressBar('test set', Math.ceil(test.n / 256), io.stderr);
  let acc;
  try {
    acc = await evaluateAccuracy(model, test, test.classes.length, backend, { what: `${path} on the ${dataset} test split`, onBatch: (done) => bar.update(done) });
  } finally {
    model.dispose();
  }
  bar.done();

  const metricsPath = join(dirname(path), 'metrics.json');
  let wall = '';
  if (existsSync(metricsPath)) {
    const m = JSON.parse(await readFile(metricsPath, 'utf8')) as { backend?: string; epochs?: EpochMetrics[] };
    const seconds = (m.epochs ?? []).reduce((s, e) => s + e.seconds, 0);
    wall = `${m.backend ?? metadata.backend ?? 'unknown backend'}; ${m.epochs?.length ?? epochs} epochs in ${hours(seconds)} of training`;
  }
  const cpu = cpus();
  const entry: ReleasedCheckpoint = {
    name, file: `${name}.safetensors`, sha256: await sha256Hex(bytes), bytes: bytes.length,
    recipe: config.recipe, seed: config.seed ?? 0, epochs, dataset, model: config.model ?? 'unknown', featureDim: config.featureDim ?? 0,
    loss: config.loss ?? 'gm', testAccuracy: acc.accuracy, testImages: acc.n,
    command: withoutMachineFlags(metadata.gmgrad_command ?? `gmgrad train --recipe ${config.recipe} --seed ${config.seed ?? 0}`),
    trainedOn: `${wall || metadata.backend || 'unknown backend'}; ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    ...(a.notes ? { notes: a.notes } : {}),
  };
  await writeCheckpointFile(join(dir, entry.file), bytes);
  const checkpoints = [...manifest.checkpoints];
  if (existing >= 0) checkpoints[existing] = entry; else checkpoints.push(entry);
  checkpoints.sort((x, y) => x.name.localeCompare(y.name));
  await writeFileAtomic(manifestPath(dir), `${JSON.stringify({ ...manifest, checkpoints }, null, 2)}\n`);
  say(io.stdout, `released '${name}': ${(100 * acc.accuracy).toFixed(2)}% on the ${acc.n} ${dataset} test images (backend ${description}); ${join(dir, entry.file)}, sha256 ${entry.sha256}`);
  return entry;
}
