/**
 * A training run's folder as a transaction log. An epoch's three artifacts — the model, the
 * training state and the metrics — are committed as one unit:
 *
 *   1. each is written (atomically) beside its final name as `<name>.pending`;
 *   2. `checkpoint.json` is written (atomically) naming all three by sha256 — the commit point;
 *   3. each `.pending` file is renamed to its final name.
 *
 * Reading the run verifies every file against the manifest, finishes step 3 when a kill
 * interrupted it (the pending copy matches the manifest), and refuses anything else with a message
 * naming the file. A kill before step 2 leaves the previous epoch committed and intact. While a
 * process works in the folder it holds `.lock` (a pid); temporary files of interrupted writes are
 * removed when the folder is opened.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { faultPoint } from '../io/node/fault-injection.js';
import { ensureDir, removeStaleTemporaries } from '../io/node/folders.js';
import { acquireRunLock, type RunLock } from './run-lock.js';
import { RunStateError } from './run-state-error.js';

export { RunStateError };

export const MANIFEST_FILE = 'checkpoint.json';
const FORMAT = 'gmgrad-run/1';

export const ARTIFACT_FILES = {
  model: 'model.safetensors',
  state: 'training-state.safetensors',
  metrics: 'metrics.json',
} as const;
export type Artifact = keyof typeof ARTIFACT_FILES;
const ARTIFACTS = Object.keys(ARTIFACT_FILES) as Artifact[];

export interface Manifest {
  format: typeof FORMAT;
  /** epochs completed */
  epoch: number;
  /** epochs the run was asked for (epoch >= epochs: finished) */
  epochs: number;
  /** what makes the run this run (recipe and data fingerprints; see run-identity.ts) */
  identity: Record<string, unknown>;
  /** the backend that committed it (a resume on another one is allowed, but not bit-identical) */
  backend: string;
  files: Record<Artifact, { sha256: string; bytes: number }>;
}

export interface Committed {
  manifest: Manifest;
  bytes: Record<Artifact, Uint8Array>;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new RunStateError(`cannot read ${path}: ${code === 'EISDIR' ? 'it is a folder' : (e as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

function parseManifest(text: Uint8Array, path: string): Manifest {
  const bad = (why: string): never => {
    throw new RunStateError(`${path}: ${why}; the run cannot be verified (restore the file, or start over with --force)`);
  };
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (e) {
    return bad(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return bad('not a JSON object');
  const o = m as Record<string, unknown>;
  if (o.format !== FORMAT) bad(`format is ${JSON.stringify(o.format)}, expected "${FORMAT}"`);
  for (const k of ['epoch', 'epochs'] as const) {
    if (!Number.isSafeInteger(o[k]) || (o[k] as number) < (k === 'epoch' ? 1 : 0)) bad(`'${k}' is ${JSON.stringify(o[k])}, expected a ${k === 'epoch' ? 'positive' : 'non-negative'} integer`);
  }
  if (typeof o.identity !== 'object' || o.identity === null) bad("'identity' is missing");
  if (typeof o.backend !== 'string') bad("'backend' is missing");
  const files = o.files as Record<string, { sha256?: unknown; bytes?: unknown }> | undefined;
  for (const a of ARTIFACTS) {
    const f = files?.[a];
    if (!f || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256) || !Number.isSafeInteger(f.bytes)) bad(`'files.${a}' is not { sha256, bytes }`);
  }
  return o as unknown as Manifest;
}

export class RunDir {
  private constructor(readonly dir: string, private readonly lock: RunLock) {}

  /** Create the folder if needed, take its lock and clear temporaries of interrupted writes. */
  static async open(dir: string, what = '--out'): Promise<RunDir> {
    await ensureDir(dir, `${what} folder`);
    const lock = await acquireRunLock(dir, what);
    await removeStaleTemporaries(dir);
    return new RunDir(dir, lock);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /**
   * The last committed epoch, verified (and completed when a kill interrupted its last step), or
   * null when nothing was ever committed here. Stray `.pending` files are removed.
   */
  async readCommitted(): Promise<Committed | null> {
    const manifestPath = this.path(MANIFEST_FILE);
    const text = await readIfExists(manifestPath);
    if (!text) {
      for (const a of ARTIFACTS) await rm(this.path(`${ARTIFACT_FILES[a]}.pending`), { force: true });
      return null;
    }
    const manifest = parseManifest(text, manifestPath);
    const bytes = {} as Record<Artifact, Uint8Array>;
    for (const a of ARTIFACTS) {
      const finalPath = this.path(ARTIFACT_FILES[a]);
      const pendingPath = `${finalPath}.pending`;
      const want = manifest.files[a].sha256;
      const current = await readIfExists(finalPath);
      if (current && sha256(current) === want) {
        bytes[a] = current;
        await rm(pendingPath, { force: true }); // a later epoch's, never committed
        continue;
      }
      const pending = await readIfExists(pendingPath);
      if (pending && sha256(pending) === want) {
        await rename(pendingPath, finalPath); // step 3, interrupted: finish it
        bytes[a] = pending;
        continue;
      }
      const found = current ? `its sha256 is ${sha256(current).slice(0, 12)}…` : 'it is missing';
      throw new RunStateError(`${finalPath} does not match ${manifestPath} (epoch ${manifest.epoch} expects sha256 ${want.slice(0, 12)}…, ${found}); ` +
        'the run was changed outside gmgrad and cannot be resumed (restore the file, or start over with --force)');
    }
    return { manifest, bytes };
  }

  /** Files that look like a run but were not committed by one (written by an older gmgrad, or by hand). */
  async foreignFiles(): Promise<string[]> {
    if (await exists(this.path(MANIFEST_FILE))) return [];
    const out: string[] = [];
    for (const a of ARTIFACTS) if (await exists(this.path(ARTIFACT_FILES[a]))) out.push(ARTIFACT_FILES[a]);
    return out;
  }

  /** Commit one epoch: pending files, then the manifest (the commit point), then the final names. */
  async commit(m: Omit<Manifest, 'format' | 'files'>, artifacts: Record<Artifact, Uint8Array>): Promise<void> {
    const files = {} as Manifest['files'];
    for (const a of ARTIFACTS) {
      await writeFileAtomic(this.path(`${ARTIFACT_FILES[a]}.pending`), artifacts[a]);
      files[a] = { sha256: sha256(artifacts[a]), bytes: artifacts[a].length };
    }
    const manifest: Manifest = { format: FORMAT, ...m, files };
    await writeFileAtomic(this.path(MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const a of ARTIFACTS) {
      await rename(this.path(`${ARTIFACT_FILES[a]}.pending`), this.path(ARTIFACT_FILES[a]));
      faultPoint(`${ARTIFACT_FILES[a]}: promoted`);
    }
  }

  /** Forget the run committed here (--force): the manifest first, so nothing half-removed looks committed. */
  async discard(): Promise<void> {
    await rm(this.path(MANIFEST_FILE), { force: true });
    for (const a of ARTIFACTS) {
      await rm(this.path(ARTIFACT_FILES[a]), { force: true });
      await rm(this.path(`${ARTIFACT_FILES[a]}.pending`), { force: true });
    }
  }

  async close(): Promise<void> {
    await this.lock.release();
  }
}
