/**
 * Where the resolver looks for a dataset's files, in order, and which files a folder holds.
 * Order: an explicit folder (--data DIR), $GMGRAD_DATA, the user cache, system folders, the embedded
 * subset; downloading comes after all of these (see resolve.ts).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetSpec, Split } from '../registry.js';
import { embeddedMnistTestDir, userCacheDir, type Env } from './paths.js';

export type PlaceKind = 'explicit' | 'env' | 'cache' | 'system' | 'embedded';

export interface Place {
  kind: PlaceKind;
  /** how the place is shown to the user */
  label: string;
  /** null when the place does not apply (e.g. GMGRAD_DATA unset); `note` says why */
  dir: string | null;
  note?: string;
}

export interface PlaceOptions {
  dataDir?: string;
  env?: Env;
  /** replaces the registry's system folders (tests) */
  systemDirs?: string[];
  /** replaces the embedded MNIST test folder; null disables it (tests) */
  embeddedDir?: string | null;
}

/** A folder given by the user may hold the files directly or a <dataset>/ sub-folder: look in both. */
function userFolder(kind: PlaceKind, label: string, dir: string, dataset: string): Place[] {
  return [
    { kind, label: `${label} ${join(dir, dataset)}`, dir: join(dir, dataset) },
    { kind, label: `${label} ${dir}`, dir },
  ];
}

export function candidatePlaces(spec: DatasetSpec, split: Split, options: PlaceOptions = {}): Place[] {
  const env = options.env ?? process.env;
  const places: Place[] = [];
  if (options.dataDir !== undefined) places.push(...userFolder('explicit', '--data', options.dataDir, spec.name));
  const envDir = env.GMGRAD_DATA;
  if (envDir) places.push(...userFolder('env', 'GMGRAD_DATA', envDir, spec.name));
  else places.push({ kind: 'env', label: 'GMGRAD_DATA', dir: null, note: 'not set' });
  const cache = userCacheDir(spec.name, env);
  places.push({ kind: 'cache', label: `user cache ${cache}`, dir: cache });
  for (const dir of options.systemDirs ?? spec.systemDirs) places.push({ kind: 'system', label: `system folder ${dir}`, dir });
  if (spec.name === 'mnist' && split === 'test' && options.embeddedDir !== null) {
    const dir = options.embeddedDir ?? embeddedMnistTestDir();
    places.push({ kind: 'embedded', label: `embedded MNIST test set ${dir}`, dir });
  }
  return places;
}

async function isFile(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try { return (await stat(path)).isDirectory(); } catch { return false; }
}

export interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** The names a file may have in a folder: plain or .gz, directly or in one of the dataset's sub-folders. */
export function fileCandidates(dir: string, fileName: string, subdirs: string[]): string[] {
  const out: string[] = [];
  for (const sub of ['', ...subdirs]) {
    out.push(join(dir, sub, fileName), join(dir, sub, `${fileName}.gz`));
  }
  return out;
}

export interface FolderContents {
  /** per file of the split, the first candidate that exists, or null */
  files: (FoundFile | null)[];
  /** the dataset's tar.gz archive when the folder holds one */
  archive: FoundFile | null;
}

export async function scanFolder(dir: string, spec: DatasetSpec, split: Split): Promise<FolderContents> {
  const files: (FoundFile | null)[] = [];
  for (const file of spec.splits[split].files) {
    let found: FoundFile | null = null;
    for (const path of fileCandidates(dir, file.name, spec.subdirs)) {
      const s = await isFile(path);
      if (s) { found = { path, ...s }; break; }
    }
    files.push(found);
  }
  let archive: FoundFile | null = null;
  for (const mirror of spec.mirrors) {
    if (mirror.kind !== 'tar.gz') continue;
    const path = join(dir, mirror.archiveName);
    const s = await isFile(path);
    if (s) { archive = { path, ...s }; break; }
  }
  return { files, archive };
}
