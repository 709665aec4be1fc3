/** The released weights shipped in the package's `weights/` folder, read and verified in Node. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpointFile } from './checkpoint-file.js';
import { findReleased, validateManifest, verifyReleased, WeightsError, type ReleasedCheckpoint, type WeightsManifest } from '../weights-manifest.js';

/** src/io/node or dist/io/node → the package root's weights/ */
export const PACKAGE_WEIGHTS_DIR = fileURLToPath(new URL('../../../weights/', import.meta.url));

/** The released-weights folder: $GMGRAD_WEIGHTS when set (weights kept elsewhere), else the package's. */
export function weightsDir(): string {
  return process.env.GMGRAD_WEIGHTS || PACKAGE_WEIGHTS_DIR;
}

export function manifestPath(dir = weightsDir()): string {
  return join(dir, 'manifest.json');
}

/** The manifest of a weights folder (an absent manifest lists nothing). */
export function readManifest(dir = weightsDir()): WeightsManifest {
  const path = manifestPath(dir);
  if (!existsSync(path)) return { checkpoints: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new WeightsError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return validateManifest(parsed, path);
}

export interface CheckpointBytes {
  bytes: Uint8Array;
  path: string;
  /** the manifest entry when the file is a released checkpoint (then verified) */
  released: ReleasedCheckpoint | null;
}

/** A released checkpoint by name, verified against the manifest. */
export async function readReleased(name: string, dir = weightsDir()): Promise<CheckpointBytes> {
  const entry = findReleased(readManifest(dir), name, manifestPath(dir));
  const path = join(dir, entry.file);
  if (!existsSync(path)) throw new WeightsError(`${path}: listed in ${manifestPath(dir)} as '${name}' but missing (a partial checkout, or Git LFS not pulled?)`);
  const bytes = await readCheckpointFile(path);
  await verifyReleased(entry, bytes, path);
  return { bytes, path, released: entry };
}

/**
 * A checkpoint file. A file inside the weights folder must be listed in the manifest and match
 * its sha256; any other file is read as it is.
 */
export async function readModelFile(file: string, dir = weightsDir()): Promise<CheckpointBytes> {
  const path = resolve(file);
  const bytes = await readCheckpointFile(path);
  const inWeights = existsSync(dir) && realpathSync(dirname(path)) === realpathSync(dir);
  if (!inWeights) return { bytes, path, released: null };
  const entry = readManifest(dir).checkpoints.find((c) => c.file === basename(path));
  if (!entry) throw new WeightsError(`${path}: a file in the released-weights folder that ${manifestPath(dir)} does not list; add it with gmgrad release`);
  await verifyReleased(entry, bytes, path);
  return { bytes, path, released: entry };
}

/** --checkpoint FILE or --pretrained NAME (exactly one), for the commands that start from a model. */
export async function checkpointFromArgs(checkpoint: string | undefined, pretrained: string | undefined, command: string, dir = weightsDir()): Promise<CheckpointBytes> {
  if (checkpoint !== undefined && pretrained !== undefined) throw new WeightsError(`${command}: give --checkpoint FILE or --pretrained NAME, not both`);
  if (pretrained !== undefined) {
    try {
      return await readReleased(pretrained, dir);
    } catch (e) {
      throw new WeightsError(`--pretrained ${pretrained}: ${(e as Error).message}`);
    }
  }
  if (checkpoint !== undefined) return readModelFile(checkpoint, dir);
  const names = readManifest(dir).checkpoints.map((c) => c.name);
  throw new WeightsError(`${command} needs --checkpoint FILE (written by gmgrad train) or --pretrained NAME (${names.length ? `released: ${names.join(', ')}` : 'no weights released yet'})`);
}
